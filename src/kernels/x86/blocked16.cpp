// See blocked16.hpp. One 16x16 tile at a time: 16 channel rows of 16
// positions are loaded, transposed in registers (unpack, shuffle within
// 128-bit lanes, then shuffle lanes) and stored as 16 position vectors of
// 16 channels; the position vectors of a tile add up to the tile's channel
// sums in one register.
#include "kernels/x86/blocked16.hpp"

#include "braid/core/parallel.hpp"
#include "kernels/portable/pool_codes.hpp"
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

// -- conv + relu + 2x2 max pool (Note [conv + relu + pool]) -------------------

// The window of pooled position q of a (h, w) block: its top-left place.
inline int64_t window_at(int64_t q, int64_t pw, int64_t w) {
  return 2 * (q / pw) * w + 2 * (q % pw);
}

void pool_block_portable(const float* src, float* y, uint8_t* codes, int64_t h, int64_t w) {
  const int64_t pw = w / 2, phw = (h / 2) * pw;
  for (int64_t q = 0; q < phw; ++q)
    for (int ch = 0; ch < 16; ++ch) {
      const float* a = src + window_at(q, pw, w) * 16 + ch;
      y[ch * phw + q] =
          relu_max4<float>({a[0], a[16], a[w * 16], a[w * 16 + 16]}, codes[q * 16 + ch]);
    }
}

// Replaces (m, k) with (v, kv) where v > m or v is NaN: max_pool2d's rule.
BRAID_AVX512 inline void take(__m512 v, int kv, __m512& m, __m512i& k) {
  const __mmask16 t = _mm512_cmp_ps_mask(v, m, _CMP_GT_OQ) | _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q);
  m = _mm512_mask_mov_ps(m, t, v);
  k = _mm512_mask_mov_epi32(k, t, _mm512_set1_epi32(kv));
}

// relu's formula: not (x <= 0), unordered: x > 0 or NaN keeps x, else +0.
BRAID_AVX512 inline __m512 relu16(__m512 v) {
  return _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(v, _mm512_setzero_ps(), _CMP_NLE_UQ), v);
}

// 16 pooled positions at a time: each window's four 16-channel vectors give
// the 16 channels' maxima and codes, and the 16 maxima vectors are
// transposed into 16 channel rows of y.
BRAID_AVX512 void pool_block_avx512(const float* src, float* y, uint8_t* codes, int64_t h,
                                    int64_t w) {
  const int64_t pw = w / 2, phw = (h / 2) * pw;
  for (int64_t q0 = 0; q0 < phw; q0 += 16) {
    const int64_t count = std::min<int64_t>(16, phw - q0);
    __m512 r[16];
    for (int64_t j = 0; j < 16; ++j) {
      if (j >= count) {
        r[j] = _mm512_setzero_ps();
        continue;
      }
      const float* a = src + window_at(q0 + j, pw, w) * 16;
      __m512 m = relu16(_mm512_loadu_ps(a));
      __m512i k = _mm512_setzero_si512();
      take(relu16(_mm512_loadu_ps(a + 16)), 1, m, k);
      take(relu16(_mm512_loadu_ps(a + w * 16)), 2, m, k);
      take(relu16(_mm512_loadu_ps(a + w * 16 + 16)), 3, m, k);
      const __mmask16 masked = _mm512_cmp_ps_mask(m, _mm512_setzero_ps(), _CMP_LE_OQ);
      k = _mm512_mask_or_epi32(k, masked, k, _mm512_set1_epi32(kPoolMasked));
      _mm_storeu_si128(reinterpret_cast<__m128i*>(codes + (q0 + j) * 16), _mm512_cvtepi32_epi8(k));
      r[j] = m;
    }
    transpose16(r);
    const __mmask16 keep = static_cast<__mmask16>((uint32_t{1} << count) - 1);
    for (int ch = 0; ch < 16; ++ch) _mm512_mask_storeu_ps(y + ch * phw + q0, keep, r[ch]);
  }
}

// The places no window covers (the last row or column of an odd size) are +0.
void zero_uncovered(float* dst, int64_t h, int64_t w) {
  if (h % 2) std::fill(dst + (h - 1) * w * 16, dst + h * w * 16, 0.f);
  if (w % 2)
    for (int64_t row = 0; row < h; ++row) std::fill_n(dst + (row * w + w - 1) * 16, 16, 0.f);
}

void unpool_block_portable(const float* g, const uint8_t* codes, float* dst, int64_t h, int64_t w) {
  const int64_t pw = w / 2, phw = (h / 2) * pw;
  zero_uncovered(dst, h, w);
  for (int64_t q = 0; q < phw; ++q)
    for (int ch = 0; ch < 16; ++ch) {
      const uint8_t k = codes[q * 16 + ch] & 7;  // bits 3-7 ignored (pool_codes.hpp)
      float* a = dst + window_at(q, pw, w) * 16 + ch;
      const float v = 0.f + g[ch * phw + q];
      a[0] = k == 0 ? v : 0.f;
      a[16] = k == 1 ? v : 0.f;
      a[w * 16] = k == 2 ? v : 0.f;
      a[w * 16 + 16] = k == 3 ? v : 0.f;
    }
}

// 16 pooled positions at a time: 16 channel rows of g transposed into 16
// position vectors, each written to its window's four places as 0 + g where
// the code names the place, else +0.
BRAID_AVX512 void unpool_block_avx512(const float* g, const uint8_t* codes, float* dst, int64_t h,
                                      int64_t w) {
  const int64_t pw = w / 2, phw = (h / 2) * pw;
  const __m512 zero = _mm512_setzero_ps();
  zero_uncovered(dst, h, w);
  for (int64_t q0 = 0; q0 < phw; q0 += 16) {
    const int64_t count = std::min<int64_t>(16, phw - q0);
    const __mmask16 keep = static_cast<__mmask16>((uint32_t{1} << count) - 1);
    __m512 r[16];
    for (int ch = 0; ch < 16; ++ch) r[ch] = _mm512_maskz_loadu_ps(keep, g + ch * phw + q0);
    transpose16(r);
    for (int64_t j = 0; j < count; ++j) {
      // Bits 3-7 ignored (pool_codes.hpp); a masked code matches no place.
      const __m512i k = _mm512_and_si512(
          _mm512_cvtepu8_epi32(
              _mm_loadu_si128(reinterpret_cast<const __m128i*>(codes + (q0 + j) * 16))),
          _mm512_set1_epi32(7));
      float* a = dst + window_at(q0 + j, pw, w) * 16;
      float* place[4] = {a, a + 16, a + w * 16, a + w * 16 + 16};
      for (int p = 0; p < 4; ++p)
        _mm512_storeu_ps(
            place[p],
            _mm512_maskz_add_ps(_mm512_cmpeq_epi32_mask(k, _mm512_set1_epi32(p)), zero, r[j]));
    }
  }
}

// sums[ch] += the block's channel sums as nchw_to_blocked16 adds them:
// groups of 16 positions in float, in order; then, as block_avx512, the
// groups in double and that into the sums, or, as block_portable, each
// group straight into the sums.
void add_group_sums(const float* dst, int64_t hw, double* sums, bool as_avx512) {
  double block[16] = {};
  for (int64_t p0 = 0; p0 < hw; p0 += 16) {
    float group[16] = {};
    for (int64_t p = p0; p < std::min<int64_t>(hw, p0 + 16); ++p)
      for (int ch = 0; ch < 16; ++ch) group[ch] += dst[p * 16 + ch];
    for (int ch = 0; ch < 16; ++ch) (as_avx512 ? block[ch] : sums[ch]) += group[ch];
  }
  if (as_avx512)
    for (int ch = 0; ch < 16; ++ch) sums[ch] += block[ch];
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

void blocked16_relu_maxpool2x2(const float* src, float* y, uint8_t* codes, int64_t n, int64_t c,
                               int64_t h, int64_t w) {
  static const bool avx512 = __builtin_cpu_supports("avx512f");
  const int64_t blocks = n * (c / 16), phw = (h / 2) * (w / 2);
  const int64_t grain = std::max<int64_t>(1, (int64_t{1} << 16) / (16 * h * w));
  parallel_for(blocks, grain, [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b) {
      // Block b: image b / (c / 16), channels from b % (c / 16) * 16.
      const float* s = src + b * 16 * h * w;
      if (avx512)
        pool_block_avx512(s, y + b * 16 * phw, codes + b * 16 * phw, h, w);
      else
        pool_block_portable(s, y + b * 16 * phw, codes + b * 16 * phw, h, w);
    }
  });
}

void maxpool2x2_grad_to_blocked16(const float* g, const uint8_t* codes, float* dst, int64_t n,
                                  int64_t c, int64_t h, int64_t w, double* sums) {
  static const bool avx512 = __builtin_cpu_supports("avx512f");
  const int64_t phw = (h / 2) * (w / 2);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t cb = 0; cb < c; cb += 16) {
      const int64_t b = i * (c / 16) + cb / 16;
      float* d = dst + b * 16 * h * w;
      if (avx512)
        unpool_block_avx512(g + b * 16 * phw, codes + b * 16 * phw, d, h, w);
      else
        unpool_block_portable(g + b * 16 * phw, codes + b * 16 * phw, d, h, w);
      // The block (h w 16 floats, 36 KiB for the MNIST CNN) is still in L1.
      if (sums) add_group_sums(d, h * w, sums + cb, avx512);
    }
}

}  // namespace braid::kernels
