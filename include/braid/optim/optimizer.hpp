#pragma once
/// The optimizer interface every braid optimizer implements, and what the
/// Keras front door (braid::train) and the schedulers rely on.
///
/// Parameters come in groups, each with its own options (PyTorch's
/// param_groups). An optimizer may be made without parameters (Keras style:
/// `optim::Adam({.lr = 1e-3})`); `train::compile` then adds the model's
/// parameters as the first group.
#include <optional>
#include <string>
#include <vector>

#include "braid/core/tensor.hpp"
#include "braid/nn/module.hpp"

namespace braid::optim {

class Optimizer {
 public:
  virtual ~Optimizer() = default;
  /// One update of every parameter that has a gradient. No graph is recorded.
  virtual void step() = 0;
  /// Clears (set_to_none) or zeroes every parameter's gradient.
  void zero_grad(bool set_to_none = true);
  /// Adds a group with this optimizer's default options.
  virtual void add_param_group(std::vector<Tensor> params) = 0;
  virtual size_t num_param_groups() const = 0;
  virtual const std::vector<Tensor>& params(size_t group) const = 0;
  /// The learning rate of a group (schedulers and callbacks read and set it).
  virtual double lr(size_t group = 0) const = 0;
  virtual void set_lr(double lr, size_t group) = 0;
  /// Sets every group's learning rate.
  void set_lr(double lr);
  /// "Adam", "SGD", ...
  virtual std::string name() const = 0;

  /// The momentum a schedule may cycle (SGD's and RMSprop's `momentum`,
  /// Adam's beta1), or nullopt when the optimizer has none (OneCycleLR).
  virtual std::optional<double> momentum(size_t group = 0) const;
  /// Throws ValueError when the optimizer has no momentum.
  virtual void set_momentum(double momentum, size_t group);

  /// Per-parameter state and group options; see Note [optimizer state_dict].
  /// The default throws ValueError (an optimizer without saved state).
  virtual nn::StateDict state_dict() const;
  virtual void load_state_dict(const nn::StateDict& state);
};

}  // namespace braid::optim
