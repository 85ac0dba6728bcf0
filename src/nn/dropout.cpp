#include "braid/nn/dropout.hpp"

#include "braid/nn/layer_args.hpp"
#include "braid/ops/norm.hpp"

namespace braid::nn {

namespace {
double checked_p(double p) {
  BRAID_CHECK(p >= 0 && p <= 1, ValueError, "Dropout",
              "dropout probability has to be between 0 and 1; got p={}", p);
  return p;
}
}  // namespace

Dropout::Dropout(double prob) : p(checked_p(prob)) {}

Tensor Dropout::forward(const Tensor& x) {
  BRAID_CHECK(x.is_floating_point(), DTypeError, "Dropout", "expected a floating input; got {}",
              dtype_name(x.dtype()));
  return dropout(x, p, is_training());
}

std::string Dropout::extra_repr() const { return fmt::format("p={}, inplace=False", py_float(p)); }

}  // namespace braid::nn
