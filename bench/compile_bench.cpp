// Inference through braid::compile against the eager module and the plain
// graph executor (runtime::Executor), on the MNIST tour's two networks
// (examples/models.hpp) in eval mode, batch 1 (latency) and 256 (throughput).
//   OMP_NUM_THREADS=2 build/release/bench/braid_bench --benchmark_filter=BM_infer
// Each entry reports its time per call; items_per_second is images/s.
#include <benchmark/benchmark.h>

#include <cstdint>

#include "braid/braid.hpp"
#include "braid/compile/compile.hpp"
#include "braid/runtime/executor.hpp"
#include "models.hpp"

namespace {

using namespace braid;

enum Net { kMlp = 0, kCnn = 1 };
enum Way { kEager = 0, kExecutor = 1, kCompiled = 2 };

nn::Sequential make(int net) {
  manual_seed(0);
  nn::Sequential m = net == kMlp ? examples::mlp_sequential() : examples::cnn_sequential();
  m.eval();
  return m;
}

// range(0): network, range(1): way, range(2): batch.
void BM_infer(benchmark::State& state) {
  const int net = static_cast<int>(state.range(0)), way = static_cast<int>(state.range(1));
  const int64_t batch = state.range(2);
  nn::Sequential m = make(net);
  Tensor x = randn({batch, 1, 28, 28});
  NoGradGuard no_grad;
  std::function<Tensor()> call;
  std::unique_ptr<runtime::Executor> exec;
  std::unique_ptr<CompiledModule> compiled;
  if (way == kEager) {
    call = [&] { return m(x); };
  } else if (way == kExecutor) {
    exec = std::make_unique<runtime::Executor>(graph::trace(m, x));
    call = [&] { return (*exec)({x})[0]; };
  } else {
    compiled = std::make_unique<CompiledModule>(compile(m, x));
    call = [&] { return (*compiled)(x); };
  }
  for (int i = 0; i < 5; ++i) call();  // plans, oneDNN primitives, caches
  for (auto _ : state) {
    Tensor y = call();
    benchmark::DoNotOptimize(y.raw_data());
  }
  state.SetItemsProcessed(state.iterations() * batch);
  state.SetLabel(std::string(net == kMlp ? "mlp" : "cnn") + " " +
                 (way == kEager      ? "eager"
                  : way == kExecutor ? "executor"
                                     : "compiled") +
                 " batch " + std::to_string(batch));
}
BENCHMARK(BM_infer)
    ->ArgsProduct({{kMlp, kCnn}, {kEager, kExecutor, kCompiled}, {1, 256}})
    ->ArgNames({"net", "way", "batch"})
    ->UseRealTime();

}  // namespace
