#include "braid/nn/linear.hpp"

#include <cmath>

#include "braid/core/grad_mode.hpp"
#include "braid/nn/init.hpp"
#include "braid/ops/ops.hpp"

namespace braid::nn {

namespace {
int64_t checked_features(int64_t n, const char* what) {
  BRAID_CHECK(n > 0, ValueError, "Linear", "{} must be positive; got {}", what, n);
  return n;
}
}  // namespace

Linear::Linear(int64_t in, int64_t out, bool has_bias)
    : in_features(checked_features(in, "in_features")),
      out_features(checked_features(out, "out_features")),
      weight(register_parameter("weight", empty({out, in}))),
      bias(register_parameter("bias", has_bias ? empty({out}) : Tensor())) {
  reset_parameters();
}

void Linear::reset_parameters() {
  // PyTorch's default: kaiming_uniform with a = sqrt(5) over fan_in, which
  // is uniform in +-1/sqrt(in_features), and the bias in the same range.
  init::kaiming_uniform_(weight, std::sqrt(5.0));
  if (bias.defined()) {
    const double bound = 1.0 / std::sqrt(double(in_features));
    init::uniform_(bias, -bound, bound);
  }
}

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
