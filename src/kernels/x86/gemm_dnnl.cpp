// fp32 GEMM on x86. Three routes, chosen by what measured fastest here:
//   * one product whose B and C rows, or A rows and B columns, are
//     contiguous: braid's own AVX-512 kernels (Note [own gemm]);
//   * any other one product (after gemm_fold_batch): dnnl_sgemm, the row-major BLAS
//     call, with 'T' flags for operands whose columns are contiguous. It has
//     no primitive to create, so it costs nothing to set up per shape.
//   * several products: the matmul primitive over 3-D strided memory, which
//     threads across the batch and broadcasts a batch dim of 1. Creating one
//     takes far longer than a small product, so primitives are cached by
//     layout.
// All run on the one OpenMP pool, shared with the portable kernels (DESIGN
// rule 7), with the thread count of Note [small products on one thread].
#include "kernels/x86/gemm_dnnl.hpp"

#include <array>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

#include <omp.h>
#include <dnnl.hpp>

#include "kernels/x86/dnnl_context.hpp"
#include "kernels/x86/gemm_avx512.hpp"

namespace braid::kernels {
namespace {

// How row-major BLAS reads a (rows, cols) matrix: 'N' when rows are
// contiguous (ld = row stride), 'T' when columns are (ld = column stride).
// The stride of a dimension of size 1 is never used, so it does not count.
struct BlasOperand {
  char trans;
  int64_t ld;
};

std::optional<BlasOperand> blas_operand(int64_t rows, int64_t cols, int64_t rs, int64_t cs) {
  const bool rows_unit = rows <= 1 || rs == 1, cols_unit = cols <= 1 || cs == 1;
  if (cols_unit && (rows <= 1 || rs >= std::max<int64_t>(1, cols)))
    return BlasOperand{'N', rows <= 1 ? std::max<int64_t>(1, cols) : rs};
  if (rows_unit && (cols <= 1 || cs >= std::max<int64_t>(1, rows)))
    return BlasOperand{'T', cols <= 1 ? std::max<int64_t>(1, rows) : cs};
  return std::nullopt;
}

// C^T = B^T A^T: the same product with the roles of rows and columns swapped.
GemmArgs transposed(const GemmArgs& g) {
  GemmArgs t = g;
  t.m = g.n, t.n = g.m;
  t.a_bs = g.b_bs, t.a_rs = g.b_cs, t.a_cs = g.b_rs;
  t.b_bs = g.a_bs, t.b_rs = g.a_cs, t.b_cs = g.a_rs;
  t.c_rs = g.c_cs, t.c_cs = g.c_rs;
  return t;
}

bool sgemm_2d(const GemmArgs& g, const float* a, const float* b, float* c) {
  const auto oc = blas_operand(g.m, g.n, g.c_rs, g.c_cs);
  if (!oc || oc->trans != 'N') return false;
  const auto oa = blas_operand(g.m, g.k, g.a_rs, g.a_cs);
  const auto ob = blas_operand(g.k, g.n, g.b_rs, g.b_cs);
  if (!oa || !ob) return false;
  const float beta = g.accumulate ? 1.0f : 0.0f;
  return dnnl_sgemm(oa->trans, ob->trans, g.m, g.n, g.k, 1.0f, a, oa->ld, b, ob->ld, beta, c,
                    oc->ld) == dnnl_success;
}

// Everything a matmul primitive depends on: batch, dims, strides, accumulate.
using LayoutKey = std::array<int64_t, 14>;

LayoutKey layout_key(const GemmArgs& g) {
  return {g.batch, g.m,    g.n,    g.k,    g.a_bs, g.a_rs, g.a_cs,
          g.b_bs,  g.b_rs, g.b_cs, g.c_bs, g.c_rs, g.c_cs, g.accumulate ? 1 : 0};
}

// A strided 3-D operand (batch, rows, cols); a batch stride of 0 becomes a
// batch dim of 1, which matmul broadcasts. Strides of size-1 dims are
// normalised because only their products with index 0 are ever used.
dnnl::memory::desc strided_desc(int64_t batch, int64_t rows, int64_t cols, int64_t bs, int64_t rs,
                                int64_t cs) {
  if (bs == 0) batch = 1;
  if (cols == 1) cs = 1;
  if (rows == 1) rs = cols * cs;
  if (batch == 1) bs = rows * rs;
  return dnnl::memory::desc({batch, rows, cols}, dnnl::memory::data_type::f32, {bs, rs, cs});
}

bool strides_ok(int64_t rows, int64_t cols, int64_t rs, int64_t cs) {
  return (rows <= 1 || rs > 0) && (cols <= 1 || cs > 0);
}

// A ready primitive and the memory layouts it was made for.
struct MatmulEntry {
  dnnl::matmul prim;
  dnnl::memory::desc src, wei, dst;
};

// Builds the primitive, or nothing when oneDNN has only its slow reference
// implementation for this layout (the portable kernel beats that).
std::optional<MatmulEntry> make_matmul(const GemmArgs& g) {
  if (!strides_ok(g.m, g.k, g.a_rs, g.a_cs) || !strides_ok(g.k, g.n, g.b_rs, g.b_cs) ||
      !strides_ok(g.m, g.n, g.c_rs, g.c_cs) || g.a_bs < 0 || g.b_bs < 0 || g.c_bs <= 0)
    return std::nullopt;
  try {
    const auto src = strided_desc(g.batch, g.m, g.k, g.a_bs, g.a_rs, g.a_cs);
    const auto wei = strided_desc(g.batch, g.k, g.n, g.b_bs, g.b_rs, g.b_cs);
    const auto dst = strided_desc(g.batch, g.m, g.n, g.c_bs, g.c_rs, g.c_cs);
    dnnl::primitive_attr attr;
    if (g.accumulate) {
      dnnl::post_ops ops;
      ops.append_sum(1.0f);
      attr.set_post_ops(ops);
    }
    const dnnl::matmul::primitive_desc pd({src, wei, dst}, attr, dnnl_engine());
    if (std::string(pd.impl_info_str()).rfind("ref", 0) == 0) return std::nullopt;
    return MatmulEntry{dnnl::matmul(pd), src, wei, dst};
  } catch (const dnnl::error&) {
    return std::nullopt;
  }
}

// Cached primitives, including "cannot" answers so they are not retried.
// Cleared when full: shapes in a training loop repeat, so it refills at once.
std::optional<MatmulEntry> cached_matmul(const GemmArgs& g) {
  constexpr size_t kMaxCached = 256;
  static std::mutex mutex;
  static std::map<LayoutKey, std::optional<MatmulEntry>> cache;
  const LayoutKey key = layout_key(g);
  {
    std::lock_guard<std::mutex> lock(mutex);
    if (auto it = cache.find(key); it != cache.end()) return it->second;
  }
  // Created outside the lock: creation is slow and other shapes need not wait.
  std::optional<MatmulEntry> made = make_matmul(g);
  std::lock_guard<std::mutex> lock(mutex);
  if (cache.size() >= kMaxCached) cache.clear();
  return cache.emplace(key, std::move(made)).first->second;
}

bool matmul_batched(const GemmArgs& g, const float* a, const float* b, float* c) {
  const std::optional<MatmulEntry> entry = cached_matmul(g);
  if (!entry) return false;
  dnnl::engine& engine = dnnl_engine();
  // oneDNN never writes through src/weights; its API just takes void*.
  dnnl::memory src(entry->src, engine, const_cast<float*>(a));
  dnnl::memory wei(entry->wei, engine, const_cast<float*>(b));
  dnnl::memory dst(entry->dst, engine, c);
  dnnl::stream& stream = dnnl_stream();
  entry->prim.execute(stream, {{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, wei}, {DNNL_ARG_DST, dst}});
  stream.wait();
  return true;
}

// Note [small products on one thread]: oneDNN splits any product over all
// omp_get_max_threads() threads. Alone in a hot loop, two threads win here
// from about 2^21 multiply-adds (64x10x128: 1.7 us on one thread, 5.3 on
// two; 128x128x128: 18.9 vs 14.7). Inside a training step they win later:
// between products the second thread has gone to sleep, and waking it costs
// tens of microseconds in this VM. The MNIST MLP's products are 6.4M
// multiply-adds; W1 took 0.31-0.33 s an epoch with them on two threads and
// 0.24-0.26 s on one (bench/workloads/braid_workloads w1 --threads 2), so
// the line is at 2^23. Bigger products (W1 at batch 1024, the CNN's
// 9216-wide layer, inference at batch 256) still use every thread.
// With braid's own kernels (Note [own gemm]) a helper thread that took tiles
// without making the caller wait for its wake-up was tried too: the products
// got faster, but W1's epoch went from 0.20 to 0.38 s, because the calling
// thread's next work (Adam on the weights, the next batch into the same
// buffer) then found those lines in the other core's cache; in this VM the
// batch gather went from 6 to 36 us and Adam from 20 to 93.
constexpr int64_t kMaxOneThreadMacs = int64_t{1} << 23;

int threads_for(const GemmArgs& g) {
  return g.batch * g.m * g.n * g.k <= kMaxOneThreadMacs ? 1 : omp_get_max_threads();
}

}  // namespace

bool gemm_x86(const GemmArgs& args, const float* a, const float* b, float* c) {
  const GemmArgs g = gemm_fold_batch(args);
  // Empty products and k == 0 need no BLAS; the portable kernel does them
  // with the exact same semantics.
  if (g.batch <= 0 || g.m <= 0 || g.n <= 0 || g.k <= 0) {
    gemm_portable(g, a, b, c);
    return true;
  }
  // One product in a layout braid's own kernels read takes them: they need
  // no JIT start-up (Note [own gemm]).
  const auto oc = blas_operand(g.m, g.n, g.c_rs, g.c_cs);
  const bool c_transposed = oc && oc->trans == 'T';
  if (gemm_avx512(c_transposed ? transposed(g) : g, c_transposed ? b : a, c_transposed ? a : b, c,
                  threads_for(g)))
    return true;
  const ScopedThreads threads(threads_for(g));
  // Both routes want a row-major C (oneDNN's gemm-based matmul too, else it
  // falls back to its reference loop); a column-major C is the transpose.
  if (c_transposed) {
    const GemmArgs t = transposed(g);
    return t.batch == 1 ? sgemm_2d(t, b, a, c) : matmul_batched(t, b, a, c);
  }
  if (g.batch == 1) return sgemm_2d(g, a, b, c);
  return matmul_batched(g, a, b, c);
}

}  // namespace braid::kernels
