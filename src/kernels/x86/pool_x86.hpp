// Max pooling on x86: the MNIST CNN's 2x2 stride-2 window (no padding, no
// dilation) on float32, with AVX-512. Same contract as the portable
// max_pool2d (kernels/portable/pool.hpp): bit-identical values and indices,
// the same tie and NaN rules, split by planes (Note [pool determinism]).
#pragma once

#include "braid/core/tensor.hpp"
#include "kernels/portable/pool.hpp"

namespace braid::kernels {

/// out, indices: (P, OH, OW); x: (P, H, W), all contiguous. Runs and returns
/// true when x is float32, both axes are 2x2 pairs (see pool_pairs) and the
/// core has AVX-512; otherwise returns false having written nothing.
bool max_pool2d_x86(const Tensor& out, const Tensor& indices, const Tensor& x, const PoolAxis& rows,
                    const PoolAxis& cols);

/// max_pool2d_backward (the scatter-add of g at `indices` into a zeroed gx)
/// for what a 2x2 stride-2 max pool makes: gx (P, H, W), g and indices
/// (P, OH, OW) with 2 OH <= H, 2 OW <= W, each index inside its own window.
/// Writes gx in one pass, each window's four places as 0 + g or 0, with the
/// bits of the scatter. Returns false when an index is outside its window
/// (gx then holds garbage, for the caller's portable kernel to overwrite),
/// or without AVX-512, float32 and those shapes (gx untouched).
bool max_pool2x2_backward_x86(const Tensor& gx, const Tensor& g, const Tensor& indices);

/// The values only (inference: no indices), on raw buffers: x (planes,
/// H, W) with W = `w` >= 2 ow, H >= 2 oh, out (planes, oh, ow); 2x2 windows,
/// stride 2. Returns false having written nothing without AVX-512.
bool max_pool2x2_values_x86(const float* x, float* out, int64_t planes, int64_t h, int64_t w,
                            int64_t oh, int64_t ow);

/// The 2x2 stride-2 max pool of one block of 16 channels in oneDNN's
/// nChw16c layout, x (h, w, 16), into 16 NCHW planes y (16, oh, ow), oh <=
/// h / 2, ow <= w / 2; with `relu`, braid's ReLU (NaN kept) on each result,
/// which gives the bits of pooling the ReLU's output (Note [relu after max
/// pooling], compile/plan.cpp). Values as max_pool2d's (the same comparisons).
/// Portable code (vector extensions), single-threaded: a conv chain's step.
void max_pool2x2_nchw16c(const float* x, float* y, int64_t w, int64_t oh, int64_t ow, bool relu);

/// braid's ReLU in place on n floats (x > 0 or NaN keeps x, else +0), one
/// thread: for the oneDNN-fused steps of compile, whose ReLU post-op would
/// be max(x, 0), which turns NaN into 0.
void relu_keep_nan(float* p, int64_t n);

}  // namespace braid::kernels
