#pragma once
/// Adagrad: exactly torch.optim.Adagrad (1.13).
///   g = grad (+ weight_decay * p);  s += g^2   (s starts at initial_accumulator_value)
///   p -= lr / (1 + (t - 1) lr_decay) * g / (sqrt(s) + eps)
/// State: step, sum.
#include "braid/optim/param_groups.hpp"

namespace braid::optim {

struct AdagradOptions {
  static constexpr const char* kName = "Adagrad";
  double lr = 1e-2;
  double lr_decay = 0;
  double weight_decay = 0;
  double initial_accumulator_value = 0;
  double eps = 1e-10;
  bool maximize = false;
  /// Throws ValueError for a negative value.
  void check() const;
  template <class F>
  void fields(F&& f) {
    f("lr", lr), f("lr_decay", lr_decay), f("weight_decay", weight_decay);
    f("initial_accumulator_value", initial_accumulator_value), f("eps", eps);
    f("maximize", maximize);
  }
};

class Adagrad : public OptimizerWithOptions<AdagradOptions> {
 public:
  explicit Adagrad(AdagradOptions options = {}) : OptimizerWithOptions(options) {}
  Adagrad(ParamList params, AdagradOptions options = {})
      : OptimizerWithOptions(std::move(params), options) {}

 protected:
  std::vector<std::string> known_buffers() const override { return {"sum"}; }
  void update_param(const AdagradOptions& o, Tensor& param, const Tensor& grad,
                    ParamState& state) override;
};

}  // namespace braid::optim
