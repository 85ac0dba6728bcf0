// Small fp32 products with braid's own AVX-512 kernels. Same contract and
// strides as gemm_portable (see kernels/portable/gemm.hpp), one product
// (batch 1) at a time; with threads > 1, an OpenMP team shares out C's tiles.
#pragma once

#include "kernels/portable/gemm.hpp"

namespace braid::kernels {

/// Runs C = A @ B [+ C] and returns true, or returns false without touching
/// C when the CPU has no AVX-512 or the layout is not one of the two these
/// kernels read well:
///   * B with unit column stride and C with unit column stride (NN, TN): the
///     outer-product kernel broadcasts elements of A, any strides;
///   * A with unit column stride and B with unit row stride (NT): the
///     dot-product kernel, which needs no packing of either operand.
/// Deterministic: every C element is summed by one thread in a fixed order.
bool gemm_avx512(const GemmArgs& g, const float* a, const float* b, float* c, int threads = 1);

}  // namespace braid::kernels
