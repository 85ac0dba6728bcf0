// The packed linear (linear_dnnl.hpp).
//
// Note [packed linear]
// The eager linear runs dnnl_sgemm on braid's (n, k) weight as it is, then
// bias and activation in a second pass over the output. For the compiled
// MLP at batch 256 (784 -> 128 +relu, then 128 -> 10) that second pass made
// the compiled module slower than eager (1.396 vs 1.437 M images/s, issue
// 6). Here the weights are reordered once, when the plan is made, into the
// blocked layout oneDNN's matmul kernels stream best, and bias + ReLU are a
// post-op of the same primitive, applied to each output tile before it is
// stored. The primitive is made for the plan's exact row count (a plan is
// per input shape) and for the thread count, since oneDNN fixes its thread
// partition at creation; so, as with every oneDNN kernel here, results are
// bit-identical run to run at a fixed thread count, and differ from the
// eager GEMM's in the last bits (another k blocking).
#include "kernels/x86/linear_dnnl.hpp"

#include <omp.h>

#include <cstdlib>  // W3 TEMP
#include <cstring>
#include <string>

#include <dnnl.hpp>

#include "braid/core/error.hpp"
#include "braid/core/parallel.hpp"
#include "braid/core/tensor.hpp"

namespace braid::kernels {

using dnnl::memory;
using Tag = memory::format_tag;

namespace {

dnnl::engine& engine() {
  static dnnl::engine e(dnnl::engine::kind::cpu, 0);
  return e;
}

dnnl::stream& stream() {
  thread_local dnnl::stream s(engine());
  return s;
}

// oneDNN sizes a kernel's thread partition from omp_get_max_threads() when
// the primitive is created; this sets it for the creating thread meanwhile.
class CreationThreads {
 public:
  explicit CreationThreads(int n) : saved_(omp_get_max_threads()) { omp_set_num_threads(n); }
  ~CreationThreads() { omp_set_num_threads(saved_); }
  CreationThreads(const CreationThreads&) = delete;
  CreationThreads& operator=(const CreationThreads&) = delete;

 private:
  int saved_;
};

}  // namespace

struct PackedLinear::Impl {
  int64_t m = 0, n = 0, k = 0;
  bool relu = false;
  Tensor w_user, bias;  // copies: (n, k) and (n) (zeros without a bias)
  int threads = 0;
  dnnl::matmul prim;
  memory::desc src, wei, bias_d, dst, scratch;
  Tensor weight, scratch_buf;  // the weights in `wei`'s layout; the scratchpad
  std::string name;

  bool build(int nthreads) {
    try {
      CreationThreads t(nthreads);
      using dt = memory::data_type;
      src = memory::desc({m, k}, dt::f32, Tag::ab);
      dst = memory::desc({m, n}, dt::f32, Tag::ab);
      bias_d = memory::desc({1, n}, dt::f32, Tag::ab);
      const memory::desc any({k, n}, dt::f32, Tag::any);
      dnnl::primitive_attr attr;
      attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
      if (relu && std::getenv("W3_POSTOP")) {  // W3 TEMP
        dnnl::post_ops ops;
        ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_relu, 0.0f, 0.0f);
        attr.set_post_ops(ops);
      }
      const dnnl::matmul::primitive_desc pd({src, any, bias_d, dst}, attr, engine());
      name = pd.impl_info_str();
      if (name.rfind("ref", 0) == 0) return false;
      prim = dnnl::matmul(pd);
      wei = pd.weights_desc(), scratch = pd.scratchpad_desc();
      // W (n, k) row-major is W^T (k, n) with strides (1, k).
      const memory::desc user({k, n}, dt::f32, memory::dims{1, k});
      weight = empty({static_cast<int64_t>(wei.get_size() / 4) + 1});
      scratch_buf = empty({static_cast<int64_t>(scratch.get_size() / 4) + 1});
      memory uw(user, engine(), w_user.raw_data()), iw(wei, engine(), weight.raw_data());
      dnnl::reorder(uw, iw).execute(stream(), uw, iw);
      stream().wait();
      threads = nthreads;
      return true;
    } catch (const dnnl::error&) {
      return false;
    }
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
  BRAID_CHECK(nthreads == m.threads || m.build(nthreads), ValueError, "packed linear",
              "oneDNN refused at {} threads the matmul it made at {}", nthreads, m.threads);
  dnnl::engine& e = engine();
  dnnl::stream& s = stream();
  m.prim.execute(s, {{DNNL_ARG_SRC, memory(m.src, e, const_cast<float*>(x))},
                     {DNNL_ARG_WEIGHTS, memory(m.wei, e, m.weight.raw_data())},
                     {DNNL_ARG_BIAS, memory(m.bias_d, e, m.bias.raw_data())},
                     {DNNL_ARG_DST, memory(m.dst, e, y)},
                     {DNNL_ARG_SCRATCHPAD, memory(m.scratch, e, m.scratch_buf.raw_data())}});
  s.wait();
  if (!m.relu || std::getenv("W3_POSTOP")) return;
  // braid's ReLU (x > 0 or NaN keeps x, else +0) over the output, still in
  // cache: oneDNN's ReLU post-op is max(x, 0), which turns NaN into 0.
  const int64_t total = m.m * m.n;
  for (int64_t i = 0; i < total; ++i) y[i] = y[i] > 0.0f || y[i] != y[i] ? y[i] : 0.0f;
}

std::string PackedLinear::describe() const { return "oneDNN matmul " + impl_->name; }

}  // namespace braid::kernels
