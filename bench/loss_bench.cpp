// The loss at the end of an MNIST training step: cross_entropy on (64, 10)
// float32 logits with int64 targets, forward alone and forward + backward.
// bench/loss_torch.py times the same in PyTorch 1.13 side by side.
#include <benchmark/benchmark.h>

#include "braid/braid.hpp"

using namespace braid;

static void BM_cross_entropy_64x10_fwd(benchmark::State& state) {
  manual_seed(0);
  Tensor x = randn({64, 10}), t = randint(0, 10, {64});
  for (auto _ : state) benchmark::DoNotOptimize(cross_entropy(x, t));
}
BENCHMARK(BM_cross_entropy_64x10_fwd);

static void BM_cross_entropy_64x10_fwd_bwd(benchmark::State& state) {
  manual_seed(0);
  Tensor x = randn({64, 10}).requires_grad_(), t = randint(0, 10, {64});
  for (auto _ : state) {
    cross_entropy(x, t).backward();
    x.set_grad({});
  }
}
BENCHMARK(BM_cross_entropy_64x10_fwd_bwd);

// With label smoothing and class weights: the general path.
static void BM_cross_entropy_64x10_smooth_weight_fwd_bwd(benchmark::State& state) {
  manual_seed(0);
  Tensor x = randn({64, 10}).requires_grad_(), t = randint(0, 10, {64}), w = rand({10});
  for (auto _ : state) {
    cross_entropy(x, t, {.weight = w, .label_smoothing = 0.1}).backward();
    x.set_grad({});
  }
}
BENCHMARK(BM_cross_entropy_64x10_smooth_weight_fwd_bwd);
