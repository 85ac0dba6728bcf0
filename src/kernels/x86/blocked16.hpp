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

}  // namespace braid::kernels
