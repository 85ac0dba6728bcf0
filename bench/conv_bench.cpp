// conv2d speed at the MNIST CNN's shapes (batch 128, float32, 3x3, stride 1,
// no padding): 1 -> 32 channels on 28x28 and 32 -> 64 channels on 26x26.
// For each: the forward (with bias, through braid::conv2d), the input
// gradient and the weight gradient (the conv2d_input_grad and
// conv2d_weight_grad primitives autograd calls), on the x86 path the ops
// dispatch to. The BM_conv_portable_* entries time the portable kernels
// (the WASM path) on the same shapes.
//   OMP_NUM_THREADS=2 build/release/bench/braid_bench --benchmark_filter=BM_conv
// bench/conv_torch.py runs these and PyTorch's side by side.
#include <benchmark/benchmark.h>

#include <cstdint>

#include "braid/braid.hpp"
#include "kernels/portable/conv.hpp"

namespace {

using namespace braid;

constexpr int64_t kBatch = 128;

// The operands of one MNIST layer: x (128, c_in, hw, hw), weight (c_out,
// c_in, 3, 3), bias (c_out), grad_y (128, c_out, hw - 2, hw - 2).
struct Layer {
  int64_t c_in, c_out, hw;
  Tensor x, w, b, gy;
  explicit Layer(const benchmark::State& s) : c_in(s.range(0)), c_out(s.range(1)), hw(s.range(2)) {
    manual_seed(0);
    x = randn({kBatch, c_in, hw, hw});
    w = randn({c_out, c_in, 3, 3});
    b = randn({c_out});
    gy = randn({kBatch, c_out, hw - 2, hw - 2});
  }
  Attrs attrs(const char* size_name, int64_t size) const {
    return Attrs{{"stride", std::vector<int64_t>{1, 1}},
                 {"padding", std::vector<int64_t>{0, 0}},
                 {"dilation", std::vector<int64_t>{1, 1}},
                 {"groups", int64_t{1}},
                 {size_name, std::vector<int64_t>{size, size}}};
  }
  kernels::ConvGeom geom() const {
    kernels::ConvGeom g;
    g.n = kBatch, g.c_in = c_in, g.c_out = c_out, g.h = g.w = hw, g.oh = g.ow = hw - 2;
    g.kh = g.kw = 3;
    return g;
  }
};

template <class F>
void run(benchmark::State& state, const F& step) {
  step();  // creates and caches the oneDNN primitives
  for (auto _ : state) {
    Tensor out = step();
    benchmark::DoNotOptimize(out.raw_data());
    benchmark::ClobberMemory();
  }
}

void BM_conv_forward(benchmark::State& state) {
  const Layer l(state);
  run(state, [&] { return conv2d(l.x, l.w, l.b); });
}

void BM_conv_input_grad(benchmark::State& state) {
  const Layer l(state);
  const Attrs a = l.attrs("input_size", l.hw);
  run(state, [&] { return detail::call1(OpId::conv2d_input_grad, {l.gy, l.w}, a); });
}

void BM_conv_weight_grad(benchmark::State& state) {
  const Layer l(state);
  const Attrs a = l.attrs("kernel_size", 3);
  run(state, [&] { return detail::call1(OpId::conv2d_weight_grad, {l.x, l.gy}, a); });
}

template <class K>
void run_portable(benchmark::State& state, int which, const K& kernel) {
  const Layer l(state);
  const Tensor out = empty(which == 0 ? l.gy.shape() : which == 1 ? l.x.shape() : l.w.shape());
  const kernels::ConvGeom g = l.geom();
  for (auto _ : state) {
    kernel(g, l, static_cast<float*>(out.raw_data()));
    benchmark::DoNotOptimize(out.raw_data());
    benchmark::ClobberMemory();
  }
}

const float* f(const Tensor& t) { return static_cast<const float*>(t.raw_data()); }

void BM_conv_portable_forward(benchmark::State& state) {
  run_portable(state, 0, [](const kernels::ConvGeom& g, const Layer& l, float* y) {
    kernels::conv2d_forward_portable(g, f(l.x), f(l.w), f(l.b), y);
  });
}

void BM_conv_portable_input_grad(benchmark::State& state) {
  run_portable(state, 1, [](const kernels::ConvGeom& g, const Layer& l, float* gx) {
    kernels::conv2d_input_grad_portable(g, f(l.gy), f(l.w), gx);
  });
}

void BM_conv_portable_weight_grad(benchmark::State& state) {
  run_portable(state, 2, [](const kernels::ConvGeom& g, const Layer& l, float* gw) {
    kernels::conv2d_weight_grad_portable(g, f(l.x), f(l.gy), gw);
  });
}

// Wall time, not the main thread's CPU time: the work runs on OpenMP threads.
void mnist_layers(benchmark::internal::Benchmark* bm) {
  bm->ArgNames({"cin", "cout", "hw"});
  bm->Args({1, 32, 28})->Args({32, 64, 26});
  bm->UseRealTime()->Unit(benchmark::kMillisecond);
  bm->Repetitions(7)->ReportAggregatesOnly(true);
}

BENCHMARK(BM_conv_forward)->Apply(mnist_layers);
BENCHMARK(BM_conv_input_grad)->Apply(mnist_layers);
BENCHMARK(BM_conv_weight_grad)->Apply(mnist_layers);
BENCHMARK(BM_conv_portable_forward)->Apply(mnist_layers);
BENCHMARK(BM_conv_portable_input_grad)->Apply(mnist_layers);
BENCHMARK(BM_conv_portable_weight_grad)->Apply(mnist_layers);

}  // namespace
