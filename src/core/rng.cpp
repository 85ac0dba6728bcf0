#include "braid/core/rng.hpp"

#include "core/philox.hpp"

#ifdef __AVX512F__
#include <immintrin.h>
// g++ 12 warns that the shift intrinsics read an uninitialised "undefined"
// vector they create on purpose (a known false positive of its headers).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

namespace braid {

Generator& default_generator() {
  static Generator g(0);
  return g;
}

void manual_seed(uint64_t seed) { default_generator().manual_seed(seed); }

namespace detail {

// Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3",
// SC'11): ten rounds of multiply-xor over a 128-bit counter with a 64-bit key.
void philox4x32(uint64_t seed, uint64_t ctr, uint32_t out[4]) {
  constexpr uint32_t kM0 = 0xD2511F53u, kM1 = 0xCD9E8D57u;
  constexpr uint32_t kW0 = 0x9E3779B9u, kW1 = 0xBB67AE85u;
  uint32_t c0 = static_cast<uint32_t>(ctr), c1 = static_cast<uint32_t>(ctr >> 32), c2 = 0, c3 = 0;
  uint32_t k0 = static_cast<uint32_t>(seed), k1 = static_cast<uint32_t>(seed >> 32);
  for (int r = 0; r < 10; ++r) {
    uint64_t p0 = uint64_t(kM0) * c0, p1 = uint64_t(kM1) * c2;
    uint32_t n0 = static_cast<uint32_t>(p1 >> 32) ^ c1 ^ k0;
    uint32_t n2 = static_cast<uint32_t>(p0 >> 32) ^ c3 ^ k1;
    c1 = static_cast<uint32_t>(p1);
    c3 = static_cast<uint32_t>(p0);
    c0 = n0;
    c2 = n2;
    k0 += kW0;
    k1 += kW1;
  }
  out[0] = c0;
  out[1] = c1;
  out[2] = c2;
  out[3] = c3;
}

#ifdef __AVX512F__
namespace {
// hi and lo 32 bits of the 16 products a[j] * m: vpmuludq multiplies the even
// 32-bit lanes into 64-bit lanes, so the odd lanes take a second multiply.
inline void mul_hi_lo(__m512i a, __m512i m, __m512i& hi, __m512i& lo) {
  const __m512i even = _mm512_mul_epu32(a, m);
  const __m512i odd = _mm512_mul_epu32(_mm512_srli_epi64(a, 32), m);
  lo = _mm512_mask_blend_epi32(0xAAAA, even, _mm512_slli_epi64(odd, 32));
  hi = _mm512_mask_blend_epi32(0xAAAA, _mm512_srli_epi64(even, 32), odd);
}
}  // namespace
#endif

// The same rounds as philox4x32 on 16 counters side by side (AVX-512 lanes
// where the build has them; g++ does not vectorise the 32x32->64 multiply of
// the plain loop).
void philox4x32_many(uint64_t seed, uint64_t first, int64_t n, uint32_t* out) {
  constexpr uint32_t kM0 = 0xD2511F53u, kM1 = 0xCD9E8D57u;
  constexpr uint32_t kW0 = 0x9E3779B9u, kW1 = 0xBB67AE85u;
  int64_t base = 0;
#ifdef __AVX512F__
  const __m512i m0 = _mm512_set1_epi32(static_cast<int>(kM0)),
                m1 = _mm512_set1_epi32(static_cast<int>(kM1));
  const __m512i step = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  for (; base + 16 <= n; base += 16) {
    const uint64_t ctr = first + static_cast<uint64_t>(base);
    // Low words ctr + j; the high word carries where the low word wraps.
    const __m512i lo_start = _mm512_set1_epi32(static_cast<int>(static_cast<uint32_t>(ctr)));
    __m512i c0 = _mm512_add_epi32(lo_start, step);
    const __mmask16 wrapped = _mm512_cmplt_epu32_mask(c0, lo_start);
    __m512i c1 =
        _mm512_mask_add_epi32(_mm512_set1_epi32(static_cast<int>(ctr >> 32)), wrapped,
                              _mm512_set1_epi32(static_cast<int>(ctr >> 32)), _mm512_set1_epi32(1));
    __m512i c2 = _mm512_setzero_si512(), c3 = _mm512_setzero_si512();
    uint32_t k0 = static_cast<uint32_t>(seed), k1 = static_cast<uint32_t>(seed >> 32);
    for (int r = 0; r < 10; ++r) {
      __m512i hi0, lo0, hi1, lo1;
      mul_hi_lo(c0, m0, hi0, lo0);
      mul_hi_lo(c2, m1, hi1, lo1);
      const __m512i n0 =
          _mm512_xor_si512(_mm512_xor_si512(hi1, c1), _mm512_set1_epi32(static_cast<int>(k0)));
      const __m512i n2 =
          _mm512_xor_si512(_mm512_xor_si512(hi0, c3), _mm512_set1_epi32(static_cast<int>(k1)));
      c1 = lo1, c3 = lo0, c0 = n0, c2 = n2;
      k0 += kW0;
      k1 += kW1;
    }
    // Interleave to out[4j + k] = word k of counter j: a 4x16 transpose in
    // registers (the scalar loop of 64 stores took as long as the rounds).
    // Unpacking gathers counter 4L + i's four words in 128-bit lane L of u_i;
    // the lane shuffles then put lane L of u0..u3 side by side.
    const __m512i t0 = _mm512_unpacklo_epi32(c0, c1), t1 = _mm512_unpackhi_epi32(c0, c1);
    const __m512i t2 = _mm512_unpacklo_epi32(c2, c3), t3 = _mm512_unpackhi_epi32(c2, c3);
    const __m512i u0 = _mm512_unpacklo_epi64(t0, t2), u1 = _mm512_unpackhi_epi64(t0, t2);
    const __m512i u2 = _mm512_unpacklo_epi64(t1, t3), u3 = _mm512_unpackhi_epi64(t1, t3);
    const __m512i v0 = _mm512_shuffle_i32x4(u0, u1, 0x44), v1 = _mm512_shuffle_i32x4(u2, u3, 0x44);
    const __m512i v2 = _mm512_shuffle_i32x4(u0, u1, 0xEE), v3 = _mm512_shuffle_i32x4(u2, u3, 0xEE);
    uint32_t* o = out + 4 * base;
    _mm512_storeu_si512(o, _mm512_shuffle_i32x4(v0, v1, 0x88));
    _mm512_storeu_si512(o + 16, _mm512_shuffle_i32x4(v0, v1, 0xDD));
    _mm512_storeu_si512(o + 32, _mm512_shuffle_i32x4(v2, v3, 0x88));
    _mm512_storeu_si512(o + 48, _mm512_shuffle_i32x4(v2, v3, 0xDD));
  }
#endif
  for (; base < n; ++base) philox4x32(seed, first + static_cast<uint64_t>(base), out + 4 * base);
}

}  // namespace detail
}  // namespace braid
