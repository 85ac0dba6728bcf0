// One optimizer step over a parameter set, for the side-by-side with PyTorch
// in bench/optim_torch.py (which runs this binary's BM_optim_ entries and the
// same steps in torch). Arg 0: the MNIST CNN's parameters (about 1.2M floats
// in 8 tensors); Arg 1: one 10M-float tensor. Two threads.
#include <benchmark/benchmark.h>

#include <memory>

#include "braid/braid.hpp"

using namespace braid;

namespace {
std::vector<Tensor> param_set(int64_t which) {
  std::vector<Shape> shapes = {{32, 1, 3, 3}, {32},  {64, 32, 3, 3}, {64},
                               {128, 9216},   {128}, {10, 128},      {10}};
  if (which == 1) shapes = {{10'000'000}};
  std::vector<Tensor> ps;
  manual_seed(0);
  for (const Shape& s : shapes) {
    Tensor p = randn(s).requires_grad_();
    p.set_grad(randn(s));
    ps.push_back(p);
  }
  return ps;
}

template <class Make>
void run(benchmark::State& state, const Make& make) {
  set_num_threads(2);
  std::vector<Tensor> ps = param_set(state.range(0));
  std::unique_ptr<optim::Optimizer> opt = make(ps);
  opt->step();  // the state buffers exist from here on
  for (auto _ : state) opt->step();
}
}  // namespace

static void BM_optim_sgd_momentum(benchmark::State& state) {
  run(state, [](std::vector<Tensor>& ps) {
    return std::make_unique<optim::SGD>(ps, optim::SGDOptions{.lr = 1e-3, .momentum = 0.9});
  });
}
BENCHMARK(BM_optim_sgd_momentum)->Arg(0)->Arg(1)->UseRealTime()->Unit(benchmark::kMillisecond);

static void BM_optim_adam(benchmark::State& state) {
  run(state, [](std::vector<Tensor>& ps) {
    return std::make_unique<optim::Adam>(ps, optim::AdamOptions{.lr = 1e-3});
  });
}
BENCHMARK(BM_optim_adam)->Arg(0)->Arg(1)->UseRealTime()->Unit(benchmark::kMillisecond);

static void BM_optim_adamw_amsgrad(benchmark::State& state) {
  run(state, [](std::vector<Tensor>& ps) {
    return std::make_unique<optim::AdamW>(ps, optim::AdamWOptions{.amsgrad = true});
  });
}
BENCHMARK(BM_optim_adamw_amsgrad)->Arg(0)->Arg(1)->UseRealTime()->Unit(benchmark::kMillisecond);

static void BM_optim_rmsprop_centered(benchmark::State& state) {
  run(state, [](std::vector<Tensor>& ps) {
    return std::make_unique<optim::RMSprop>(ps, optim::RMSpropOptions{.centered = true});
  });
}
BENCHMARK(BM_optim_rmsprop_centered)->Arg(0)->Arg(1)->UseRealTime()->Unit(benchmark::kMillisecond);

static void BM_optim_adagrad(benchmark::State& state) {
  run(state, [](std::vector<Tensor>& ps) { return std::make_unique<optim::Adagrad>(ps); });
}
BENCHMARK(BM_optim_adagrad)->Arg(0)->Arg(1)->UseRealTime()->Unit(benchmark::kMillisecond);
