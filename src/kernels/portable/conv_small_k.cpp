// Short-column convolution products (see conv_small_k.hpp). The full blocks
// keep their sums in a flat array with compile-time trip counts, an unrolled
// outer loop and an `omp simd` inner one: the shape g++ keeps in vector
// registers (as in gemm.cpp's micro-kernel). Ragged ends take plain loops.
#include "kernels/portable/conv_small_k.hpp"

#include <algorithm>
#include <array>
#include <utility>

namespace braid::kernels {
namespace {

// Columns per block of the product: 8 AVX2 / 4 AVX-512 vectors of sums.
template <class T>
constexpr int64_t block() {
  return 256 / static_cast<int64_t>(sizeof(T));
}

// y[i, j0 + j] for j < B: bias + sum_p a[i, p] * b[p, j0 + j].
template <class T, int64_t B>
void product_block(int64_t k, int64_t n, const T* ai, const T* b, T bias, T* yi) {
  T acc[B];
  for (int64_t j = 0; j < B; ++j) acc[j] = bias;
  for (int64_t p = 0; p < k; ++p) {
    const T w = ai[p];
    const T* bp = b + p * n;
#pragma omp simd
    for (int64_t j = 0; j < B; ++j) acc[j] += w * bp[j];
  }
  std::copy(acc, acc + B, yi);
}

// Touches the cache line `ahead` elements on: g's rows are read in short
// pieces, 32 streams at once, which the hardware prefetcher alone leaves
// waiting on memory (measured 1.5x slower here).
template <class T>
void prefetch(const T* p, int64_t ahead) {
#if defined(__GNUC__)
  __builtin_prefetch(p + ahead);
#else
  (void)p, (void)ahead;
#endif
}

// c[p0 + q, j0 + l] for q < P, l < L: sum_i a[i, p0 + q] * g[i, j0 + l]. All
// P rows of c at once, so each load of g feeds P multiply-adds.
template <class T, int P>
void transposed_block(int64_t m, int64_t k, int64_t n, const T* a, const T* g, T* c) {
  constexpr int64_t L = small_k_lanes<T>();
  T acc[P * L] = {};
  for (int64_t i = 0; i < m; ++i) {
    const T* gi = g + i * n;
    const T* ai = a + i * k;
    prefetch(gi, 4 * L);
#pragma GCC unroll 16
    for (int q = 0; q < P; ++q) {
      const T w = ai[q];
#pragma omp simd
      for (int64_t l = 0; l < L; ++l) acc[q * L + l] += w * gi[l];
    }
  }
  for (int q = 0; q < P; ++q) std::copy(acc + q * L, acc + (q + 1) * L, c + q * n);
}

// transposed_block with P = p (1 to kRowsAtOnce) chosen at run time.
constexpr int kRowsAtOnce = 9;  // a 3x3 kernel's column on one channel

template <class T, size_t... P>
constexpr auto transposed_table(std::index_sequence<P...>) {
  return std::array{&transposed_block<T, static_cast<int>(P) + 1>...};
}

template <class T>
void transposed_rows(int p, int64_t m, int64_t k, int64_t n, const T* a, const T* g, T* c) {
  static constexpr auto table = transposed_table<T>(std::make_index_sequence<kRowsAtOnce>{});
  table[p - 1](m, k, n, a, g, c);
}

// P rows of partial sums at once share each load of g's row: acc[q][l] sums
// g[j] * b[p0 + q, j] over j = l mod L. P x L sums are eight vectors, enough
// independent chains to hide the FMA latency.
template <class T, int P>
void outer_block(int64_t n, const T* gi, const T* b, T* part) {
  constexpr int64_t L = small_k_lanes<T>();
  const int64_t full = n / L * L;
  T acc[P * L] = {};
  for (int64_t j0 = 0; j0 < full; j0 += L) {
    prefetch(gi + j0, 4 * L);
#pragma GCC unroll 4
    for (int q = 0; q < P; ++q) {
      const T* bq = b + q * n + j0;
#pragma omp simd
      for (int64_t l = 0; l < L; ++l) acc[q * L + l] += gi[j0 + l] * bq[l];
    }
  }
  for (int q = 0; q < P; ++q)
    for (int64_t j = full; j < n; ++j) acc[q * L + j - full] += gi[j] * b[q * n + j];
  for (int64_t t = 0; t < P * L; ++t) part[t] += acc[t];
}

}  // namespace

template <class T>
void small_k_product(int64_t m, int64_t k, int64_t n, const T* a, const T* b, const T* bias, T* y) {
  constexpr int64_t B = block<T>();
  const int64_t full = n / B * B;
  // Row by row, so y is written as one sequential stream (b stays in L1).
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j0 = 0; j0 < full; j0 += B)
      product_block<T, B>(k, n, a + i * k, b + j0, bias[i], y + i * n + j0);
    T* yi = y + i * n;
    for (int64_t j = full; j < n; ++j) yi[j] = bias[i];
    for (int64_t p = 0; p < k; ++p)
      for (int64_t j = full; j < n; ++j) yi[j] += a[i * k + p] * b[p * n + j];
  }
}

template <class T>
void small_k_transposed_product(int64_t m, int64_t k, int64_t n, const T* a, const T* g, T* c) {
  constexpr int64_t L = small_k_lanes<T>();
  const int64_t full = n / L * L;
  for (int64_t j0 = 0; j0 < full; j0 += L)
    for (int64_t p = 0; p < k; p += kRowsAtOnce)
      transposed_rows(static_cast<int>(std::min<int64_t>(kRowsAtOnce, k - p)), m, k, n, a + p,
                      g + j0, c + p * n + j0);
  for (int64_t p = 0; p < k; ++p) {
    T* cp = c + p * n;
    for (int64_t j = full; j < n; ++j) cp[j] = T{};
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = full; j < n; ++j) cp[j] += a[i * k + p] * g[i * n + j];
  }
}

template <class T>
void small_k_outer_sums(int64_t m, int64_t k, int64_t n, const T* g, const T* b, T* part) {
  constexpr int64_t L = small_k_lanes<T>();
  constexpr int P = 4;
  for (int64_t i = 0; i < m; ++i) {
    const T* gi = g + i * n;
    T* pi = part + i * k * L;
    int64_t p = 0;
    for (; p + P <= k; p += P) outer_block<T, P>(n, gi, b + p * n, pi + p * L);
    for (; p < k; ++p) outer_block<T, 1>(n, gi, b + p * n, pi + p * L);
  }
}

template <class T>
void small_k_reduce(int64_t rows, const T* part, T* out) {
  constexpr int64_t L = small_k_lanes<T>();
  for (int64_t r = 0; r < rows; ++r) {
    T s{};
    for (int64_t l = 0; l < L; ++l) s += part[r * L + l];
    out[r] = s;
  }
}

#define BRAID_SMALL_K_INSTANTIATE(T)                                                              \
  template void small_k_product<T>(int64_t, int64_t, int64_t, const T*, const T*, const T*, T*);  \
  template void small_k_transposed_product<T>(int64_t, int64_t, int64_t, const T*, const T*, T*); \
  template void small_k_outer_sums<T>(int64_t, int64_t, int64_t, const T*, const T*, T*);         \
  template void small_k_reduce<T>(int64_t, const T*, T*);
BRAID_SMALL_K_INSTANTIATE(float)
BRAID_SMALL_K_INSTANTIATE(double)
#undef BRAID_SMALL_K_INSTANTIATE

}  // namespace braid::kernels
