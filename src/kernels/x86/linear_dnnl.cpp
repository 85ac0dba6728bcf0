// The packed linear (linear_dnnl.hpp).
//
// Note [packed linear]
// The eager linear runs dnnl_sgemm on braid's (n, k) weight as it is, then
// bias and activation in a second pass over the output. For the compiled
// MLP at batch 256 (784 -> 128 +relu, then 128 -> 10) that second pass made
// the compiled module slower than eager (1.396 vs 1.437 M images/s, issue
// 6). Here:
//   * the weights are reordered once, when the plan is made, into the
//     blocked layout oneDNN's matmul (brgemm) kernels stream best;
//   * the bias is the primitive's bias, added to each output tile before
//     it is stored;
//   * the rows are split into one block per thread, each run start to end
//     by its thread with a single-thread primitive, in one parallel region,
//     so the ReLU runs on a block just written, still in that core's cache.
//     It is braid's ReLU, not oneDNN's post-op: that one is max(x, 0),
//     which turns NaN into 0 (every eltwise post-op of oneDNN 2.6 does,
//     tested), where braid's relu keeps NaN.
// MLP compiled, batch 256, 2 threads, medians of 5 interleaved runs (load
// < 1): 1.91 M images/s, against 1.44 M for the GEMM + epilogue path and
// 1.44 M for ONNX Runtime.
// The primitives are made for the plan's exact row count (a plan is per
// input shape) and remade when the thread count changes. The split depends
// only on the row and thread counts, so results are bit-identical run to run
// at a fixed thread count; they differ from the eager GEMM's in the last
// bits (another k blocking).
#include "kernels/x86/linear_dnnl.hpp"

#include <omp.h>

#include <algorithm>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include <dnnl.hpp>

#include "braid/core/error.hpp"
#include "braid/core/parallel.hpp"
#include "braid/core/tensor.hpp"
#include "kernels/x86/dnnl_context.hpp"
#include "kernels/x86/pool_x86.hpp"

namespace braid::kernels {

using dnnl::memory;
using Tag = memory::format_tag;

struct PackedLinear::Impl {
  // One single-thread primitive for `rows` rows.
  struct Block {
    int64_t rows = 0;
    dnnl::matmul prim;
    memory::desc src, dst, scratch;
  };
  int64_t m = 0, n = 0, k = 0;
  bool relu = false;
  Tensor w_user, bias;  // copies: (n, k) and (n) (zeros without a bias)
  int threads = 0;
  int64_t rows = 0;  // per thread (the last thread: m - (threads - 1) * rows)
  Block full, tail;
  memory::desc wei, bias_d;
  Tensor weight;                // in `wei`'s layout
  std::vector<Tensor> scratch;  // per thread
  std::string name;

  std::optional<Block> block(int64_t r, const dnnl::primitive_attr& attr) {
    using dt = memory::data_type;
    Block b;
    b.rows = r;
    b.src = memory::desc({r, k}, dt::f32, Tag::ab);
    b.dst = memory::desc({r, n}, dt::f32, Tag::ab);
    const memory::desc any({k, n}, dt::f32, Tag::any);
    const dnnl::matmul::primitive_desc pd({b.src, any, bias_d, b.dst}, attr, dnnl_engine());
    name = pd.impl_info_str();
    // Only the reference loop; or a layout for the weights that the other
    // block does not share (they are packed once).
    if (name.rfind("ref", 0) == 0 || (wei && pd.weights_desc() != wei)) return std::nullopt;
    wei = pd.weights_desc();
    b.prim = dnnl::matmul(pd);
    b.scratch = pd.scratchpad_desc();
    return b;
  }

  bool build(int nthreads) {
    try {
      // Fewer rows per thread than this and the split costs more than it gains.
      constexpr int64_t kMinRows = 4;
      threads = static_cast<int>(std::clamp<int64_t>(m / kMinRows, 1, nthreads));
      rows = (m + threads - 1) / threads;
      threads = static_cast<int>((m + rows - 1) / rows);
      ScopedThreads t(1);
      bias_d = memory::desc({1, n}, memory::data_type::f32, Tag::ab);
      dnnl::primitive_attr attr;
      attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
      wei = memory::desc();
      std::optional<Block> f = block(rows, attr), tl;
      const int64_t rest = m - (threads - 1) * rows;
      if (!f || (rest != rows && !(tl = block(rest, attr)))) return false;
      full = std::move(*f);
      tail = tl ? std::move(*tl) : full;
      // W (n, k) row-major is W^T (k, n) with strides (1, k).
      const memory::desc user({k, n}, memory::data_type::f32, memory::dims{1, k});
      weight = empty({static_cast<int64_t>(wei.get_size() / 4) + 1});
      memory uw(user, dnnl_engine(), w_user.raw_data()), iw(wei, dnnl_engine(), weight.raw_data());
      dnnl::reorder(uw, iw).execute(dnnl_stream(), uw, iw);
      dnnl_stream().wait();
      scratch.clear();
      const size_t bytes = std::max(full.scratch.get_size(), tail.scratch.get_size());
      for (int i = 0; i < threads; ++i)
        scratch.push_back(empty({static_cast<int64_t>(bytes / 4) + 1}));
      built_for = nthreads;
      return true;
    } catch (const dnnl::error&) {
      return false;
    }
  }
  int built_for = 0;  // get_num_threads() when built

  // Rows [r0, r0 + b.rows) on the calling thread, then braid's ReLU (x > 0
  // or NaN keeps x, else +0) on them while they are in this core's cache:
  // oneDNN's ReLU post-op is max(x, 0), which turns NaN into 0.
  void run_block(const Block& b, int64_t r0, const float* x, float* y, Tensor& ws) const {
    dnnl::engine& e = dnnl_engine();
    dnnl::stream& s = dnnl_stream();
    float* yb = y + r0 * n;
    b.prim.execute(s, {{DNNL_ARG_SRC, memory(b.src, e, const_cast<float*>(x + r0 * k))},
                       {DNNL_ARG_WEIGHTS, memory(wei, e, weight.raw_data())},
                       {DNNL_ARG_BIAS, memory(bias_d, e, bias.raw_data())},
                       {DNNL_ARG_DST, memory(b.dst, e, yb)},
                       {DNNL_ARG_SCRATCHPAD, memory(b.scratch, e, ws.raw_data())}});
    s.wait();
    if (!relu) return;
    relu_keep_nan(yb, b.rows * n);
  }
};

PackedLinear::PackedLinear(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
PackedLinear::~PackedLinear() = default;

std::unique_ptr<PackedLinear> PackedLinear::make(const float* w, const float* bias, int64_t m,
                                                 int64_t n, int64_t k, bool relu) {
  static const bool avx512 = __builtin_cpu_supports("avx512f");
  if (!avx512 || m <= 0 || n <= 0 || k <= 0) return nullptr;
  auto impl = std::make_unique<Impl>();
  impl->m = m, impl->n = n, impl->k = k, impl->relu = relu;
  impl->w_user = empty({n * k});
  impl->bias = empty({n});
  std::memset(impl->bias.raw_data(), 0, static_cast<size_t>(n) * sizeof(float));
  std::memcpy(impl->w_user.raw_data(), w, static_cast<size_t>(n * k) * sizeof(float));
  if (bias) std::memcpy(impl->bias.raw_data(), bias, static_cast<size_t>(n) * sizeof(float));
  if (!impl->build(get_num_threads())) return nullptr;
  return std::unique_ptr<PackedLinear>(new PackedLinear(std::move(impl)));
}

void PackedLinear::run(const float* x, float* y) {
  Impl& m = *impl_;
  const int nthreads = get_num_threads();
  BRAID_CHECK(nthreads == m.built_for || m.build(nthreads), ValueError, "packed linear",
              "oneDNN refused at {} threads the matmul it made at {}", nthreads, m.built_for);
  if (m.threads == 1) {
    m.run_block(m.full, 0, x, y, m.scratch[0]);
    return;
  }
#pragma omp parallel for num_threads(m.threads) schedule(static)
  for (int t = 0; t < m.threads; ++t)
    m.run_block(t == m.threads - 1 ? m.tail : m.full, t * m.rows, x, y, m.scratch[t]);
}

std::string PackedLinear::describe() const {
  return fmt::format("oneDNN matmul {}, {} rows per thread", impl_->name, impl_->rows);
}

}  // namespace braid::kernels
