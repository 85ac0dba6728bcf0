#pragma once
/// Network ops: the conv family (src/ops/conv.cpp). See op_list.def.
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include "braid/core/tensor.hpp"

namespace braid {

/// A size per spatial dim: one value for every dim (`2`) or one per dim (`{2, 1}`).
struct ConvSize {
  std::vector<int64_t> sizes;
  ConvSize(int64_t v) : sizes{v} {}  // NOLINT: implicit, so `.stride = 2` reads naturally
  ConvSize(std::initializer_list<int64_t> v) : sizes(v) {}
};

/// Convolution padding: sizes (one for every spatial dim, or one per dim, both
/// sides alike) or PyTorch's modes "valid" (none) and "same" (output size =
/// input size; stride must be 1; an odd total puts the extra row/column at the
/// end).
struct ConvPadding {
  std::vector<int64_t> sizes;
  std::string mode;                     ///< "same" or "valid"; empty when `sizes` are used
  ConvPadding(int64_t v) : sizes{v} {}  // NOLINT: implicit, as above
  ConvPadding(std::initializer_list<int64_t> v) : sizes(v) {}
  ConvPadding(std::string m) : mode(std::move(m)) {}  // NOLINT: implicit, as above
  template <size_t N>
  ConvPadding(const char (&m)[N]) : mode(m) {}  // NOLINT: implicit, as above
};

/// conv1d / conv2d settings, named as PyTorch's arguments:
/// `conv2d(x, w, b, {.stride = {2, 2}, .padding = {1, 1}})`, `{.padding = "same"}`.
struct ConvOptions {
  ConvSize stride = 1;
  ConvPadding padding = 0;
  ConvSize dilation = 1;
  int64_t groups = 1;
};

/// conv_transpose2d settings, in PyTorch's argument order.
struct ConvTransposeOptions {
  ConvSize stride = 1;
  ConvSize padding = 0;
  ConvSize output_padding = 0;
  int64_t groups = 1;
  ConvSize dilation = 1;
};

/// 2-D cross-correlation (PyTorch's conv2d), plus bias.
/// x: (N, C_in, H, W) or unbatched (C_in, H, W); weight: (C_out, C_in/groups, kH, kW);
/// bias: (C_out) or undefined -> (N, C_out, H_out, W_out) (unbatched: no N), with
/// H_out = (H + 2 * padding - dilation * (kH - 1) - 1) / stride + 1.
/// Throws ShapeError (ranks, channels vs groups, bias shape, kernel larger than the
/// padded input), ValueError (non-positive stride/dilation/groups, negative or unknown
/// padding, "same" with stride > 1), DTypeError (non-float or mixed dtypes).
namespace detail {
/// relu(conv2d(x, weight, bias, options)) as one op: the convolution applies
/// ReLU as it writes, and its backward masks grad_y as it reads it. For
/// nn::Sequential's Conv2d -> ReLU pairs (Note [conv + relu]); the same
/// values and gradients, bit for bit, as the two ops.
Tensor conv2d_relu(const Tensor& x, const Tensor& weight, const Tensor& bias,
                   const ConvOptions& options);
/// max_pool2d(relu(conv2d(...)), 2) as one op, for nn::Sequential's Conv2d ->
/// ReLU -> MaxPool2d(2) (Note [conv + relu + pool]): the same values and
/// gradients, bit for bit. Undefined (nothing run) when the convolution's
/// output is smaller than 2x2, or x is float16/bfloat16.
Tensor conv2d_relu_maxpool2x2(const Tensor& x, const Tensor& weight, const Tensor& bias,
                              const ConvOptions& options);
}  // namespace detail

Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias = {},
              const ConvOptions& options = {});

/// 1-D cross-correlation: conv2d over one spatial dim.
/// x: (N, C_in, L) or (C_in, L); weight: (C_out, C_in/groups, k); bias: (C_out) or
/// undefined -> (N, C_out, L_out). Throws as conv2d.
Tensor conv1d(const Tensor& x, const Tensor& weight, const Tensor& bias = {},
              const ConvOptions& options = {});

/// 2-D transposed convolution (the gradient of conv2d with respect to its input).
/// x: (N, C_in, H, W) or (C_in, H, W); weight: (C_in, C_out/groups, kH, kW); bias:
/// (C_out) or undefined -> (N, C_out, H_out, W_out) with
/// H_out = (H - 1) * stride - 2 * padding + dilation * (kH - 1) + output_padding + 1.
/// Throws ShapeError (ranks, channels, bias, output size < 1), ValueError (settings;
/// output_padding must be smaller than stride or dilation), DTypeError.
Tensor conv_transpose2d(const Tensor& x, const Tensor& weight, const Tensor& bias = {},
                        const ConvTransposeOptions& options = {});

}  // namespace braid
