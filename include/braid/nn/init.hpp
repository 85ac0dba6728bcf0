#pragma once
/// torch.nn.init: fill a parameter in place (under NoGrad, keeping its handle
/// and dtype) from braid's default generator, so the same seed gives the same
/// weights. Each returns the tensor it filled.
///
/// Fans (calculate_fan_in_and_fan_out): for a weight (out, in, *kernel),
/// fan_in = in * prod(kernel), fan_out = out * prod(kernel).
#include <string>

#include "braid/core/tensor.hpp"

namespace braid::nn::init {

struct Fans {
  int64_t fan_in, fan_out;
};
/// Throws ValueError for a tensor with fewer than 2 dims.
Fans calculate_fan_in_and_fan_out(const Tensor& t);

/// The recommended gain for a nonlinearity: linear, conv*, sigmoid -> 1,
/// tanh -> 5/3, relu -> sqrt(2), leaky_relu -> sqrt(2 / (1 + param^2))
/// (param = negative slope, default 0.01), selu -> 3/4. Throws ValueError
/// for an unknown name.
double calculate_gain(const std::string& nonlinearity, double param = 0.01);

Tensor& uniform_(Tensor& t, double a = 0.0, double b = 1.0);
Tensor& normal_(Tensor& t, double mean = 0.0, double std = 1.0);
Tensor& constant_(Tensor& t, double value);
Tensor& zeros_(Tensor& t);
Tensor& ones_(Tensor& t);

/// Uniform in +-gain * sqrt(6 / (fan_in + fan_out)).
Tensor& xavier_uniform_(Tensor& t, double gain = 1.0);
/// Normal with std = gain * sqrt(2 / (fan_in + fan_out)).
Tensor& xavier_normal_(Tensor& t, double gain = 1.0);
inline Tensor& glorot_uniform_(Tensor& t, double gain = 1.0) { return xavier_uniform_(t, gain); }
inline Tensor& glorot_normal_(Tensor& t, double gain = 1.0) { return xavier_normal_(t, gain); }

/// std = calculate_gain(nonlinearity, a) / sqrt(fan); uniform in
/// +-sqrt(3) * std. mode: "fan_in" or "fan_out". Throws ValueError for
/// another mode.
Tensor& kaiming_uniform_(Tensor& t, double a = 0.0, const std::string& mode = "fan_in",
                         const std::string& nonlinearity = "leaky_relu");
Tensor& kaiming_normal_(Tensor& t, double a = 0.0, const std::string& mode = "fan_in",
                        const std::string& nonlinearity = "leaky_relu");

/// A (semi-)orthogonal matrix times gain: t viewed as (rows, cols) with
/// rows = size(0) has orthonormal rows (rows <= cols) or columns. Made by
/// Gram-Schmidt QR of a standard normal matrix (Q with R's diagonal made
/// positive, the Haar distribution PyTorch samples). Throws ValueError for
/// a tensor with fewer than 2 dims.
Tensor& orthogonal_(Tensor& t, double gain = 1.0);

}  // namespace braid::nn::init
