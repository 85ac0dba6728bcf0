// safetensors loading, mapped vs read (Note [safetensors mmap]), to place
// kMmapThreshold: one float32 tensor of 16 KiB .. 64 MiB, page cache warm.
// "load" only loads; "use" then reads one float per 4 KiB page, so a mapped
// file pays its page faults (a read file has paid its copy already).
//   build/release/bench/braid_bench --benchmark_filter=Safetensors
#include <benchmark/benchmark.h>

#include <filesystem>

#include "braid/braid.hpp"

using namespace braid;

namespace {

std::filesystem::path bench_file(int64_t bytes) {
  const auto p = std::filesystem::temp_directory_path() /
                 ("braid_io_bench_" + std::to_string(bytes) + ".safetensors");
  if (!std::filesystem::exists(p)) {
    nn::StateDict sd;
    sd.insert("w", full({bytes / 4}, 0.5));
    io::save_safetensors(sd, p);
  }
  return p;
}

void load(benchmark::State& state, io::MmapMode mode, bool use) {
  const auto p = bench_file(state.range(0));
  for (auto _ : state) {
    nn::StateDict sd = io::load_safetensors(p, {.mmap = mode});
    if (use) {
      const Tensor& w = sd.at("w");
      const float* f = static_cast<const float*>(w.raw_data());
      float s = 0;
      for (int64_t i = 0; i < w.numel(); i += 1024) s += f[i];
      benchmark::DoNotOptimize(s);
    }
    benchmark::DoNotOptimize(sd);
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}

void BM_SafetensorsLoad_read(benchmark::State& s) { load(s, io::MmapMode::Never, false); }
void BM_SafetensorsLoad_mmap(benchmark::State& s) { load(s, io::MmapMode::Always, false); }
void BM_SafetensorsUse_read(benchmark::State& s) { load(s, io::MmapMode::Never, true); }
void BM_SafetensorsUse_mmap(benchmark::State& s) { load(s, io::MmapMode::Always, true); }

}  // namespace

#define IO_SIZES RangeMultiplier(4)->Range(16 << 10, 64 << 20)
BENCHMARK(BM_SafetensorsLoad_read)->IO_SIZES;
BENCHMARK(BM_SafetensorsLoad_mmap)->IO_SIZES;
BENCHMARK(BM_SafetensorsUse_read)->IO_SIZES;
BENCHMARK(BM_SafetensorsUse_mmap)->IO_SIZES;
