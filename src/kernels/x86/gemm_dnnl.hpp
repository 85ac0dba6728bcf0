// fp32 GEMM on x86 through oneDNN. Same contract and strides as
// gemm_portable (see kernels/portable/gemm.hpp):
//   per batch b: C(b) = A(b) @ B(b)  [+ C(b) if accumulate]
//   A (m, k), B (k, n), C (m, n), any element strides, batch stride 0 = broadcast.
#pragma once

#include "kernels/portable/gemm.hpp"

namespace braid::kernels {

/// Runs the product with oneDNN and returns true, or returns false without
/// touching C when oneDNN cannot express the layout (a matrix with neither
/// unit row nor unit column stride, a zero or negative stride inside a
/// matrix, several batches writing one C). The caller then uses
/// gemm_portable. Not bit-identical to gemm_portable (different k blocking),
/// but deterministic for a fixed thread count.
bool gemm_x86(const GemmArgs& args, const float* a, const float* b, float* c);

}  // namespace braid::kernels
