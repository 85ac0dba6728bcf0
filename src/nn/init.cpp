#include "braid/nn/init.hpp"

#include <cmath>
#include <vector>

#include "braid/core/grad_mode.hpp"
#include "braid/ops/ops.hpp"

namespace braid::nn::init {

namespace {
// Writes `values` (any float dtype) into t in place, keeping t's handle.
Tensor& assign(Tensor& t, const Tensor& values) {
  NoGradGuard ng;
  Tensor dst = t;  // copy_ on a handle copy: same storage, the caller's handle unchanged
  dst.copy_(values.to(t.dtype()));
  return t;
}
void check_defined(const Tensor& t, const char* fn) {
  BRAID_CHECK(t.defined(), ValueError, fn, "the tensor is undefined");
}
int64_t fan(const Tensor& t, const std::string& mode, const char* fn) {
  BRAID_CHECK(mode == "fan_in" || mode == "fan_out", ValueError, fn,
              "mode must be 'fan_in' or 'fan_out'; got '{}'", mode);
  Fans f = calculate_fan_in_and_fan_out(t);
  return mode == "fan_in" ? f.fan_in : f.fan_out;
}
}  // namespace

Fans calculate_fan_in_and_fan_out(const Tensor& t) {
  check_defined(t, "calculate_fan_in_and_fan_out");
  BRAID_CHECK(t.dim() >= 2, ValueError, "calculate_fan_in_and_fan_out",
              "fans need a tensor with at least 2 dims; got shape {}", shape_str(t.shape()));
  int64_t receptive = 1;
  for (int64_t d = 2; d < t.dim(); ++d) receptive *= t.size(d);
  return {t.size(1) * receptive, t.size(0) * receptive};
}

double calculate_gain(const std::string& nl, double param) {
  if (nl == "linear" || nl == "conv1d" || nl == "conv2d" || nl == "conv3d" ||
      nl == "conv_transpose1d" || nl == "conv_transpose2d" || nl == "conv_transpose3d" ||
      nl == "sigmoid")
    return 1.0;
  if (nl == "tanh") return 5.0 / 3.0;
  if (nl == "relu") return std::sqrt(2.0);
  if (nl == "leaky_relu") return std::sqrt(2.0 / (1.0 + param * param));
  if (nl == "selu") return 3.0 / 4.0;
  throw ValueError(
      fmt::format("[calculate_gain] unsupported nonlinearity '{}' (linear, conv1d, conv2d, conv3d, "
                  "conv_transpose1d/2d/3d, sigmoid, tanh, relu, leaky_relu, selu)",
                  nl));
}

Tensor& uniform_(Tensor& t, double a, double b) {
  check_defined(t, "uniform_");
  BRAID_CHECK(a <= b, ValueError, "uniform_", "needs a <= b; got a={}, b={}", a, b);
  // rand * (b - a) + a: the form Linear has always used, so its weights
  // stay what they were for a given seed.
  const DType dt = t.dtype() == DType::Float64 ? DType::Float64 : DType::Float32;
  return assign(t, rand(t.shape(), dt) * (b - a) + a);
}

Tensor& normal_(Tensor& t, double mean, double std) {
  check_defined(t, "normal_");
  BRAID_CHECK(std >= 0, ValueError, "normal_", "std must be >= 0; got {}", std);
  const DType dt = t.dtype() == DType::Float64 ? DType::Float64 : DType::Float32;
  return assign(t, normal(mean, std, t.shape(), dt));
}

Tensor& constant_(Tensor& t, double value) {
  check_defined(t, "constant_");
  NoGradGuard ng;
  Tensor dst = t;
  dst.fill_(value);
  return t;
}
Tensor& zeros_(Tensor& t) { return constant_(t, 0.0); }
Tensor& ones_(Tensor& t) { return constant_(t, 1.0); }

Tensor& xavier_uniform_(Tensor& t, double gain) {
  Fans f = calculate_fan_in_and_fan_out(t);
  const double bound = gain * std::sqrt(6.0 / double(f.fan_in + f.fan_out));
  return uniform_(t, -bound, bound);
}

Tensor& xavier_normal_(Tensor& t, double gain) {
  Fans f = calculate_fan_in_and_fan_out(t);
  return normal_(t, 0.0, gain * std::sqrt(2.0 / double(f.fan_in + f.fan_out)));
}

Tensor& kaiming_uniform_(Tensor& t, double a, const std::string& mode, const std::string& nl) {
  const int64_t n = fan(t, mode, "kaiming_uniform_");
  BRAID_CHECK(n > 0, ValueError, "kaiming_uniform_", "the fan is 0 for shape {}",
              shape_str(t.shape()));
  const double bound = std::sqrt(3.0) * calculate_gain(nl, a) / std::sqrt(double(n));
  return uniform_(t, -bound, bound);
}

Tensor& kaiming_normal_(Tensor& t, double a, const std::string& mode, const std::string& nl) {
  const int64_t n = fan(t, mode, "kaiming_normal_");
  BRAID_CHECK(n > 0, ValueError, "kaiming_normal_", "the fan is 0 for shape {}",
              shape_str(t.shape()));
  return normal_(t, 0.0, calculate_gain(nl, a) / std::sqrt(double(n)));
}

Tensor& orthogonal_(Tensor& t, double gain) {
  check_defined(t, "orthogonal_");
  BRAID_CHECK(t.dim() >= 2, ValueError, "orthogonal_",
              "needs a tensor with at least 2 dims; got shape {}", shape_str(t.shape()));
  const int64_t rows = t.size(0), cols = t.numel() / std::max<int64_t>(rows, 1);
  if (t.numel() == 0) return t;
  // Orthonormalise the shorter side: a (m, n) matrix with m >= n, stored
  // column by column, whose columns become Q's (modified Gram-Schmidt, in
  // double; R's diagonal comes out positive, as PyTorch's sign fix-up gives).
  const bool wide = rows < cols;
  const int64_t m = wide ? cols : rows, n = wide ? rows : cols;
  std::vector<double> a = normal(0.0, 1.0, {n, m}, DType::Float64).to_vector<double>();
  for (int64_t j = 0; j < n; ++j) {
    double* qj = &a[size_t(j * m)];
    for (int64_t k = 0; k < j; ++k) {
      const double* qk = &a[size_t(k * m)];
      double dot = 0;
      for (int64_t i = 0; i < m; ++i) dot += qk[i] * qj[i];
      for (int64_t i = 0; i < m; ++i) qj[i] -= dot * qk[i];
    }
    double norm2 = 0;
    for (int64_t i = 0; i < m; ++i) norm2 += qj[i] * qj[i];
    const double inv = norm2 > 0 ? 1.0 / std::sqrt(norm2) : 0.0;
    for (int64_t i = 0; i < m; ++i) qj[i] *= inv;
  }
  for (double& v : a) v *= gain;
  // `a` holds Q^T (n, m) row-major: the rows of a wide result, else its transpose.
  Tensor q = tensor(a, {n, m});
  if (!wide) q = q.t();
  return assign(t, q.reshape(t.shape()));
}

}  // namespace braid::nn::init
