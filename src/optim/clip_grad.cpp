#include "braid/optim/clip_grad.hpp"

#include <algorithm>
#include <cmath>

#include "braid/core/grad_mode.hpp"

namespace braid::optim {

namespace {
std::vector<Tensor> grads_of(const std::vector<Tensor>& params, const char* op) {
  std::vector<Tensor> out;
  for (size_t i = 0; i < params.size(); ++i) {
    BRAID_CHECK(params[i].defined(), ValueError, op, "parameter {} is undefined", i);
    Tensor g = params[i].grad();
    if (!g.defined()) continue;
    BRAID_CHECK(g.is_floating_point(), DTypeError, op,
                "the gradient of parameter {} is {}; expected floating point", i,
                dtype_name(g.dtype()));
    out.push_back(g);
  }
  return out;
}

// sum |x|^p (or max |x| when p is inf) over one gradient, in double.
template <class T>
double accumulate(const Tensor& g, double p) {
  Tensor c = g.contiguous();
  const T* x = c.data_ptr<T>();
  const int64_t n = c.numel();
  double acc = 0;
  if (std::isinf(p)) {
    for (int64_t i = 0; i < n; ++i) {
      double a = std::abs(double(x[i]));
      if (!(a <= acc)) acc = a;  // keeps a NaN
    }
  } else if (p == 2) {
    for (int64_t i = 0; i < n; ++i) acc += double(x[i]) * double(x[i]);
  } else if (p == 1) {
    for (int64_t i = 0; i < n; ++i) acc += std::abs(double(x[i]));
  } else {
    for (int64_t i = 0; i < n; ++i) acc += std::pow(std::abs(double(x[i])), p);
  }
  return acc;
}
}  // namespace

double clip_grad_norm_(const std::vector<Tensor>& params, double max_norm, double norm_type,
                       bool error_if_nonfinite) {
  constexpr const char* kOp = "clip_grad_norm_";
  BRAID_CHECK(norm_type > 0, ValueError, kOp, "norm_type must be > 0 (or INFINITY); got {}",
              norm_type);
  BRAID_CHECK(max_norm >= 0, ValueError, kOp, "max_norm must be >= 0; got {}", max_norm);
  std::vector<Tensor> grads = grads_of(params, kOp);
  if (grads.empty()) return 0.0;
  NoGradGuard no_grad;
  const bool inf = std::isinf(norm_type);
  double total = 0;
  for (const Tensor& g : grads) {
    double a = 0;
    BRAID_DISPATCH_FLOAT(g.dtype(), kOp, [&] { a = accumulate<scalar_t>(g, norm_type); });
    total = inf ? (a > total || std::isnan(a) ? a : total) : total + a;
  }
  if (!inf) total = norm_type == 2 ? std::sqrt(total) : std::pow(total, 1.0 / norm_type);
  BRAID_CHECK(!error_if_nonfinite || std::isfinite(total), ValueError, kOp,
              "the total norm of order {} of the gradients is {}; the gradients are not finite",
              norm_type, total);
  double coef = std::min(max_norm / (total + 1e-6), 1.0);
  for (Tensor& g : grads) g.mul_(coef);
  return total;
}

void clip_grad_value_(const std::vector<Tensor>& params, double clip_value) {
  constexpr const char* kOp = "clip_grad_value_";
  BRAID_CHECK(clip_value >= 0, ValueError, kOp, "clip_value must be >= 0; got {}", clip_value);
  std::vector<Tensor> grads = grads_of(params, kOp);
  NoGradGuard no_grad;
  for (Tensor& g : grads) g.clamp_(-clip_value, clip_value);
}

}  // namespace braid::optim
