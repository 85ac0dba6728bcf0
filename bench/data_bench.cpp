// DataLoader batch assembly on an MNIST-sized TensorDataset (60000 x 784
// uint8, int64 labels), batch 64, for Note [batch fast path]: the row gather
// (TensorDataset::get_batch), the same through the index_select op, and the
// generic path (one get() per example, then collate_stack).
//   build/release/bench/braid_bench --benchmark_filter=BM_batch
#include <benchmark/benchmark.h>

#include "braid/braid.hpp"

using namespace braid;

namespace {
std::shared_ptr<data::TensorDataset> mnist_like() {
  manual_seed(0);
  return std::make_shared<data::TensorDataset>(randint(0, 256, {60000, 28, 28}).to(DType::UInt8),
                                               randint(0, 10, {60000}));
}
std::vector<int64_t> batch_of(int64_t k) {
  std::vector<int64_t> idx;
  for (int64_t i = 0; i < 64; ++i) idx.push_back((k * 64 + i * 937) % 60000);
  return idx;
}
}  // namespace

static void BM_batch_gather(benchmark::State& state) {
  auto ds = mnist_like();
  int64_t k = 0;
  for (auto _ : state) benchmark::DoNotOptimize(ds->get_batch(batch_of(k++), {}));
}
BENCHMARK(BM_batch_gather);

static void BM_batch_index_select(benchmark::State& state) {
  auto ds = mnist_like();
  int64_t k = 0;
  for (auto _ : state) {
    Tensor idx = tensor(batch_of(k++));
    benchmark::DoNotOptimize(index_select(ds->x(), 0, idx));
    benchmark::DoNotOptimize(index_select(ds->y(), 0, idx));
  }
}
BENCHMARK(BM_batch_index_select);

static void BM_batch_get_and_stack(benchmark::State& state) {
  auto ds = mnist_like();
  int64_t k = 0;
  for (auto _ : state) {
    std::vector<data::Example> ex;
    for (int64_t i : batch_of(k++)) ex.push_back(ds->get(i));
    benchmark::DoNotOptimize(data::collate_stack(ex));
  }
}
BENCHMARK(BM_batch_get_and_stack);

// A whole shuffled epoch through the DataLoader (938 batches), 0 and 2 workers.
static void BM_batch_loader_epoch(benchmark::State& state) {
  auto ds = mnist_like();
  data::DataLoader loader(
      ds, {.batch_size = 64, .shuffle = true, .num_workers = static_cast<int>(state.range(0))});
  for (auto _ : state)
    for (const data::Example& b : loader) benchmark::DoNotOptimize(b.data.raw_data());
}
BENCHMARK(BM_batch_loader_epoch)->Arg(0)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();
