// safetensors interoperability: a small reader and writer written here
// straight from the format's description (Hugging Face's README), sharing no
// code with src/io, read braid's files and write files for braid to read,
// including legal oddities braid itself never writes.
//
// The format: 8 bytes, N as an unsigned little-endian 64-bit integer; N bytes
// of UTF-8 JSON starting with '{' and possibly padded at the end with spaces
// (0x20), mapping each tensor name to {"dtype", "shape", "data_offsets":
// [begin, end]} (offsets relative to the byte after the header), plus an
// optional "__metadata__" object of string to string; then the data bytes,
// little-endian, row-major. Writers pad the header so the data starts at a
// multiple of 8.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>

#include "braid/braid.hpp"
#include "core/temp_files.hpp"

namespace braid {
namespace {

namespace fs = std::filesystem;
using braid::testing::read_file;
using braid::testing::TempDir;
using braid::testing::write_file;

// ---- the independent implementation --------------------------------------------------

struct RefTensor {
  std::string dtype;  // the format's code: "F32", "I64", ...
  std::vector<uint64_t> shape;
  std::string bytes;
};

struct RefFile {
  std::vector<std::string> header_order;  // tensor names as the header lists them
  std::map<std::string, RefTensor> tensors;
  std::optional<std::map<std::string, std::string>> metadata;
  uint64_t header_length = 0;
  std::string header;  // the N header bytes, padding included
};

uint64_t le64(const std::string& b, size_t at) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(b[at + size_t(i)]);
  return v;
}

std::string le64_bytes(uint64_t v) {
  std::string s(8, '\0');
  for (int i = 0; i < 8; ++i) s[size_t(i)] = static_cast<char>(v >> (8 * i));
  return s;
}

// Reads a whole file; ADD_FAILUREs (and returns what it has) on a violation.
RefFile ref_read(const std::string& file) {
  RefFile out;
  if (file.size() < 8) {
    ADD_FAILURE() << "shorter than 8 bytes";
    return out;
  }
  out.header_length = le64(file, 0);
  if (out.header_length > file.size() - 8) {
    ADD_FAILURE() << "header past the end";
    return out;
  }
  out.header = file.substr(8, out.header_length);
  EXPECT_EQ(out.header.front(), '{');
  const nlohmann::ordered_json h = nlohmann::ordered_json::parse(out.header);
  const std::string data = file.substr(8 + out.header_length);
  for (const auto& [name, v] : h.items()) {
    if (name == "__metadata__") {
      out.metadata.emplace();
      for (const auto& [k, s] : v.items()) (*out.metadata)[k] = s.get<std::string>();
      continue;
    }
    const auto offs = v.at("data_offsets").get<std::vector<uint64_t>>();
    EXPECT_EQ(offs.size(), 2u) << name;
    EXPECT_LE(offs[0], offs[1]) << name;
    EXPECT_LE(offs[1], data.size()) << name;
    out.header_order.push_back(name);
    out.tensors[name] = {v.at("dtype").get<std::string>(),
                         v.at("shape").get<std::vector<uint64_t>>(),
                         data.substr(offs[0], offs[1] - offs[0])};
  }
  return out;
}

struct RefWrite {
  std::vector<std::pair<std::string, RefTensor>> tensors;  // header order
  std::vector<size_t> data_order;  // indices into tensors; empty: header order
  std::optional<std::map<std::string, std::string>> metadata;
  bool metadata_last = false;
  bool pretty = false;       // newlines and indentation inside the JSON
  size_t extra_padding = 0;  // spaces beyond the 8-byte alignment
  bool align = true;         // pad so the data starts at a multiple of 8
};

std::string quote(const std::string& s) { return nlohmann::json(s).dump(); }

std::string ref_write(const RefWrite& w) {
  std::vector<size_t> order = w.data_order;
  if (order.empty())
    for (size_t i = 0; i < w.tensors.size(); ++i) order.push_back(i);
  std::vector<std::pair<uint64_t, uint64_t>> offs(w.tensors.size());
  std::string data;
  for (size_t i : order) {
    offs[i] = {data.size(), data.size() + w.tensors[i].second.bytes.size()};
    data += w.tensors[i].second.bytes;
  }
  const std::string nl = w.pretty ? "\n  " : "", sp = w.pretty ? " " : "";
  std::vector<std::string> items;
  for (size_t i = 0; i < w.tensors.size(); ++i) {
    const auto& [name, t] = w.tensors[i];
    std::string shape;
    for (uint64_t d : t.shape) shape += (shape.empty() ? "" : "," + sp) + std::to_string(d);
    items.push_back(quote(name) + ":" + sp + "{\"dtype\":" + sp + quote(t.dtype) + "," + sp +
                    "\"shape\":" + sp + "[" + shape + "]," + sp + "\"data_offsets\":" + sp + "[" +
                    std::to_string(offs[i].first) + "," + sp + std::to_string(offs[i].second) +
                    "]}");
  }
  if (w.metadata) {
    std::string m;
    for (const auto& [k, v] : *w.metadata) m += (m.empty() ? "" : ",") + quote(k) + ":" + quote(v);
    const std::string item = "\"__metadata__\":" + sp + "{" + m + "}";
    if (w.metadata_last)
      items.push_back(item);
    else
      items.insert(items.begin(), item);
  }
  std::string header = "{" + nl;
  for (size_t i = 0; i < items.size(); ++i) header += (i ? "," + nl : "") + items[i];
  header += (w.pretty ? "\n" : "") + std::string("}");
  if (w.align) header.append((8 - header.size() % 8) % 8, ' ');
  header.append(w.extra_padding, ' ');
  return le64_bytes(header.size()) + header + data;
}

template <class T>
std::string raw(const std::vector<T>& v) {
  return {reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T)};
}

// ---- braid's files, read by the independent reader ---------------------------------

std::string bytes_of(const Tensor& t) {
  const Tensor c = t.contiguous();
  return {static_cast<const char*>(c.raw_data()),
          static_cast<size_t>(c.numel()) * c.element_size()};
}

TEST(SafetensorsInterop, TheIndependentReaderReadsBraidsFiles) {
  const TempDir dir("io_interop_read");
  manual_seed(7);
  nn::StateDict sd;
  sd.insert("layer.weight", randn({3, 4}));
  sd.insert("layer.bias", randn({4}, DType::Float64));
  sd.insert("h", randn({5}).to(DType::Float16));
  sd.insert("bf", randn({2, 1}).to(DType::BFloat16));
  sd.insert("steps", tensor(std::vector<int64_t>{1, -2, 3}));
  sd.insert("i32", tensor(std::vector<int32_t>{-7}));
  sd.insert("i8", tensor(std::vector<int8_t>{-1, 2}));
  sd.insert("u8", tensor(std::vector<uint8_t>{255}));
  sd.insert("mask", tensor(std::vector<bool>{true, false, true}));
  sd.insert("scalar", scalar_tensor(2.5));
  sd.insert("none", empty({2, 0, 3}));
  const std::map<std::string, std::string> codes = {
      {"float32", "F32"},   {"float64", "F64"}, {"float16", "F16"},
      {"bfloat16", "BF16"}, {"int64", "I64"},   {"int32", "I32"},
      {"int8", "I8"},       {"uint8", "U8"},    {"bool", "BOOL"}};
  const io::Metadata meta{{"format", "pt"}, {"käse", "\"quoted\"\n"}};
  for (bool with_meta : {true, false}) {
    SCOPED_TRACE(with_meta ? "with metadata" : "without metadata");
    const fs::path p = dir / "b.safetensors";
    io::save_safetensors(sd, p, with_meta ? meta : io::Metadata{});
    const RefFile f = ref_read(read_file(p));
    EXPECT_EQ((8 + f.header_length) % 8, 0u) << "the data starts 8-byte aligned";
    const size_t end = f.header.find_last_of('}');
    EXPECT_EQ(f.header.substr(end + 1), std::string(f.header.size() - end - 1, ' '))
        << "padded with spaces only";
    EXPECT_LT(f.header.size() - end - 1, 8u);
    ASSERT_EQ(f.tensors.size(), sd.size());
    for (const auto& [name, t] : sd) {
      SCOPED_TRACE(name);
      ASSERT_TRUE(f.tensors.count(name));
      const RefTensor& r = f.tensors.at(name);
      EXPECT_EQ(r.dtype, codes.at(std::string(dtype_name(t.dtype()))));
      EXPECT_EQ(r.shape, std::vector<uint64_t>(t.shape().begin(), t.shape().end()));
      EXPECT_EQ(r.bytes, bytes_of(t));
    }
    if (with_meta)
      EXPECT_EQ(f.metadata, meta);
    else
      EXPECT_FALSE(f.metadata.has_value()) << "no __metadata__ key when there is none";
  }
}

// ---- files from the independent writer, read by braid -------------------------------

RefWrite unusual_file() {
  RefWrite w;
  w.tensors = {
      {"z.last", {"F32", {2, 2}, raw(std::vector<float>{1.5f, -2.f, 3.25f, 1e-30f})}},
      {"a.first", {"I64", {3}, raw(std::vector<int64_t>{INT64_MIN, 0, 42})}},
      {"m.empty", {"F16", {0, 5}, ""}},
      {"s.scalar", {"F64", {}, raw(std::vector<double>{-0.125})}},
      {"b.bf16", {"BF16", {2}, raw(std::vector<uint16_t>{0x3f80, 0xc000})}},
      {"q.u8", {"U8", {1, 3}, raw(std::vector<uint8_t>{0, 127, 255})}},
      {"k.bool", {"BOOL", {2}, raw(std::vector<uint8_t>{1, 0})}},
  };
  // Data order differs from header order: small and odd-sized ones first.
  w.data_order = {5, 6, 2, 3, 0, 4, 1};
  return w;
}

void expect_reads_back(const RefWrite& w, const fs::path& p) {
  const std::string file = ref_write(w);
  write_file(p, file);
  for (io::MmapMode mode : {io::MmapMode::Never, io::MmapMode::Always}) {
    SCOPED_TRACE(mode == io::MmapMode::Always ? "mmap" : "read");
    const io::SafetensorsContents got = io::read_safetensors(p, {.mmap = mode});
    ASSERT_EQ(got.tensors.size(), w.tensors.size());
    for (const auto& [name, t] : w.tensors) {
      SCOPED_TRACE(name);
      const Tensor* b = got.tensors.find(name);
      ASSERT_NE(b, nullptr);
      EXPECT_EQ(std::vector<int64_t>(b->shape()),
                std::vector<int64_t>(t.shape.begin(), t.shape.end()));
      EXPECT_EQ(bytes_of(*b), t.bytes);
    }
    EXPECT_EQ(got.metadata, w.metadata.value_or(io::Metadata{}));
    // braid lists tensors in data order.
    EXPECT_EQ(got.tensors.begin()->first,
              w.tensors[w.data_order.empty() ? 0 : w.data_order[0]].first);
  }
}

TEST(SafetensorsInterop, BraidReadsFilesWithLegalOddities) {
  const TempDir dir("io_interop_write");
  const fs::path p = dir / "r.safetensors";
  RefWrite w = unusual_file();  // unsorted keys, shuffled data, empty, 0-dim, no metadata
  {
    SCOPED_TRACE("plain");
    expect_reads_back(w, p);
  }
  const nn::StateDict got = io::load_safetensors(p);
  EXPECT_EQ(got.at("z.last").to_vector<float>(), (std::vector<float>{1.5f, -2.f, 3.25f, 1e-30f}));
  EXPECT_EQ(got.at("s.scalar").dim(), 0);
  EXPECT_EQ(got.at("s.scalar").item<double>(), -0.125);
  EXPECT_EQ(got.at("b.bf16").to_vector<float>(), (std::vector<float>{1.f, -2.f}));
  EXPECT_EQ(got.at("k.bool").to_vector<bool>(), (std::vector<bool>{true, false}));
  EXPECT_EQ(got.at("m.empty").dtype(), DType::Float16);

  w.extra_padding = 24;  // header padded with more spaces than alignment needs
  w.metadata = io::Metadata{{"format", "pt"}, {"b", ""}};
  {
    SCOPED_TRACE("extra padding, metadata first");
    expect_reads_back(w, p);
  }
  w.metadata_last = true;
  w.pretty = true;
  {
    SCOPED_TRACE("pretty JSON, metadata last");
    expect_reads_back(w, p);
  }
  w.align = false;  // legal but unaligned: mapped tensors must be copied
  w.extra_padding = 3;
  {
    SCOPED_TRACE("unaligned data");
    expect_reads_back(w, p);
  }
  RefWrite only_meta;
  only_meta.metadata = io::Metadata{{"k", "v"}};
  write_file(p, ref_write(only_meta));
  EXPECT_TRUE(io::load_safetensors(p).empty());
}

TEST(SafetensorsInterop, RoundTripsThroughBothImplementations) {
  const TempDir dir("io_interop_round");
  RefWrite w = unusual_file();
  w.metadata = io::Metadata{{"format", "pt"}};
  write_file(dir / "in.safetensors", ref_write(w));
  const io::SafetensorsContents got = io::read_safetensors(dir / "in.safetensors");
  io::save_safetensors(got.tensors, dir / "out.safetensors", got.metadata);
  const RefFile back = ref_read(read_file(dir / "out.safetensors"));
  EXPECT_EQ(back.metadata, w.metadata);
  ASSERT_EQ(back.tensors.size(), w.tensors.size());
  for (const auto& [name, t] : w.tensors) {
    SCOPED_TRACE(name);
    EXPECT_EQ(back.tensors.at(name).dtype, t.dtype);
    EXPECT_EQ(back.tensors.at(name).shape, t.shape);
    EXPECT_EQ(back.tensors.at(name).bytes, t.bytes);
  }
}

}  // namespace
}  // namespace braid
