// Note [own gemm]: braid's AVX-512 kernels for one fp32 product (see
// gemm_avx512.hpp for the contract).
//
// Why not oneDNN's sgemm, which runs these shapes at about the machine's
// rate: it JIT-compiles its kernels on the first call of a process, one set
// per transpose form, and in this VM that costs about 1000 page faults and
// 40-80 ms, a sixth of a whole MNIST MLP epoch (W1). The generated code also
// stays resident (about 4 MB). These kernels are compiled ahead of time and
// need no packing, because each form reads its operands the way they lie:
//   * outer product (B and C rows contiguous: NN, and TN, the weight
//     gradient g^T x): per k step, 4 vectors of a B row times 6 broadcast A
//     elements into 6 x 64 accumulators. A k block of B (128 x 64 floats)
//     stays in L1 while the A rows stream past.
//   * dot product (A rows and B columns contiguous: NT, the forward x W^T):
//     4 A rows times 6 B columns, 16 k at a time, into 24 vector partial
//     sums that are added across lanes at the end. The 6 B columns stay in
//     L1 while the A rows stream past. Rows longer than 2048 (the CNN's
//     9216-wide fc1) are cut into 1024-deep k blocks, each block's sums
//     added to C in order: whole, A's rows (4.7 MB there) no longer fit L2
//     and were re-read from memory for every column block. fc1's forward
//     (128 x 128 x 9216), braid_bench --benchmark_filter=w2_nt, one thread:
//     3.54 ms before, against dnnl_sgemm's 2.57; after, 1.99-2.55 against
//     2.04-2.37 (three runs). At two threads (w2_nt_*_2t) each thread runs
//     its tiles through all the k blocks with no barrier between blocks:
//     1.02-1.29 ms, against sgemm's 2.52-3.03.
// On W1's two products they run within a few percent of dnnl_sgemm, either
// side of it from run to run (build/release/bench/braid_bench
// --benchmark_filter=w1_, one thread). In scratch loops at two threads,
// W2's 9216-wide forward ran at 227 GFLOPS against oneDNN's 105-128, and
// the MLP at batch 1000 at 282 against 361, where oneDNN stays ahead.
// Threads split C's tiles and each C element is summed by one tile in a
// fixed order, so the bits do not depend on the thread count.
#include "kernels/x86/gemm_avx512.hpp"

#include <immintrin.h>
// g++ 12 warns that the reduce/extract intrinsics read an uninitialised
// "undefined" vector they create on purpose (a known false positive of its
// headers; core/rng.cpp has the same).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"

#include <algorithm>
#include <cstdint>

#include <omp.h>

namespace braid::kernels {
namespace {

#define BRAID_AVX512 __attribute__((target("avx512f")))

constexpr int kOuterRows = 6, kOuterVecs = 4;  // 6 x 64 accumulators
constexpr int64_t kOuterDepth = 128;           // k block: 128 x 64 floats of B = 32 KiB
constexpr int kDotRows = 4, kDotCols = 6;      // 4 x 6 vector partial sums
constexpr int64_t kDotDepth = 1024;            // k block of rows longer than 2048

BRAID_AVX512 inline __mmask16 lanes(int64_t n) {
  return n >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << n) - 1);
}

// C[i, 16v..] (MR x NV vectors, the last one masked by `tail`) += or =
// sum over p < kc of A(i, p) * B[p, 16v..]. Starts from C when `from_c`.
template <int MR, int NV>
BRAID_AVX512 void outer_tile(const float* a, int64_t a_rs, int64_t a_cs, const float* b,
                             int64_t b_rs, float* c, int64_t c_rs, int64_t kc, __mmask16 tail,
                             bool from_c) {
  __m512 s[MR][NV];
#pragma GCC unroll 8
  for (int i = 0; i < MR; ++i)
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v)
      s[i][v] = from_c ? _mm512_maskz_loadu_ps(v == NV - 1 ? tail : 0xFFFF, c + i * c_rs + 16 * v)
                       : _mm512_setzero_ps();
  for (int64_t p = 0; p < kc; ++p) {
    __m512 bv[NV];
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v)
      bv[v] = _mm512_maskz_loadu_ps(v == NV - 1 ? tail : 0xFFFF, b + p * b_rs + 16 * v);
#pragma GCC unroll 8
    for (int i = 0; i < MR; ++i) {
      const __m512 av = _mm512_set1_ps(a[i * a_rs + p * a_cs]);
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) s[i][v] = _mm512_fmadd_ps(av, bv[v], s[i][v]);
    }
  }
#pragma GCC unroll 8
  for (int i = 0; i < MR; ++i)
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v)
      _mm512_mask_storeu_ps(c + i * c_rs + 16 * v, v == NV - 1 ? tail : 0xFFFF, s[i][v]);
}

using OuterTile = void (*)(const float*, int64_t, int64_t, const float*, int64_t, float*, int64_t,
                           int64_t, __mmask16, bool);

template <int MR>
constexpr OuterTile outer_of(int nv) {
  switch (nv) {
    case 1: return outer_tile<MR, 1>;
    case 2: return outer_tile<MR, 2>;
    case 3: return outer_tile<MR, 3>;
    default: return outer_tile<MR, 4>;
  }
}
OuterTile outer_kernel(int mr, int nv) {
  switch (mr) {
    case 1: return outer_of<1>(nv);
    case 2: return outer_of<2>(nv);
    case 3: return outer_of<3>(nv);
    case 4: return outer_of<4>(nv);
    case 5: return outer_of<5>(nv);
    default: return outer_of<6>(nv);
  }
}

// How a product's tiles are shared out: on the calling thread or by an
// OpenMP team.
enum class Split { kSerial, kTeam };

template <class F>
void run_tiles(int64_t tiles, Split split, int threads, const F& fn) {
  if (split == Split::kSerial) {
    for (int64_t t = 0; t < tiles; ++t) fn(t);
    return;
  }
#pragma omp parallel for schedule(static) num_threads(threads)
  for (int64_t t = 0; t < tiles; ++t) fn(t);
}

// Requires B and C with unit column stride (or n == 1).
void outer(const GemmArgs& g, const float* a, const float* b, float* c, Split split, int threads) {
  const int64_t col_blocks = (g.n + 16 * kOuterVecs - 1) / (16 * kOuterVecs);
  const int64_t row_blocks = (g.m + kOuterRows - 1) / kOuterRows;
  for (int64_t p0 = 0; p0 < g.k; p0 += kOuterDepth) {
    const int64_t kc = std::min(kOuterDepth, g.k - p0);
    const bool from_c = g.accumulate || p0 > 0;
    // Column blocks outer, so consecutive tiles share a B block.
    run_tiles(col_blocks * row_blocks, split, threads, [&](int64_t t) {
      const int64_t j0 = t / row_blocks * 16 * kOuterVecs, i0 = t % row_blocks * kOuterRows;
      const int64_t cols = std::min<int64_t>(16 * kOuterVecs, g.n - j0);
      const int nv = static_cast<int>((cols + 15) / 16);
      const int mr = static_cast<int>(std::min<int64_t>(kOuterRows, g.m - i0));
      outer_kernel(mr, nv)(a + i0 * g.a_rs + p0 * g.a_cs, g.a_rs, g.a_cs, b + p0 * g.b_rs + j0,
                           g.b_rs, c + i0 * g.c_rs + j0, g.c_rs, kc, lanes(cols - 16 * (nv - 1)),
                           from_c);
    });
  }
}

// C(i, j) (MR x NR) = or += sum over p of A[i, p] * Bt[j, p], rows of A and
// Bt contiguous in p.
template <int MR, int NR>
BRAID_AVX512 void dot_tile(const float* a, int64_t lda, const float* bt, int64_t ldb, float* c,
                           int64_t c_rs, int64_t c_cs, int64_t k, bool acc) {
  __m512 s[MR][NR];
#pragma GCC unroll 8
  for (int i = 0; i < MR; ++i)
#pragma GCC unroll 8
    for (int j = 0; j < NR; ++j) s[i][j] = _mm512_setzero_ps();
  const auto step = [&](int64_t p, __mmask16 m) {
    __m512 av[MR];
#pragma GCC unroll 8
    for (int i = 0; i < MR; ++i) av[i] = _mm512_maskz_loadu_ps(m, a + i * lda + p);
#pragma GCC unroll 8
    for (int j = 0; j < NR; ++j) {
      __m512 bv = _mm512_maskz_loadu_ps(m, bt + j * ldb + p);
      // Keeps bv in a register: folded into each FMA it was loaded MR times.
      asm("" : "+v"(bv));
#pragma GCC unroll 8
      for (int i = 0; i < MR; ++i) s[i][j] = _mm512_fmadd_ps(av[i], bv, s[i][j]);
    }
  };
  int64_t p = 0;
  for (; p + 16 <= k; p += 16) step(p, 0xFFFF);
  if (p < k) step(p, lanes(k - p));
#pragma GCC unroll 8
  for (int i = 0; i < MR; ++i)
#pragma GCC unroll 8
    for (int j = 0; j < NR; ++j) {
      const float v = _mm512_reduce_add_ps(s[i][j]);
      float& o = c[i * c_rs + j * c_cs];
      o = acc ? o + v : v;
    }
}

using DotTile = void (*)(const float*, int64_t, const float*, int64_t, float*, int64_t, int64_t,
                         int64_t, bool);

template <int MR>
constexpr DotTile dot_of(int nr) {
  switch (nr) {
    case 1: return dot_tile<MR, 1>;
    case 2: return dot_tile<MR, 2>;
    case 3: return dot_tile<MR, 3>;
    case 4: return dot_tile<MR, 4>;
    case 5: return dot_tile<MR, 5>;
    default: return dot_tile<MR, 6>;
  }
}
DotTile dot_kernel(int mr, int nr) {
  switch (mr) {
    case 1: return dot_of<1>(nr);
    case 2: return dot_of<2>(nr);
    case 3: return dot_of<3>(nr);
    default: return dot_of<4>(nr);
  }
}

// Requires A with unit column stride and B with unit row stride (or k == 1).
// Long rows are cut into k blocks of kDotDepth (Note [own gemm]): each
// block's tile sums are added to C in block order, so the bits still do not
// depend on the thread count.
void dot(const GemmArgs& g, const float* a, const float* b, float* c, Split split, int threads) {
  const int64_t col_blocks = (g.n + kDotCols - 1) / kDotCols;
  const int64_t row_blocks = (g.m + kDotRows - 1) / kDotRows;
  const int64_t depth = g.k > 2 * kDotDepth ? kDotDepth : g.k, tiles = col_blocks * row_blocks;
  // Tiles [t0, t1), k block by k block. Column blocks outer, so consecutive
  // tiles share B's columns.
  const auto run = [&](int64_t t0, int64_t t1) {
    for (int64_t p0 = 0; p0 < g.k; p0 += depth)
      for (int64_t t = t0; t < t1; ++t) {
        const int64_t j0 = t / row_blocks * kDotCols, i0 = t % row_blocks * kDotRows;
        const int nr = static_cast<int>(std::min<int64_t>(kDotCols, g.n - j0));
        const int mr = static_cast<int>(std::min<int64_t>(kDotRows, g.m - i0));
        dot_kernel(mr, nr)(a + i0 * g.a_rs + p0, g.a_rs, b + j0 * g.b_cs + p0, g.b_cs,
                           c + i0 * g.c_rs + j0 * g.c_cs, g.c_rs, g.c_cs, std::min(depth, g.k - p0),
                           g.accumulate || p0 > 0);
      }
  };
  if (split == Split::kSerial) return run(0, tiles);
    // Each thread its own contiguous tiles for all k blocks: no barrier
    // between blocks.
#pragma omp parallel num_threads(threads)
  {
    const int64_t team = omp_get_num_threads(), me = omp_get_thread_num();
    run(tiles * me / team, tiles * (me + 1) / team);
  }
}

Split split_for(int threads) {
  return threads <= 1 || omp_in_parallel() ? Split::kSerial : Split::kTeam;
}

bool unit(int64_t size, int64_t stride) { return size <= 1 || stride == 1; }

}  // namespace

bool gemm_avx512(const GemmArgs& args, const float* a, const float* b, float* c, int threads) {
  static const bool avx512 = __builtin_cpu_supports("avx512f");
  const GemmArgs g = gemm_fold_batch(args);
  if (!avx512 || g.batch != 1 || g.m <= 0 || g.n <= 0 || g.k <= 0) return false;
  // Rows of C must not overlap, or tiles would race on shared elements.
  if (unit(g.n, g.b_cs) && unit(g.n, g.c_cs) && (g.m <= 1 || g.c_rs >= g.n)) {
    outer(g, a, b, c, split_for(threads), threads);
    return true;
  }
  if (unit(g.k, g.a_cs) && unit(g.k, g.b_rs)) {
    dot(g, a, b, c, split_for(threads), threads);
    return true;
  }
  return false;
}

}  // namespace braid::kernels
