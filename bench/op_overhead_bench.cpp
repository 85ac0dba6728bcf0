// Per-op overhead and memory-bound throughput, for the side-by-side with
// PyTorch in bench/compare_ops.py (which runs this binary and torch).
#include <benchmark/benchmark.h>

#include "braid/braid.hpp"

using namespace braid;

// add of two 1-element tensors: everything but the arithmetic.
static void BM_add_1elem(benchmark::State& state) {
  Tensor a = ones({1}), b = ones({1});
  for (auto _ : state) benchmark::DoNotOptimize(add(a, b));
}
BENCHMARK(BM_add_1elem);

// Forward and backward of a 3-op chain on a 1-element leaf: y = tanh(x * 2 + 1).
static void BM_chain3_fwd_bwd(benchmark::State& state) {
  Tensor x = ones({1}).requires_grad_();
  for (auto _ : state) {
    Tensor y = tanh(x * 2.0 + 1.0);
    y.backward();
    x.set_grad({});
  }
}
BENCHMARK(BM_chain3_fwd_bwd);

// Elementwise add of 2^24 floats: bytes moved = 3 * 4 * 2^24 per iteration.
static void BM_add_2p24(benchmark::State& state) {
  set_num_threads(static_cast<int>(state.range(0)));
  int64_t n = int64_t{1} << 24;
  Tensor a = rand({n}), b = rand({n});
  for (auto _ : state) benchmark::DoNotOptimize(add(a, b));
  state.SetBytesProcessed(state.iterations() * 3 * 4 * n);
}
BENCHMARK(BM_add_2p24)->Arg(1)->Arg(2)->UseRealTime();

// matmul 2048^3 fp32 through the op (dispatch + oneDNN), GFLOP/s.
static void BM_matmul_2048(benchmark::State& state) {
  set_num_threads(static_cast<int>(state.range(0)));
  Tensor a = randn({2048, 2048}), b = randn({2048, 2048});
  for (auto _ : state) benchmark::DoNotOptimize(matmul(a, b));
  state.counters["GFLOPs"] =
      benchmark::Counter(2.0 * 2048 * 2048 * 2048, benchmark::Counter::kIsIterationInvariantRate,
                         benchmark::Counter::OneK::kIs1000);
}
BENCHMARK(BM_matmul_2048)->Arg(2)->UseRealTime()->Unit(benchmark::kMillisecond);
