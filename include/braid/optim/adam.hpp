#pragma once
/// Adam and AdamW: exactly torch.optim.Adam / AdamW (1.13).
///   Adam:  g = grad (+ weight_decay * p)     AdamW: p *= 1 - lr * weight_decay
///   m = beta1 m + (1 - beta1) g;  v = beta2 v + (1 - beta2) g^2
///   v_hat = amsgrad ? (v_max = max(v_max, v)) : v
///   p -= lr / (1 - beta1^t) * m / (sqrt(v_hat) / sqrt(1 - beta2^t) + eps)
/// State: step, exp_avg, exp_avg_sq, max_exp_avg_sq (amsgrad only).
#include <array>

#include "braid/optim/param_groups.hpp"

namespace braid::optim {

struct AdamOptions {
  static constexpr const char* kName = "Adam";
  double lr = 1e-3;
  std::array<double, 2> betas{0.9, 0.999};
  double eps = 1e-8;
  double weight_decay = 0;
  bool amsgrad = false;
  bool maximize = false;
  /// Throws ValueError for lr/eps/weight_decay < 0 or betas outside [0, 1).
  void check() const;
  template <class F>
  void fields(F&& f) {
    f("lr", lr), f("beta1", betas[0]), f("beta2", betas[1]), f("eps", eps);
    f("weight_decay", weight_decay), f("amsgrad", amsgrad), f("maximize", maximize);
  }
};

/// As AdamOptions; weight decay is decoupled and on by default.
struct AdamWOptions {
  static constexpr const char* kName = "AdamW";
  double lr = 1e-3;
  std::array<double, 2> betas{0.9, 0.999};
  double eps = 1e-8;
  double weight_decay = 1e-2;
  bool amsgrad = false;
  bool maximize = false;
  void check() const;
  template <class F>
  void fields(F&& f) {
    f("lr", lr), f("beta1", betas[0]), f("beta2", betas[1]), f("eps", eps);
    f("weight_decay", weight_decay), f("amsgrad", amsgrad), f("maximize", maximize);
  }
};

class Adam : public OptimizerWithOptions<AdamOptions> {
 public:
  explicit Adam(AdamOptions options = {}) : OptimizerWithOptions(options) {}
  Adam(ParamList params, AdamOptions options = {})
      : OptimizerWithOptions(std::move(params), options) {}

 protected:
  std::vector<std::string> known_buffers() const override {
    return {"exp_avg", "exp_avg_sq", "max_exp_avg_sq"};
  }
  void update_param(const AdamOptions& o, Tensor& param, const Tensor& grad,
                    ParamState& state) override;
};

class AdamW : public OptimizerWithOptions<AdamWOptions> {
 public:
  explicit AdamW(AdamWOptions options = {}) : OptimizerWithOptions(options) {}
  AdamW(ParamList params, AdamWOptions options = {})
      : OptimizerWithOptions(std::move(params), options) {}

 protected:
  std::vector<std::string> known_buffers() const override {
    return {"exp_avg", "exp_avg_sq", "max_exp_avg_sq"};
  }
  void update_param(const AdamWOptions& o, Tensor& param, const Tensor& grad,
                    ParamState& state) override;
};

}  // namespace braid::optim
