// Short-column convolution products (see conv_small_k.hpp). Each loop keeps
// a fixed-size block of sums in a flat array with an `omp simd` inner loop,
// the shape g++ keeps in vector registers (as in gemm.cpp's micro-kernel).
#include "kernels/portable/conv_small_k.hpp"

#include <algorithm>

namespace braid::kernels {
namespace {

// Columns per block: 4 AVX-512 / 8 AVX2 vectors of sums.
template <class T>
constexpr int64_t block() {
  return 256 / static_cast<int64_t>(sizeof(T));
}

// y[i, j0 + j] for j < len (len == B lets the compiler fix the trip count).
template <class T, int64_t B>
void product_block(int64_t i, int64_t k, int64_t n, int64_t j0, int64_t len, const T* a,
                   const T* b, T bias, T* y) {
  T acc[B];
  for (int64_t j = 0; j < B; ++j) acc[j] = bias;
  for (int64_t p = 0; p < k; ++p) {
    const T w = a[i * k + p];
    const T* bp = b + p * n + j0;
#pragma omp simd
    for (int64_t j = 0; j < len; ++j) acc[j] += w * bp[j];
  }
  std::copy(acc, acc + len, y + i * n + j0);
}

// c[p, j0 + j] for j < len.
template <class T, int64_t B>
void transposed_block(int64_t m, int64_t k, int64_t n, int64_t p, int64_t j0, int64_t len,
                      const T* a, const T* g, T* c) {
  T acc[B] = {};
  for (int64_t i = 0; i < m; ++i) {
    const T w = a[i * k + p];
    const T* gi = g + i * n + j0;
#pragma omp simd
    for (int64_t j = 0; j < len; ++j) acc[j] += w * gi[j];
  }
  std::copy(acc, acc + len, c + p * n + j0);
}

}  // namespace

template <class T>
void small_k_product(int64_t m, int64_t k, int64_t n, const T* a, const T* b, const T* bias, T* y) {
  constexpr int64_t B = block<T>();
  int64_t j0 = 0;
  for (; j0 + B <= n; j0 += B)
    for (int64_t i = 0; i < m; ++i) product_block<T, B>(i, k, n, j0, B, a, b, bias[i], y);
  if (j0 < n)
    for (int64_t i = 0; i < m; ++i) product_block<T, B>(i, k, n, j0, n - j0, a, b, bias[i], y);
}

template <class T>
void small_k_transposed_product(int64_t m, int64_t k, int64_t n, const T* a, const T* g, T* c) {
  constexpr int64_t B = block<T>();
  int64_t j0 = 0;
  for (; j0 + B <= n; j0 += B)
    for (int64_t p = 0; p < k; ++p) transposed_block<T, B>(m, k, n, p, j0, B, a, g, c);
  if (j0 < n)
    for (int64_t p = 0; p < k; ++p) transposed_block<T, B>(m, k, n, p, j0, n - j0, a, g, c);
}

template <class T>
void small_k_outer_sums(int64_t m, int64_t k, int64_t n, const T* g, const T* b, T* part) {
  constexpr int64_t L = small_k_lanes<T>();
  const int64_t full = n / L * L;
  for (int64_t i = 0; i < m; ++i) {
    const T* gi = g + i * n;
    for (int64_t p = 0; p < k; ++p) {
      const T* bp = b + p * n;
      T acc[L] = {};
      for (int64_t j0 = 0; j0 < full; j0 += L) {
#pragma omp simd
        for (int64_t l = 0; l < L; ++l) acc[l] += gi[j0 + l] * bp[j0 + l];
      }
      for (int64_t j = full; j < n; ++j) acc[j - full] += gi[j] * bp[j];
      T* pp = part + (i * k + p) * L;
#pragma omp simd
      for (int64_t l = 0; l < L; ++l) pp[l] += acc[l];
    }
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

#define BRAID_SMALL_K_INSTANTIATE(T)                                                         \
  template void small_k_product<T>(int64_t, int64_t, int64_t, const T*, const T*, const T*, \
                                   T*);                                                    \
  template void small_k_transposed_product<T>(int64_t, int64_t, int64_t, const T*, const T*, \
                                              T*);                                         \
  template void small_k_outer_sums<T>(int64_t, int64_t, int64_t, const T*, const T*, T*);   \
  template void small_k_reduce<T>(int64_t, const T*, T*);
BRAID_SMALL_K_INSTANTIATE(float)
BRAID_SMALL_K_INSTANTIATE(double)
#undef BRAID_SMALL_K_INSTANTIATE

}  // namespace braid::kernels
