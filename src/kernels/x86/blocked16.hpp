// NCHW -> oneDNN's nChw16c ("aBcd16b") for fp32 activations whose channel
// count is a multiple of 16, with each channel's sum taken in the same pass:
// the convolution backward reads grad_y once for its blocked copy and the
// bias gradient (Note [fused conv backward], conv_dnnl.cpp).
#pragma once

#include <cstdint>

namespace braid::kernels {

/// dst[i][c / 16][p][c % 16] = src[i][c][p] for n images of c channels
/// (c % 16 == 0) and hw positions; when `sums` is given, sums[ch] += the
/// channel's values over the n images (each image's 16-position groups are
/// added in float, then into the double sums in position order, so the
/// result is fixed by the shape). With `relu_y` (y of src's layout), each
/// value is relu_backward's instead: 0 where y <= 0, else src (a NaN y keeps
/// src). AVX-512 where the CPU has it, else a loop.
void nchw_to_blocked16(const float* src, float* dst, int64_t n, int64_t c, int64_t hw, double* sums,
                       const float* relu_y = nullptr);

/// The inverse: nChw16c -> NCHW; with `relu`, each value as relu gives it
/// (x where x > 0 or NaN, else +0), so a convolution's ReLU costs nothing
/// more than the reorder of its output (Note [conv + relu]).
void blocked16_to_nchw(const float* src, float* dst, int64_t n, int64_t c, int64_t hw, bool relu);

/// Conv2d -> ReLU -> MaxPool2d(2)'s output step (Note [conv + relu + pool]):
/// from n images of c channels (c % 16 == 0) of h x w in nChw16c, y =
/// max_pool2d(relu(src), 2) in NCHW (n, c, h / 2, w / 2) and its codes
/// (kernels/portable/pool_codes.hpp), with the bits of relu_maxpool2x2. The
/// pool runs while the convolution's output is in cache; only y and the
/// codes are written. Over the team outside a parallel region, else on the
/// calling thread (as blocked16_to_nchw).
void blocked16_relu_maxpool2x2(const float* src, float* y, uint8_t* codes, int64_t n, int64_t c,
                               int64_t h, int64_t w);

/// Its backward's step: the nChw16c gradient of the pool's input (n, c, h, w)
/// from the pooled gradient g (NCHW) and the codes, with `sums` as
/// nchw_to_blocked16's: the same values and float groups as masking the
/// full gradient and transposing it, so the bias gradient keeps those bits.
void maxpool2x2_grad_to_blocked16(const float* g, const uint8_t* codes, float* dst, int64_t n,
                                  int64_t c, int64_t h, int64_t w, double* sums);

}  // namespace braid::kernels
