#pragma once
/// What the built-in optimizers share: parameter groups with typed options,
/// per-parameter state, the step loop and the state dict.
///
/// Note [optimizer state_dict]
/// An optimizer's state is an nn::StateDict (so io::save_safetensors can
/// write it) with PyTorch's layout flattened into keys. Parameters are
/// numbered across groups in order (group 0's first parameter is 0):
///   param_groups.<g>.params   int64 (n,): the numbers of group g's parameters
///   param_groups.<g>.<option> float64 0-dim: lr, momentum, beta1, ...;
///                             booleans are 0 or 1
///   state.<i>.step            int64 0-dim: updates made to parameter i
///   state.<i>.<buffer>        like parameter i: exp_avg, momentum_buffer, ...
/// A parameter that was never updated has no state.<i> keys. Tensors are
/// copied both ways, so a saved dict never changes with training.
/// load_state_dict maps saved parameters to this optimizer's by position
/// (like PyTorch): the group count and sizes must match, every option must
/// be present and valid, every buffer known and shaped like its parameter.
/// Any mismatch throws ValueError/ShapeError naming the key, and nothing
/// changes. Loaded options replace the groups' options (lr included).
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "braid/optim/optimizer.hpp"

namespace braid::optim {

/// One parameter's state: the number of updates and buffers shaped like it.
struct ParamState {
  int64_t step = 0;
  std::vector<std::pair<std::string, Tensor>> buffers;
  /// The buffer called `name`, or nullptr.
  Tensor* find(std::string_view name);
  const Tensor* find(std::string_view name) const;
  /// The buffer called `name`, made on first use as a contiguous tensor like
  /// `param` filled with `fill`; `created` (if given) says whether it was.
  Tensor& get(std::string_view name, const Tensor& param, double fill = 0, bool* created = nullptr);
};

/// The parameters handed to an optimizer's constructor: a vector or a braced
/// list. (A plain std::vector parameter makes `Adam({.lr = 1e-3})` ambiguous
/// in g++ 12: vector's explicit size constructor joins overload resolution.)
struct ParamList {
  ParamList(std::vector<Tensor> v) : params(std::move(v)) {}  // NOLINT: implicit
  ParamList(std::initializer_list<Tensor> l) : params(l) {}   // NOLINT: implicit
  std::vector<Tensor> params;
};

/// Option values by name; booleans are 0 or 1.
using OptionList = std::vector<std::pair<std::string, double>>;

/// Groups, state, the step loop and the state dict, for optimizers whose
/// update touches one parameter at a time.
class GroupedOptimizer : public Optimizer {
 public:
  void step() override;
  size_t num_param_groups() const override { return params_.size(); }
  const std::vector<Tensor>& params(size_t group) const override;
  nn::StateDict state_dict() const override;
  void load_state_dict(const nn::StateDict& state) override;
  /// The state of parameter `index` of `group`, or nullptr before its first update.
  const ParamState* state(size_t group, size_t index) const;

 protected:
  /// Checks the parameters (defined, floating point, leaves, not already
  /// optimized) and appends a group with empty state. Throws ValueError.
  void add_group(std::vector<Tensor> params);
  size_t check_group(size_t group) const;
  virtual OptionList group_options(size_t group) const = 0;
  /// Throws ValueError when `options` (all fields of this optimizer) are invalid.
  virtual void check_options(const OptionList& options) const = 0;
  virtual void set_group_options(size_t group, const OptionList& options) = 0;
  /// Every buffer name a state of this optimizer may hold.
  virtual std::vector<std::string> known_buffers() const = 0;
  /// Updates `param` (contiguous) in place from `grad` (contiguous, same
  /// shape and dtype); runs under NoGradGuard.
  virtual void update(size_t group, Tensor& param, const Tensor& grad, ParamState& state) = 0;

  std::vector<std::vector<Tensor>> params_;
  std::vector<std::vector<std::optional<ParamState>>> state_;
};

/// GroupedOptimizer with a typed options struct per group. `Options` has
/// `kName`, `lr`, `check()` (throws ValueError) and `fields(f)`, which calls
/// f(name, member) for every double and bool member.
template <class Options>
class OptimizerWithOptions : public GroupedOptimizer {
 public:
  using Optimizer::set_lr;
  void add_param_group(std::vector<Tensor> params) override {
    add_param_group(std::move(params), defaults_);
  }
  /// Adds a group with its own options. Throws ValueError.
  void add_param_group(std::vector<Tensor> params, const Options& options) {
    options.check();
    add_group(std::move(params));
    options_.push_back(options);
  }
  const Options& defaults() const { return defaults_; }
  const Options& options(size_t group) const { return options_[check_group(group)]; }
  /// Options may be changed between steps; they are checked at the next step.
  Options& options(size_t group) { return options_[check_group(group)]; }
  double lr(size_t group = 0) const override { return options(group).lr; }
  void set_lr(double lr, size_t group) override {
    BRAID_CHECK(lr >= 0, ValueError, Options::kName, "lr must be >= 0; got {}", lr);
    options(group).lr = lr;
  }
  std::string name() const override { return Options::kName; }
  std::optional<double> momentum(size_t group = 0) const override {
    std::optional<double> out;
    Options o = options(group);
    o.fields([&](std::string_view n, auto& v) {
      if (n == "momentum" || n == "beta1") out = double(v);
    });
    return out;
  }
  void set_momentum(double momentum, size_t group) override {
    bool found = false;
    Options& o = options(group);
    o.fields([&](std::string_view n, auto& v) {
      if constexpr (std::is_same_v<std::decay_t<decltype(v)>, double>)
        if (n == "momentum" || n == "beta1") v = momentum, found = true;
    });
    if (!found) Optimizer::set_momentum(momentum, group);
  }

 protected:
  explicit OptimizerWithOptions(Options defaults) : defaults_(defaults) { defaults.check(); }
  OptimizerWithOptions(ParamList params, Options defaults) : defaults_(defaults) {
    defaults.check();
    BRAID_CHECK(!params.params.empty(), ValueError, Options::kName,
                "got an empty parameter list; pass parameters or none at all (Keras style)");
    add_param_group(std::move(params.params));
  }
  OptionList group_options(size_t group) const override {
    OptionList out;
    Options o = options_[group];
    o.fields([&](std::string_view n, auto& v) { out.emplace_back(std::string(n), double(v)); });
    return out;
  }
  void check_options(const OptionList& list) const override { from_list(list).check(); }
  void set_group_options(size_t group, const OptionList& list) override {
    options_[group] = from_list(list);
  }
  void update(size_t group, Tensor& param, const Tensor& grad, ParamState& state) override {
    update_param(options_[group], param, grad, state);
  }
  virtual void update_param(const Options& o, Tensor& param, const Tensor& grad,
                            ParamState& state) = 0;

  Options defaults_;
  std::vector<Options> options_;

 private:
  Options from_list(const OptionList& list) const {
    Options o = defaults_;
    o.fields([&](std::string_view n, auto& v) {
      for (const auto& [name, value] : list)
        if (name == n) v = static_cast<std::decay_t<decltype(v)>>(value);
    });
    return o;
  }
};

}  // namespace braid::optim
