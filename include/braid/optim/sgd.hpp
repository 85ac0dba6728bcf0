#pragma once
/// Stochastic gradient descent with momentum, dampening, Nesterov momentum
/// and L2 weight decay: exactly torch.optim.SGD (1.13).
///   g = grad (+ weight_decay * p);  b = g on the first step, else
///   momentum * b + (1 - dampening) * g;  g = nesterov ? g + momentum * b : b;
///   p -= lr * g
/// State: momentum_buffer (only with momentum != 0).
#include "braid/optim/param_groups.hpp"

namespace braid::optim {

struct SGDOptions {
  static constexpr const char* kName = "SGD";
  double lr = 1e-2;
  double momentum = 0;
  double dampening = 0;
  double weight_decay = 0;
  bool nesterov = false;
  bool maximize = false;
  /// Throws ValueError for a negative value or Nesterov without momentum.
  void check() const;
  template <class F>
  void fields(F&& f) {
    f("lr", lr), f("momentum", momentum), f("dampening", dampening);
    f("weight_decay", weight_decay), f("nesterov", nesterov), f("maximize", maximize);
  }
};

class SGD : public OptimizerWithOptions<SGDOptions> {
 public:
  explicit SGD(SGDOptions options = {}) : OptimizerWithOptions(options) {}
  SGD(ParamList params, SGDOptions options = {})
      : OptimizerWithOptions(std::move(params), options) {}

 protected:
  std::vector<std::string> known_buffers() const override { return {"momentum_buffer"}; }
  void update_param(const SGDOptions& o, Tensor& param, const Tensor& grad,
                    ParamState& state) override;
};

}  // namespace braid::optim
