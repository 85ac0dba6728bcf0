// safetensors loading through mmap (Note [safetensors mmap]) and dtype
// conversion on load, for state dicts and for modules.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>

#include "braid/braid.hpp"
#include "core/temp_files.hpp"
#include "core/test_util.hpp"

namespace braid {
namespace {

namespace fs = std::filesystem;
using braid::testing::read_file;
using braid::testing::TempDir;
using io::MmapMode;

uint64_t header_length(const fs::path& p) {
  const std::string bytes = read_file(p);
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | static_cast<uint8_t>(bytes[i]);
  return n;
}

std::string bytes_of(const Tensor& t) {
  const Tensor c = t.contiguous();
  return {static_cast<const char*>(c.raw_data()),
          static_cast<size_t>(c.numel()) * c.element_size()};
}

TEST(SafetensorsMmap, TensorsPointIntoTheMappedFile) {
  const TempDir dir("io_mmap");
  manual_seed(3);
  nn::StateDict sd;
  sd.insert("a", randn({3}));                                    // bytes [0, 12)
  sd.insert("b", tensor(std::vector<int32_t>{7, -8}));           // [12, 20)
  sd.insert("c", randn({2, 2}, DType::Float64));                 // [20, 52): misaligned
  sd.insert("d", tensor(std::vector<bool>{true, false, true}));  // [52, 55)
  sd.insert("e", tensor(std::vector<uint8_t>{1, 2, 3, 4, 5}));   // [55, 60)
  sd.insert("f", empty({0, 3}));                                 // [60, 60)
  const fs::path p = dir / "m.safetensors";
  io::save_safetensors(sd, p);
  const uint64_t data_start = 8 + header_length(p);

  const nn::StateDict mapped = io::load_safetensors(p, {.mmap = MmapMode::Always});
  const nn::StateDict read = io::load_safetensors(p, {.mmap = MmapMode::Never});
  ASSERT_EQ(mapped.size(), sd.size());
  for (const auto& [name, t] : sd) {
    SCOPED_TRACE(name);
    EXPECT_EQ(mapped.at(name).shape(), t.shape());
    EXPECT_EQ(mapped.at(name).dtype(), t.dtype());
    EXPECT_EQ(bytes_of(mapped.at(name)), bytes_of(t));
    EXPECT_EQ(bytes_of(read.at(name)), bytes_of(t));
  }
  // No copy: "a" sits where the data starts in a page-aligned mapping, and
  // "b", "d", "e" follow it byte for byte. "c" (float64 at offset 20) is
  // misaligned, so it is copied into an allocator block (64-byte aligned).
  auto addr = [&](const char* n) { return reinterpret_cast<uintptr_t>(mapped.at(n).raw_data()); };
  EXPECT_EQ(addr("a") % 4096, data_start % 4096);
  EXPECT_EQ(addr("b"), addr("a") + 12);
  EXPECT_EQ(addr("d"), addr("a") + 52);
  EXPECT_EQ(addr("e"), addr("a") + 55);
  EXPECT_EQ(addr("c") % 64, 0u);
  // Each tensor has its own storage, so in-place ops on one do not bump
  // another's version counter.
  EXPECT_NE(mapped.at("a").storage(), mapped.at("b").storage());
}

TEST(SafetensorsMmap, WritesStayPrivateAndTheMappingOutlivesTheFile) {
  const TempDir dir("io_mmap_cow");
  nn::StateDict sd;
  sd.insert("w", arange(0, 1024, 1, DType::Float32));
  sd.insert("v", full({4}, 2.5));
  const fs::path p = dir / "m.safetensors";
  io::save_safetensors(sd, p);
  const std::string before = read_file(p);
  Tensor w;
  {
    const nn::StateDict mapped = io::load_safetensors(p, {.mmap = MmapMode::Always});
    w = mapped.at("w");
    Tensor(mapped.at("v")).fill_(-1.0);  // copy-on-write: the file keeps 2.5
    EXPECT_EQ(mapped.at("v").to_vector<float>(), std::vector<float>(4, -1.0f));
  }
  EXPECT_EQ(read_file(p), before);
  EXPECT_EQ(io::load_safetensors(p).at("v").to_vector<float>(), std::vector<float>(4, 2.5f));
  // The other tensors are gone and so is the file; `w` keeps the mapping alive.
  fs::remove(p);
  const std::vector<float> v = w.to_vector<float>();
  for (int i = 0; i < 1024; ++i) ASSERT_EQ(v[size_t(i)], float(i));
}

TEST(SafetensorsMmap, ATruncatedLargeFileIsRefusedBeforeItsBytesAreTouched) {
  const TempDir dir("io_mmap_trunc");
  nn::StateDict sd;
  const int64_t n = int64_t(io::kMmapThreshold / 4) + 16;  // mapped under Auto
  sd.insert("big", zeros({n}));
  const fs::path whole = dir / "whole.safetensors", p = dir / "t.safetensors";
  io::save_safetensors(sd, whole);
  const uint64_t size = fs::file_size(whole);
  ASSERT_GE(size, io::kMmapThreshold);
  for (uint64_t keep : {size - 1, size / 2, uint64_t{100}, uint64_t{8}}) {
    SCOPED_TRACE(keep);
    fs::copy_file(whole, p, fs::copy_options::overwrite_existing);
    fs::resize_file(p, keep);
    for (MmapMode mode : {MmapMode::Auto, MmapMode::Always})
      EXPECT_THROW(io::load_safetensors(p, {.mmap = mode}), IOError);
  }
  fs::copy_file(whole, p, fs::copy_options::overwrite_existing);
  fs::resize_file(p, size / 2);
  BRAID_EXPECT_THROW_HAS(
      io::load_safetensors(p), IOError,
      fmt::format("tensor 'big': data_offsets [0, {}] run past the data", n * 4));
  BRAID_EXPECT_THROW_HAS(io::load_safetensors(dir.path()), IOError, "not a regular file");
  EXPECT_EQ(io::load_safetensors(whole).at("big").numel(), n);
}

TEST(SafetensorsMmap, ConvertsFloatingTensorsWhenAsked) {
  const TempDir dir("io_convert");
  nn::StateDict sd;
  sd.insert("h", tensor(std::vector<float>{1.5f, -2.25f, 65504.f}).to(DType::Float16));
  sd.insert("bf", tensor(std::vector<float>{0.5f, 3.0f}).to(DType::BFloat16));
  sd.insert("d", tensor(std::vector<double>{1.0 / 3, 1e-3}));
  sd.insert("f", tensor(std::vector<float>{7.f}));
  sd.insert("i", tensor(std::vector<int64_t>{1, 2}));
  sd.insert("b", tensor(std::vector<bool>{true}));
  const fs::path p = dir / "c.safetensors";
  io::save_safetensors(sd, p);
  for (MmapMode mode : {MmapMode::Never, MmapMode::Always}) {
    const nn::StateDict got = io::load_safetensors(p, {.dtype = DType::Float32, .mmap = mode});
    EXPECT_EQ(got.at("h").dtype(), DType::Float32);
    EXPECT_EQ(got.at("h").to_vector<float>(), (std::vector<float>{1.5f, -2.25f, 65504.f}));
    EXPECT_EQ(got.at("bf").to_vector<float>(), (std::vector<float>{0.5f, 3.0f}));
    EXPECT_EQ(got.at("d").dtype(), DType::Float32);
    EXPECT_EQ(got.at("d").to_vector<float>(), (std::vector<float>{float(1.0 / 3), 1e-3f}));
    EXPECT_EQ(got.at("i").dtype(), DType::Int64) << "integer tensors keep their dtype";
    EXPECT_EQ(got.at("b").dtype(), DType::Bool);
    const nn::StateDict half = io::load_safetensors(p, {.dtype = DType::Float16, .mmap = mode});
    EXPECT_EQ(half.at("d").dtype(), DType::Float16);
    EXPECT_EQ(half.at("f").to_vector<float>(), std::vector<float>{7.f});
  }
  BRAID_EXPECT_THROW_HAS(io::load_safetensors(p, {.dtype = DType::Int32}), ValueError,
                         "LoadOptions::dtype must be a floating dtype to convert to; got int32");
}

struct Net : nn::Module {
  nn::Linear& fc = register_module("fc", nn::Linear(3, 2));
  nn::BatchNorm1d& bn = register_module("bn", nn::BatchNorm1d(2));
};

TEST(SafetensorsMmap, ModuleLoadConvertsToTheModulesDTypeOnlyWhenAsked) {
  const TempDir dir("io_module_convert");
  manual_seed(4);
  Net half;
  half.to(DType::Float16);
  const fs::path p = dir / "h.safetensors";
  io::save(half, p);
  manual_seed(5);
  Net net;
  const std::vector<float> before = net.fc.weight.to_vector<float>();
  BRAID_EXPECT_THROW_HAS(io::load(net, p), DTypeError,
                         "dtypes differ for 'fc.weight': file float16 vs module float32");
  BRAID_EXPECT_THROW_HAS(io::load(net, p), DTypeError, "pass {.convert_dtype = true} to convert");
  EXPECT_EQ(net.fc.weight.to_vector<float>(), before) << "a refused load changes nothing";
  io::load(net, p, {.convert_dtype = true});
  EXPECT_EQ(net.fc.weight.dtype(), DType::Float32);
  EXPECT_EQ(net.fc.weight.to_vector<float>(), half.fc.weight.to_vector<float>());
  EXPECT_EQ(net.bn.running_var.to_vector<float>(), half.bn.running_var.to_vector<float>());
  EXPECT_EQ(net.bn.num_batches_tracked.dtype(), DType::Int64);
}

}  // namespace
}  // namespace braid
