#pragma once
// Internal: the three convolution primitives the public conv ops are written
// with (src/ops/conv_primitives.cpp). Each is one bilinear map of the formula
// in kernels/portable/conv.hpp, so each one's vjp is written with the others:
//   conv2d_forward(x, weight, bias)   -> y    attrs + output_size
//   conv2d_input_grad(grad_y, weight) -> gx   attrs + input_size
//   conv2d_weight_grad(x, grad_y)     -> gw   attrs + kernel_size
// attrs: stride, padding (top, left), dilation, groups; every pair is
// (height, width). The far-side padding is implied by the sizes.
#include <array>

#include "ops/common.hpp"

namespace braid::detail {

using Pair = std::array<int64_t, 2>;

struct ConvParams {
  Pair stride{1, 1}, padding{0, 0}, dilation{1, 1};
  int64_t groups = 1;
};

/// conv2d_forward; an undefined bias adds nothing.
Tensor conv2d_forward_call(const Tensor& x, const Tensor& weight, const Tensor& bias,
                           const ConvParams& p, Pair output_size);
/// conv2d_relu_forward: relu(conv2d_forward(...)) as one op (Note [conv + relu]).
Tensor conv2d_relu_forward_call(const Tensor& x, const Tensor& weight, const Tensor& bias,
                                const ConvParams& p, Pair output_size);
Tensor conv2d_input_grad_call(const Tensor& grad_y, const Tensor& weight, const ConvParams& p,
                              Pair input_size);
Tensor conv2d_weight_grad_call(const Tensor& x, const Tensor& grad_y, const ConvParams& p,
                               Pair kernel_size);

}  // namespace braid::detail
