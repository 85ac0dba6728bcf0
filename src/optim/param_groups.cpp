#include "braid/optim/param_groups.hpp"

#include <algorithm>
#include <charconv>
#include <map>

#include "braid/core/grad_mode.hpp"
#include "braid/ops/ops.hpp"

namespace braid::optim {

// -- ParamState -----------------------------------------------------------------
Tensor* ParamState::find(std::string_view name) {
  for (auto& [n, t] : buffers)
    if (n == name) return &t;
  return nullptr;
}

const Tensor* ParamState::find(std::string_view name) const {
  return const_cast<ParamState*>(this)->find(name);
}

Tensor& ParamState::get(std::string_view name, const Tensor& param, double fill, bool* created) {
  Tensor* t = find(name);
  if (created) *created = t == nullptr;
  if (t) return *t;
  buffers.emplace_back(std::string(name), full(param.shape(), fill, param.dtype()));
  return buffers.back().second;
}

// -- groups -------------------------------------------------------------------------
const std::vector<Tensor>& GroupedOptimizer::params(size_t group) const {
  return params_[check_group(group)];
}

size_t GroupedOptimizer::check_group(size_t group) const {
  BRAID_CHECK(group < params_.size(), IndexError, name(),
              "param group {} is out of range; the optimizer has {} group(s)", group,
              params_.size());
  return group;
}

const ParamState* GroupedOptimizer::state(size_t group, size_t index) const {
  check_group(group);
  BRAID_CHECK(index < params_[group].size(), IndexError, name(),
              "parameter {} is out of range; group {} has {} parameter(s)", index, group,
              params_[group].size());
  const auto& s = state_[group][index];
  return s ? &*s : nullptr;
}

void GroupedOptimizer::add_group(std::vector<Tensor> params) {
  for (size_t i = 0; i < params.size(); ++i) {
    const Tensor& p = params[i];
    BRAID_CHECK(p.defined(), ValueError, name(), "parameter {} of the new group is undefined", i);
    BRAID_CHECK(p.is_floating_point(), DTypeError, name(),
                "can only optimize floating-point tensors; parameter {} of the new group is {}", i,
                dtype_name(p.dtype()));
    BRAID_CHECK(p.is_leaf(), ValueError, name(),
                "can't optimize a non-leaf tensor (parameter {} of the new group was made by {})",
                i, p.grad_fn_name());
    auto same = [&](const Tensor& q) { return q.impl_ptr() == p.impl_ptr(); };
    BRAID_CHECK(std::none_of(params.begin(), params.begin() + i, same), ValueError, name(),
                "parameter {} appears twice in the new group", i);
    for (size_t g = 0; g < params_.size(); ++g)
      BRAID_CHECK(std::none_of(params_[g].begin(), params_[g].end(), same), ValueError, name(),
                  "parameter {} of the new group is already in param group {}", i, g);
  }
  state_.emplace_back(params.size());
  params_.push_back(std::move(params));
}

// -- step ---------------------------------------------------------------------------------
void GroupedOptimizer::step() {
  // Check everything first, so that a bad gradient or option changes nothing.
  for (size_t g = 0; g < params_.size(); ++g) {
    check_options(group_options(g));
    for (size_t i = 0; i < params_[g].size(); ++i) {
      const Tensor& p = params_[g][i];
      Tensor grad = p.grad();
      if (!grad.defined()) continue;
      BRAID_CHECK(grad.shape() == p.shape(), ShapeError, name(),
                  "gradient of parameter {} in group {} has shape {} but the parameter has {}", i,
                  g, shape_str(grad.shape()), shape_str(p.shape()));
      BRAID_CHECK(grad.dtype() == p.dtype(), DTypeError, name(),
                  "gradient of parameter {} in group {} is {} but the parameter is {}", i, g,
                  dtype_name(grad.dtype()), dtype_name(p.dtype()));
    }
  }
  NoGradGuard no_grad;
  for (size_t g = 0; g < params_.size(); ++g)
    for (size_t i = 0; i < params_[g].size(); ++i) {
      Tensor& p = params_[g][i];
      Tensor grad = p.grad();
      if (!grad.defined()) continue;
      auto& st = state_[g][i];
      if (!st) st.emplace();
      Tensor gc = grad.contiguous();
      if (p.is_contiguous()) {
        update(g, p, gc, *st);
        p.storage()->bump_version();
      } else {  // a strided parameter: update a packed copy, then write it back
        Tensor work = p.clone();
        update(g, work, gc, *st);
        p.copy_(work);
      }
    }
}

// -- state dict ------------------------------------------------------------------------
namespace {
Tensor number(double v) { return full({}, v, DType::Float64); }

// "12" -> 12; anything else -> nullopt.
std::optional<size_t> parse_index(std::string_view s) {
  size_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}
}  // namespace

nn::StateDict GroupedOptimizer::state_dict() const {
  nn::StateDict out;
  int64_t first = 0;
  for (size_t g = 0; g < params_.size(); ++g) {
    std::vector<int64_t> ids(params_[g].size());
    for (size_t i = 0; i < ids.size(); ++i) ids[i] = first + int64_t(i);
    std::string prefix = fmt::format("param_groups.{}.", g);
    out.insert(prefix + "params", tensor(ids, {int64_t(ids.size())}));
    for (const auto& [n, v] : group_options(g)) out.insert(prefix + n, number(v));
    first += int64_t(ids.size());
  }
  int64_t id = 0;
  for (size_t g = 0; g < params_.size(); ++g)
    for (size_t i = 0; i < params_[g].size(); ++i, ++id) {
      const auto& st = state_[g][i];
      if (!st) continue;
      std::string prefix = fmt::format("state.{}.", id);
      out.insert(prefix + "step", full({}, st->step, DType::Int64));
      for (const auto& [n, t] : st->buffers) out.insert(prefix + n, t.detach().clone());
    }
  return out;
}

void GroupedOptimizer::load_state_dict(const nn::StateDict& dict) {
  const std::string where = name() + ".load_state_dict";
  // Sort the keys into groups and per-parameter states.
  std::map<size_t, std::map<std::string, Tensor>> groups, states;
  for (const auto& [key, t] : dict) {
    std::string_view k = key;
    size_t dot1 = k.find('.'), dot2 = dot1 == k.npos ? k.npos : k.find('.', dot1 + 1);
    std::optional<size_t> idx;
    if (dot2 != k.npos) idx = parse_index(k.substr(dot1 + 1, dot2 - dot1 - 1));
    std::string_view head = k.substr(0, dot1);
    BRAID_CHECK(idx && (head == "param_groups" || head == "state"), ValueError, where,
                "unexpected key '{}'; keys are param_groups.<g>.<option> and state.<i>.<buffer>",
                key);
    BRAID_CHECK(t.defined(), ValueError, where, "key '{}' holds an undefined tensor", key);
    (head == "state" ? states : groups)[*idx][std::string(k.substr(dot2 + 1))] = t;
  }
  BRAID_CHECK(groups.size() == params_.size() &&
                  (groups.empty() || groups.rbegin()->first + 1 == params_.size()),
              ValueError, where, "the state has {} param group(s) but the optimizer has {}",
              groups.size(), params_.size());

  // Options and parameter numbering, group by group.
  std::vector<OptionList> new_options(params_.size());
  std::map<size_t, std::pair<size_t, size_t>> where_is;  // saved id -> (group, index)
  for (size_t g = 0; g < params_.size(); ++g) {
    auto& entries = groups[g];
    std::string prefix = fmt::format("param_groups.{}.", g);
    auto pit = entries.find("params");
    BRAID_CHECK(pit != entries.end(), ValueError, where, "missing key '{}params'", prefix);
    const Tensor& ids = pit->second;
    BRAID_CHECK(ids.dim() == 1 && is_integral(ids.dtype()), ValueError, where,
                "'{}params' must be a 1-D integer tensor; got shape {} {}", prefix,
                shape_str(ids.shape()), dtype_name(ids.dtype()));
    BRAID_CHECK(size_t(ids.numel()) == params_[g].size(), ValueError, where,
                "param group {} has {} parameter(s) in the state but {} in the optimizer", g,
                ids.numel(), params_[g].size());
    std::vector<int64_t> id_list = ids.to_vector<int64_t>();
    for (size_t i = 0; i < id_list.size(); ++i) {
      BRAID_CHECK(id_list[i] >= 0 && !where_is.count(size_t(id_list[i])), ValueError, where,
                  "'{}params' lists parameter {} twice or negative", prefix, id_list[i]);
      where_is[size_t(id_list[i])] = {g, i};
    }
    OptionList opts = group_options(g);
    // Unknown keys first: an SGD dict loaded into Adam says so at once.
    for (const auto& entry : entries) {
      // A named reference, not a structured binding: clang 14 (the fuzz
      // build) cannot capture a binding in a lambda.
      const std::string& n = entry.first;
      BRAID_CHECK(
          n == "params" ||
              std::any_of(opts.begin(), opts.end(), [&](const auto& o) { return o.first == n; }),
          ValueError, where, "unexpected key '{}{}': {} has no option '{}'", prefix, n, name(), n);
    }
    for (auto& [n, v] : opts) {
      auto it = entries.find(n);
      BRAID_CHECK(it != entries.end(), ValueError, where, "missing key '{}{}'", prefix, n);
      BRAID_CHECK(it->second.numel() == 1, ValueError, where,
                  "'{}{}' must hold one number; got shape {}", prefix, n,
                  shape_str(it->second.shape()));
      v = it->second.item<double>();
    }
    try {
      check_options(opts);
    } catch (const Error& e) {
      throw ValueError(fmt::format("[{}] param group {}: {}", where, g, e.what()));
    }
    new_options[g] = std::move(opts);
  }

  // Per-parameter state, copied into fresh tensors like each parameter.
  std::vector<std::vector<std::optional<ParamState>>> new_state(params_.size());
  for (size_t g = 0; g < params_.size(); ++g) new_state[g].resize(params_[g].size());
  const std::vector<std::string> known = known_buffers();
  NoGradGuard no_grad;
  for (auto& [id, entries] : states) {
    auto pos = where_is.find(id);
    BRAID_CHECK(pos != where_is.end(), ValueError, where,
                "state.{} belongs to no parameter listed in param_groups", id);
    const Tensor& p = params_[pos->second.first][pos->second.second];
    ParamState st;
    auto sit = entries.find("step");
    BRAID_CHECK(sit != entries.end(), ValueError, where, "missing key 'state.{}.step'", id);
    BRAID_CHECK(sit->second.numel() == 1 && sit->second.item<double>() >= 0, ValueError, where,
                "'state.{}.step' must be one number >= 0", id);
    st.step = sit->second.item<int64_t>();
    for (const auto& [n, t] : entries) {
      if (n == "step") continue;
      BRAID_CHECK(std::find(known.begin(), known.end(), n) != known.end(), ValueError, where,
                  "unexpected key 'state.{}.{}': {} keeps no '{}' (it keeps {})", id, n, name(), n,
                  fmt::join(known, ", "));
      BRAID_CHECK(t.shape() == p.shape(), ShapeError, where,
                  "'state.{}.{}' has shape {} but its parameter has shape {}", id, n,
                  shape_str(t.shape()), shape_str(p.shape()));
      BRAID_CHECK(t.is_floating_point(), DTypeError, where,
                  "'state.{}.{}' must be floating point; got {}", id, n, dtype_name(t.dtype()));
      Tensor copy = empty(p.shape(), p.dtype());
      copy.copy_(t.detach());
      st.buffers.emplace_back(n, copy);
    }
    new_state[pos->second.first][pos->second.second] = std::move(st);
  }

  // Everything checked: commit.
  for (size_t g = 0; g < params_.size(); ++g) set_group_options(g, new_options[g]);
  state_ = std::move(new_state);
}

}  // namespace braid::optim
