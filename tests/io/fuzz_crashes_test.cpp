// Inputs on which a fuzzer (fuzz/, `make fuzz`) crashed a reader, byte for
// byte as libFuzzer wrote them, under tests/fixtures/fuzz/<reader>/. Each
// must now end in a clear IOError; the named cases also check what it says.
// A new crash file dropped into those folders is covered by the sweeps.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "braid/data/idx.hpp"
#include "braid/io/safetensors.hpp"
#include "braid/ops/ops.hpp"
#include "braid/runtime/graph.hpp"

namespace braid {
namespace {

namespace fs = std::filesystem;

fs::path crash(const std::string& reader, const std::string& name) {
  return fs::path(BRAID_FIXTURE_DIR) / "fuzz" / reader / name;
}

// The IOError message `fn` throws on `path`; fails the test when it does not throw one.
template <class F>
std::string io_error(F fn, const fs::path& path) {
  EXPECT_TRUE(fs::exists(path)) << path;
  try {
    fn(path);
  } catch (const IOError& e) {
    EXPECT_NE(std::string(e.what()).find(path.string()), std::string::npos)
        << "the error should name the file: " << e.what();
    return e.what();
  }
  ADD_FAILURE() << path << ": no IOError";
  return "";
}

template <class F>
void every_crash_is_an_io_error(const std::string& reader, F fn) {
  int n = 0;
  for (const auto& entry : fs::directory_iterator(crash(reader, ""))) {
    SCOPED_TRACE(entry.path().string());
    io_error(fn, entry.path());
    ++n;
  }
  EXPECT_GT(n, 0);
}

auto read_st = [](const fs::path& p) { io::read_safetensors(p); };
auto read_idx = [](const fs::path& p) { data::read_idx(p.string()); };

TEST(FuzzCrashes, SafetensorsEveryCrashIsAnIOError) {
  every_crash_is_an_io_error("safetensors", read_st);
}

TEST(FuzzCrashes, SafetensorsNumberBeyondDoubleRange) {
  // {"dtype":1e400,...}: nlohmann throws out_of_range, not parse_error, and
  // it escaped the reader (std::terminate).
  EXPECT_NE(io_error(read_st, crash("safetensors", "number_out_of_range")).find("not valid JSON"),
            std::string::npos);
}

TEST(FuzzCrashes, SafetensorsEmptyShapeWhoseStridesOverflow) {
  // F32 (0, 2^32, 2^32) needs 0 bytes, so the byte check passed, and
  // contiguous_strides overflowed int64 (UBSan) making the tensor.
  const std::string m = io_error(read_st, crash("safetensors", "empty_shape_overflows_strides"));
  EXPECT_NE(m.find("shape [0,4294967296,4294967296] is too large"), std::string::npos) << m;
}

TEST(FuzzCrashes, SafetensorsMoreDimsThanATensorTakes) {
  // 17 dims: empty() threw ShapeError, without the file's name.
  const std::string m = io_error(read_st, crash("safetensors", "rank_17"));
  EXPECT_NE(m.find("tensor 'a': [empty] at most 16 dims"), std::string::npos) << m;
}

TEST(FuzzCrashes, IdxEveryCrashIsAnIOError) { every_crash_is_an_io_error("idx", read_idx); }

TEST(FuzzCrashes, IdxLyingDimsAllocateNothingBeforeTheData) {
  // A 12-byte int16 file declaring 0x3f0000ff values: the reader allocated
  // 4 GB for the tensor before finding the data missing.
  const std::string m = io_error(read_idx, crash("idx", "int16_billion_values"));
  EXPECT_NE(m.find("the header says dims (1056964863) of int16"), std::string::npos) << m;
  EXPECT_NE(m.find("but the file has 12 bytes"), std::string::npos) << m;
}

TEST(FuzzCrashes, IdxDimsWhoseStridesOverflow) {
  // Dims with a zero among them hold no elements, but their strides (the
  // product of the other dims) overflowed int64 in contiguous_strides.
  const std::string m = io_error(read_idx, crash("idx", "empty_dims_overflow_strides"));
  EXPECT_NE(m.find("are too large"), std::string::npos) << m;
}

TEST(FuzzCrashes, IdxDimsWhoseProductWrapsAround) {
  // 2^20 * 2^16 * 2^29 wrapped to 0 in uint64 and passed the size limit.
  const std::string m = io_error(read_idx, crash("idx", "dims_product_wraps"));
  EXPECT_NE(m.find("are too large"), std::string::npos) << m;
}

TEST(FuzzCrashes, GraphJsonAttributesReadWithoutDanglingIterator) {
  // A valid graph with attributes: attr_from bound `*j.items().begin()` (a
  // reference to a temporary iterator) and read it after the `;`; ASan
  // reported stack-use-after-scope on every attribute (make test-asan,
  // make fuzz). Here: the attributes come back right.
  std::ifstream f(crash("graph_json", "attrs_use_after_scope.json"), std::ios::binary);
  const std::string text{std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
  const runtime::Graph g = runtime::from_json(
      text, {{"fc.weight", ones({3, 4})}, {"fc.bias", zeros({3})}, {"scale", full({1}, 2.0)}});
  ASSERT_EQ(g.nodes.size(), 6u);
  EXPECT_EQ(g.nodes[0].attrs.i("flatten", "start_dim"), 1);
  EXPECT_EQ(g.nodes[0].attrs.i("flatten", "end_dim"), -1);
  EXPECT_DOUBLE_EQ(g.nodes[2].attrs.f("leaky_relu", "negative_slope"), 0.1);
  EXPECT_EQ(g.nodes[4].attrs.ints("sum", "dims"), std::vector<int64_t>{1});
  EXPECT_FALSE(g.nodes[4].attrs.b("sum", "keepdim"));
  EXPECT_EQ(g.nodes[5].attrs.s("to", "dtype"), "float64");
}

TEST(FuzzCrashes, GraphJsonFloatWhereAnIntegerBelongs) {
  // A shape of [1.1e118]: nlohmann cast the float to int64 (UBSan: outside
  // the range of long). Integers must now be JSON integers.
  std::ifstream f(crash("graph_json", "float_shape_out_of_int64.json"), std::ios::binary);
  const std::string text{std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
  try {
    runtime::from_json(text, {{"fc.weight", ones({3, 4})}, {"fc.bias", zeros({3})}});
    ADD_FAILURE() << "no ValueError";
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("expected an integer"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace braid
