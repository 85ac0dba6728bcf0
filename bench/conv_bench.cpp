// conv2d speed at the MNIST CNN's shapes (float32, 3x3, stride 1, no
// padding): 1 -> 32 channels on 28x28 and 32 -> 64 channels on 26x26.
// Training (batch 128): the forward (with bias, through braid::conv2d), the
// input gradient and the weight gradient (the conv2d_input_grad and
// conv2d_weight_grad primitives autograd calls), on the x86 path the ops
// dispatch to. Inference (no grad): the forward at batch 1 and 256. The
// BM_conv_portable_* entries time the portable kernels (the WASM path).
//
// Each entry reports GFLOP/s of its best iteration (min-of-N: the 2-core
// machine is shared, and the minimum is the least disturbed run) and that
// rate as a share of this machine's sgemm rate, measured in the same process
// (best of 5 oneDNN 2048^3 products at the same thread count; BM_sgemm_ref
// prints it): pct_sgemm. pct_sgemm_cpu compares GFLOP per second of process
// CPU time instead, which other jobs on the cores disturb far less (run with
// OMP_WAIT_POLICY=passive, or it counts the OpenMP threads' spinning too).
// The Time column is the mean, or with repetitions the median.
//   OMP_WAIT_POLICY=passive OMP_NUM_THREADS=2 build/release/bench/braid_bench \
//     --benchmark_filter='BM_conv|BM_sgemm|BM_cnn' --benchmark_repetitions=3
// bench/conv_torch.py runs these and PyTorch's side by side.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <ctime>
#include <vector>

#include "braid/braid.hpp"
#include "kernels/portable/conv.hpp"
#ifdef BRAID_HAVE_DNNL
#include "kernels/x86/gemm_dnnl.hpp"
#endif

namespace {

using namespace braid;
using Clock = std::chrono::steady_clock;

// The operands of one MNIST layer: x (n, c_in, hw, hw), weight (c_out, c_in,
// 3, 3), bias (c_out), grad_y (n, c_out, hw - 2, hw - 2).
struct Layer {
  int64_t n, c_in, c_out, hw;
  Tensor x, w, b, gy;
  explicit Layer(const benchmark::State& s)
      : n(s.range(0)), c_in(s.range(1)), c_out(s.range(2)), hw(s.range(3)) {
    manual_seed(0);
    x = randn({n, c_in, hw, hw});
    w = randn({c_out, c_in, 3, 3});
    b = randn({c_out});
    gy = randn({n, c_out, hw - 2, hw - 2});
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
    g.n = n, g.c_in = c_in, g.c_out = c_out, g.h = g.w = hw, g.oh = g.ow = hw - 2;
    g.kh = g.kw = 3;
    return g;
  }
  // Multiply-adds x 2 of any of the three products.
  double flop() const { return 2.0 * n * c_out * (hw - 2) * (hw - 2) * c_in * 9; }
};

double seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

// CPU time of the whole process (all threads), seconds: on a shared machine
// less disturbed than wall time (run with OMP_WAIT_POLICY=passive, or it
// counts the OpenMP threads' spinning too).
double process_cpu() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return double(ts.tv_sec) + 1e-9 * double(ts.tv_nsec);
}

// This machine's sgemm rate: the best of 5 oneDNN 2048^3 products at the
// current thread count, measured once per process, in GFLOP per second of
// wall time and per second of process CPU time (the latter barely moves
// when other jobs share the cores).
struct Rate {
  double wall = 0, cpu = 0;
};
Rate sgemm_rate() {
#ifdef BRAID_HAVE_DNNL
  static const Rate rate = [] {
    constexpr int64_t n = 2048;
    std::vector<float> a(n * n, 0.5f), b(n * n, 0.25f), c(n * n);
    const kernels::GemmArgs args = kernels::gemm_args_row_major(n, n, n);
    double best = 1e30, best_cpu = 1e30;
    for (int i = 0; i < 6; ++i) {  // the first warms up
      const double c0 = process_cpu();
      const auto t0 = Clock::now();
      kernels::gemm_x86(args, a.data(), b.data(), c.data());
      if (i == 0) continue;
      best = std::min(best, seconds(Clock::now() - t0));
      best_cpu = std::min(best_cpu, process_cpu() - c0);
    }
    const double flop = 2.0 * n * n * n * 1e-9;
    return Rate{flop / best, flop / best_cpu};
  }();
  return rate;
#else
  return Rate{};
#endif
}

// Times `step` per iteration and reports the best iteration's rate; returns
// the best iteration's wall time (seconds).
template <class F>
double timed(benchmark::State& state, double flop, const F& step) {
  const Rate ref = sgemm_rate();
  step();  // creates and caches the oneDNN primitives
  double best = 1e30, best_cpu = 1e30;
  for (auto _ : state) {
    const double c0 = process_cpu();
    const auto t0 = Clock::now();
    step();
    best = std::min(best, seconds(Clock::now() - t0));
    best_cpu = std::min(best_cpu, process_cpu() - c0);
  }
  const double gflops = flop / best * 1e-9;
  state.counters["GFLOPS_best"] = gflops;
  state.counters["cpu_ms_best"] = 1e3 * best_cpu;
  if (ref.wall > 0) {
    state.counters["pct_sgemm"] = 100.0 * gflops / ref.wall;
    state.counters["pct_sgemm_cpu"] = 100.0 * flop / best_cpu * 1e-9 / ref.cpu;
  }
  return best;
}

template <class F>
void run(benchmark::State& state, const Layer& l, const F& op) {
  timed(state, l.flop(), [&] {
    Tensor out = op();
    benchmark::DoNotOptimize(out.raw_data());
    benchmark::ClobberMemory();
  });
}

void BM_sgemm_ref(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(sgemm_rate());
  state.counters["GFLOPS_best"] = sgemm_rate().wall;
  state.counters["GFLOPS_per_cpu_s"] = sgemm_rate().cpu;
}

void BM_conv_forward(benchmark::State& state) {
  const Layer l(state);
  run(state, l, [&] { return conv2d(l.x, l.w, l.b); });
}

// Inference: no autograd recording.
void BM_conv_infer(benchmark::State& state) {
  const Layer l(state);
  NoGradGuard no_grad;
  run(state, l, [&] { return conv2d(l.x, l.w, l.b); });
}

void BM_conv_input_grad(benchmark::State& state) {
  const Layer l(state);
  const Attrs a = l.attrs("input_size", l.hw);
  run(state, l, [&] { return detail::call1(OpId::conv2d_input_grad, {l.gy, l.w}, a); });
}

void BM_conv_weight_grad(benchmark::State& state) {
  const Layer l(state);
  const Attrs a = l.attrs("kernel_size", 3);
  run(state, l, [&] { return detail::call1(OpId::conv2d_weight_grad, {l.x, l.gy}, a); });
}

// The MNIST CNN of bench/workloads (examples/models.hpp's cnn_sequential),
// eval mode, no grad, on a batch of n: the W3 inference workload's call.
void BM_cnn_infer(benchmark::State& state) {
  const int64_t n = state.range(0);
  manual_seed(0);
  nn::Sequential net(nn::Conv2d(1, 32, 3), nn::ReLU(), nn::Conv2d(32, 64, 3), nn::ReLU(),
                     nn::MaxPool2d(2), nn::Dropout(0.25), nn::Flatten(), nn::Linear(9216, 128),
                     nn::ReLU(), nn::Dropout(0.5), nn::Linear(128, 10));
  net.eval();
  NoGradGuard no_grad;
  const Tensor x = randn({n, 1, 28, 28});
  // The two convolutions' and two linears' multiply-adds x 2.
  const double flop = 2.0 * n * (32 * 26 * 26 * 9 + 64 * 24 * 24 * 32 * 9 + 9216 * 128 + 1280);
  const double best = timed(state, flop, [&] {
    Tensor out = net(x);
    benchmark::DoNotOptimize(out.raw_data());
  });
  state.counters["images_per_s_best"] = double(n) / best;
}

template <class K>
void run_portable(benchmark::State& state, int which, const K& kernel) {
  const Layer l(state);
  const Tensor out = empty(which == 0 ? l.gy.shape() : which == 1 ? l.x.shape() : l.w.shape());
  const kernels::ConvGeom g = l.geom();
  timed(state, l.flop(), [&] {
    kernel(g, l, static_cast<float*>(out.raw_data()));
    benchmark::DoNotOptimize(out.raw_data());
    benchmark::ClobberMemory();
  });
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
void common(benchmark::internal::Benchmark* bm) {
  bm->ArgNames({"n", "cin", "cout", "hw"});
  bm->UseRealTime()->Unit(benchmark::kMillisecond);
  bm->Repetitions(5)->ReportAggregatesOnly(true);
}

// Training: batch 128, both layers.
void mnist_layers(benchmark::internal::Benchmark* bm) {
  bm->Args({128, 1, 32, 28})->Args({128, 32, 64, 26});
  common(bm);
}

// Inference: batch 1 and 256, both layers.
void mnist_infer(benchmark::internal::Benchmark* bm) {
  for (int64_t n : {1, 256}) bm->Args({n, 1, 32, 28})->Args({n, 32, 64, 26});
  common(bm);
}

BENCHMARK(BM_sgemm_ref)->Iterations(1)->Repetitions(1)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_conv_forward)->Apply(mnist_layers);
BENCHMARK(BM_conv_input_grad)->Apply(mnist_layers);
BENCHMARK(BM_conv_weight_grad)->Apply(mnist_layers);
BENCHMARK(BM_conv_infer)->Apply(mnist_infer);
BENCHMARK(BM_cnn_infer)
    ->ArgName("n")
    ->Arg(1)
    ->Arg(256)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond)
    ->Repetitions(5)
    ->ReportAggregatesOnly(true);
BENCHMARK(BM_conv_portable_forward)->Apply(mnist_layers);
BENCHMARK(BM_conv_portable_input_grad)->Apply(mnist_layers);
BENCHMARK(BM_conv_portable_weight_grad)->Apply(mnist_layers);

}  // namespace
