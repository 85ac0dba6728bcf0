#include "braid/nn/module.hpp"

#include <cxxabi.h>

#include <algorithm>
#include <cstdlib>
#include <ostream>
#include <set>
#include <sstream>
#include <typeinfo>

#include "braid/core/grad_mode.hpp"
#include "braid/ops/ops.hpp"

namespace braid::nn {

// -- StateDict -------------------------------------------------------------------

void StateDict::insert(std::string name, Tensor t) {
  for (auto& [n, v] : items_)
    if (n == name) {
      v = std::move(t);
      return;
    }
  items_.emplace_back(std::move(name), std::move(t));
}

const Tensor* StateDict::find(std::string_view name) const {
  for (const auto& [n, v] : items_)
    if (n == name) return &v;
  return nullptr;
}

const Tensor& StateDict::at(std::string_view name) const {
  const Tensor* t = find(name);
  BRAID_CHECK(t != nullptr, ValueError, "state_dict", "no tensor named '{}' ({} entries)", name,
              items_.size());
  return *t;
}

void HookHandle::remove() {
  if (remove_) remove_();
  remove_ = nullptr;
}

// -- the call stack of modules, for error paths ------------------------------------

namespace {
// The modules being called on this thread, outermost first. Paths are built
// from it when an error passes, so a module needs no parent pointer (which
// a move of the parent would leave dangling).
thread_local std::vector<const Module*> t_stack;

std::string demangle(const char* mangled) {
  int status = 0;
  char* d = abi::__cxa_demangle(mangled, nullptr, nullptr, &status);
  std::string s = status == 0 && d ? d : mangled;
  std::free(d);
  // Drop namespaces and template arguments: "braid::nn::Linear" -> "Linear".
  if (size_t lt = s.find('<'); lt != std::string::npos) s.resize(lt);
  if (size_t colon = s.rfind("::"); colon != std::string::npos) s = s.substr(colon + 2);
  return s;
}
}  // namespace

Module::Scope::Scope(const Module& m) { t_stack.push_back(&m); }
Module::Scope::~Scope() { t_stack.pop_back(); }

std::string Module::current_path() {
  std::string path;
  for (const Module* m : t_stack) path += (path.empty() ? "" : "/") + m->name();
  return path;
}

void Module::annotate(Error& e) const {
  std::string path = current_path();
  e.add_context(fmt::format("{} ({})", path, describe()));
}

Tensor Module::operator()(const Tensor& x) {
  Scope s(*this);
  try {
    Tensor in = x;
    for (auto& [id, h] : pre_hooks_)
      if (std::optional<Tensor> r = h(*this, in)) in = std::move(*r);
    Tensor out = forward(in);
    for (auto& [id, h] : post_hooks_)
      if (std::optional<Tensor> r = h(*this, in, out)) out = std::move(*r);
    return out;
  } catch (Error& e) {
    annotate(e);
    throw;
  }
}

Tensor Module::forward(const Tensor&) {
  throw ValueError(fmt::format("[{}] has no single-tensor forward; call its forward(...) overload",
                               type_name()));
}

// -- registration --------------------------------------------------------------------

void Module::check_new_name(const std::string& name, const char* what) const {
  BRAID_CHECK(!name.empty() && name.find('.') == std::string::npos, ValueError, type_name(),
              "{} name '{}' must be non-empty and contain no '.'", what, name);
  bool taken = false;
  for (const Slot& s : params_) taken = taken || s.name == name;
  for (const Slot& s : buffers_) taken = taken || s.name == name;
  for (const auto& [n, c] : children_) taken = taken || n == name;
  BRAID_CHECK(!taken, ValueError, type_name(), "{} name '{}' is already registered", what, name);
}

Tensor& Module::register_parameter(std::string name, Tensor init, bool requires_grad) {
  check_new_name(name, "parameter");
  if (init.defined()) {
    init = init.detach();  // a parameter is a leaf, whatever made its value
    if (requires_grad) init.requires_grad_();
  }
  params_.push_back({std::move(name), std::make_unique<Tensor>(std::move(init)), true});
  return *params_.back().value;
}

Tensor& Module::register_buffer(std::string name, Tensor init, bool persistent) {
  check_new_name(name, "buffer");
  buffers_.push_back({std::move(name), std::make_unique<Tensor>(std::move(init)), persistent});
  return *buffers_.back().value;
}

Module& Module::register_module(std::string name, std::unique_ptr<Module> module) {
  BRAID_CHECK(module != nullptr, ValueError, type_name(), "module '{}' is null", name);
  Module& ref = *module;
  adopt(std::move(name), std::move(module));
  return ref;
}

void Module::adopt(std::string name, std::unique_ptr<Module> module) {
  check_new_name(name, "module");
  module->name_ = name;
  children_.emplace_back(std::move(name), std::move(module));
}

// -- traversal -------------------------------------------------------------------------

void Module::collect(const std::string& prefix, bool recurse, bool params,
                     std::vector<std::pair<std::string, Tensor>>& out, bool persistent_only) const {
  for (const Slot& s : params ? params_ : buffers_)
    if (s.value->defined() && (s.persistent || !persistent_only))
      out.emplace_back(prefix + s.name, *s.value);
  if (!recurse) return;
  for (const auto& [n, c] : children_)
    c->collect(prefix + n + ".", true, params, out, persistent_only);
}

namespace {
// Drops repeats of the same tensor (a module registered twice shares them).
std::vector<std::pair<std::string, Tensor>> unique_tensors(
    std::vector<std::pair<std::string, Tensor>> in) {
  std::set<const void*> seen;
  std::vector<std::pair<std::string, Tensor>> out;
  for (auto& item : in)
    if (seen.insert(item.second.impl_ptr().get()).second) out.push_back(std::move(item));
  return out;
}
std::vector<Tensor> values(const std::vector<std::pair<std::string, Tensor>>& items) {
  std::vector<Tensor> v;
  v.reserve(items.size());
  for (const auto& [n, t] : items) v.push_back(t);
  return v;
}
}  // namespace

std::vector<std::pair<std::string, Tensor>> Module::named_parameters(bool recurse) const {
  std::vector<std::pair<std::string, Tensor>> out;
  collect("", recurse, true, out, false);
  return unique_tensors(std::move(out));
}
std::vector<Tensor> Module::parameters(bool recurse) const {
  return values(named_parameters(recurse));
}
std::vector<std::pair<std::string, Tensor>> Module::named_buffers(bool recurse) const {
  std::vector<std::pair<std::string, Tensor>> out;
  collect("", recurse, false, out, false);
  return unique_tensors(std::move(out));
}
std::vector<Tensor> Module::buffers(bool recurse) const { return values(named_buffers(recurse)); }

std::vector<std::pair<std::string, Module*>> Module::named_children() const {
  std::vector<std::pair<std::string, Module*>> out;
  for (const auto& [n, c] : children_) out.emplace_back(n, c.get());
  return out;
}
std::vector<Module*> Module::children() const {
  std::vector<Module*> out;
  for (const auto& [n, c] : children_) out.push_back(c.get());
  return out;
}

std::vector<std::pair<std::string, Module*>> Module::named_modules() {
  std::vector<std::pair<std::string, Module*>> out{{"", this}};
  for (const auto& [n, c] : children_)
    for (auto& [sub, m] : c->named_modules()) out.emplace_back(sub.empty() ? n : n + "." + sub, m);
  return out;
}

Module& Module::child(std::string_view name) const {
  std::vector<std::string> names;
  for (const auto& [n, c] : children_) {
    if (n == name) return *c;
    names.push_back(n);
  }
  throw ValueError(fmt::format("[{}] has no child module '{}'; children: {}", type_name(), name,
                               names.empty() ? "none" : fmt::format("{}", fmt::join(names, ", "))));
}

// -- modes and bulk operations ------------------------------------------------------

void Module::train(bool on) {
  apply([on](Module& m) { m.training_ = on; });
}

void Module::apply(const std::function<void(Module&)>& fn) {
  for (auto& [n, c] : children_) c->apply(fn);
  fn(*this);
}

void Module::zero_grad(bool set_to_none) {
  for (Tensor& p : parameters()) {
    Tensor g = p.grad();
    if (!g.defined()) continue;
    if (set_to_none) {
      p.set_grad(Tensor());
    } else {
      NoGradGuard ng;
      g.zero_();
    }
  }
}

void Module::to(DType dtype) {
  NoGradGuard ng;
  apply([dtype](Module& m) {
    for (Slot& s : m.params_) {
      Tensor& t = *s.value;
      if (!t.defined() || !t.is_floating_point() || t.dtype() == dtype) continue;
      const bool rg = t.requires_grad();
      t = t.to(dtype).detach();
      if (rg) t.requires_grad_();
    }
    for (Slot& s : m.buffers_) {
      Tensor& t = *s.value;
      if (t.defined() && t.is_floating_point() && t.dtype() != dtype) t = t.to(dtype);
    }
  });
}

// -- state dicts -------------------------------------------------------------------------

StateDict Module::state_dict() const {
  // PyTorch's order: each module's own parameters, then its own persistent
  // buffers, then its children's entries, depth first.
  std::vector<std::pair<std::string, Tensor>> items;
  std::function<void(const Module&, const std::string&)> walk = [&](const Module& m,
                                                                    const std::string& prefix) {
    m.collect(prefix, false, true, items, false);
    m.collect(prefix, false, false, items, true);
    for (const auto& [n, c] : m.children_) walk(*c, prefix + n + ".");
  };
  walk(*this, "");
  StateDict sd;
  for (auto& [n, t] : items) sd.insert(n, t.detach());
  return sd;
}

LoadResult Module::load_state_dict(const StateDict& state, bool strict) {
  std::vector<std::pair<std::string, Tensor>> mine;
  collect("", true, true, mine, false);
  collect("", true, false, mine, true);
  LoadResult r;
  std::vector<std::string> bad_shapes;
  std::set<std::string> known;
  for (const auto& [n, t] : mine) {
    known.insert(n);
    const Tensor* src = state.find(n);
    if (!src) {
      r.missing_keys.push_back(n);
    } else if (src->shape() != t.shape()) {
      bad_shapes.push_back(fmt::format("'{}': checkpoint {} vs model {}", n,
                                       shape_str(src->shape()), shape_str(t.shape())));
    }
  }
  for (const auto& [n, t] : state)
    if (!known.count(n)) r.unexpected_keys.push_back(n);
  // Check everything before touching anything: a failed load changes nothing.
  BRAID_CHECK(bad_shapes.empty(), ShapeError, "load_state_dict", "shape mismatch for {}",
              fmt::join(bad_shapes, "; "));
  auto list = [](const std::vector<std::string>& v) {
    return v.empty() ? std::string("none") : fmt::format("{}", fmt::join(v, ", "));
  };
  BRAID_CHECK(!strict || (r.missing_keys.empty() && r.unexpected_keys.empty()), ValueError,
              "load_state_dict", "keys do not match (strict); missing: {}; unexpected: {}",
              list(r.missing_keys), list(r.unexpected_keys));
  NoGradGuard ng;
  for (const auto& [n, t] : mine)
    if (const Tensor* src = state.find(n)) {
      Tensor dst = t;  // the registry's handle: copy in place, keep its identity
      dst.copy_(*src);
    }
  return r;
}

// -- hooks ----------------------------------------------------------------------------------
// A handle refers to the module where it lives now; move a root module before
// registering hooks on it, not after.

HookHandle Module::register_forward_pre_hook(PreHook hook) {
  const int id = next_hook_id_++;
  pre_hooks_.emplace_back(id, std::move(hook));
  return HookHandle(
      [this, id] { std::erase_if(pre_hooks_, [id](const auto& h) { return h.first == id; }); });
}

HookHandle Module::register_forward_hook(PostHook hook) {
  const int id = next_hook_id_++;
  post_hooks_.emplace_back(id, std::move(hook));
  return HookHandle(
      [this, id] { std::erase_if(post_hooks_, [id](const auto& h) { return h.first == id; }); });
}

// -- names and printing -----------------------------------------------------------------

std::string Module::type_name() const {
  if (type_name_cache_.empty()) type_name_cache_ = demangle(typeid(*this).name());
  return type_name_cache_;
}

std::string Module::describe() const {
  const std::string extra = extra_repr();
  return extra.empty() ? type_name() : type_name() + " " + extra;
}

void Module::print(std::ostream& os, int indent) const {
  os << type_name() << "(" << extra_repr();
  if (children_.empty()) {
    os << ")";
    return;
  }
  const std::string pad(static_cast<size_t>(indent + 2), ' ');
  os << "\n";
  for (const auto& [n, c] : children_) {
    os << pad << "(" << n << "): ";
    c->print(os, indent + 2);
    os << "\n";
  }
  os << std::string(static_cast<size_t>(indent), ' ') << ")";
}

std::string Module::str() const {
  std::ostringstream os;
  print(os, 0);
  return os.str();
}

std::ostream& operator<<(std::ostream& os, const Module& m) { return os << m.str(); }

}  // namespace braid::nn
