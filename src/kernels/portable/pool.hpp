#pragma once
// Pooling kernels (max, average, adaptive) and their adjoints, over stacks of
// 2-D planes: x is (P, H, W) with P = N * C (C when unbatched), out is
// (P, OH, OW). Which input rows and columns each output reads is described
// per axis by a PoolAxis, so max_pool2d and adaptive_max_pool2d share one
// kernel, and avg_pool2d and adaptive_avg_pool2d another.
//
// Note [pool determinism]: work is split by planes only. Each plane is
// computed by one thread in a fixed order (the adjoints zero the plane, then
// add window by window in output order), so results are bit-identical for
// any thread count and no atomics are needed.
#include <cstdint>
#include <vector>

#include "braid/core/tensor.hpp"

namespace braid::kernels {

/// The input positions that each output position of one axis reads:
/// start[o], start[o] + step, ... while < end[o], already clipped to
/// [0, in). count[o] is that window's share of an average's divisor.
struct PoolAxis {
  int64_t in = 0;
  int64_t step = 1;
  std::vector<int64_t> start, end, count;
  int64_t out() const { return static_cast<int64_t>(start.size()); }
};

/// PyTorch's max/avg pooling windows: output o starts at o * stride - padding
/// and covers `kernel` taps `dilation` apart. count: the taps inside the
/// input, or, with count_include_pad, those inside input + padding (avg only).
PoolAxis window_axis(int64_t in, int64_t out, int64_t kernel, int64_t stride, int64_t padding,
                     int64_t dilation, bool count_include_pad);
/// Adaptive windows: [floor(o * in / out), ceil((o + 1) * in / out)).
PoolAxis adaptive_axis(int64_t in, int64_t out);
/// Whether output o reads exactly positions 2o and 2o + 1 (kernel 2, stride
/// 2, no padding, no dilation): the MNIST CNN's pooling, given its own loops.
bool pool_pairs(const PoolAxis& a);

/// out, indices: (P, OH, OW); x: (P, H, W), float32/float64, all contiguous.
/// indices are positions in the flattened H * W plane. Like PyTorch: ties go
/// to the first maximum in row-major window order; a NaN wins (the last NaN).
void max_pool2d(const Tensor& out, const Tensor& indices, const Tensor& x, const PoolAxis& rows,
                const PoolAxis& cols);
/// gx: (P, H, W); g, indices: (P, OH, OW) (int64, values in [0, H * W)).
/// gx = 0, then gx[p, indices[p, k]] += g[p, k] in k order.
void max_pool2d_backward(const Tensor& gx, const Tensor& g, const Tensor& indices);

/// Whether every value of the int64 tensor `indices` lies in [0, n): one
/// vectorised parallel pass (the backward's input check runs on every
/// training step; index.hpp's find_bad_index then names the culprit).
bool indices_in_range(const Tensor& indices, int64_t n);

/// What an average divides a window's sum by.
struct AvgDivisor {
  enum Kind {
    kProduct,   ///< rows.count * cols.count, one division (avg_pool2d)
    kEachAxis,  ///< rows.count, then cols.count (adaptive_avg_pool2d, as PyTorch)
    kFixed,     ///< `fixed` (divisor_override)
  } kind = kProduct;
  int64_t fixed = 0;
};

/// out: (P, OH, OW) = window sums / divisor; x: (P, H, W); contiguous,
/// float32/float64/int64 (int64: integer division). A window with no input
/// element (possible with ceil_mode) gives 0.
void avg_pool2d(const Tensor& out, const Tensor& x, const PoolAxis& rows, const PoolAxis& cols,
                AvgDivisor divisor);
/// The adjoint (float32/float64): gx: (P, H, W) = 0, then g[p, i, j] / divisor
/// added to each element of window (i, j), windows in row-major order.
void avg_pool2d_backward(const Tensor& gx, const Tensor& g, const PoolAxis& rows,
                         const PoolAxis& cols, AvgDivisor divisor);

}  // namespace braid::kernels
