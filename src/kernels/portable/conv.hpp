// 2-D convolution on raw contiguous buffers: the kernels behind conv2d_forward,
// conv2d_input_grad and conv2d_weight_grad (src/ops/conv_kernels.cpp).
//
// Shapes (all row-major, contiguous):
//   x  is (n, c_in, h, w)            -- the convolution's input
//   wt is (c_out, c_in / groups, kh, kw)
//   y  is (n, c_out, oh, ow)         -- the convolution's output
// and, for each group g, output channel o of g, output position (i, j):
//   y[n, o, i, j] = sum over input channels c of g, taps (p, q) of
//                   wt[o, c, p, q] * x[n, c, i * sh - ph + p * dh, j * sw - pw + q * dw]
// where x is zero outside its h x w extent. The padding is the top/left one;
// oh and ow are given, so the bottom/right padding is whatever they imply
// (possibly negative, which crops). The three kernels are the three bilinear
// maps of this one formula:
//   forward:      y  = conv(x, wt) + bias
//   input grad:   gx = conv^T(gy, wt)      (also conv_transpose2d's forward)
//   weight grad:  gw = sum over the batch of gy (x) x
//
// Method: im2col + gemm_portable per image and group. Note [deterministic conv]:
// every output element is written by one thread in a fixed order; the weight
// gradient sums the batch in fixed chunks whose boundaries depend on the shape
// only, so results are bit-identical for any thread count.
#pragma once

#include <cstdint>

namespace braid::kernels {

struct ConvGeom {
  int64_t n = 0, c_in = 0, c_out = 0, groups = 1;
  int64_t h = 0, w = 0, oh = 0, ow = 0, kh = 0, kw = 0;
  int64_t sh = 1, sw = 1, ph = 0, pw = 0, dh = 1, dw = 1;

  int64_t c_in_g() const { return c_in / groups; }
  int64_t c_out_g() const { return c_out / groups; }
  /// Rows of one group's im2col matrix: c_in_g * kh * kw.
  int64_t k_g() const { return c_in_g() * kh * kw; }
  /// Bottom and right padding implied by the output size (may be negative).
  int64_t pad_bottom() const { return (oh - 1) * sh + (kh - 1) * dh + 1 - h - ph; }
  int64_t pad_right() const { return (ow - 1) * sw + (kw - 1) * dw + 1 - w - pw; }
};

/// y = conv(x, wt) + bias; bias is (c_out). T: float, double.
template <class T>
void conv2d_forward_portable(const ConvGeom& g, const T* x, const T* wt, const T* bias, T* y);

/// gx = the gradient of sum(gy * conv(x, wt)) with respect to x; gy is (n, c_out, oh, ow),
/// gx (n, c_in, h, w).
template <class T>
void conv2d_input_grad_portable(const ConvGeom& g, const T* gy, const T* wt, T* gx);

/// gw = the gradient of sum(gy * conv(x, wt)) with respect to wt; gw is (c_out, c_in/groups,
/// kh, kw).
template <class T>
void conv2d_weight_grad_portable(const ConvGeom& g, const T* x, const T* gy, T* gw);

}  // namespace braid::kernels
