#pragma once
// Normalisation and one-hot kernels (src/ops/norm.cpp, src/ops/dropout_embedding.cpp).
//
// Note [batch norm statistics]: per channel, the mean and the biased variance
// come from two passes over the channel's values (sum, then sum of squared
// deviations from that mean), both accumulated in double in a fixed order:
// row by row, each row in 8 interleaved lanes combined pairwise. One thread
// computes one channel, so the statistics do not depend on the thread count
// (Note [deterministic reductions]). The normalising pass computes
// y = (x - mean) * scale + bias with scale = invstd * weight, the mean kept
// to double precision as a float pair (hi + lo). The shorter
// x * scale + (bias - mean * scale) cancels catastrophically when |mean| is
// large against the spread: x around 100 with std 0.01 lost 3 digits in
// float32 that way (PyTorch 1.13 loses about as many); y is now within
// 1e-6 of the float64 result there.
#include <cstdint>

#include "braid/core/tensor.hpp"

namespace braid::kernels {

/// Everything one batch-norm forward reads and writes. x is (N, C, S) (any
/// rank >= 2 seen as N, C and the product S of the rest); weight, bias,
/// running_mean, running_var are (C); y has x's shape; the four (C) outputs
/// are save_mean, save_invstd (the statistics y was normalised with) and the
/// new running statistics. All of one dtype, float32 or float64; outputs
/// contiguous, inputs of any strides.
struct BatchNormArgs {
  const Tensor &y, &save_mean, &save_invstd, &new_running_mean, &new_running_var;
  const Tensor &x, &weight, &bias, &running_mean, &running_var;
  bool training;
  double momentum, eps;
};

/// Training: normalise with the batch statistics (biased variance) and return
/// running = (1 - momentum) * running + momentum * batch statistic, with the
/// unbiased variance for running_var (NaN when a channel has one value). An
/// empty batch (N * S == 0) leaves the running statistics as they are and
/// saves mean 0, invstd 1 / sqrt(eps). Eval: normalise with the running
/// statistics, which are returned unchanged.
void batch_norm_forward(const BatchNormArgs& a);

/// The gradients of batch norm, fused (Note [batch norm backward] in
/// src/ops/norm.cpp). gy, x: (N, C, S); weight, save_mean, save_invstd,
/// grad_shift, grad_scale: (C); gx: x's shape; gw, gb: (C). With
/// xhat = (x - mean) * invstd and n = N * S:
///   gb = sum(gy), gw = sum(gy * xhat);
///   training: gx = gy * a + xhat * (grad_scale - a * gw / n) + grad_shift - a * gb / n,
///   eval:     gx = gy * a,  with a = invstd * weight.
/// Per-channel sums accumulate in double, one channel per thread.
struct BatchNormBackwardArgs {
  const Tensor &gx, &gw, &gb;
  const Tensor &gy, &x, &weight, &save_mean, &save_invstd, &grad_shift, &grad_scale;
  bool training;
};
void batch_norm_backward(const BatchNormBackwardArgs& a);

/// The smallest and largest value of an int32/int64 tensor (any strides,
/// at least one element).
struct IntRange {
  int64_t min, max;
};
IntRange int_range(const Tensor& index);

/// out (..., num_classes), int64, contiguous: out[p, k] = (index[p] == k).
/// Indices already checked to lie in [0, num_classes).
void one_hot(const Tensor& out, const Tensor& index);

}  // namespace braid::kernels
