// max_pool2d 2x2 (stride 2) at the MNIST CNN's shape, x = (128, 64, 24, 24)
// fp32: the forward (values and indices) and the backward op the autograd
// engine runs (max_pool2d_backward), plus the scatter_add formulation of that
// backward that src/ops/pool.cpp explains it does not use. Threads: the
// argument (2 = the machine's cores).
//   build/release/bench/braid_bench --benchmark_filter=max_pool2d
// bench/pool_torch.py runs these and the same ops in PyTorch side by side.
#include <benchmark/benchmark.h>

#include "braid/braid.hpp"

using namespace braid;

namespace {

const Shape kX = {128, 64, 24, 24};

void BM_max_pool2d_fwd(benchmark::State& state) {
  set_num_threads(static_cast<int>(state.range(0)));
  NoGradGuard no_grad;
  Tensor x = randn(kX);
  for (auto _ : state) benchmark::DoNotOptimize(max_pool2d_with_indices(x, {2}));
  state.SetBytesProcessed(state.iterations() * (x.numel() * 4 + x.numel() / 4 * (4 + 8)));
}

void BM_max_pool2d_bwd(benchmark::State& state) {
  set_num_threads(static_cast<int>(state.range(0)));
  NoGradGuard no_grad;
  Tensor x = randn(kX);
  Tensor idx = max_pool2d_with_indices(x, {2}).indices;
  Tensor g = randn(idx.shape());
  for (auto _ : state) benchmark::DoNotOptimize(max_pool2d_backward(g, idx, {24, 24}));
  state.SetBytesProcessed(state.iterations() * (x.numel() * 4 + g.numel() * (4 + 8)));
}

// The same gradient as scatter_add into a zero (N * C, H * W) buffer.
void BM_max_pool2d_bwd_scatter_add(benchmark::State& state) {
  set_num_threads(static_cast<int>(state.range(0)));
  NoGradGuard no_grad;
  Tensor x = randn(kX);
  Tensor idx = reshape(max_pool2d_with_indices(x, {2}).indices, {128 * 64, 144});
  Tensor g = randn(idx.shape());
  for (auto _ : state) {
    Tensor gx = scatter_add(zeros({128 * 64, 576}), 1, idx, g);
    benchmark::DoNotOptimize(reshape(gx, kX));
  }
}

// One training step's share: forward with autograd recording, then backward.
void BM_max_pool2d_fwd_bwd_autograd(benchmark::State& state) {
  set_num_threads(static_cast<int>(state.range(0)));
  Tensor x = randn(kX).requires_grad_();
  Tensor g = randn({128, 64, 12, 12});
  for (auto _ : state) {
    max_pool2d(x, {2}).backward(g);
    x.set_grad({});
  }
}

void threads(benchmark::internal::Benchmark* bm) {
  bm->ArgName("threads")->Arg(1)->Arg(2);
  bm->UseRealTime()->Unit(benchmark::kMillisecond);
  bm->Repetitions(5)->ReportAggregatesOnly(true);
}

BENCHMARK(BM_max_pool2d_fwd)->Apply(threads);
BENCHMARK(BM_max_pool2d_bwd)->Apply(threads);
BENCHMARK(BM_max_pool2d_bwd_scatter_add)->Apply(threads);
BENCHMARK(BM_max_pool2d_fwd_bwd_autograd)->Apply(threads);

}  // namespace
