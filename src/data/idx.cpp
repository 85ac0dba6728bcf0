// IDX reader and writer. The format: two zero bytes, a type code, the number
// of dims, each dim as a big-endian uint32, then the values, big-endian,
// row-major. zlib reads plain files as they are (gzdirect), so one code path
// serves both.
#include <zlib.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <climits>
#include <cstring>
#include <filesystem>
#include <vector>

#include "braid/data/idx.hpp"
#include "braid/ops/ops.hpp"

namespace braid::data {
namespace {

namespace fs = std::filesystem;

struct TypeCode {
  uint8_t code;
  DType file_dtype;  // what the bytes are
  DType dtype;       // what read_idx returns
  size_t size;
  const char* name;
};
// int16 has no braid dtype; it is widened to int32 (see read_idx's doc).
constexpr TypeCode kTypes[] = {
    {0x08, DType::UInt8, DType::UInt8, 1, "uint8"},
    {0x09, DType::Int8, DType::Int8, 1, "int8"},
    {0x0B, DType::Int32, DType::Int32, 2, "int16"},
    {0x0C, DType::Int32, DType::Int32, 4, "int32"},
    {0x0D, DType::Float32, DType::Float32, 4, "float32"},
    {0x0E, DType::Float64, DType::Float64, 8, "float64"},
};

const TypeCode* find_type(uint8_t code) {
  for (const TypeCode& t : kTypes)
    if (t.code == code) return &t;
  return nullptr;
}

uint32_t be32(const unsigned char* p) {
  return (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) | (uint32_t(p[2]) << 8) | p[3];
}

// One open file, plain or gzip. Every read checks zlib's error state, so a
// truncated or corrupt stream is reported as such, not as a short file.
class Reader {
 public:
  explicit Reader(const std::string& path) : path_(path) {
    std::error_code ec;
    BRAID_CHECK(fs::exists(path, ec), IOError, "read_idx", "no such file: '{}'", path);
    BRAID_CHECK(!fs::is_directory(path, ec), IOError, "read_idx", "'{}' is a directory, not a file",
                path);
    errno = 0;
    f_ = gzopen(path.c_str(), "rb");
    BRAID_CHECK(f_ != nullptr, IOError, "read_idx", "cannot open '{}': {}", path,
                errno ? std::strerror(errno) : "out of memory");
    gzbuffer(f_, 1 << 17);
  }
  ~Reader() {
    if (f_) gzclose_r(f_);
  }
  Reader(const Reader&) = delete;
  Reader& operator=(const Reader&) = delete;

  // Reads up to n bytes; fewer only at the end of the data.
  size_t read(void* dst, size_t n) {
    size_t got = 0;
    while (got < n) {
      unsigned chunk = static_cast<unsigned>(std::min<size_t>(n - got, 1u << 30));
      int r = gzread(f_, static_cast<char*>(dst) + got, chunk);
      check_stream();
      BRAID_CHECK(r >= 0, IOError, "read_idx", "cannot read '{}': {}", path_, std::strerror(errno));
      if (r == 0) break;
      got += static_cast<size_t>(r);
    }
    return got;
  }
  // Counts (and drops) whatever is left.
  size_t rest() {
    std::vector<char> buf(1 << 16);
    size_t n = 0;
    while (size_t r = read(buf.data(), buf.size())) n += r;
    return n;
  }
  bool gzip() { return !gzdirect(f_); }
  uint64_t file_size() const {
    std::error_code ec;
    const uintmax_t n = fs::file_size(path_, ec);
    return ec ? 0 : static_cast<uint64_t>(n);
  }

 private:
  void check_stream() {
    int err = Z_OK;
    std::string msg = gzerror(f_, &err);
    // zlib starts its message with the path, which ours already names.
    if (msg.starts_with(path_ + ": ")) msg.erase(0, path_.size() + 2);
    BRAID_CHECK(err != Z_BUF_ERROR, IOError, "read_idx",
                "'{}': the gzip stream is truncated (zlib: {}); download the file again", path_,
                msg);
    BRAID_CHECK(err == Z_OK || err == Z_ERRNO, IOError, "read_idx",
                "'{}': the gzip data is corrupt (zlib: {}); download the file again", path_, msg);
  }
  std::string path_;
  gzFile f_ = nullptr;
};

}  // namespace

Tensor read_idx(const std::string& path) {
  Reader in(path);
  const char* what = in.gzip() ? "the decompressed file has" : "the file has";
  unsigned char head[4];
  size_t got = in.read(head, 4);
  BRAID_CHECK(got == 4, IOError, "read_idx",
              "'{}': {} {} bytes, fewer than the 4 bytes of an IDX magic number", path, what, got);
  uint32_t magic = be32(head);
  BRAID_CHECK(head[0] == 0 && head[1] == 0 && head[3] > 0, IOError, "read_idx",
              "'{}': bad magic number 0x{:08x}; an IDX file starts with two zero bytes, a type "
              "code and the number of dims (0x00000803 for MNIST images, 0x00000801 for labels)",
              path, magic);
  const TypeCode* type = find_type(head[2]);
  BRAID_CHECK(type != nullptr, IOError, "read_idx",
              "'{}': unsupported type code 0x{:02x} (magic 0x{:08x}); IDX type codes are 0x08 "
              "uint8, 0x09 int8, 0x0b int16, 0x0c int32, 0x0d float32, 0x0e float64",
              path, head[2], magic);
  size_t ndim = head[3];
  std::vector<unsigned char> dim_bytes(4 * ndim);
  got = in.read(dim_bytes.data(), dim_bytes.size());
  BRAID_CHECK(got == dim_bytes.size(), IOError, "read_idx",
              "'{}': the header declares {} dims, which needs {} header bytes, but {} {} bytes",
              path, ndim, 4 + dim_bytes.size(), what, 4 + got);
  Shape shape(ndim);
  // Products saturate: 2^36 * 2^29 wraps to 0 in uint64 (found by fuzz/fuzz_idx).
  auto times = [](uint64_t a, uint64_t b) {
    uint64_t r;
    return __builtin_mul_overflow(a, b, &r) ? UINT64_MAX : r;
  };
  uint64_t count = 1, span = 1;
  for (size_t d = 0; d < ndim; ++d) {
    shape[d] = be32(&dim_bytes[4 * d]);
    // 2^40 elements is far beyond any IDX file, and keeps the byte count exact.
    // `span` skips zeros: the strides of (0, 2^32-1, 2^32-1) still overflow
    // int64 even though it has no elements (found by fuzz/fuzz_idx).
    count = times(count, static_cast<uint64_t>(shape[d]));
    span = times(span, std::max<uint64_t>(static_cast<uint64_t>(shape[d]), 1));
    BRAID_CHECK(span < (uint64_t{1} << 40), IOError, "read_idx", "'{}': dims {} are too large",
                path, shape_str(shape));
  }
  const uint64_t header = 4 + 4 * ndim, data_bytes = count * type->size,
                 expected = header + data_bytes;
  auto make_out = [&] {
    try {
      return empty(shape, type->file_dtype);
    } catch (const ShapeError& e) {  // more dims than braid's tensors take
      BRAID_CHECK(false, IOError, "read_idx", "'{}': {}", path, e.what());
    }
  };
  // A plain file of exactly the size the header claims is read straight into
  // the tensor: no second copy in memory (MNIST's 47 MB of training images
  // counted twice in a training run's peak RSS).
  if (type->size == 1 && count > 0 && !in.gzip() && in.file_size() == expected) {
    Tensor out = make_out();
    got = in.read(out.raw_data(), data_bytes);
    BRAID_CHECK(got == data_bytes && in.rest() == 0, IOError, "read_idx",
                "'{}' changed size while it was read", path);
    return type->code == 0x08 && ndim == 1 ? out.to(DType::Int64) : out;
  }
  // Note [lying IDX headers]: the dims are only the file's claim, so nothing
  // is allocated for them before the bytes are there: the data is read in
  // chunks into a buffer that grows as they arrive (doubling from 64 KiB). A
  // 12-byte file that declares a billion values fails on its size instead of
  // allocating 4 GB first (found by fuzz/fuzz_idx).
  std::vector<unsigned char> raw;
  while (raw.size() < data_bytes) {
    const uint64_t at = raw.size(),
                   want = std::min(data_bytes - at, std::max(at, uint64_t{1} << 16));
    raw.resize(at + want);
    const size_t r = in.read(raw.data() + at, want);
    raw.resize(at + r);
    if (r < want) break;
  }
  got = raw.size();
  uint64_t actual = header + got + (got == data_bytes ? in.rest() : 0);
  BRAID_CHECK(actual == expected, IOError, "read_idx",
              "'{}': the header says dims {} of {}, which needs {} bytes ({} header + {} data), "
              "but {} {} bytes",
              path, shape_str(shape), type->name, expected, header, expected - header, what,
              actual);
  Tensor out = make_out();
  if (type->size == 1 && count > 0) {
    std::memcpy(out.raw_data(), raw.data(), count);
  } else if (type->size == 2) {
    auto* o = out.data_ptr<int32_t>();
    for (uint64_t i = 0; i < count; ++i)
      o[i] = static_cast<int16_t>((uint16_t(raw[2 * i]) << 8) | raw[2 * i + 1]);
  } else if (type->size > 1) {
    auto* o = static_cast<unsigned char*>(out.raw_data());
    // IDX is big-endian; reverse each value's bytes on a little-endian host.
    for (uint64_t i = 0; i < count; ++i)
      for (size_t b = 0; b < type->size; ++b)
        o[i * type->size + b] =
            raw[i * type->size +
                (std::endian::native == std::endian::little ? type->size - 1 - b : b)];
  }
  if (type->code == 0x08 && ndim == 1) return out.to(DType::Int64);
  return out;
}

void write_idx(const std::string& path, const Tensor& t) {
  BRAID_CHECK(t.defined() && t.dim() >= 1 && t.dim() <= 255, ValueError, "write_idx",
              "an IDX file holds 1 to 255 dims; got {}",
              t.defined() ? "shape " + shape_str(t.shape()) : std::string("an undefined tensor"));
  Tensor x = t.detach().contiguous();
  if (x.dtype() == DType::Int64) {
    BRAID_CHECK(x.numel() == 0 || (min(x).item<int64_t>() >= 0 && max(x).item<int64_t>() <= 255),
                ValueError, "write_idx",
                "int64 is written as uint8 (IDX has no 64-bit type), so values must be in [0, "
                "255]; got values in [{}, {}]",
                min(x).item<int64_t>(), max(x).item<int64_t>());
    x = x.to(DType::UInt8);
  }
  const TypeCode* type = nullptr;
  for (const TypeCode& c : kTypes)
    if (c.file_dtype == x.dtype() && c.code != 0x0B) type = &c;
  BRAID_CHECK(type != nullptr, DTypeError, "write_idx",
              "IDX holds uint8, int8, int32, float32, float64 (and int64 labels); got {}",
              dtype_name(x.dtype()));
  std::vector<unsigned char> bytes = {0, 0, type->code, static_cast<unsigned char>(x.dim())};
  for (int64_t d : x.shape()) {
    BRAID_CHECK(d <= int64_t{UINT32_MAX}, ValueError, "write_idx", "dim {} does not fit in 32 bits",
                d);
    for (int s = 24; s >= 0; s -= 8) bytes.push_back(static_cast<unsigned char>(d >> s));
  }
  size_t header = bytes.size(), n = static_cast<size_t>(x.numel()) * type->size;
  bytes.resize(header + n);
  auto* src = static_cast<const unsigned char*>(x.raw_data());
  for (size_t i = 0; i < n; i += type->size)
    for (size_t b = 0; b < type->size; ++b)
      bytes[header + i + b] =
          src[i + (std::endian::native == std::endian::little ? type->size - 1 - b : b)];

  std::string tmp = path + ".tmp";
  bool gz = path.size() > 3 && path.compare(path.size() - 3, 3, ".gz") == 0;
  // "wb" compresses; "wbT" writes the bytes as they are.
  gzFile f = gzopen(tmp.c_str(), gz ? "wb" : "wbT");
  BRAID_CHECK(f != nullptr, IOError, "write_idx", "cannot create '{}': {}", tmp,
              std::strerror(errno));
  size_t done = 0;
  bool ok = true;
  while (ok && done < bytes.size()) {
    unsigned chunk = static_cast<unsigned>(std::min<size_t>(bytes.size() - done, 1u << 30));
    ok = gzwrite(f, bytes.data() + done, chunk) == static_cast<int>(chunk);
    done += chunk;
  }
  ok = (gzclose_w(f) == Z_OK) && ok;
  std::error_code ec;
  if (ok) fs::rename(tmp, path, ec);
  if (!ok || ec) {
    fs::remove(tmp, ec);
    throw IOError(fmt::format("[write_idx] cannot write '{}'", path));
  }
}

}  // namespace braid::data
