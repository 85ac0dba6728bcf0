// Portable GEMM: Goto/BLIS-style blocking in plain C++ that g++ -O3 turns
// into FMA vector code, with no intrinsics so the same file serves WASM.
//
// Loop nest for one (m, n, k) product, sized for 32 KiB L1 / 512 KiB L2:
//   super-blocks of at most kPackCols x kPackDepth of B and kPackRows x
//   kPackDepth of A, packed once by the whole team (one barrier), then
//     omp for over (kMc rows x panel chunk) output tiles (one barrier)
//       pc over the block's k slices of ~kKc
//         jr over kNr-wide B panels      (kc x kNr panel stays in L1)
//           ir over kMr-tall A slivers   (kMc x kc block stays in L2)
//             micro-kernel: kMr x kNr accumulators in registers
// Packing a whole super-block at once, rather than one k slice at a time,
// keeps a typical call to two barriers (the MNIST layer had 12). On 2 shared
// cores a thread that the OS has parked makes a barrier wait up to a time
// slice, so fewer barriers mean fewer such stalls.
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

constexpr int64_t kMr = 6;    // register tile rows
constexpr int64_t kKc = 256;  // k slice: one A sliver + one B panel fit in L1
constexpr int64_t kMc = 96;   // rows per output tile: A block 96 x 256 fits in L2
// Super-block bounds; they cap the pack buffers near (512 + 1024) x 1024
// elements per calling thread (6 MiB for float). Larger blocks measured no
// faster here.
constexpr int64_t kPackRows = 512;
constexpr int64_t kPackCols = 1024;
constexpr int64_t kPackDepth = 1024;
// Below this many multiply-adds a product runs on the calling thread: waking
// a team costs more than it saves.
constexpr int64_t kMinParallelMacs = int64_t{1} << 18;

// kNr spans two 256-bit vectors, so 6 x 2 accumulators + operands fit the 16
// AVX2 registers; with SSE or WASM SIMD the compiler splits it further.
template <class T>
constexpr int64_t nr_of() {
  return 64 / static_cast<int64_t>(sizeof(T));
}

// A strided matrix view of one batch.
template <class T>
struct View {
  const T* p;
  int64_t rs, cs;
  T at(int64_t i, int64_t j) const { return p[i * rs + j * cs]; }
};

// ap[p * kMr + i] = A(i0 + i, p0 + p), rows past `rows` zero-padded. Reads
// run along whichever of A's strides is 1 (row-major A: along k).
template <class T>
void pack_a_sliver(View<T> a, int64_t i0, int64_t rows, int64_t p0, int64_t kc, Acc<T>* ap) {
  if (a.cs == 1) {
    for (int64_t i = 0; i < kMr; ++i) {
      const T* src = a.p + (i0 + std::min(i, rows - 1)) * a.rs + p0;
      if (i < rows) {
        for (int64_t p = 0; p < kc; ++p) ap[p * kMr + i] = static_cast<Acc<T>>(src[p]);
      } else {
        for (int64_t p = 0; p < kc; ++p) ap[p * kMr + i] = Acc<T>{};
      }
    }
    return;
  }
  for (int64_t p = 0; p < kc; ++p) {
    for (int64_t i = 0; i < kMr; ++i)
      ap[p * kMr + i] = i < rows ? static_cast<Acc<T>>(a.at(i0 + i, p0 + p)) : Acc<T>{};
  }
}

// bp[p * kNr + j] = B(p0 + p, j0 + j), columns past `cols` zero-padded.
// Reads run along whichever of B's strides is 1 (transposed B: along k).
template <class T>
void pack_b_panel(View<T> b, int64_t p0, int64_t kc, int64_t j0, int64_t cols, Acc<T>* bp) {
  constexpr int64_t nr = nr_of<T>();
  if (b.rs == 1 && b.cs != 1) {
    for (int64_t j = 0; j < nr; ++j) {
      const T* src = b.p + p0 + (j0 + std::min(j, cols - 1)) * b.cs;
      for (int64_t p = 0; p < kc; ++p)
        bp[p * nr + j] = j < cols ? static_cast<Acc<T>>(src[p]) : Acc<T>{};
    }
    return;
  }
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
void store_tile(const Acc<T>* acc, int64_t rows, int64_t cols, bool overwrite, T* c, int64_t c_rs,
                int64_t c_cs) {
  if (c_cs == 1 && cols == NR) {  // the common full-width tile: vector stores
    for (int64_t i = 0; i < rows; ++i) {
      T* row = c + i * c_rs;
      if (overwrite) {
        for (int64_t j = 0; j < NR; ++j) row[j] = static_cast<T>(acc[i * NR + j]);
      } else {
        for (int64_t j = 0; j < NR; ++j)
          row[j] = static_cast<T>(acc[i * NR + j] + static_cast<Acc<T>>(row[j]));
      }
    }
    return;
  }
  for (int64_t i = 0; i < rows; ++i) {
    T* row = c + i * c_rs;
    for (int64_t j = 0; j < cols; ++j) {
      Acc<T> v = acc[i * NR + j];
      if (!overwrite) v += static_cast<Acc<T>>(row[j * c_cs]);
      row[j * c_cs] = static_cast<T>(v);
    }
  }
}

// One product's operands and pack buffers, shared by the team.
template <class T>
struct Plan {
  View<T> a, b;
  T* c;
  int64_t c_rs, c_cs;
  int64_t ks;  // k slice length (Note [deterministic gemm])
  bool accumulate;
  bool team;  // share loops over the enclosing OpenMP team
  Acc<T>* apack;
  Acc<T>* bpack;
};

// A super-block: rows [ic0, ic0 + mb), columns [jc, jc + nc), k [kc0, kc0 + kk).
// Packed, k slice d (offset p0 - kc0) of B starts at bpack + d * round_up(nc,
// kNr) and holds kNr-wide panels of kc x kNr; A likewise with kMr slivers.
struct Block {
  int64_t ic0, mb, jc, nc, kc0, kk;
};

constexpr int64_t round_up(int64_t x, int64_t to) { return (x + to - 1) / to * to; }
constexpr int64_t ceil_div(int64_t x, int64_t by) { return (x + by - 1) / by; }

// Runs f(i) for i in [0, n): shared out over the enclosing team (ending in
// its barrier) when `team`, else as a plain loop. A product that one thread
// runs inside a batch-parallel loop must not use `omp for`, which would bind
// to that loop's team, and a nested `parallel if(false)` costs about a
// microsecond per product, more than a 16 x 16 x 16 product itself.
template <class F>
void team_for(bool team, int64_t n, F&& f) {
  if (!team) {
    for (int64_t i = 0; i < n; ++i) f(i);
    return;
  }
  // Dynamic: absorbs ragged edge tiles and a thread the OS has parked. Which
  // thread runs an index never changes the bits (Note [deterministic gemm]).
#pragma omp for schedule(dynamic)
  for (int64_t i = 0; i < n; ++i) f(i);
}

// Packs the block's A, and B unless it is still packed from the previous
// row block, as one shared loop of panel and sliver tasks.
template <class T>
void pack_block(const Plan<T>& p, const Block& blk, bool pack_b) {
  constexpr int64_t nr = nr_of<T>();
  const int64_t slices = ceil_div(blk.kk, p.ks), panels = ceil_div(blk.nc, nr);
  const int64_t slivers = ceil_div(blk.mb, kMr);
  const int64_t b_tasks = pack_b ? slices * panels : 0;
  team_for(p.team, b_tasks + slices * slivers, [&](int64_t task) {
    if (task < b_tasks) {
      const int64_t d = task / panels * p.ks, q = task % panels, kc = std::min(p.ks, blk.kk - d);
      Acc<T>* bp = p.bpack + d * panels * nr + q * nr * kc;
      pack_b_panel(p.b, blk.kc0 + d, kc, blk.jc + q * nr, std::min(nr, blk.nc - q * nr), bp);
      return;
    }
    task -= b_tasks;
    const int64_t d = task / slivers * p.ks, r = task % slivers, kc = std::min(p.ks, blk.kk - d);
    Acc<T>* ap = p.apack + d * slivers * kMr + r * kMr * kc;
    pack_a_sliver(p.a, blk.ic0 + r * kMr, std::min(kMr, blk.mb - r * kMr), blk.kc0 + d, kc, ap);
  });
}

// One output tile: block rows [r0, r0 + rows), B panels [q0, q1), all k slices.
template <class T>
void macro_tile(const Plan<T>& p, const Block& blk, int64_t r0, int64_t rows, int64_t q0,
                int64_t q1) {
  constexpr int64_t nr = nr_of<T>();
  const int64_t panels = ceil_div(blk.nc, nr), slivers = ceil_div(blk.mb, kMr);
  Acc<T> acc[kMr * nr];
  for (int64_t d = 0; d < blk.kk; d += p.ks) {
    const int64_t kc = std::min(p.ks, blk.kk - d);
    const bool overwrite = blk.kc0 + d == 0 && !p.accumulate;
    for (int64_t q = q0; q < q1; ++q) {
      const Acc<T>* bp = p.bpack + d * panels * nr + q * nr * kc;
      const int64_t cols = std::min(nr, blk.nc - q * nr);
      for (int64_t r = r0; r < r0 + rows; r += kMr) {
        micro_kernel<Acc<T>, nr>(kc, p.apack + d * slivers * kMr + r * kc, bp, acc);
        T* c = p.c + (blk.ic0 + r) * p.c_rs + (blk.jc + q * nr) * p.c_cs;
        store_tile<T, nr>(acc, std::min(kMr, r0 + rows - r), cols, overwrite, c, p.c_rs, p.c_cs);
      }
    }
  }
}

int team_size(bool team) {
#ifdef _OPENMP
  if (team) return omp_get_num_threads();
#endif
  return 1;
}

// Shares the block's output tiles (kMc rows x a chunk of panels) out; about
// eight tiles per thread keep the threads evenly loaded.
template <class T>
void compute_block(const Plan<T>& p, const Block& blk) {
  constexpr int64_t nr = nr_of<T>();
  const int64_t row_tiles = ceil_div(blk.mb, kMc), panels = ceil_div(blk.nc, nr);
  const int64_t want = ceil_div(8 * int64_t{team_size(p.team)}, row_tiles);
  const int64_t chunks = std::min(panels, want), per_chunk = ceil_div(panels, chunks);
  team_for(p.team, row_tiles * chunks, [&](int64_t tile) {
    const int64_t t = tile / chunks, u = tile % chunks;
    const int64_t q0 = u * per_chunk, q1 = std::min(panels, q0 + per_chunk);
    if (q0 < q1) macro_tile(p, blk, t * kMc, std::min(kMc, blk.mb - t * kMc), q0, q1);
  });
}

// Splits k into equal slices of at most kKc, so 784 becomes 4 x 196 rather
// than 3 x 256 + 16. Depends on k only (Note [deterministic gemm]).
int64_t k_slice(int64_t k) { return ceil_div(k, ceil_div(k, kKc)); }

// Splits `total` into equal parts of at most `cap`, each a multiple of `unit`
// (fewer, even super-blocks: fewer barriers, balanced tiles).
int64_t even_part(int64_t total, int64_t cap, int64_t unit) {
  return std::min(round_up(ceil_div(total, ceil_div(total, cap)), unit), round_up(cap, unit));
}

// Per-thread pack buffers, kept between calls so small products do not pay
// for malloc and fresh pages each time.
template <class T>
Acc<T>* scratch(std::vector<Acc<T>>& buf, int64_t n) {
  if (buf.size() < static_cast<size_t>(n)) buf.resize(static_cast<size_t>(n));
  return buf.data();
}

// Every super-block of the product, in a fixed order; run by each thread of
// the team (the shared loops inside split the work) or by one thread.
template <class T>
void run_blocks(const Plan<T>& p, const GemmArgs& g, int64_t rows, int64_t cols, int64_t depth) {
  for (int64_t jc = 0; jc < g.n; jc += cols) {
    for (int64_t kc0 = 0; kc0 < g.k; kc0 += depth) {
      for (int64_t ic0 = 0; ic0 < g.m; ic0 += rows) {
        const Block blk{ic0, std::min(rows, g.m - ic0), jc, std::min(cols, g.n - jc),
                        kc0, std::min(depth, g.k - kc0)};
        pack_block(p, blk, ic0 == 0);
        compute_block(p, blk);
      }
    }
  }
}

// One (m, n, k) product with k >= 1; `team` wakes the OpenMP threads.
template <class T>
void gemm_one(const GemmArgs& g, const T* a, const T* b, T* c, bool team) {
  constexpr int64_t nr = nr_of<T>();
  thread_local std::vector<Acc<T>> abuf, bbuf;
  const int64_t ks = k_slice(g.k);
  const int64_t depth = ks * std::max<int64_t>(1, kPackDepth / ks);
  const int64_t rows = even_part(g.m, kPackRows, kMc), cols = even_part(g.n, kPackCols, nr);
  const int64_t kk_max = std::min(depth, g.k);
  const Plan<T> p{{a, g.a_rs, g.a_cs},
                  {b, g.b_rs, g.b_cs},
                  c,
                  g.c_rs,
                  g.c_cs,
                  ks,
                  g.accumulate,
                  team,
                  scratch<T>(abuf, round_up(std::min(rows, g.m), kMr) * kk_max),
                  scratch<T>(bbuf, round_up(std::min(cols, g.n), nr) * kk_max)};
  if (!team) return run_blocks(p, g, rows, cols, depth);
#pragma omp parallel
  run_blocks(p, g, rows, cols, depth);
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

#define BRAID_GEMM_INSTANTIATE(T)                                          \
  template void gemm_portable<T>(const GemmArgs&, const T*, const T*, T*); \
  template void gemm_reference<T>(const GemmArgs&, const T*, const T*, T*);
BRAID_GEMM_INSTANTIATE(float)
BRAID_GEMM_INSTANTIATE(double)
BRAID_GEMM_INSTANTIATE(int32_t)
BRAID_GEMM_INSTANTIATE(int64_t)
#undef BRAID_GEMM_INSTANTIATE

}  // namespace braid::kernels
