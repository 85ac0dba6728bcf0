// fp32 2-D convolution on x86 through oneDNN: the same three maps, shapes and
// contract as the portable kernels (see kernels/portable/conv.hpp), on
// contiguous NCHW buffers.
#pragma once

#include "braid/core/tensor.hpp"
#include "kernels/portable/conv.hpp"

namespace braid::kernels {

/// Each runs the computation with oneDNN and returns true, or returns false
/// without writing when oneDNN has no fast implementation for the geometry
/// (only its reference loop, or a cropping far-side padding); the caller then
/// runs the portable kernel. Not bit-identical to the portable kernels
/// (another summation order), but deterministic for a fixed thread count:
/// see Note [oneDNN conv determinism] in conv_dnnl.cpp.
/// Whether these kernels compute `g` with Winograd F(4x4, 3x3) (3x3, stride
/// 1, groups 1, channels in multiples of 16): faster, with ~10x the rounding
/// error of the direct kernels (see conv_dnnl.cpp).
bool conv2d_winograd_x86(const ConvGeom& g);
/// Whether a short-column convolution (a first layer) runs its forward and
/// weight gradient in oneDNN (on AVX-512 cores, spatial kernels) rather than
/// declining to the portable kernels.
bool x86_blocked_short_columns(const ConvGeom& g);

/// `relu`: y = relu(conv + bias) with relu's formula (NaN kept), applied as
/// the output leaves the primitive, so a following ReLU costs no pass of its own.
bool conv2d_forward_x86(const ConvGeom& g, const float* x, const float* wt, const float* bias,
                        float* y, bool relu = false);
bool conv2d_input_grad_x86(const ConvGeom& g, const float* gy, const float* wt, float* gx);
/// The same with the weights given as their (float32, contiguous) tensor, so
/// their reorder into the primitive's layout is cached per weight version:
/// see Note [cached weight reorders] (conv_weight_cache.hpp).
bool conv2d_forward_x86(const ConvGeom& g, const float* x, const Tensor& weight, const float* bias,
                        float* y, bool relu = false);
bool conv2d_input_grad_x86(const ConvGeom& g, const float* gy, const Tensor& weight, float* gx);

bool conv2d_weight_grad_x86(const ConvGeom& g, const float* x, const float* gy, float* gw);

/// The gradients of one convolution in one pass over grad_y (Note [fused
/// conv backward] in conv_dnnl.cpp): gx and gw when non-null (at least one),
/// gb (the bias gradient, the sum of grad_y over N, H, W) when non-null.
/// gx and gw have the bits of conv2d_input_grad_x86 and
/// conv2d_weight_grad_x86. Returns false without writing when the batch does
/// not run in chunks or a primitive takes grad_y in another layout; the
/// caller then computes each separately. With `relu_y` (the output of a
/// convolution + ReLU), grad_y is first masked as relu_backward does.
bool conv2d_backward_x86(const ConvGeom& g, const float* x, const float* gy, const Tensor& weight,
                         float* gx, float* gw, float* gb, const float* relu_y = nullptr);
bool conv2d_backward_x86(const ConvGeom& g, const float* x, const float* gy, const float* wt,
                         float* gx, float* gw, float* gb, const float* relu_y = nullptr);

/// The outputs of conv2d_relu_maxpool_x86, and the gradient its backward reads.
struct PoolOut {
  float* y;
  uint8_t* codes;
};
struct PoolGrad {
  const float* g;
  const uint8_t* codes;
};

/// Conv2d -> ReLU -> MaxPool2d(2) (Note [conv + relu + pool]): y =
/// max_pool2d(relu(conv), 2) (N, C_out, OH / 2, OW / 2) and its codes
/// (kernels/portable/pool_codes.hpp), pooled from the primitive's nChw16c
/// output chunk by chunk, so the convolution's output is never written
/// whole. The bits of conv2d_forward_x86 with relu, then relu_maxpool2x2.
/// Returns false without writing unless the primitive writes nChw16c (C_out
/// a multiple of 16 on an AVX-512 core) and OH, OW >= 2. `owner`: the
/// weight tensor whose data `wt` is, for the cached reorder, or null.
bool conv2d_relu_maxpool_x86(const ConvGeom& g, const float* x, const float* wt,
                             const Tensor* owner, const float* bias, PoolOut out);

/// Its gradients from the pooled gradient and the codes, with the bits of
/// conv2d_backward_x86 given the unpooled gradient and relu_y: each chunk's
/// blocked grad_y is written from the pooled one. Returns false without
/// writing where conv2d_backward_x86 would.
bool conv2d_relu_maxpool_backward_x86(const ConvGeom& g, const float* x, PoolGrad grad,
                                      const float* wt, const Tensor* owner, float* gx, float* gw,
                                      float* gb);

}  // namespace braid::kernels
