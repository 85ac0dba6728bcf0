// See blocked16.hpp. One 16x16 tile at a time: 16 channel rows of 16
// positions are loaded, transposed in registers (unpack, shuffle within
// 128-bit lanes, then shuffle lanes) and stored as 16 position vectors of
// 16 channels; the position vectors of a tile add up to the tile's channel
// sums in one register.
#include "kernels/x86/blocked16.hpp"

#include "braid/core/parallel.hpp"
#include "kernels/portable/scalar_ops.hpp"

#include <algorithm>

#include <immintrin.h>
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"  // as gemm_avx512.cpp
#pragma GCC diagnostic ignored "-Wuninitialized"

namespace braid::kernels {
namespace {

#define BRAID_AVX512 __attribute__((target("avx512f")))

// relu_backward's value: 0 where y <= 0, else g.
inline float masked(float g, const float* y, int64_t at) { return y && y[at] <= 0.f ? 0.f : g; }

// The positions [p0, hw) of one 16-channel block, one at a time; `tile`
// holds the block's 16 float sums of this image so far.
void tail_positions(const float* src, const float* y, float* dst, int64_t hw, int64_t p0,
                    float* tile) {
  for (int64_t p = p0; p < hw; ++p)
    for (int ch = 0; ch < 16; ++ch) {
      const float v = masked(src[ch * hw + p], y, ch * hw + p);
      dst[p * 16 + ch] = v;
      tile[ch] += v;
    }
}

void block_portable(const float* src, const float* y, float* dst, int64_t hw, double* sums) {
  for (int64_t p0 = 0; p0 < hw; p0 += 16) {
    float group[16] = {};
    tail_positions(src, y, dst, std::min<int64_t>(hw, p0 + 16), p0, group);
    if (sums)
      for (int ch = 0; ch < 16; ++ch) sums[ch] += group[ch];
  }
}

// r[i] lane q -> r[q] lane i, in registers. Pairs of rows interleaved, then
// four rows per 128-bit lane (r[4k + j] lane L holds rows 4k..4k+3 at column
// 4L + j), then column 4L + j gathers lane L of r[j], r[4 + j], r[8 + j],
// r[12 + j].
BRAID_AVX512 inline void transpose16(__m512 r[16]) {
  __m512 t[16];
  for (int k = 0; k < 8; ++k) {
    t[2 * k] = _mm512_unpacklo_ps(r[2 * k], r[2 * k + 1]);
    t[2 * k + 1] = _mm512_unpackhi_ps(r[2 * k], r[2 * k + 1]);
  }
  for (int k = 0; k < 4; ++k) {
    r[4 * k] = _mm512_shuffle_ps(t[4 * k], t[4 * k + 2], 0x44);
    r[4 * k + 1] = _mm512_shuffle_ps(t[4 * k], t[4 * k + 2], 0xEE);
    r[4 * k + 2] = _mm512_shuffle_ps(t[4 * k + 1], t[4 * k + 3], 0x44);
    r[4 * k + 3] = _mm512_shuffle_ps(t[4 * k + 1], t[4 * k + 3], 0xEE);
  }
  for (int j = 0; j < 4; ++j) {
    const __m512 a = _mm512_shuffle_f32x4(r[j], r[4 + j], 0x88);
    const __m512 b = _mm512_shuffle_f32x4(r[j], r[4 + j], 0xDD);
    const __m512 c = _mm512_shuffle_f32x4(r[8 + j], r[12 + j], 0x88);
    const __m512 d = _mm512_shuffle_f32x4(r[8 + j], r[12 + j], 0xDD);
    t[j] = _mm512_shuffle_f32x4(a, c, 0x88), t[4 + j] = _mm512_shuffle_f32x4(b, d, 0x88);
    t[8 + j] = _mm512_shuffle_f32x4(a, c, 0xDD), t[12 + j] = _mm512_shuffle_f32x4(b, d, 0xDD);
  }
  for (int q = 0; q < 16; ++q) r[q] = t[q];
}

BRAID_AVX512 void block_avx512(const float* src, const float* y, float* dst, int64_t hw,
                               double* sums) {
  __m512d lo = _mm512_setzero_pd(), hi = _mm512_setzero_pd();
  const __m512 zero = _mm512_setzero_ps();
  int64_t p0 = 0;
  for (; p0 + 16 <= hw; p0 += 16) {
    __m512 r[16];
    for (int ch = 0; ch < 16; ++ch) r[ch] = _mm512_loadu_ps(src + ch * hw + p0);
    if (y)  // ordered <=: a NaN y keeps g, as relu_backward
      for (int ch = 0; ch < 16; ++ch)
        r[ch] = _mm512_mask_mov_ps(
            r[ch], _mm512_cmp_ps_mask(_mm512_loadu_ps(y + ch * hw + p0), zero, _CMP_LE_OQ), zero);
    transpose16(r);
    __m512 group = _mm512_setzero_ps();
    for (int q = 0; q < 16; ++q) {
      _mm512_storeu_ps(dst + (p0 + q) * 16, r[q]);
      group = _mm512_add_ps(group, r[q]);
    }
    lo = _mm512_add_pd(lo, _mm512_cvtps_pd(_mm512_castps512_ps256(group)));
    hi = _mm512_add_pd(
        hi, _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(group), 1))));
  }
  if (p0 < hw) {
    float group[16] = {};
    tail_positions(src, y, dst, hw, p0, group);
    __m512 g = _mm512_loadu_ps(group);
    lo = _mm512_add_pd(lo, _mm512_cvtps_pd(_mm512_castps512_ps256(g)));
    hi = _mm512_add_pd(
        hi, _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(g), 1))));
  }
  if (sums) {
    _mm512_storeu_pd(sums, _mm512_add_pd(_mm512_loadu_pd(sums), lo));
    _mm512_storeu_pd(sums + 8, _mm512_add_pd(_mm512_loadu_pd(sums + 8), hi));
  }
}

void unblock_portable(const float* src, float* dst, int64_t hw, bool relu) {
  for (int64_t p = 0; p < hw; ++p)
    for (int ch = 0; ch < 16; ++ch) {
      const float v = src[p * 16 + ch];
      dst[ch * hw + p] = relu ? relu_value(v) : v;
    }
}

BRAID_AVX512 void unblock_avx512(const float* src, float* dst, int64_t hw, bool relu) {
  const __m512 zero = _mm512_setzero_ps();
  int64_t p0 = 0;
  for (; p0 + 16 <= hw; p0 += 16) {
    __m512 r[16];
    for (int q = 0; q < 16; ++q) r[q] = _mm512_loadu_ps(src + (p0 + q) * 16);
    transpose16(r);
    for (int ch = 0; ch < 16; ++ch) {
      // not (x <= 0), unordered: x > 0 or NaN keeps x.
      const __m512 v =
          relu ? _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(r[ch], zero, _CMP_NLE_UQ), r[ch]) : r[ch];
      _mm512_storeu_ps(dst + ch * hw + p0, v);
    }
  }
  for (int64_t p = p0; p < hw; ++p)
    for (int ch = 0; ch < 16; ++ch) {
      const float v = src[p * 16 + ch];
      dst[ch * hw + p] = relu ? relu_value(v) : v;
    }
}

}  // namespace

void blocked16_to_nchw(const float* src, float* dst, int64_t n, int64_t c, int64_t hw, bool relu) {
  static const bool avx512 = __builtin_cpu_supports("avx512f");
  // Over the team when called outside a parallel region (a whole-batch run);
  // inside one (a chunk), on the calling thread.
  const int64_t blocks = n * (c / 16), grain = std::max<int64_t>(1, (int64_t{1} << 16) / (16 * hw));
  parallel_for(blocks, grain, [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b) {
      const int64_t at = b * 16 * hw;  // image b / (c / 16), channels from b % (c / 16) * 16
      if (avx512)
        unblock_avx512(src + at, dst + at, hw, relu);
      else
        unblock_portable(src + at, dst + at, hw, relu);
    }
  });
}

void nchw_to_blocked16(const float* src, float* dst, int64_t n, int64_t c, int64_t hw, double* sums,
                       const float* relu_y) {
  static const bool avx512 = __builtin_cpu_supports("avx512f");
  for (int64_t i = 0; i < n; ++i)
    for (int64_t cb = 0; cb < c; cb += 16) {
      const int64_t at = (i * c + cb) * hw;  // the same offset in both layouts
      double* s = sums ? sums + cb : nullptr;
      const float* y = relu_y ? relu_y + at : nullptr;
      if (avx512)
        block_avx512(src + at, y, dst + at, hw, s);
      else
        block_portable(src + at, y, dst + at, hw, s);
    }
}

}  // namespace braid::kernels
