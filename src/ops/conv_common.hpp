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

#include "kernels/portable/conv.hpp"
#include "ops/common.hpp"

namespace braid::detail {

using Pair = std::array<int64_t, 2>;

struct ConvParams {
  Pair stride{1, 1}, padding{0, 0}, dilation{1, 1};
  int64_t groups = 1;
};

// A kernel's view of a tensor's data as T.
template <class T>
const T* ptr(const Tensor& t) {
  return static_cast<const T*>(t.raw_data());
}
template <class T>
T* mut(const Tensor& t) {
  return static_cast<T*>(t.raw_data());
}

// Runs f.template operator()<T>() with T the kernels' element type (float for
// every float16/bfloat16 input: the dispatcher has cast those already).
template <class F>
void by_dtype(DType dt, const F& f) {
  if (dt == DType::Float64)
    f.template operator()<double>();
  else
    f.template operator()<float>();
}

/// conv2d_forward; an undefined bias adds nothing.
Tensor conv2d_forward_call(const Tensor& x, const Tensor& weight, const Tensor& bias,
                           const ConvParams& p, Pair output_size);
/// conv2d_relu_forward: relu(conv2d_forward(...)) as one op (Note [conv + relu]).
Tensor conv2d_relu_forward_call(const Tensor& x, const Tensor& weight, const Tensor& bias,
                                const ConvParams& p, Pair output_size);
/// conv2d_relu_maxpool_forward: (y, codes) of Conv2d -> ReLU -> MaxPool2d(2)
/// as one op (Note [conv + relu + pool], src/ops/conv_relu_pool.cpp).
std::vector<Tensor> conv2d_relu_maxpool_forward_call(const Tensor& x, const Tensor& weight,
                                                     const Tensor& bias, const ConvParams& p,
                                                     Pair output_size);
Tensor conv2d_input_grad_call(const Tensor& grad_y, const Tensor& weight, const ConvParams& p,
                              Pair input_size);
Tensor conv2d_weight_grad_call(const Tensor& x, const Tensor& grad_y, const ConvParams& p,
                               Pair kernel_size);

// What the fused Conv2d -> ReLU -> MaxPool2d ops (src/ops/conv_relu_pool.cpp)
// share with the primitives: their attribute readers (errors name `op`) and
// writer (the params plus one size pair),
// conv2d_forward's checks and output meta, the geometry of a call, the
// kernels of conv2d_forward and conv2d_backward (`fast`: x86 first), and
// conv2d_relu_forward's vjp for the gradient g of its output relu_y.
ConvParams conv_params(std::string_view op, const Attrs& a);
Attrs conv_prim_attrs(const ConvParams& p, const char* size_name, Pair size);
Pair conv_size_attr(std::string_view op, const Attrs& a, std::string_view name);
std::array<bool, 3> conv_output_mask(std::string_view op, const Attrs& a);
TensorMetas infer_conv2d_forward(std::string_view op, std::span<const Tensor> in, const Attrs& a);
kernels::ConvGeom conv_geom(const Attrs& a, const Shape& x, const Shape& w, const Shape& y);
void run_conv2d_forward(const KernelArgs& k, bool fast);
void run_conv2d_backward(const KernelArgs& k, bool fast);
std::vector<Tensor> conv2d_vjp(const VjpCtx& c, const Tensor& g, const Tensor& relu_y);

}  // namespace braid::detail
