#pragma once
/// RMSprop: exactly torch.optim.RMSprop (1.13).
///   g = grad (+ weight_decay * p);  v = alpha v + (1 - alpha) g^2
///   centered: a = alpha a + (1 - alpha) g;  d = sqrt(v - a^2) + eps, else sqrt(v) + eps
///   momentum > 0: b = momentum b + g / d; p -= lr b;  else p -= lr g / d
/// State: step, square_avg, momentum_buffer (momentum > 0), grad_avg (centered).
#include "braid/optim/param_groups.hpp"

namespace braid::optim {

struct RMSpropOptions {
  static constexpr const char* kName = "RMSprop";
  double lr = 1e-2;
  double alpha = 0.99;
  double eps = 1e-8;
  double weight_decay = 0;
  double momentum = 0;
  bool centered = false;
  bool maximize = false;
  /// Throws ValueError for a negative value.
  void check() const;
  template <class F>
  void fields(F&& f) {
    f("lr", lr), f("alpha", alpha), f("eps", eps), f("weight_decay", weight_decay);
    f("momentum", momentum), f("centered", centered), f("maximize", maximize);
  }
};

class RMSprop : public OptimizerWithOptions<RMSpropOptions> {
 public:
  explicit RMSprop(RMSpropOptions options = {}) : OptimizerWithOptions(options) {}
  RMSprop(ParamList params, RMSpropOptions options = {})
      : OptimizerWithOptions(std::move(params), options) {}

 protected:
  std::vector<std::string> known_buffers() const override {
    return {"square_avg", "momentum_buffer", "grad_avg"};
  }
  void update_param(const RMSpropOptions& o, Tensor& param, const Tensor& grad,
                    ParamState& state) override;
};

}  // namespace braid::optim
