// Reading safetensors files (see braid/io/safetensors.hpp): the header is
// read with pread and validated against the file's size; then the data is
// mapped (Note [safetensors mmap]) or read.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstring>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>

#include "braid/core/grad_mode.hpp"
#include "braid/io/safetensors.hpp"
#include "io/safetensors_codes.hpp"

namespace braid::io {

namespace fs = std::filesystem;
using json = nlohmann::ordered_json;

static_assert(std::endian::native == std::endian::little,
              "safetensors data is little-endian and is read as host bytes");

namespace {

using detail::kCodes;
using detail::kUnsupported;

constexpr const char* kLoad = "load_safetensors";
// safetensors caps the header at 100 MB; a larger length is a corrupt file.
constexpr uint64_t kMaxHeader = uint64_t(100) << 20;

struct Entry {
  std::string name;
  DType dtype;
  Shape shape;
  uint64_t begin, end;
};

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

// An open file descriptor, closed when it goes.
struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

// Reads exactly `n` bytes at `offset`; false on an error or end of file
// (the file shrank since it was measured).
bool read_at(int fd, void* buf, uint64_t n, uint64_t offset) {
  char* p = static_cast<char*>(buf);
  while (n > 0) {
    const ssize_t got =
        ::pread(fd, p, std::min<uint64_t>(n, uint64_t{1} << 30), static_cast<off_t>(offset));
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return false;
    p += got;
    n -= static_cast<uint64_t>(got);
    offset += static_cast<uint64_t>(got);
  }
  return true;
}

// A read-only file mapping, unmapped when the last tensor using it goes.
struct Mapping {
  void* base = MAP_FAILED;
  size_t size = 0;
  ~Mapping() {
    if (base != MAP_FAILED) ::munmap(base, size);
  }
};

void check_bools(const uint8_t* b, int64_t n, const std::string& file, const std::string& name) {
  const uint8_t* bad = std::find_if(b, b + n, [](uint8_t x) { return x > 1; });
  BRAID_CHECK(bad == b + n, IOError, kLoad, "{}: tensor '{}': BOOL element {} is {}, not 0 or 1",
              file, name, bad - b, int(*bad));
}

}  // namespace

SafetensorsContents read_safetensors(const fs::path& path, const LoadOptions& options) {
  const std::string file = path.string();
  BRAID_CHECK(!options.dtype || is_floating(*options.dtype), ValueError, kLoad,
              "{}: LoadOptions::dtype must be a floating dtype to convert to; got {}", file,
              dtype_name(*options.dtype));
  Fd fd{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  BRAID_CHECK(fd.fd >= 0, IOError, kLoad, "{}: cannot open the file: {}", file,
              std::strerror(errno));
  struct stat st {};
  BRAID_CHECK(::fstat(fd.fd, &st) == 0 && S_ISREG(st.st_mode), IOError, kLoad,
              "{}: cannot open the file: not a regular file", file);
  const uint64_t size = static_cast<uint64_t>(st.st_size);
  BRAID_CHECK(size >= 8, IOError, kLoad,
              "{}: the file has {} bytes, fewer than the 8-byte header length", file, size);
  unsigned char len_bytes[8];
  BRAID_CHECK(read_at(fd.fd, len_bytes, 8, 0), IOError, kLoad, "{}: reading the header failed",
              file);
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | len_bytes[i];
  BRAID_CHECK(n <= kMaxHeader, IOError, kLoad, "{}: header length {} exceeds the 100 MB limit",
              file, n);
  BRAID_CHECK(n <= size - 8, IOError, kLoad,
              "{}: header length {} runs past the end of the file ({} bytes after the length)",
              file, n, size - 8);
  std::string text(n, '\0');
  BRAID_CHECK(read_at(fd.fd, text.data(), n, 8), IOError, kLoad, "{}: reading the header failed",
              file);
  const json header = parse_header(text, file);

  SafetensorsContents out;
  std::vector<Entry> entries;
  const uint64_t data_start = 8 + n, data_size = size - data_start;
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

  // Everything above holds for `size` bytes; only now are data bytes touched.
  std::shared_ptr<Mapping> map;
  const bool want_map = options.mmap == MmapMode::Always ||
                        (options.mmap == MmapMode::Auto && size >= kMmapThreshold);
  if (want_map && data_size > 0) {
    map = std::make_shared<Mapping>();
    map->size = static_cast<size_t>(size);
    // Private and writable: tensors may be changed in place (copy on write)
    // without touching the file. See Note [safetensors mmap].
    map->base = ::mmap(nullptr, map->size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd.fd, 0);
    BRAID_CHECK(map->base != MAP_FAILED, IOError, kLoad, "{}: mapping the file failed: {}", file,
                std::strerror(errno));
    // The checks used the size fstat saw; a file cut short since then would
    // fault on the first access past its new end.
    struct stat now {};
    BRAID_CHECK(::fstat(fd.fd, &now) == 0 && static_cast<uint64_t>(now.st_size) >= size, IOError,
                kLoad, "{}: the file shrank while it was being read", file);
  }
  NoGradGuard no_grad;
  for (const Entry& e : entries) {
    const uint64_t bytes = e.end - e.begin;
    Tensor t;
    try {
      (void)empty(Shape(e.shape.size(), 0), e.dtype);  // more dims than braid's tensors take?
    } catch (const ShapeError& err) {
      BRAID_CHECK(false, IOError, kLoad, "{}: tensor '{}': {}", file, e.name, err.what());
    }
    if (map) {
      char* p = static_cast<char*>(map->base) + data_start + e.begin;
      if (e.dtype == DType::Bool)
        check_bools(reinterpret_cast<uint8_t*>(p), int64_t(bytes), file, e.name);
      if (reinterpret_cast<uintptr_t>(p) % dtype_size(e.dtype) == 0) {
        t = from_blob(bytes ? p : nullptr, e.shape, e.dtype, [map](void*) {});
      } else {
        t = empty(e.shape, e.dtype);
        std::memcpy(t.raw_data(), p, bytes);
      }
    } else {
      t = empty(e.shape, e.dtype);
      BRAID_CHECK(bytes == 0 || read_at(fd.fd, t.raw_data(), bytes, data_start + e.begin), IOError,
                  kLoad, "{}: tensor '{}': reading its data failed", file, e.name);
      if (e.dtype == DType::Bool)
        check_bools(static_cast<const uint8_t*>(t.raw_data()), t.numel(), file, e.name);
    }
    if (options.dtype && t.is_floating_point() && t.dtype() != *options.dtype)
      t = t.to(*options.dtype);
    out.tensors.insert(e.name, std::move(t));
  }
  return out;
}

nn::StateDict load_safetensors(const fs::path& path, const LoadOptions& options) {
  return read_safetensors(path, options).tensors;
}

}  // namespace braid::io
