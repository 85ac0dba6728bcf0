// Conv2d -> ReLU -> MaxPool2d(2) as one op (Note [conv + relu + pool],
// ops/conv_primitives.cpp): the 2x2 pool's choice is kept as a one-byte code
// per pooled value instead of max_pool2d's int64 index, and the ReLU's mask
// rides in the same byte.
//
// Codes are laid out as (N, ceil(C / 16), PH, PW, 16): channel c of image i
// at pooled (r, s) is byte [i][c / 16][r][s][c % 16], the layout the x86
// kernels compute in (oneDNN's nChw16c), so they read and write 16 channels'
// codes with one 16-byte access. Bits 0-1: the window place of the maximum
// (0 top-left, 1 top-right, 2 bottom-left, 3 bottom-right); bit 2
// (kPoolMasked): the maximum is not > 0 (and not NaN), so relu passes no
// gradient. The padding channels hold kPoolMasked. Bits 3-7 are 0 as
// written and ignored as read, so no byte can send a gradient out of its
// window.
#pragma once

#include <cstdint>

#include "kernels/portable/scalar_ops.hpp"

namespace braid::kernels {

inline constexpr uint8_t kPoolMasked = 4;

/// Bytes of the codes of n images of c channels pooled to ph x pw.
inline int64_t pool_codes_size(int64_t n, int64_t c, int64_t ph, int64_t pw) {
  return n * ((c + 15) / 16) * ph * pw * 16;
}

/// One window's result from its four values in row-major order: relu's
/// formula on each, then max_pool2d's rule (a later value wins when greater
/// or NaN); `code` gets the winner's place, plus kPoolMasked when it is not > 0.
template <class T>
T relu_max4(const T (&v)[4], uint8_t& code) {
  T m = relu_value(v[0]);
  uint8_t k = 0;
  for (uint8_t q = 1; q < 4; ++q) {
    const T u = relu_value(v[q]);
    if (u > m || u != u) m = u, k = q;
  }
  code = static_cast<uint8_t>(m <= T(0) ? k | kPoolMasked : k);
  return m;
}

/// y = max_pool2d(relu(z), 2) and its codes, for z (n, c, h, w) NCHW and y
/// (n, c, h / 2, w / 2): relu's formula on each value, then max_pool2d's
/// rule (the window in row-major order; a later value wins when greater or
/// NaN), so y has the bits of the two ops. z may already be relu'd (relu is
/// idempotent).
template <class T>
void relu_maxpool2x2(const T* z, T* y, uint8_t* codes, int64_t n, int64_t c, int64_t h, int64_t w) {
  const int64_t ph = h / 2, pw = w / 2, cb = (c + 15) / 16;
  for (int64_t i = 0; i < n * cb * ph * pw * 16; ++i) codes[i] = kPoolMasked;
  for (int64_t i = 0; i < n; ++i)
    for (int64_t ch = 0; ch < c; ++ch) {
      const T* plane = z + (i * c + ch) * h * w;
      T* out = y + (i * c + ch) * ph * pw;
      uint8_t* code = codes + (i * cb + ch / 16) * ph * pw * 16 + ch % 16;
      for (int64_t r = 0; r < ph; ++r)
        for (int64_t s = 0; s < pw; ++s) {
          const T* a = plane + 2 * r * w + 2 * s;
          out[r * pw + s] = relu_max4<T>({a[0], a[1], a[w], a[w + 1]}, code[(r * pw + s) * 16]);
        }
    }
}

/// The gradient of relu_maxpool2x2 with respect to z, for the gradient g of
/// y (both NCHW): 0 + g at each window's code place unless masked, +0
/// everywhere else (the bits of max_pool2d_backward then relu_backward).
template <class T>
void relu_maxpool2x2_grad(const T* g, const uint8_t* codes, T* dz, int64_t n, int64_t c, int64_t h,
                          int64_t w) {
  const int64_t ph = h / 2, pw = w / 2, cb = (c + 15) / 16;
  for (int64_t i = 0; i < n * c * h * w; ++i) dz[i] = T(0);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t ch = 0; ch < c; ++ch) {
      T* plane = dz + (i * c + ch) * h * w;
      const T* gp = g + (i * c + ch) * ph * pw;
      const uint8_t* code = codes + (i * cb + ch / 16) * ph * pw * 16 + ch % 16;
      for (int64_t r = 0; r < ph; ++r)
        for (int64_t s = 0; s < pw; ++s) {
          const uint8_t k = code[(r * pw + s) * 16];
          if (k & kPoolMasked) continue;
          plane[(2 * r + (k >> 1 & 1)) * w + 2 * s + (k & 1)] = T(0) + gp[r * pw + s];
        }
    }
}

}  // namespace braid::kernels
