#include "braid/nn/linear.hpp"

#include <cmath>

#include "braid/core/grad_mode.hpp"
#include "braid/ops/ops.hpp"

namespace braid::nn {

namespace {
// Uniform in [-bound, bound): kaiming_uniform with a = sqrt(5) over fan_in
// gives bound = 1/sqrt(fan_in), PyTorch's default for Linear and Conv.
Tensor uniform_pm(const Shape& shape, double bound) {
  return rand(shape) * (2 * bound) - bound;
}
int64_t checked_features(int64_t n, const char* what) {
  BRAID_CHECK(n > 0, ValueError, "Linear", "{} must be positive; got {}", what, n);
  return n;
}
}  // namespace

Linear::Linear(int64_t in, int64_t out, bool has_bias)
    : in_features(checked_features(in, "in_features")),
      out_features(checked_features(out, "out_features")),
      weight(register_parameter("weight", uniform_pm({out, in}, 1.0 / std::sqrt(double(in))))),
      bias(register_parameter("bias",
                              has_bias ? uniform_pm({out}, 1.0 / std::sqrt(double(in))) : Tensor())) {}

Tensor Linear::forward(const Tensor& x) {
  BRAID_CHECK(x.dim() >= 1 && x.size(-1) == in_features, ShapeError, "Linear",
              "input's last dim must be in_features={}; got input={}", in_features,
              shape_str(x.shape()));
  return linear(x, weight, bias);
}

std::string Linear::extra_repr() const {
  return fmt::format("in_features={}, out_features={}, bias={}", in_features, out_features,
                     bias.defined() ? "True" : "False");
}

}  // namespace braid::nn
