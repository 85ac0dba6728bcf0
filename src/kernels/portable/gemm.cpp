// Portable GEMM: Goto/BLIS-style blocking in plain C++ that g++ -O3 turns
// into FMA vector code, with no intrinsics so the same file serves WASM.
//
// Loop nest for one (m, n, k) product, blocks sized for a 32 KiB L1 / 1 MiB L2:
//   jc over n in kNc columns
//     pc over k in ~kKc slices           (B slice kc x nc packed, shared)
//       ic0 over m in kMbig rows         (A slice mb x kc packed, shared)
//         omp for over (kMc rows x column chunk) output tiles
//           jr over kNr-wide B panels    (kc x kNr panel stays in L1)
//             ir over kMr-tall A slivers (kMc x kc block stays in L2)
//               micro-kernel: kMr x kNr accumulators in registers
//
// Note [deterministic gemm]: every C element is summed by exactly one
// micro-kernel call per k slice, in increasing k, and the slice boundaries
// depend only on k. Threads split output tiles, never the k sum, so the bits
// do not depend on the thread count or on which thread ran which tile.
#include "kernels/portable/gemm.hpp"

#include <cstddef>
#include <type_traits>
#include <vector>

#ifdef _OPENMP
#include <omp.h>
#endif

namespace braid::kernels {
namespace {

// Integer products must wrap like PyTorch's, but signed overflow is UB in
// C++: do integer arithmetic in the unsigned type (same bits, defined wrap).
template <class T>
struct AccOf {
  using type = T;
};
template <class T>
  requires std::is_integral_v<T>
struct AccOf<T> {
  using type = std::make_unsigned_t<T>;
};
template <class T>
using Acc = typename AccOf<T>::type;

constexpr int64_t kMr = 6;      // register tile rows
constexpr int64_t kKc = 256;    // k slice: one A sliver + one B panel fit in L1
constexpr int64_t kMc = 96;     // rows per output tile: A block 96 x 256 fits in L2
constexpr int64_t kNc = 2048;   // columns per packed B slice
constexpr int64_t kMbig = 1536; // rows of A packed at once, bounds the buffer
// Below this many multiply-adds a product runs on the calling thread: waking
// a team costs more than it saves.
constexpr int64_t kMinParallelMacs = int64_t{1} << 18;

// kNr spans two 256-bit vectors, so 6 x 2 accumulators + operands fit the 16
// AVX2 registers; with SSE or WASM SIMD the compiler splits it further.
template <class T>
constexpr int64_t nr_of() { return 64 / static_cast<int64_t>(sizeof(T)); }

// A strided matrix view of one batch.
template <class T>
struct View {
  const T* p;
  int64_t rs, cs;
  T at(int64_t i, int64_t j) const { return p[i * rs + j * cs]; }
};

// ap[p * kMr + i] = A(i0 + i, p0 + p), rows past `rows` zero-padded.
template <class T>
void pack_a_sliver(View<T> a, int64_t i0, int64_t rows, int64_t p0, int64_t kc, Acc<T>* ap) {
  for (int64_t p = 0; p < kc; ++p) {
    for (int64_t i = 0; i < kMr; ++i)
      ap[p * kMr + i] = i < rows ? static_cast<Acc<T>>(a.at(i0 + i, p0 + p)) : Acc<T>{};
  }
}

// bp[p * kNr + j] = B(p0 + p, j0 + j), columns past `cols` zero-padded.
template <class T>
void pack_b_panel(View<T> b, int64_t p0, int64_t kc, int64_t j0, int64_t cols, Acc<T>* bp) {
  constexpr int64_t nr = nr_of<T>();
  for (int64_t p = 0; p < kc; ++p) {
    for (int64_t j = 0; j < nr; ++j)
      bp[p * nr + j] = j < cols ? static_cast<Acc<T>>(b.at(p0 + p, j0 + j)) : Acc<T>{};
  }
}

// The register tile: acc[i * NR + j] += A(i, p) * B(p, j) over the k slice.
// This exact shape matters: a flat array, i unrolled, and an `omp simd` j loop
// make g++ keep all kMr x NR sums in vector registers (12 ymm for float on
// AVX2) with one broadcast and two FMAs per row. A 2-D acc[i][j] with both
// loops unrolled was SLP-vectorised with lane shuffles and spills, 20x slower.
template <class A, int64_t NR>
inline void micro_kernel(int64_t kc, const A* __restrict ap, const A* __restrict bp,
                         A* __restrict acc) {
  for (int64_t t = 0; t < kMr * NR; ++t) acc[t] = A{};
  for (int64_t p = 0; p < kc; ++p) {
    const A* a = ap + p * kMr;
    const A* b = bp + p * NR;
#pragma GCC unroll 8
    for (int64_t i = 0; i < kMr; ++i) {
      const A ai = a[i];
#pragma omp simd
      for (int64_t j = 0; j < NR; ++j) acc[i * NR + j] += ai * b[j];
    }
  }
}

// Writes the valid rows x cols corner of `acc` to C: overwrite on the first k
// slice of a non-accumulating call, add otherwise.
template <class T, int64_t NR>
void store_tile(const Acc<T>* acc, int64_t rows, int64_t cols, bool overwrite, T* c,
                int64_t c_rs, int64_t c_cs) {
  for (int64_t i = 0; i < rows; ++i) {
    T* row = c + i * c_rs;
    for (int64_t j = 0; j < cols; ++j) {
      Acc<T> v = acc[i * NR + j];
      if (!overwrite) v += static_cast<Acc<T>>(row[j * c_cs]);
      row[j * c_cs] = static_cast<T>(v);
    }
  }
}

// Everything one k slice needs, shared by the team.
template <class T>
struct Slice {
  View<T> a, b;
  T* c = nullptr;
  int64_t c_rs = 0, c_cs = 0;
  const Acc<T>* apack = nullptr;  // mb rows, sliver-major
  const Acc<T>* bpack = nullptr;  // nc columns, panel-major
  int64_t pc = 0, kc = 0, jc = 0, nc = 0, ic0 = 0, mb = 0;
  bool overwrite = false;
};

// One output tile: rows [r0, r0 + rows) of the slice, B panels [q0, q1).
template <class T>
void macro_tile(const Slice<T>& s, int64_t r0, int64_t rows, int64_t q0, int64_t q1) {
  constexpr int64_t nr = nr_of<T>();
  Acc<T> acc[kMr * nr];
  for (int64_t q = q0; q < q1; ++q) {
    const int64_t cols = std::min(nr, s.nc - q * nr);
    const Acc<T>* bp = s.bpack + q * nr * s.kc;
    for (int64_t r = r0; r < r0 + rows; r += kMr) {
      const int64_t tile_rows = std::min(kMr, r0 + rows - r);
      micro_kernel<Acc<T>, nr>(s.kc, s.apack + r * s.kc, bp, acc);
      T* c = s.c + (s.ic0 + r) * s.c_rs + (s.jc + q * nr) * s.c_cs;
      store_tile<T, nr>(acc, tile_rows, cols, s.overwrite, c, s.c_rs, s.c_cs);
    }
  }
}

int team_size() {
#ifdef _OPENMP
  return omp_get_num_threads();
#else
  return 1;
#endif
}

// Packs A for the slice, then shares the output tiles out. Runs inside a
// (possibly one-thread) parallel region; the `omp for` barriers order the
// packing before its use and the use before the next repack.
template <class T>
void run_slice(Slice<T>& s, Acc<T>* apack) {
#pragma omp for schedule(static)
  for (int64_t r = 0; r < s.mb; r += kMr)
    pack_a_sliver(s.a, s.ic0 + r, std::min(kMr, s.mb - r), s.pc, s.kc, apack + r * s.kc);
  constexpr int64_t nr = nr_of<T>();
  const int64_t row_tiles = (s.mb + kMc - 1) / kMc;
  const int64_t panels = (s.nc + nr - 1) / nr;
  // About four tiles per thread evens out the ragged edge tiles; the split
  // only moves work between threads, never changes a sum (see Note above).
  const int64_t want = std::max<int64_t>(1, 4 * team_size() / row_tiles);
  const int64_t chunks = std::min(panels, want);
  const int64_t per_chunk = (panels + chunks - 1) / chunks;
#pragma omp for schedule(static) collapse(2)
  for (int64_t t = 0; t < row_tiles; ++t) {
    for (int64_t u = 0; u < chunks; ++u) {
      const int64_t q0 = u * per_chunk, q1 = std::min(panels, q0 + per_chunk);
      if (q0 < q1) macro_tile(s, t * kMc, std::min(kMc, s.mb - t * kMc), q0, q1);
    }
  }
}

// Splits k into equal slices of at most kKc, so 784 becomes 4 x 196 rather
// than 3 x 256 + 16. Depends on k only (Note [deterministic gemm]).
int64_t k_slice(int64_t k) {
  const int64_t slices = (k + kKc - 1) / kKc;
  return (k + slices - 1) / slices;
}

// Per-thread pack buffers, kept between calls so small products do not pay
// for malloc and fresh pages each time.
template <class T>
Acc<T>* scratch(std::vector<Acc<T>>& buf, size_t n) {
  if (buf.size() < n) buf.resize(n);
  return buf.data();
}

// One (m, n, k) product with k >= 1; `team` wakes the OpenMP threads.
template <class T>
void gemm_one(const GemmArgs& g, const T* a, const T* b, T* c, bool team) {
  constexpr int64_t nr = nr_of<T>();
  thread_local std::vector<Acc<T>> abuf, bbuf;
  const int64_t ks = k_slice(g.k);
  const int64_t mbig = std::min(kMbig, g.m);
  Acc<T>* apack = scratch<T>(abuf, static_cast<size_t>(((mbig + kMr - 1) / kMr) * kMr * ks));
  const int64_t ncap = std::min(kNc, (g.n + nr - 1) / nr * nr);
  Acc<T>* bpack = scratch<T>(bbuf, static_cast<size_t>(ncap * ks));
  Slice<T> s{{a, g.a_rs, g.a_cs}, {b, g.b_rs, g.b_cs}, c, g.c_rs, g.c_cs, apack, bpack};
#pragma omp parallel if (team) firstprivate(s)
  for (s.jc = 0; s.jc < g.n; s.jc += kNc) {
    s.nc = std::min(kNc, g.n - s.jc);
    for (s.pc = 0; s.pc < g.k; s.pc += ks) {
      s.kc = std::min(ks, g.k - s.pc);
      s.overwrite = s.pc == 0 && !g.accumulate;
#pragma omp for schedule(static)
      for (int64_t j = 0; j < s.nc; j += nr)
        pack_b_panel(s.b, s.pc, s.kc, s.jc + j, std::min(nr, s.nc - j), bpack + j * s.kc);
      for (s.ic0 = 0; s.ic0 < g.m; s.ic0 += kMbig) {
        s.mb = std::min(kMbig, g.m - s.ic0);
        run_slice(s, apack);
      }
    }
  }
}

// k == 0: the empty sum. C = 0, or unchanged when accumulating.
template <class T>
void zero_output(const GemmArgs& g, T* c) {
  if (g.accumulate) return;
  for (int64_t bi = 0; bi < g.batch; ++bi)
    for (int64_t i = 0; i < g.m; ++i)
      for (int64_t j = 0; j < g.n; ++j) c[bi * g.c_bs + i * g.c_rs + j * g.c_cs] = T{};
}

}  // namespace

template <class T>
void gemm_portable(const GemmArgs& args, const T* a, const T* b, T* c) {
  const GemmArgs g = gemm_fold_batch(args);
  if (g.batch <= 0 || g.m <= 0 || g.n <= 0) return;
  if (g.k <= 0) return zero_output(g, c);
  const int64_t macs = g.m * g.n * g.k;
  // Many small products with separate outputs: one product per thread beats
  // splitting each tiny product. Both paths give the same bits.
  if (g.batch > 1 && g.c_bs != 0 && macs < kMinParallelMacs * 4) {
#pragma omp parallel for schedule(static) if (g.batch * macs >= kMinParallelMacs)
    for (int64_t bi = 0; bi < g.batch; ++bi)
      gemm_one(g, a + bi * g.a_bs, b + bi * g.b_bs, c + bi * g.c_bs, false);
    return;
  }
  for (int64_t bi = 0; bi < g.batch; ++bi)
    gemm_one(g, a + bi * g.a_bs, b + bi * g.b_bs, c + bi * g.c_bs, macs >= kMinParallelMacs);
}

template <class T>
void gemm_reference(const GemmArgs& g, const T* a, const T* b, T* c) {
  for (int64_t bi = 0; bi < g.batch; ++bi) {
    for (int64_t i = 0; i < g.m; ++i) {
      for (int64_t j = 0; j < g.n; ++j) {
        Acc<T> sum{};
        for (int64_t p = 0; p < g.k; ++p) {
          sum += static_cast<Acc<T>>(a[bi * g.a_bs + i * g.a_rs + p * g.a_cs]) *
                 static_cast<Acc<T>>(b[bi * g.b_bs + p * g.b_rs + j * g.b_cs]);
        }
        T& out = c[bi * g.c_bs + i * g.c_rs + j * g.c_cs];
        out = static_cast<T>(g.accumulate ? static_cast<Acc<T>>(out) + sum : sum);
      }
    }
  }
}

#define BRAID_GEMM_INSTANTIATE(T)                                             \
  template void gemm_portable<T>(const GemmArgs&, const T*, const T*, T*); \
  template void gemm_reference<T>(const GemmArgs&, const T*, const T*, T*);
BRAID_GEMM_INSTANTIATE(float)
BRAID_GEMM_INSTANTIATE(double)
BRAID_GEMM_INSTANTIATE(int32_t)
BRAID_GEMM_INSTANTIATE(int64_t)
#undef BRAID_GEMM_INSTANTIATE

}  // namespace braid::kernels
