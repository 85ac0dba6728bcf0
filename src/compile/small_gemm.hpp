#pragma once
// y = acts(x @ W^T + bias) for a few rows of x: the linear step at small
// batch sizes, where a GEMM library's setup (packing, threading decisions)
// costs more than the arithmetic. W is packed once, at plan time.
//
//   x: (m, k) row-major, W: (n, k) (a Linear's weight), y: (m, n).
//
// Packed layout: W^T cut into panels of kPanel = 16 output columns, each
// panel (k, 16) contiguous and zero-padded past n, so the kernel streams a
// panel with one 64-byte load per k and broadcasts x[r, k] into the FMA. A
// block of up to 4 panels x up to 4 rows is kept in 16 vector registers.
// Each y element is one dot product summed in k order (one accumulator), so
// results do not depend on the thread count; they differ from oneDNN's
// (which blocks k) in the last bits.
#include <cstdint>
#include <vector>

#include "braid/core/tensor.hpp"
#include "compile/pointwise.hpp"

namespace braid::compiler {

inline constexpr int64_t kPanel = 16;

struct PackedWeight {
  int64_t n = 0, k = 0, panels = 0;
  Tensor data;  ///< panels * k * kPanel floats, 64-byte aligned
  Tensor bias;  ///< panels * kPanel floats (zeros where there is no bias)
};

/// Packs a (n, k) weight and its (n) bias (may be null).
PackedWeight pack_weight(const float* w, const float* bias, int64_t n, int64_t k);

/// y = acts(x @ W^T + bias); x rows `ldx` floats apart, y rows `n` apart.
/// Runs on up to `threads` threads (blocks of 64 columns each).
void small_gemm(const PackedWeight& w, const float* x, int64_t m, int64_t ldx, float* y,
                const std::vector<UnaryOp>& acts, int threads);

}  // namespace braid::compiler
