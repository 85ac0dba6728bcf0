// safetensors: bit-exact round trips, files written on the PyTorch side
// (scripts/gen_io_fixtures.py), every validation of a hostile header, and
// module weight files.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "braid/braid.hpp"
#include "core/temp_files.hpp"
#include "core/test_util.hpp"

namespace braid {
namespace {

namespace fs = std::filesystem;
using braid::testing::read_file;
using braid::testing::TempDir;
using braid::testing::write_file;
using nlohmann::json;

const char* kRegenerate = "/usr/bin/python3 scripts/gen_io_fixtures.py";

std::string u64le(uint64_t v) {
  std::string s(8, '\0');
  for (int i = 0; i < 8; ++i) s[i] = static_cast<char>((v >> (8 * i)) & 0xff);
  return s;
}
// A file with the given header text and data bytes; `len` overrides the
// header length field.
std::string st_file(const std::string& header, const std::string& data,
                    std::optional<uint64_t> len = std::nullopt) {
  return u64le(len.value_or(header.size())) + header + data;
}
std::string bytes_of(const Tensor& t) {
  const Tensor c = t.contiguous();
  return {static_cast<const char*>(c.raw_data()),
          static_cast<size_t>(c.numel()) * c.element_size()};
}
template <class T>
T from_bits(uint64_t bits) {
  T v;
  std::memcpy(&v, &bits, sizeof(T));
  return v;
}
Half half_bits(uint16_t b) {
  Half h;
  h.bits = b;
  return h;
}
BFloat16 bf16_bits(uint16_t b) {
  BFloat16 h;
  h.bits = b;
  return h;
}

TEST(Safetensors, RoundTripsEveryDTypeBitExactly) {
  const TempDir dir("io_roundtrip");
  nn::StateDict sd;
  sd.insert("z.bool", tensor(std::vector<bool>{true, false, false, true}, {2, 2}));
  sd.insert("u8", tensor(std::vector<uint8_t>{0, 1, 128, 255}));
  sd.insert("i8", tensor(std::vector<int8_t>{-128, -1, 0, 127}));
  sd.insert("i32", tensor(std::vector<int32_t>{INT32_MIN, -5, INT32_MAX}));
  sd.insert("i64", tensor(std::vector<int64_t>{INT64_MIN, 0, INT64_MAX}));
  sd.insert("f16", tensor(std::vector<Half>{half_bits(0x7e01), half_bits(0x8000), half_bits(0x0001),
                                            half_bits(0x7bff)}));
  sd.insert("bf16", tensor(std::vector<BFloat16>{bf16_bits(0x7fc1), bf16_bits(0xff80),
                                                 bf16_bits(0x0001), bf16_bits(0x3f80)}));
  sd.insert("f32", tensor(std::vector<float>{from_bits<float>(0x7fc00001), -0.0f,
                                             from_bits<float>(1), -INFINITY, 3.25f, 1e38f},
                          {3, 2}));
  sd.insert("f64", tensor(std::vector<double>{from_bits<double>(0x7ff0000000000001ULL), -0.0,
                                              4.9e-324, 1.0 / 3}));
  sd.insert("scalar", scalar_tensor(7.5));
  sd.insert("empty", empty({0, 4}));
  sd.insert("transposed", tensor(std::vector<float>{1, 2, 3, 4, 5, 6}, {2, 3}).t());
  const io::Metadata meta{{"format", "pt"}, {"note", "ünïcode ✓"}};
  io::save_safetensors(sd, dir / "a.safetensors", meta);

  const io::SafetensorsContents got = io::read_safetensors(dir / "a.safetensors");
  EXPECT_EQ(got.metadata, meta);
  ASSERT_EQ(got.tensors.size(), sd.size());
  auto it = got.tensors.begin();
  for (const auto& [name, want] : sd) {  // same order: the file's data order
    EXPECT_EQ(it->first, name);
    EXPECT_EQ(it->second.dtype(), want.dtype()) << name;
    EXPECT_EQ(it->second.shape(), want.shape()) << name;
    EXPECT_EQ(bytes_of(it->second), bytes_of(want)) << name;
    ++it;
  }
  EXPECT_EQ(got.tensors.at("transposed").to_vector<float>(),
            (std::vector<float>{1, 4, 2, 5, 3, 6}));
  EXPECT_EQ(std::distance(fs::directory_iterator(dir.path()), fs::directory_iterator()), 1)
      << "the temporary file was renamed away";
}

TEST(Safetensors, WritesTheFormatsLayout) {
  const TempDir dir("io_layout");
  nn::StateDict sd;
  sd.insert("b", tensor(std::vector<float>{1, 2, 3}));
  sd.insert("a", tensor(std::vector<int64_t>{4}, {1, 1}));
  io::save_safetensors(sd, dir / "x.safetensors");
  const std::string bytes = read_file(dir / "x.safetensors");
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | static_cast<uint8_t>(bytes[i]);
  EXPECT_EQ((8 + n) % 8, 0u) << "data starts 8-byte aligned";
  ASSERT_EQ(bytes.size(), 8 + n + 12 + 8);
  const std::string header = bytes.substr(8, n);
  EXPECT_EQ(header.find_last_not_of(' '), header.find_last_of('}')) << "padded with spaces";
  EXPECT_EQ(json::parse(header),
            json::parse(R"({"b": {"dtype": "F32", "shape": [3], "data_offsets": [0, 12]},
                            "a": {"dtype": "I64", "shape": [1, 1], "data_offsets": [12, 20]}})"));
  float f[3];
  std::memcpy(f, bytes.data() + 8 + n, 12);
  EXPECT_EQ(f[2], 3.0f);
  // Saving again replaces the file whole.
  sd.insert("b", tensor(std::vector<float>{9}));
  io::save_safetensors(sd, dir / "x.safetensors");
  EXPECT_EQ(io::load_safetensors(dir / "x.safetensors").at("b").to_vector<float>(),
            std::vector<float>{9});
  BRAID_EXPECT_THROW_HAS(io::save_safetensors(sd, dir / "no" / "such" / "x.safetensors"), IOError,
                         "cannot create");
  nn::StateDict bad;
  bad.insert("__metadata__", tensor(std::vector<float>{1}));
  BRAID_EXPECT_THROW_HAS(io::save_safetensors(bad, dir / "y.safetensors"), ValueError,
                         "'__metadata__' cannot name a tensor");
  EXPECT_FALSE(fs::exists(dir / "y.safetensors"));
}

TEST(Safetensors, LoadsAFileWrittenOnThePyTorchSide) {
  const fs::path fx = fs::path(BRAID_FIXTURE_DIR) / "io";
  std::ifstream jf(fx / "torch_dtypes.json");
  ASSERT_TRUE(jf) << "missing fixture; regenerate: " << kRegenerate;
  const json want = json::parse(jf);
  const io::SafetensorsContents got = io::read_safetensors(fx / "torch_dtypes.safetensors");
  EXPECT_EQ(got.metadata, (io::Metadata{{"format", "pt"}}));
  ASSERT_EQ(got.tensors.size(), want["tensors"].size());
  for (const auto& [name, w] : want["tensors"].items()) {
    SCOPED_TRACE(name + " (regenerate: " + kRegenerate + ")");
    const Tensor* t = got.tensors.find(name);
    ASSERT_NE(t, nullptr);
    EXPECT_EQ(dtype_name(t->dtype()), w["dtype"].get<std::string>());
    EXPECT_EQ(std::vector<int64_t>(t->shape()), w["shape"].get<std::vector<int64_t>>());
    if (t->dtype() == DType::Bool)
      EXPECT_EQ(t->to_vector<bool>(), w["values"].get<std::vector<bool>>());
    else if (t->is_floating_point())
      EXPECT_EQ(t->to_vector<double>(), w["values"].get<std::vector<double>>());
    else
      EXPECT_EQ(t->to_vector<int64_t>(), w["values"].get<std::vector<int64_t>>());
  }
  // The data is ordered by element size, the header by name: order follows the data.
  EXPECT_EQ(got.tensors.begin()->first, "f64");
}

// PyTorch's nn.Sequential(Linear(4, 5), ReLU(), Linear(5, 3)) as a plain module.
struct Mlp : nn::Module {
  nn::Linear& l0 = register_module("0", nn::Linear(4, 5));
  nn::Linear& l2 = register_module("2", nn::Linear(5, 3));
  Tensor forward(const Tensor& x) override { return l2(relu(l0(x))); }
};

TEST(Safetensors, PyTorchWeightsGiveBraidTheSameOutputs) {
  const fs::path fx = fs::path(BRAID_FIXTURE_DIR) / "io";
  std::ifstream jf(fx / "torch_mlp.json");
  ASSERT_TRUE(jf) << "missing fixture; regenerate: " << kRegenerate;
  const json want = json::parse(jf);
  Mlp mlp;
  io::load(mlp, fx / "torch_mlp.safetensors");
  const Tensor x = tensor(want["x"]["values"].get<std::vector<float>>(), {2, 4});
  const std::vector<float> y = mlp(x).to_vector<float>();
  const auto ty = want["y"]["values"].get<std::vector<float>>();
  ASSERT_EQ(y.size(), ty.size());
  for (size_t i = 0; i < y.size(); ++i) EXPECT_NEAR(y[i], ty[i], 1e-6) << i << "; " << kRegenerate;
}

TEST(Safetensors, ModuleSavesAndLoadsIntoAFreshModel) {
  const TempDir dir("io_module");
  manual_seed(1);
  Mlp a;
  io::save(a, dir / "m.safetensors");
  const auto meta = io::read_safetensors(dir / "m.safetensors").metadata;
  EXPECT_EQ(meta.at("braid.format"), "module");
  EXPECT_EQ(meta.at("braid.module"), a.str());
  EXPECT_EQ(meta.at("braid.version"), version());
  manual_seed(2);
  Mlp b;
  const Tensor x = tensor({{0.5f, -1.f, 2.f, 0.f}, {1.f, 1.f, -3.f, 0.25f}});
  EXPECT_NE(a(x).to_vector<float>(), b(x).to_vector<float>());
  Tensor handle = b.l0.weight;
  io::load(b, dir / "m.safetensors");
  EXPECT_EQ(a(x).to_vector<float>(), b(x).to_vector<float>());
  EXPECT_EQ(handle.impl_ptr(), b.l0.weight.impl_ptr()) << "loaded in place";

  struct Bigger : nn::Module {
    nn::Linear& l0 = register_module("0", nn::Linear(4, 5));
    nn::Linear& l2 = register_module("2", nn::Linear(5, 3));
    nn::Linear& l4 = register_module("4", nn::Linear(3, 1));
  } big;
  const std::vector<float> before = big.l0.weight.to_vector<float>();
  BRAID_EXPECT_THROW_HAS(io::load(big, dir / "m.safetensors"), ValueError,
                         "missing: 4.weight, 4.bias; unexpected: none\n  in io::load from " +
                             (dir / "m.safetensors").string() + ", which holds:\nMlp(");
  EXPECT_EQ(big.l0.weight.to_vector<float>(), before) << "a failed load changes nothing";
  const nn::LoadResult r = io::load(big, dir / "m.safetensors", /*strict=*/false);
  EXPECT_EQ(r.missing_keys, (std::vector<std::string>{"4.weight", "4.bias"}));
  EXPECT_EQ(big.l0.weight.to_vector<float>(), a.l0.weight.to_vector<float>());
}

struct Hostile {
  const char* what;
  std::string bytes;
  std::string message;  // after "[load_safetensors] <file>: "
};

TEST(Safetensors, HostileFilesGiveClearErrors) {
  const TempDir dir("io_hostile");
  const std::string f4(4, '\0'), f8(8, '\0');
  auto entry = [](const std::string& dtype, const std::string& shape, const std::string& offs) {
    return R"({"dtype":")" + dtype + R"(","shape":)" + shape + R"(,"data_offsets":)" + offs + "}";
  };
  const std::vector<Hostile> cases = {
      {"short", "abc", "the file has 3 bytes, fewer than the 8-byte header length"},
      {"len past end", st_file("{}", "", 100),
       "header length 100 runs past the end of the file (2 bytes after the length)"},
      {"len over cap", st_file("{}", "", (100 << 20) + 1),
       "header length 104857601 exceeds the 100 MB limit"},
      {"not json", st_file("{\"a\":", ""), "the header is not valid JSON: "},
      {"not object", st_file("[1, 2]", ""), "the header must be a JSON object; got array"},
      {"duplicate",
       st_file(R"({"a":)" + entry("F32", "[1]", "[0,4]") + R"(,"a":)" +
                   entry("F32", "[1]", "[0,4]") + "}",
               f4),
       "key 'a' appears twice in the header"},
      {"metadata not object", st_file(R"({"__metadata__":[1]})", ""),
       "__metadata__ must be an object; got [1]"},
      {"metadata not string", st_file(R"({"__metadata__":{"k":1}})", ""),
       "__metadata__ 'k' must be a string; got 1"},
      {"entry not object", st_file(R"({"w":3})", ""),
       "tensor 'w': expected an object with dtype, shape and data_offsets; got 3"},
      {"missing offsets", st_file(R"({"w":{"dtype":"F32","shape":[1]}})", f4),
       "tensor 'w': missing \"data_offsets\""},
      {"unknown dtype", st_file(R"({"w":)" + entry("F17", "[1]", "[0,4]") + "}", f4),
       "tensor 'w': unknown dtype \"F17\""},
      {"unsupported dtype", st_file(R"({"w":)" + entry("U16", "[2]", "[0,4]") + "}", f4),
       "tensor 'w': dtype U16 has no braid equivalent (braid reads BOOL, U8, I8, I32, I64, F16, "
       "BF16, F32, F64)"},
      {"negative dim", st_file(R"({"w":)" + entry("F32", "[-1]", "[0,4]") + "}", f4),
       "tensor 'w': shape must be a list of non-negative integers; got [-1]"},
      {"float dim", st_file(R"({"w":)" + entry("F32", "[1.5]", "[0,4]") + "}", f4),
       "tensor 'w': shape must be a list of non-negative integers; got [1.5]"},
      {"offsets arity", st_file(R"({"w":)" + entry("F32", "[1]", "[0,4,8]") + "}", f4),
       "tensor 'w': data_offsets must be [begin, end] with begin <= end; got [0,4,8]"},
      {"offsets reversed", st_file(R"({"w":)" + entry("F32", "[0]", "[4,0]") + "}", f4),
       "tensor 'w': data_offsets must be [begin, end] with begin <= end; got [4,0]"},
      {"huge shape",
       st_file(R"({"w":)" + entry("F32", "[4294967296,4294967296]", "[0,4]") + "}", f4),
       "tensor 'w': shape [4294967296,4294967296] is too large"},
      {"bytes vs shape", st_file(R"({"w":)" + entry("F32", "[2,3]", "[0,8]") + "}", f8),
       "tensor 'w': shape [2,3] of F32 needs 24 bytes but data_offsets [0, 8] hold 8"},
      {"out of bounds", st_file(R"({"w":)" + entry("F32", "[2]", "[4,12]") + "}", f8),
       "tensor 'w': data_offsets [4, 12] run past the data (8 bytes)"},
      {"gap", st_file(R"({"w":)" + entry("F32", "[1]", "[4,8]") + "}", f8),
       "tensor 'w' starts at byte 4 but the data starts at byte 0 (tensors must be contiguous, "
       "without gaps or overlaps)"},
      {"overlap",
       st_file(R"({"v":)" + entry("F32", "[2]", "[0,8]") + R"(,"w":)" +
                   entry("F32", "[1]", "[4,8]") + "}",
               f8),
       "tensor 'w' starts at byte 4 but 'v' ends at byte 8 (tensors must be contiguous, without "
       "gaps or overlaps)"},
      {"trailing", st_file(R"({"w":)" + entry("F32", "[1]", "[0,4]") + "}", f8),
       "the tensors cover 4 bytes but the data section has 8 (trailing bytes)"},
      {"bad bool",
       st_file(R"({"w":)" + entry("BOOL", "[3]", "[0,3]") + "}", std::string("\1\0\2", 3)),
       "tensor 'w': BOOL element 2 is 2, not 0 or 1"},
  };
  // Mapped or read, the same checks run before any data byte is touched.
  for (io::MmapMode mode : {io::MmapMode::Never, io::MmapMode::Always})
    for (const Hostile& c : cases) {
      SCOPED_TRACE(std::string(c.what) + (mode == io::MmapMode::Always ? " (mmap)" : " (read)"));
      const fs::path p = dir / "h.safetensors";
      write_file(p, c.bytes);
      BRAID_EXPECT_THROW_HAS(io::load_safetensors(p, {.mmap = mode}), IOError,
                             "[load_safetensors] " + p.string() + ": " + c.message);
    }
  BRAID_EXPECT_THROW_HAS(io::load_safetensors(dir / "missing.safetensors"), IOError,
                         "missing.safetensors: cannot open the file");
  // Metadata only, no tensors, is a valid (empty) file.
  write_file(dir / "e.safetensors", st_file(R"({"__metadata__":{"k":"v"}})", ""));
  EXPECT_TRUE(io::load_safetensors(dir / "e.safetensors").empty());
}

}  // namespace
}  // namespace braid
