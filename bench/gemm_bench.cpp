// fp32 GEMM speed: gemm_x86 and gemm_portable on dense row-major
// A (m, k) @ B (k, n). Reports GFLOP/s = 2 m n k / wall time, medians of
// repetitions because the 2-core machine is shared and noisy.
//   OMP_NUM_THREADS=2 build/release/bench/braid_bench --benchmark_filter=gemm
// bench/gemm_torch.py runs this and torch.matmul side by side.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <random>
#include <vector>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "braid/braid.hpp"
#include "kernels/portable/gemm.hpp"
#ifdef BRAID_HAVE_DNNL
#include <dnnl.h>

#include "kernels/x86/gemm_avx512.hpp"
#include "kernels/x86/gemm_dnnl.hpp"
#endif

namespace {

using braid::kernels::GemmArgs;

// Args are {m, k, n} so the MNIST layer reads as [64, 784] x [784, 128].
template <class Kernel>
void run_gemm(benchmark::State& state, Kernel kernel) {
  const int64_t m = state.range(0), k = state.range(1), n = state.range(2);
  std::mt19937 rng(0);
  std::uniform_real_distribution<float> unit(-1.0f, 1.0f);
  std::vector<float> a(static_cast<size_t>(m * k)), b(static_cast<size_t>(k * n));
  std::vector<float> c(static_cast<size_t>(m * n));
  for (float& x : a) x = unit(rng);
  for (float& x : b) x = unit(rng);
  const GemmArgs args = braid::kernels::gemm_args_row_major(m, n, k);
  if (!kernel(args, a.data(), b.data(), c.data())) {
    state.SkipWithError("kernel declined the layout");
    return;
  }
  for (auto _ : state) {
    kernel(args, a.data(), b.data(), c.data());
    benchmark::DoNotOptimize(c.data());
    benchmark::ClobberMemory();
  }
  const double gflop = 2.0 * double(m) * double(n) * double(k) * 1e-9;
  state.counters["GFLOP/s"] =
      benchmark::Counter(gflop * double(state.iterations()), benchmark::Counter::kIsRate);
#ifdef _OPENMP
  state.counters["threads"] = omp_get_max_threads();
#endif
}

void BM_gemm_portable(benchmark::State& state) {
  run_gemm(state, [](const GemmArgs& g, const float* a, const float* b, float* c) {
    braid::kernels::gemm_portable(g, a, b, c);
    return true;
  });
}

#ifdef BRAID_HAVE_DNNL
void BM_gemm_x86(benchmark::State& state) {
  run_gemm(state, [](const GemmArgs& g, const float* a, const float* b, float* c) {
    return braid::kernels::gemm_x86(g, a, b, c);
  });
}
#endif

// Wall time, not the main thread's CPU time: the work runs on OpenMP threads.
void gemm_sizes(benchmark::internal::Benchmark* bm) {
  bm->ArgNames({"m", "k", "n"});
  bm->Args({2048, 2048, 2048})->Args({64, 784, 128});
  bm->UseRealTime()->Unit(benchmark::kMicrosecond);
  bm->Repetitions(7)->ReportAggregatesOnly(true);
}

#ifdef BRAID_HAVE_DNNL
BENCHMARK(BM_gemm_x86)->Apply(gemm_sizes);
#endif
BENCHMARK(BM_gemm_portable)->Apply(gemm_sizes);

#ifdef BRAID_HAVE_DNNL
// The MNIST MLP's two big training products as its layers make them, on one
// thread: braid's own kernels (Note [own gemm]) next to dnnl_sgemm on the
// same operands (its JIT start-up happens before the timed loop).
//   nt: x (64, 784) @ W^T with W (128, 784) row-major, the forward;
//   tn: g^T @ x with g (64, 128), x (64, 784), the weight gradient.
//   build/release/bench/braid_bench --benchmark_filter=w1_
struct Form {
  bool a_t, b_t;  // the operand is stored transposed (unit row stride)
  int64_t m, n, k;
};
constexpr Form kForward{false, true, 64, 128, 784}, kWeightGrad{true, false, 128, 784, 64};
// The MNIST CNN's fc1 (9216 -> 128, batch 128): forward, weight gradient and
// input gradient (g @ W), the same way, and the forward on two threads
// (--benchmark_filter=w2_).
constexpr Form kW2Forward{false, true, 128, 128, 9216}, kW2WeightGrad{true, false, 128, 9216, 128},
    kW2InputGrad{false, false, 128, 9216, 128};

template <class Kernel>
void run_form(benchmark::State& state, const Form& f, Kernel kernel, int threads = 1) {
#ifdef _OPENMP
  omp_set_num_threads(threads);
#endif
  const auto run = [&](const float* a, const float* b, float* c) { kernel(f, a, b, c, threads); };
  // braid tensors: 64-byte aligned, as the layers' operands are.
  braid::manual_seed(0);
  const braid::Tensor a = braid::randn({f.m * f.k}), b = braid::randn({f.k * f.n});
  braid::Tensor c = braid::empty({f.m * f.n});
  const float *pa = a.data_ptr<float>(), *pb = b.data_ptr<float>();
  float* pc = c.data_ptr<float>();
  run(pa, pb, pc);
  for (auto _ : state) {
    run(pa, pb, pc);
    benchmark::DoNotOptimize(pc);
    benchmark::ClobberMemory();
  }
  state.counters["GFLOP/s"] = benchmark::Counter(
      2e-9 * double(f.m * f.n * f.k) * double(state.iterations()), benchmark::Counter::kIsRate);
}

void own(const Form& f, const float* a, const float* b, float* c, int threads) {
  GemmArgs g = braid::kernels::gemm_args_row_major(f.m, f.n, f.k);
  if (f.a_t) g.a_rs = 1, g.a_cs = f.m;
  if (f.b_t) g.b_rs = 1, g.b_cs = f.k;
  braid::kernels::gemm_avx512(g, a, b, c, threads);
}

// Its threads are OpenMP's (set by run_form).
void sgemm(const Form& f, const float* a, const float* b, float* c, int) {
  dnnl_sgemm(f.a_t ? 'T' : 'N', f.b_t ? 'T' : 'N', f.m, f.n, f.k, 1.0f, a, f.a_t ? f.m : f.k, b,
             f.b_t ? f.k : f.n, 0.0f, c, f.n);
}

void BM_w1_nt_own(benchmark::State& s) { run_form(s, kForward, own); }
void BM_w1_nt_sgemm(benchmark::State& s) { run_form(s, kForward, sgemm); }
void BM_w1_tn_own(benchmark::State& s) { run_form(s, kWeightGrad, own); }
void BM_w1_tn_sgemm(benchmark::State& s) { run_form(s, kWeightGrad, sgemm); }
void forms(benchmark::internal::Benchmark* bm) {
  bm->UseRealTime()->Unit(benchmark::kMicrosecond)->Repetitions(7)->ReportAggregatesOnly(true);
}
BENCHMARK(BM_w1_nt_own)->Apply(forms);
BENCHMARK(BM_w1_nt_sgemm)->Apply(forms);
BENCHMARK(BM_w1_tn_own)->Apply(forms);
BENCHMARK(BM_w1_tn_sgemm)->Apply(forms);
void BM_w2_nt_own(benchmark::State& s) { run_form(s, kW2Forward, own); }
void BM_w2_nt_sgemm(benchmark::State& s) { run_form(s, kW2Forward, sgemm); }
void BM_w2_tn_own(benchmark::State& s) { run_form(s, kW2WeightGrad, own); }
void BM_w2_tn_sgemm(benchmark::State& s) { run_form(s, kW2WeightGrad, sgemm); }
void BM_w2_nn_own(benchmark::State& s) { run_form(s, kW2InputGrad, own); }
void BM_w2_nn_sgemm(benchmark::State& s) { run_form(s, kW2InputGrad, sgemm); }
BENCHMARK(BM_w2_nt_own)->Apply(forms);
BENCHMARK(BM_w2_nt_sgemm)->Apply(forms);
BENCHMARK(BM_w2_tn_own)->Apply(forms);
BENCHMARK(BM_w2_tn_sgemm)->Apply(forms);
BENCHMARK(BM_w2_nn_own)->Apply(forms);
BENCHMARK(BM_w2_nn_sgemm)->Apply(forms);
// fc1's forward on two threads, as W2 runs it.
void BM_w2_nt_own_2t(benchmark::State& s) { run_form(s, kW2Forward, own, 2); }
void BM_w2_nt_sgemm_2t(benchmark::State& s) { run_form(s, kW2Forward, sgemm, 2); }
BENCHMARK(BM_w2_nt_own_2t)->Apply(forms);
BENCHMARK(BM_w2_nt_sgemm_2t)->Apply(forms);
#endif

}  // namespace
