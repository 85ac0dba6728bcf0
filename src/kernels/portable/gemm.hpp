// Matrix multiply on raw strided buffers: the kernels behind the `matmul` op.
//
// Shapes, per batch index b in [0, batch):
//   A: (m, k), B: (k, n), C: (m, n);  C = A @ B, or C += A @ B if accumulate.
// Element addressing, all strides in elements (not bytes):
//   A(b, i, p) = a[b * a_bs + i * a_rs + p * a_cs]
//   B(b, p, j) = b[b * b_bs + p * b_rs + j * b_cs]
//   C(b, i, j) = c[b * c_bs + i * c_rs + j * c_cs]
// so transposed and sliced views need no copy, and a batch stride of 0
// broadcasts one operand over the batch. Any dimension may be 0; k == 0 gives
// C = 0 (or leaves C unchanged when accumulating). C must not alias A or B.
// If c_bs == 0 with batch > 1, the batches run in order into the same C (so
// with accumulate, C gets the sum of all batch products).
//
// Nothing here throws: the op's front function has already checked shapes.
#pragma once

#include <algorithm>
#include <cstdint>

namespace braid::kernels {

struct GemmArgs {
  int64_t batch = 1, m = 0, n = 0, k = 0;
  int64_t a_bs = 0, a_rs = 0, a_cs = 1;
  int64_t b_bs = 0, b_rs = 0, b_cs = 1;
  int64_t c_bs = 0, c_rs = 0, c_cs = 1;
  bool accumulate = false;
};

/// Dense, row-major, non-batched args: A (m, k), B (k, n), C (m, n).
inline GemmArgs gemm_args_row_major(int64_t m, int64_t n, int64_t k, bool accumulate = false) {
  GemmArgs g;
  g.m = m, g.n = n, g.k = k;
  g.a_rs = k, g.b_rs = n, g.c_rs = n;
  g.accumulate = accumulate;
  return g;
}

/// Rewrites `g` into an equivalent call with fewer batches where it can:
/// a batch of one, or B broadcast (b_bs == 0) over A and C batches that are
/// stacked rows of one taller matrix (the `Linear` on (N, T, F) case), becomes
/// a single 2-D product with m *= batch. Results are unchanged bit for bit:
/// each C element is still one dot product summed in the same k order.
inline GemmArgs gemm_fold_batch(GemmArgs g) {
  if (g.batch == 1) {
    g.a_bs = g.b_bs = g.c_bs = 0;
    return g;
  }
  const bool stacked = g.batch > 1 && g.b_bs == 0 && g.m > 0 && g.a_bs == g.m * g.a_rs &&
                       g.c_bs == g.m * g.c_rs && g.c_bs != 0;
  if (stacked) {
    g.m *= g.batch;
    g.batch = 1;
    g.a_bs = g.b_bs = g.c_bs = 0;
  }
  return g;
}

/// Portable cache-blocked GEMM (plain C++, OpenMP over output tiles). The
/// result is bit-identical for any thread count. T: float, double, int32_t,
/// int64_t; integer products wrap modulo 2^bits like PyTorch's.
template <class T>
void gemm_portable(const GemmArgs& args, const T* a, const T* b, T* c);

/// Naive triple loop, the oracle for tests. Same contract as gemm_portable.
template <class T>
void gemm_reference(const GemmArgs& args, const T* a, const T* b, T* c);

}  // namespace braid::kernels
