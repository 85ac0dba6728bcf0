#pragma once
/// nn::Module: the base of every layer and model. It holds named parameters,
/// buffers and child modules, switches train/eval, saves and loads state
/// dicts, runs hooks, and names itself in errors raised inside it.
///
/// Note [module ownership]
/// A module owns its parameters, buffers and children. Children live on the
/// heap inside the parent's registry: `register_module` moves a module in and
/// returns a reference that stays valid as long as the parent lives, also
/// after the parent is moved. Parameters and buffers are Tensor handles kept
/// at stable addresses; `register_parameter` returns a reference to the
/// registry's handle, so what `to()` or `load_state_dict()` do is seen
/// through it. A user-defined module is therefore a plain class that keeps
/// those references as members -- no holder types, no macros:
///
///     struct Net : nn::Module {
///       nn::Linear& fc1 = register_module("fc1", nn::Linear(784, 128));
///       nn::Linear& fc2 = register_module("fc2", nn::Linear(128, 10));
///       Tensor forward(const Tensor& x) override { return fc2(relu(fc1(flatten(x, 1)))); }
///     };
///
/// Modules move but never copy: a copy would either share parameters
/// silently or split them. Copy the state (`state_dict()`) instead.
#include <functional>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "braid/core/tensor.hpp"

namespace braid::nn {

/// Named tensors in registration order (PyTorch's OrderedDict state_dict).
class StateDict {
 public:
  using Item = std::pair<std::string, Tensor>;
  void insert(std::string name, Tensor t);
  /// The tensor called `name`, or nullptr.
  const Tensor* find(std::string_view name) const;
  /// As find, but throws ValueError naming the missing key.
  const Tensor& at(std::string_view name) const;
  size_t size() const { return items_.size(); }
  bool empty() const { return items_.empty(); }
  std::vector<Item>::const_iterator begin() const { return items_.begin(); }
  std::vector<Item>::const_iterator end() const { return items_.end(); }

 private:
  std::vector<Item> items_;
};

/// What load_state_dict(strict = false) could not match.
struct LoadResult {
  std::vector<std::string> missing_keys, unexpected_keys;
};

/// Removes a hook when asked (PyTorch's RemovableHandle).
class HookHandle {
 public:
  HookHandle() = default;
  HookHandle(std::function<void()> remove) : remove_(std::move(remove)) {}  // NOLINT
  void remove();

 private:
  std::function<void()> remove_;
};

class Module {
 public:
  /// Runs before forward; may return a replacement input.
  using PreHook = std::function<std::optional<Tensor>(Module&, const Tensor& input)>;
  /// Runs after forward; may return a replacement output.
  using PostHook =
      std::function<std::optional<Tensor>(Module&, const Tensor& input, const Tensor& output)>;

  Module() = default;
  virtual ~Module() = default;
  Module(Module&&) noexcept = default;
  Module& operator=(Module&&) noexcept = default;
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;

  // -- calling ----------------------------------------------------------------
  /// forward(x), with the hooks, inside this module's error scope: a braid
  /// Error raised inside gains "in <path> (<Type settings>)".
  Tensor operator()(const Tensor& x);
  /// The computation. Modules whose forward takes other arguments provide
  /// their own overloads (wrapped in `scoped`) and leave this one throwing.
  virtual Tensor forward(const Tensor& x);

  // -- what it holds ------------------------------------------------------------
  /// Parameters of this module and (recurse) its descendants, depth first in
  /// registration order, each once. Undefined (absent) parameters are skipped.
  std::vector<Tensor> parameters(bool recurse = true) const;
  std::vector<std::pair<std::string, Tensor>> named_parameters(bool recurse = true) const;
  std::vector<Tensor> buffers(bool recurse = true) const;
  std::vector<std::pair<std::string, Tensor>> named_buffers(bool recurse = true) const;
  /// Direct children, in registration order.
  std::vector<std::pair<std::string, Module*>> named_children() const;
  std::vector<Module*> children() const;
  /// This module ("") and every descendant, with dotted paths ("block.0").
  std::vector<std::pair<std::string, Module*>> named_modules();
  /// The child called `name`; throws ValueError listing the children.
  Module& child(std::string_view name) const;

  // -- modes and bulk operations --------------------------------------------------
  /// Training mode for this module and all descendants (Dropout, BatchNorm read it).
  void train(bool on = true);
  void eval() { train(false); }
  bool is_training() const { return training_; }
  /// fn on every descendant, then on this module (PyTorch's order).
  void apply(const std::function<void(Module&)>& fn);
  /// Clears (set_to_none) or zeroes every parameter's gradient.
  void zero_grad(bool set_to_none = true);
  /// Casts floating parameters and buffers to `dtype` (new handles, kept
  /// requires_grad); integer buffers stay. Make optimizers after this.
  void to(DType dtype);

  // -- state ----------------------------------------------------------------------------
  /// Parameters and persistent buffers by dotted name, detached, sharing storage.
  StateDict state_dict() const;
  /// Copies matching tensors in place (no new handles, so optimizers keep
  /// working). strict: any missing or unexpected key is an error listing
  /// them all. A shape mismatch is always an error naming key and shapes.
  /// Nothing is changed when an error is thrown.
  LoadResult load_state_dict(const StateDict& state, bool strict = true);

  // -- hooks -----------------------------------------------------------------------------
  HookHandle register_forward_pre_hook(PreHook hook);
  HookHandle register_forward_hook(PostHook hook);
  bool has_forward_hooks() const { return !pre_hooks_.empty() || !post_hooks_.empty(); }

  // -- names and printing -----------------------------------------------------------
  /// The class name without namespaces ("Linear", "Net").
  virtual std::string type_name() const;
  /// The settings PyTorch prints inside the parentheses ("in_features=784, ...").
  virtual std::string extra_repr() const { return ""; }
  /// The name this module goes by in error paths: its key in the parent, or
  /// for a root its type name unless set.
  std::string name() const { return name_.empty() ? type_name() : name_; }
  /// The path of the modules being called on this thread ("MLP/fc1"), as
  /// errors print it; "" outside any module. The tracer tags nodes with it.
  static std::string current_path();
  void set_name(std::string name) { name_ = std::move(name); }
  /// PyTorch's print(model): the module tree with each module's settings.
  std::string str() const;

 protected:
  /// Registers a parameter (requires_grad on unless `requires_grad` is
  /// false); an undefined tensor registers an absent one (bias=false).
  /// Throws ValueError on a duplicate or dotted name.
  Tensor& register_parameter(std::string name, Tensor init, bool requires_grad = true);
  /// Registers a buffer: state that is not trained (running statistics).
  /// persistent = false keeps it out of state_dict.
  Tensor& register_buffer(std::string name, Tensor init, bool persistent = true);
  /// Moves `module` into this one as child `name`; see Note [module ownership].
  template <class M>
  M& register_module(std::string name, M&& module) {
    auto owned = std::make_unique<std::decay_t<M>>(std::forward<M>(module));
    M& ref = *owned;
    adopt(std::move(name), std::move(owned));
    return ref;
  }
  /// As above, for a module already on the heap whose type is not known
  /// here (one rebuilt from a layer config). Throws ValueError for null.
  Module& register_module(std::string name, std::unique_ptr<Module> module);
  /// Runs fn() inside this module's error scope (for forward overloads that
  /// take other arguments than one tensor).
  template <class F>
  auto scoped(F&& fn) -> decltype(fn()) {
    Scope s(*this);
    try {
      return fn();
    } catch (Error& e) {
      annotate(e);
      throw;
    }
  }
  /// Type name and settings: "Linear in_features=128, out_features=10".
  std::string describe() const;

 private:
  struct Scope {
    explicit Scope(const Module& m);
    ~Scope();
  };
  struct Slot {
    std::string name;
    std::unique_ptr<Tensor> value;
    bool persistent = true;
  };
  void adopt(std::string name, std::unique_ptr<Module> module);
  void check_new_name(const std::string& name, const char* what) const;
  void annotate(Error& e) const;
  void collect(const std::string& prefix, bool recurse, bool params,
               std::vector<std::pair<std::string, Tensor>>& out, bool persistent_only) const;
  void print(std::ostream& os, int indent) const;

  std::vector<Slot> params_, buffers_;
  std::vector<std::pair<std::string, std::unique_ptr<Module>>> children_;
  std::vector<std::pair<int, PreHook>> pre_hooks_;
  std::vector<std::pair<int, PostHook>> post_hooks_;
  int next_hook_id_ = 0;
  bool training_ = true;
  std::string name_;
  mutable std::string type_name_cache_;
};

std::ostream& operator<<(std::ostream& os, const Module& m);

}  // namespace braid::nn
