// The three products of an im2col convolution when the column is short
// (k = c_in/groups * kh * kw <= kSmallK: first layers on 1-3 channels,
// depthwise layers). A GEMM has too little depth there to pay for packing
// its operands; these loops stream along the long dimension n = oh * ow
// instead, with sums held in registers. Row-major dense operands; every
// output element is summed in a fixed order, whatever the thread count.
#pragma once

#include <cstdint>

namespace braid::kernels {

inline constexpr int64_t kSmallK = 32;

/// y (m, n) = a (m, k) @ b (k, n) + bias[i] on row i.
template <class T>
void small_k_product(int64_t m, int64_t k, int64_t n, const T* a, const T* b, const T* bias, T* y);

/// c (k, n) = a^T @ g, with a (m, k) and g (m, n).
template <class T>
void small_k_transposed_product(int64_t m, int64_t k, int64_t n, const T* a, const T* g, T* c);

/// Lanes per partial sum of small_k_outer_sums.
template <class T>
constexpr int64_t small_k_lanes() {
  return 64 / static_cast<int64_t>(sizeof(T));
}

/// part ((m * k), lanes) += g (m, n) @ b^T with b (k, n), each sum kept as
/// `lanes` partial sums (lane l sums the columns j = l mod lanes), so the
/// long loop over n vectorises; reduce them with small_k_reduce.
template <class T>
void small_k_outer_sums(int64_t m, int64_t k, int64_t n, const T* g, const T* b, T* part);

/// out[i] = the sum of part row i's lanes, for i in [0, rows).
template <class T>
void small_k_reduce(int64_t rows, const T* part, T* out);

}  // namespace braid::kernels
