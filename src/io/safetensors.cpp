// safetensors reading and writing (see braid/io/safetensors.hpp).
#include "braid/io/safetensors.hpp"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>

#include "braid/core/grad_mode.hpp"

namespace braid::io {

namespace fs = std::filesystem;
using json = nlohmann::ordered_json;

static_assert(std::endian::native == std::endian::little,
              "safetensors data is little-endian and is copied as host bytes");

namespace {

// safetensors caps the header at 100 MB; a larger length is a corrupt file.
constexpr uint64_t kMaxHeader = uint64_t(100) << 20;

constexpr std::pair<DType, std::string_view> kCodes[] = {
    {DType::Bool, "BOOL"},     {DType::UInt8, "U8"},    {DType::Int8, "I8"},
    {DType::Int32, "I32"},     {DType::Int64, "I64"},   {DType::Float16, "F16"},
    {DType::BFloat16, "BF16"}, {DType::Float32, "F32"}, {DType::Float64, "F64"}};
// In the format but without a braid dtype: refused by name, not as garbage.
constexpr std::string_view kUnsupported[] = {
    "I16", "U16", "U32", "U64", "F8_E4M3", "F8_E5M2", "F8_E8M0", "F6_E2M3", "F6_E3M2", "F4", "C64"};

std::string_view code_of(DType t) {
  for (const auto& [d, c] : kCodes)
    if (d == t) return c;
  BRAID_ASSERT(false);
  return {};
}

struct Entry {
  std::string name;
  DType dtype;
  Shape shape;
  uint64_t begin, end;
};

// ---- writing -------------------------------------------------------------------------

std::string make_header(const std::vector<std::pair<std::string, Tensor>>& tensors,
                        const Metadata& metadata, const fs::path& path) {
  json header = json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  uint64_t offset = 0;
  for (const auto& [name, t] : tensors) {
    const uint64_t bytes = static_cast<uint64_t>(t.numel()) * t.element_size();
    header[name] = {{"dtype", code_of(t.dtype())},
                    {"shape", std::vector<int64_t>(t.shape())},
                    {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
  }
  std::string text;
  try {
    text = header.dump();
  } catch (const json::exception& e) {
    BRAID_CHECK(false, ValueError, "save_safetensors",
                "{}: a key or metadata value is not UTF-8 ({})", path.string(), e.what());
  }
  // Pad with spaces so the data starts at a multiple of 8 bytes (mmap-able).
  text.append((8 - (8 + text.size()) % 8) % 8, ' ');
  return text;
}

// Writes everything to a temporary file next to `path`, then renames it into
// place: a reader never sees half a file, and a failure leaves `path` as it was.
void write_atomically(const fs::path& path, const std::string& head,
                      const std::vector<std::pair<std::string, Tensor>>& tensors) {
  constexpr const char* kOp = "save_safetensors";
  static std::atomic<int> counter{0};
  const fs::path tmp =
      path.parent_path() / (path.filename().string() + ".tmp" + std::to_string(::getpid()) + "-" +
                            std::to_string(counter++));
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  BRAID_CHECK(f, IOError, kOp, "{}: cannot create {}: {}", path.string(), tmp.string(),
              std::strerror(errno));
  bool ok = std::fwrite(head.data(), 1, head.size(), f) == head.size();
  for (const auto& [name, t] : tensors) {
    const size_t bytes = static_cast<size_t>(t.numel()) * t.element_size();
    ok = ok && (bytes == 0 || std::fwrite(t.raw_data(), 1, bytes, f) == bytes);
  }
  ok = ok && std::fflush(f) == 0 && ::fsync(::fileno(f)) == 0;
  const int err = errno;
  ok = (std::fclose(f) == 0) && ok;
  std::error_code ec;
  if (ok) fs::rename(tmp, path, ec);
  std::error_code ignored;
  if (!ok || ec) fs::remove(tmp, ignored);
  BRAID_CHECK(ok && !ec, IOError, kOp, "{}: writing failed: {}", path.string(),
              ec ? ec.message() : std::strerror(err));
}

}  // namespace

void save_safetensors(const nn::StateDict& state, const fs::path& path, const Metadata& metadata) {
  constexpr const char* kOp = "save_safetensors";
  NoGradGuard no_grad;
  std::vector<std::pair<std::string, Tensor>> tensors;
  for (const auto& [name, t] : state) {
    BRAID_CHECK(!name.empty() && name != "__metadata__", ValueError, kOp,
                "{}: '{}' cannot name a tensor", path.string(), name);
    BRAID_CHECK(t.defined(), ValueError, kOp, "{}: tensor '{}' is undefined", path.string(), name);
    tensors.emplace_back(name, t.contiguous());
  }
  const std::string head = make_header(tensors, metadata, path);
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((uint64_t(head.size()) >> (8 * i)) & 0xff);
  write_atomically(path, out + head, tensors);
}

// ---- reading -------------------------------------------------------------------------

namespace {

constexpr const char* kLoad = "load_safetensors";

Entry parse_entry(const std::string& name, const json& v, const std::string& file) {
  const std::string where = fmt::format("{}: tensor '{}'", file, name);
  BRAID_CHECK(v.is_object(), IOError, kLoad,
              "{}: expected an object with dtype, shape and data_offsets; got {}", where, v.dump());
  for (const char* k : {"dtype", "shape", "data_offsets"})
    BRAID_CHECK(v.contains(k), IOError, kLoad, "{}: missing \"{}\"", where, k);
  const json& dt = v["dtype"];
  BRAID_CHECK(dt.is_string(), IOError, kLoad, "{}: dtype must be a string; got {}", where,
              dt.dump());
  const std::string code = dt.get<std::string>();
  std::optional<DType> dtype;
  for (const auto& [d, c] : kCodes)
    if (c == code) dtype = d;
  BRAID_CHECK(dtype || std::find(std::begin(kUnsupported), std::end(kUnsupported), code) ==
                           std::end(kUnsupported),
              IOError, kLoad,
              "{}: dtype {} has no braid equivalent (braid reads BOOL, U8, I8, I32, I64, F16, "
              "BF16, F32, F64)",
              where, code);
  BRAID_CHECK(dtype, IOError, kLoad, "{}: unknown dtype \"{}\"", where, code);

  auto uints = [&](const char* key) {
    const json& a = v[key];
    bool ok = a.is_array();
    for (const json& x : a) ok = ok && x.is_number_unsigned();
    BRAID_CHECK(ok, IOError, kLoad, "{}: {} must be a list of non-negative integers; got {}", where,
                key, a.dump());
    return a.get<std::vector<uint64_t>>();
  };
  const std::vector<uint64_t> dims = uints("shape"), offs = uints("data_offsets");
  BRAID_CHECK(offs.size() == 2 && offs[0] <= offs[1], IOError, kLoad,
              "{}: data_offsets must be [begin, end] with begin <= end; got {}", where,
              v["data_offsets"].dump());
  // `span` skips zeros: (0, 2^32, 2^32) has no bytes, but its strides (the
  // product of the later dims) must still fit in int64.
  uint64_t bytes = dtype_size(*dtype), span = 1;
  for (uint64_t d : dims)
    BRAID_CHECK(d <= uint64_t(INT64_MAX) && !__builtin_mul_overflow(bytes, d, &bytes) &&
                    !__builtin_mul_overflow(span, std::max<uint64_t>(d, 1), &span) &&
                    span <= uint64_t(INT64_MAX),
                IOError, kLoad, "{}: shape {} is too large", where, v["shape"].dump());
  BRAID_CHECK(bytes == offs[1] - offs[0], IOError, kLoad,
              "{}: shape {} of {} needs {} bytes but data_offsets [{}, {}] hold {}", where,
              v["shape"].dump(), code, bytes, offs[0], offs[1], offs[1] - offs[0]);
  return {name, *dtype, Shape(dims.begin(), dims.end()), offs[0], offs[1]};
}

// Parses the header; nlohmann keeps the last of two equal keys, so duplicates
// are caught while parsing (a file with two "fc.weight" is corrupt).
json parse_header(const std::string& text, const std::string& file) {
  std::string duplicate;
  std::set<std::string> keys;
  json header;
  try {
    header = json::parse(text, [&](int depth, json::parse_event_t ev, json& k) {
      if (depth == 1 && ev == json::parse_event_t::key && !keys.insert(k.get<std::string>()).second)
        duplicate = k.get<std::string>();
      return true;
    });
  } catch (const json::exception& e) {
    // Not only parse_error: a number beyond double's range (1e400) is out_of_range.
    BRAID_CHECK(false, IOError, kLoad, "{}: the header is not valid JSON: {}", file, e.what());
  }
  BRAID_CHECK(header.is_object(), IOError, kLoad, "{}: the header must be a JSON object; got {}",
              file, header.type_name());
  BRAID_CHECK(duplicate.empty(), IOError, kLoad, "{}: key '{}' appears twice in the header", file,
              duplicate);
  return header;
}

// The tensors must tile the data exactly: sorted by offset, each starts where
// the previous one ends, and the last ends at the end of the file.
void check_tiling(std::vector<Entry>& entries, uint64_t data_size, const std::string& file) {
  std::stable_sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    return a.begin < b.begin || (a.begin == b.begin && a.end < b.end);
  });
  uint64_t at = 0;
  const Entry* prev = nullptr;
  for (const Entry& e : entries) {
    BRAID_CHECK(e.begin == at, IOError, kLoad,
                "{}: tensor '{}' starts at byte {} but {} (tensors must be contiguous, without "
                "gaps or overlaps)",
                file, e.name, e.begin,
                prev ? fmt::format("'{}' ends at byte {}", prev->name, at)
                     : std::string("the data starts at byte 0"));
    at = e.end;
    prev = &e;
  }
  BRAID_CHECK(at == data_size, IOError, kLoad,
              "{}: the tensors cover {} bytes but the data section has {} (trailing bytes)", file,
              at, data_size);
}

}  // namespace

SafetensorsContents read_safetensors(const fs::path& path) {
  const std::string file = path.string();
  std::error_code ec;
  const uint64_t size = fs::file_size(path, ec);
  BRAID_CHECK(!ec, IOError, kLoad, "{}: cannot open the file: {}", file, ec.message());
  std::ifstream f(path, std::ios::binary);
  BRAID_CHECK(f.good(), IOError, kLoad, "{}: cannot open the file", file);
  BRAID_CHECK(size >= 8, IOError, kLoad,
              "{}: the file has {} bytes, fewer than the 8-byte header length", file, size);
  unsigned char len_bytes[8];
  f.read(reinterpret_cast<char*>(len_bytes), 8);
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | len_bytes[i];
  BRAID_CHECK(n <= kMaxHeader, IOError, kLoad, "{}: header length {} exceeds the 100 MB limit",
              file, n);
  BRAID_CHECK(n <= size - 8, IOError, kLoad,
              "{}: header length {} runs past the end of the file ({} bytes after the length)",
              file, n, size - 8);
  std::string text(n, '\0');
  f.read(text.data(), static_cast<std::streamsize>(n));
  BRAID_CHECK(f.good(), IOError, kLoad, "{}: reading the header failed", file);
  const json header = parse_header(text, file);

  SafetensorsContents out;
  std::vector<Entry> entries;
  const uint64_t data_size = size - 8 - n;
  for (const auto& [name, v] : header.items()) {
    if (name == "__metadata__") {
      BRAID_CHECK(v.is_object(), IOError, kLoad, "{}: __metadata__ must be an object; got {}", file,
                  v.dump());
      for (const auto& [k, s] : v.items()) {
        BRAID_CHECK(s.is_string(), IOError, kLoad, "{}: __metadata__ '{}' must be a string; got {}",
                    file, k, s.dump());
        out.metadata[k] = s.get<std::string>();
      }
      continue;
    }
    const Entry& e = entries.emplace_back(parse_entry(name, v, file));
    BRAID_CHECK(e.end <= data_size, IOError, kLoad,
                "{}: tensor '{}': data_offsets [{}, {}] run past the data ({} bytes)", file, name,
                e.begin, e.end, data_size);
  }
  check_tiling(entries, data_size, file);

  // Tiled in order, so the data reads front to back straight into the tensors.
  for (const Entry& e : entries) {
    Tensor t;
    try {
      t = empty(e.shape, e.dtype);
    } catch (const ShapeError& err) {  // more dims than braid's tensors take
      BRAID_CHECK(false, IOError, kLoad, "{}: tensor '{}': {}", file, e.name, err.what());
    }
    if (e.end == e.begin) {
      out.tensors.insert(e.name, std::move(t));
      continue;
    }
    f.read(static_cast<char*>(t.raw_data()), static_cast<std::streamsize>(e.end - e.begin));
    BRAID_CHECK(f.good(), IOError, kLoad, "{}: tensor '{}': reading its data failed", file, e.name);
    if (e.dtype == DType::Bool) {
      const auto* b = static_cast<const uint8_t*>(t.raw_data());
      const auto* bad = std::find_if(b, b + t.numel(), [](uint8_t x) { return x > 1; });
      BRAID_CHECK(bad == b + t.numel(), IOError, kLoad,
                  "{}: tensor '{}': BOOL element {} is {}, not 0 or 1", file, e.name, bad - b,
                  int(*bad));
    }
    out.tensors.insert(e.name, std::move(t));
  }
  return out;
}

nn::StateDict load_safetensors(const fs::path& path) { return read_safetensors(path).tensors; }

}  // namespace braid::io
