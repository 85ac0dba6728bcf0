#include "braid/nn/activation.hpp"

#include "braid/nn/layer_args.hpp"
#include "braid/ops/ops.hpp"

namespace braid::nn {

namespace {
void check_float(const Tensor& x, const char* layer) {
  BRAID_CHECK(x.is_floating_point(), DTypeError, layer,
              "expected a floating input; got {} of shape {}", dtype_name(x.dtype()),
              shape_str(x.shape()));
}
void check_dim(const Tensor& x, int64_t dim, const char* layer) {
  const int64_t r = std::max<int64_t>(x.dim(), 1);
  BRAID_CHECK(dim >= -r && dim < r, ShapeError, layer,
              "expected input with dim {} (rank > {}); got input={}", dim, dim < 0 ? -dim - 1 : dim,
              shape_str(x.shape()));
}
}  // namespace

Tensor ReLU::forward(const Tensor& x) { return relu(x); }

Tensor LeakyReLU::forward(const Tensor& x) {
  check_float(x, "LeakyReLU");
  return leaky_relu(x, negative_slope);
}
std::string LeakyReLU::extra_repr() const { return "negative_slope=" + py_float(negative_slope); }

Tensor ELU::forward(const Tensor& x) {
  check_float(x, "ELU");
  return elu(x, alpha);
}
std::string ELU::extra_repr() const { return "alpha=" + py_float(alpha); }

GELU::GELU(std::string a) : approximate(std::move(a)) {
  BRAID_CHECK(approximate == "none" || approximate == "tanh", ValueError, "GELU",
              "approximate must be 'none' or 'tanh'; got '{}'", approximate);
}
Tensor GELU::forward(const Tensor& x) {
  check_float(x, "GELU");
  return gelu(x, approximate);
}
std::string GELU::extra_repr() const { return "approximate='" + approximate + "'"; }

Tensor SiLU::forward(const Tensor& x) {
  check_float(x, "SiLU");
  return silu(x);
}
Tensor Sigmoid::forward(const Tensor& x) { return sigmoid(x); }
Tensor Tanh::forward(const Tensor& x) { return tanh(x); }

Tensor Softmax::forward(const Tensor& x) {
  check_dim(x, dim, "Softmax");
  return softmax(x, dim);
}
std::string Softmax::extra_repr() const { return fmt::format("dim={}", dim); }

Tensor LogSoftmax::forward(const Tensor& x) {
  check_dim(x, dim, "LogSoftmax");
  return log_softmax(x, dim);
}
std::string LogSoftmax::extra_repr() const { return fmt::format("dim={}", dim); }

}  // namespace braid::nn
