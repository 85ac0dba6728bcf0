// The 2x2 stride-2 max pooling with AVX-512 (see pool_x86.hpp).
//
// Why: the portable loop (max_plane_2x2) reads each window's four values with
// stride-2 loads that g++ does not vectorise well; in the MNIST CNN's batch-
// 256 inference it took ~20% of the CPU time (perf, cpu-clock), more than
// the first convolution. Here one output row is done 16 outputs at a time:
// two input rows are loaded 32 floats each and split into even and odd
// columns with one permute each, then the window's four candidates are
// compared in portable's order (a, then b, c, d: "greater, or NaN"), so the
// values and indices are bit-identical to the portable kernel's.
#include "kernels/x86/pool_x86.hpp"

#include <immintrin.h>
// g++ 12 warns that the extract/convert intrinsics read an uninitialised
// "undefined" vector they create on purpose (a known false positive of its
// headers; core/rng.cpp has the same).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <limits>

#include "braid/core/parallel.hpp"

namespace braid::kernels {
namespace {

#define BRAID_AVX512 __attribute__((target("avx512f")))

// Replaces (m, k) with (v, kv) where v > m or v is NaN: portable's rule
// (ties keep the first, the last NaN wins).
BRAID_AVX512 inline void take(__m512 v, __m512i kv, __m512& m, __m512i& k) {
  const __mmask16 t = _mm512_cmp_ps_mask(v, m, _CMP_GT_OQ) | _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q);
  m = _mm512_mask_mov_ps(m, t, v);
  k = _mm512_mask_mov_epi32(k, t, kv);
}

// Input rows to read ahead, about 4 KiB: with masked loads only, the
// hardware prefetcher did not keep up (MNIST CNN training shape, one thread:
// forward 2.6-4.1 ms without, 1.0 ms with; the one-pass backward was slower
// than zeroing and scattering without, 2.05 vs 1.4-1.8 ms, and 1.0 with;
// braid_bench --benchmark_filter=max_pool2d). Prefetches past the end do
// not fault.
int64_t rows_ahead(int64_t w) { return std::max<int64_t>(2, 4096 / (w * int64_t{sizeof(float)})); }

void prefetch(const void* p, int64_t bytes, bool write = false) {
  const char* c = static_cast<const char*>(p);
  for (int64_t q = 0; q < bytes; q += 64)
    write ? _mm_prefetch(c + q, _MM_HINT_ET0) : _mm_prefetch(c + q, _MM_HINT_T0);
}

// The two masks over a row's 2n inputs of n <= 16 windows, in two halves of 16.
BRAID_AVX512 inline void pair_masks(int64_t n, __mmask16& first, __mmask16& second) {
  first = n >= 8 ? 0xFFFF : static_cast<__mmask16>((1u << (2 * n)) - 1);
  second = n > 8 ? static_cast<__mmask16>((1u << (2 * (n - 8))) - 1) : 0;
}

// One (OH, OW) plane from an (H, W) one (W >= 2 * OW, H >= 2 * OH); idx
// may be null (values only).
BRAID_AVX512 void plane_2x2(const float* x, float* out, int64_t* idx, int64_t oh, int64_t ow,
                            int64_t w) {
  const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  const __m512i odd = _mm512_add_epi32(even, _mm512_set1_epi32(1));
  const __m512i one = _mm512_set1_epi32(1), kw = _mm512_set1_epi32(static_cast<int32_t>(w)),
                kw1 = _mm512_set1_epi32(static_cast<int32_t>(w + 1));
  const int64_t ahead = rows_ahead(w);
  for (int64_t i = 0; i < oh; ++i) {
    const float* r0 = x + 2 * i * w;
    const float* r1 = r0 + w;
    float* o = out + i * ow;
    int64_t* id = idx ? idx + i * ow : nullptr;
    prefetch(r0 + ahead * w, 2 * w * int64_t{sizeof(float)});
    for (int64_t j = 0; j < ow; j += 16) {
      const int64_t n = ow - j < 16 ? ow - j : 16;  // outputs in this block
      const __mmask16 mo = static_cast<__mmask16>((uint32_t{1} << n) - 1);
      // Inputs 2j .. 2j + 2n - 1 in two halves of 16.
      __mmask16 lo, hi;
      pair_masks(n, lo, hi);
      const __m512 a0 = _mm512_maskz_loadu_ps(lo, r0 + 2 * j);
      const __m512 a1 = _mm512_maskz_loadu_ps(hi, r0 + 2 * j + 16);
      const __m512 b0 = _mm512_maskz_loadu_ps(lo, r1 + 2 * j);
      const __m512 b1 = _mm512_maskz_loadu_ps(hi, r1 + 2 * j + 16);
      __m512 m = _mm512_permutex2var_ps(a0, even, a1);
      __m512i k = _mm512_setzero_si512();
      take(_mm512_permutex2var_ps(a0, odd, a1), one, m, k);
      take(_mm512_permutex2var_ps(b0, even, b1), kw, m, k);
      take(_mm512_permutex2var_ps(b0, odd, b1), kw1, m, k);
      _mm512_mask_storeu_ps(o + j, mo, m);
      if (!id) continue;
      // index = 2 i w + 2 (j + lane) + k
      const __m512i base = _mm512_set1_epi32(static_cast<int32_t>(2 * i * w + 2 * j));
      const __m512i flat = _mm512_add_epi32(_mm512_add_epi32(base, even), k);
      _mm512_mask_storeu_epi64(id + j, static_cast<__mmask8>(mo & 0xFF),
                               _mm512_cvtepi32_epi64(_mm512_castsi512_si256(flat)));
      _mm512_mask_storeu_epi64(id + j + 8, static_cast<__mmask8>(mo >> 8),
                               _mm512_cvtepi32_epi64(_mm512_extracti64x4_epi64(flat, 1)));
    }
  }
}

// Planes per parallel chunk: about 32k input elements, as the portable kernel.
int64_t plane_grain(int64_t hw) { return std::max<int64_t>(1, 32768 / std::max<int64_t>(hw, 1)); }

bool have_avx512() {
  static const bool avx512 = __builtin_cpu_supports("avx512f");
  return avx512;
}

// One (H, W) plane of max_pool2x2_backward_x86; false at an index outside
// its window.
BRAID_AVX512 bool plane_2x2_backward(const float* g, const int64_t* idx, float* gx, int64_t oh,
                                     int64_t ow, int64_t h, int64_t w) {
  const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  // Lane pairs (a[l], b[l]) for the first and second halves of a row.
  const __m512i lo = _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
  const __m512i hi = _mm512_add_epi32(lo, _mm512_set1_epi32(8));
  const __m512i one = _mm512_set1_epi32(1), kw = _mm512_set1_epi32(static_cast<int32_t>(w));
  const __m512 zero = _mm512_setzero_ps();
  const int64_t ahead = rows_ahead(w);
  for (int64_t i = 0; i < oh; ++i) {
    float* r0 = gx + 2 * i * w;
    float* r1 = r0 + w;
    prefetch(r0 + ahead * w, 2 * w * int64_t{sizeof(float)}, true);
    prefetch(g + (i + ahead / 2) * ow, ow * int64_t{sizeof(float)});
    prefetch(idx + (i + ahead / 2) * ow, ow * int64_t{sizeof(int64_t)});
    for (int64_t j = 0; j < ow; j += 16) {
      const int64_t n = ow - j < 16 ? ow - j : 16;
      const __mmask16 mo = static_cast<__mmask16>((uint32_t{1} << n) - 1);
      // 0 + g, as the scatter into zeros adds (-0 becomes +0). Indices are
      // narrowed with saturation, so one out of int32's range matches no place.
      const __m512 gv = _mm512_add_ps(zero, _mm512_maskz_loadu_ps(mo, g + i * ow + j));
      const int64_t* id = idx + i * ow + j;
      const __m512i k = _mm512_inserti64x4(
          _mm512_castsi256_si512(_mm512_cvtsepi64_epi32(
              _mm512_maskz_loadu_epi64(static_cast<__mmask8>(mo & 0xFF), id))),
          _mm512_cvtsepi64_epi32(_mm512_maskz_loadu_epi64(static_cast<__mmask8>(mo >> 8), id + 8)),
          1);
      const __m512i p00 =
          _mm512_add_epi32(_mm512_set1_epi32(static_cast<int32_t>(2 * i * w + 2 * j)), even);
      const __m512i p10 = _mm512_add_epi32(p00, kw);
      const __mmask16 m00 = _mm512_cmpeq_epi32_mask(k, p00);
      const __mmask16 m01 = _mm512_cmpeq_epi32_mask(k, _mm512_add_epi32(p00, one));
      const __mmask16 m10 = _mm512_cmpeq_epi32_mask(k, p10);
      const __mmask16 m11 = _mm512_cmpeq_epi32_mask(k, _mm512_add_epi32(p10, one));
      if (((m00 | m01 | m10 | m11) & mo) != mo) return false;
      const __m512 v00 = _mm512_maskz_mov_ps(m00, gv), v01 = _mm512_maskz_mov_ps(m01, gv);
      const __m512 v10 = _mm512_maskz_mov_ps(m10, gv), v11 = _mm512_maskz_mov_ps(m11, gv);
      // 2n places per row: the first 16 from lanes 0-7, the rest from 8-15.
      __mmask16 first, second;
      pair_masks(n, first, second);
      _mm512_mask_storeu_ps(r0 + 2 * j, first, _mm512_permutex2var_ps(v00, lo, v01));
      _mm512_mask_storeu_ps(r0 + 2 * j + 16, second, _mm512_permutex2var_ps(v00, hi, v01));
      _mm512_mask_storeu_ps(r1 + 2 * j, first, _mm512_permutex2var_ps(v10, lo, v11));
      _mm512_mask_storeu_ps(r1 + 2 * j + 16, second, _mm512_permutex2var_ps(v10, hi, v11));
    }
    // Columns past the last window, when w is odd.
    for (int64_t c = 2 * ow; c < w; ++c) r0[c] = r1[c] = 0.0f;
  }
  std::memset(gx + 2 * oh * w, 0, static_cast<size_t>((h - 2 * oh) * w) * sizeof(float));
  return true;
}

}  // namespace

bool max_pool2x2_backward_x86(const Tensor& gx, const Tensor& g, const Tensor& indices) {
  if (!have_avx512() || gx.dtype() != DType::Float32 || gx.dim() < 2 || g.dim() != gx.dim())
    return false;
  const int64_t h = gx.size(-2), w = gx.size(-1), oh = g.size(-2), ow = g.size(-1);
  if (2 * oh > h || 2 * ow > w || h * w == 0 || oh * ow == 0 ||
      h * w > std::numeric_limits<int32_t>::max())
    return false;
  const int64_t planes = gx.numel() / (h * w);
  const float* gp = static_cast<const float*>(g.raw_data());
  const int64_t* ip = static_cast<const int64_t*>(indices.raw_data());
  float* gxp = static_cast<float*>(gx.raw_data());
  std::atomic<bool> ok{true};
  parallel_for(planes, plane_grain(h * w), [&](int64_t b, int64_t e) {
    for (int64_t p = b; p < e && ok.load(std::memory_order_relaxed); ++p)
      if (!plane_2x2_backward(gp + p * oh * ow, ip + p * oh * ow, gxp + p * h * w, oh, ow, h, w))
        ok.store(false, std::memory_order_relaxed);
  });
  return ok.load();
}

bool max_pool2x2_values_x86(const float* x, float* out, int64_t planes, int64_t h, int64_t w,
                            int64_t oh, int64_t ow) {
  if (!have_avx512() || 2 * oh > h || 2 * ow > w) return false;
  const int64_t hw = h * w, ohw = oh * ow;
  parallel_for(planes, plane_grain(hw), [&](int64_t b, int64_t e) {
    for (int64_t p = b; p < e; ++p) plane_2x2(x + p * hw, out + p * ohw, nullptr, oh, ow, w);
  });
  return true;
}

bool max_pool2d_x86(const Tensor& out, const Tensor& indices, const Tensor& x, const PoolAxis& rows,
                    const PoolAxis& cols) {
  const int64_t hw = rows.in * cols.in, ohw = rows.out() * cols.out();
  // Indices are made in 32 bits: the plane must be addressable by them.
  if (!have_avx512() || x.dtype() != DType::Float32 || !pool_pairs(rows) || !pool_pairs(cols) ||
      ohw == 0 || hw > std::numeric_limits<int32_t>::max())
    return false;
  const int64_t planes = out.numel() / ohw;
  const float* xp = static_cast<const float*>(x.raw_data());
  float* op = static_cast<float*>(out.raw_data());
  int64_t* ip = static_cast<int64_t*>(indices.raw_data());
  const int64_t oh = rows.out(), ow = cols.out(), w = cols.in;
  parallel_for(planes, plane_grain(hw), [&](int64_t b, int64_t e) {
    for (int64_t p = b; p < e; ++p) plane_2x2(xp + p * hw, op + p * ohw, ip + p * ohw, oh, ow, w);
  });
  return true;
}

namespace {
typedef float v16 __attribute__((vector_size(64)));

inline void load16(v16& v, const float* p) { std::memcpy(&v, p, sizeof v); }

// m = v where v > m or v is NaN: max_pool2d's rule (pool.cpp).
inline void take16(v16& m, const float* p) {
  v16 v;
  load16(v, p);
  m = (v > m) | (v != v) ? v : m;
}
}  // namespace

void relu_keep_nan(float* p, int64_t n) {
  // 16 at a time with an explicit vector: the scalar form's "or NaN" test
  // kept g++ from vectorising it (4.2 us for conv1's 86 KB at batch 1).
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    v16 v;
    load16(v, p + i);
    v = (v > v16{}) | (v != v) ? v : v16{};
    std::memcpy(p + i, &v, sizeof v);
  }
  for (; i < n; ++i) p[i] = p[i] > 0.0f || p[i] != p[i] ? p[i] : 0.0f;
}

void max_pool2x2_nchw16c(const float* x, float* y, int64_t w, int64_t oh, int64_t ow, bool relu) {
  alignas(64) float tmp[16 * 16];
  for (int64_t i = 0; i < oh; ++i) {
    const float* r0 = x + 2 * i * w * 16;
    const float* r1 = r0 + w * 16;
    for (int64_t j0 = 0; j0 < ow; j0 += 16) {
      const int64_t jn = std::min<int64_t>(16, ow - j0);
      for (int64_t jj = 0; jj < jn; ++jj) {
        const int64_t j = j0 + jj;
        v16 m;
        load16(m, r0 + 2 * j * 16);
        take16(m, r0 + (2 * j + 1) * 16);
        take16(m, r1 + 2 * j * 16);
        take16(m, r1 + (2 * j + 1) * 16);
        if (relu) m = (m > v16{}) | (m != m) ? m : v16{};
        std::memcpy(tmp + jj * 16, &m, sizeof m);
      }
      // Channels to their NCHW planes (a 16 x jn transpose through L1).
      for (int64_t c = 0; c < 16; ++c) {
        float* out = y + c * oh * ow + i * ow + j0;
        for (int64_t jj = 0; jj < jn; ++jj) out[jj] = tmp[jj * 16 + c];
      }
    }
  }
}

}  // namespace braid::kernels
