// The norm family at the shapes a small CNN / MLP trains with, for the
// side-by-side with PyTorch in bench/norm_torch.py (which runs this binary's
// BM_norm_ entries and the same ops in torch). Two threads.
#include <benchmark/benchmark.h>

#include "braid/braid.hpp"

using namespace braid;

namespace {
// The BatchNorm2d inputs after the MNIST CNN's two convolutions.
Shape bn_shape(int64_t which) {
  return which == 0 ? Shape{128, 32, 26, 26} : Shape{128, 64, 24, 24};
}
}  // namespace

static void BM_norm_batch_norm_fwd(benchmark::State& state) {
  set_num_threads(2);
  Shape s = bn_shape(state.range(0));
  Tensor x = randn(s), rm = zeros({s[1]}), rv = ones({s[1]}), w = ones({s[1]}), b = zeros({s[1]});
  for (auto _ : state) benchmark::DoNotOptimize(batch_norm(x, rm, rv, w, b, {.training = true}));
}
BENCHMARK(BM_norm_batch_norm_fwd)->Arg(0)->Arg(1)->UseRealTime()->Unit(benchmark::kMillisecond);

static void BM_norm_batch_norm_fwd_bwd(benchmark::State& state) {
  set_num_threads(2);
  Shape s = bn_shape(state.range(0));
  Tensor x = randn(s).requires_grad_(), rm = zeros({s[1]}), rv = ones({s[1]});
  Tensor w = ones({s[1]}).requires_grad_(), b = zeros({s[1]}).requires_grad_();
  Tensor g = randn(s);
  for (auto _ : state) {
    Tensor y = batch_norm(x, rm, rv, w, b, {.training = true});
    benchmark::DoNotOptimize(autograd::grad({y}, {x, w, b}, {g}));
  }
}
BENCHMARK(BM_norm_batch_norm_fwd_bwd)->Arg(0)->Arg(1)->UseRealTime()->Unit(benchmark::kMillisecond);

// A transformer-sized layer norm: 4096 rows of 768.
static void BM_norm_layer_norm_fwd_bwd(benchmark::State& state) {
  set_num_threads(2);
  Tensor x = randn({4096, 768}).requires_grad_(), w = ones({768}).requires_grad_();
  Tensor b = zeros({768}).requires_grad_(), g = randn({4096, 768});
  for (auto _ : state) {
    Tensor y = layer_norm(x, {768}, w, b);
    benchmark::DoNotOptimize(autograd::grad({y}, {x, w, b}, {g}));
  }
}
BENCHMARK(BM_norm_layer_norm_fwd_bwd)->UseRealTime()->Unit(benchmark::kMillisecond);

// Dropout of the MNIST CNN's flattened features: (128, 9216), p = 0.25.
static void BM_norm_dropout_fwd(benchmark::State& state) {
  set_num_threads(2);
  Tensor x = randn({128, 9216});
  for (auto _ : state) benchmark::DoNotOptimize(dropout(x, 0.25));
}
BENCHMARK(BM_norm_dropout_fwd)->UseRealTime()->Unit(benchmark::kMillisecond);

// Embedding lookup and its gradient: 30000 x 256 table, (64, 128) indices.
static void BM_norm_embedding_fwd_bwd(benchmark::State& state) {
  set_num_threads(2);
  Tensor w = randn({30000, 256}).requires_grad_();
  Tensor idx = randint(0, 30000, {64, 128});
  Tensor g = randn({64, 128, 256});
  for (auto _ : state) {
    Tensor y = embedding(w, idx);
    benchmark::DoNotOptimize(autograd::grad({y}, {w}, {g}));
  }
}
BENCHMARK(BM_norm_embedding_fwd_bwd)->UseRealTime()->Unit(benchmark::kMillisecond);
