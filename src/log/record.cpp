// CRC-32C and TFRecord framing (see braid/log/record.hpp).
#include "braid/log/record.hpp"

#include <array>
#include <cstring>
#include <fstream>
#include <iterator>

#include "braid/core/error.hpp"

namespace braid::tensorboard {
namespace {

constexpr uint32_t kCastagnoli = 0x82F63B78u;  // reflected 0x1EDC6F41

constexpr std::array<uint32_t, 256> make_table() {
  std::array<uint32_t, 256> t{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ kCastagnoli : c >> 1;
    t[i] = c;
  }
  return t;
}
constexpr std::array<uint32_t, 256> kTable = make_table();

#if defined(__x86_64__) && defined(__GNUC__)
// The crc32 instruction computes exactly CRC-32C's update (reflected, no
// final xor), 8 bytes per instruction; compiled for SSE4.2 only here and
// chosen at run time, so a build without -msse4.2 still runs everywhere.
__attribute__((target("sse4.2"))) uint32_t crc32c_sse42(const unsigned char* p, size_t n,
                                                        uint32_t crc) {
  uint64_t c = ~crc;
  for (; n >= 8; n -= 8, p += 8) {
    uint64_t v;
    std::memcpy(&v, p, 8);
    c = __builtin_ia32_crc32di(c, v);
  }
  uint32_t c32 = static_cast<uint32_t>(c);
  for (; n > 0; --n, ++p) c32 = __builtin_ia32_crc32qi(c32, *p);
  return ~c32;
}
bool have_sse42() {
  static const bool yes = __builtin_cpu_supports("sse4.2");
  return yes;
}
#endif

uint64_t read_u64le(const unsigned char* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}
uint32_t read_u32le(const unsigned char* p) {
  return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24;
}
void put_le(std::string& out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

}  // namespace

uint32_t detail::crc32c_portable(const void* data, size_t n, uint32_t crc) {
  const auto* p = static_cast<const unsigned char*>(data);
  uint32_t c = ~crc;
  for (size_t i = 0; i < n; ++i) c = kTable[(c ^ p[i]) & 0xff] ^ (c >> 8);
  return ~c;
}

uint32_t crc32c(const void* data, size_t n, uint32_t crc) {
#if defined(__x86_64__) && defined(__GNUC__)
  if (have_sse42()) return crc32c_sse42(static_cast<const unsigned char*>(data), n, crc);
#endif
  return detail::crc32c_portable(data, n, crc);
}

std::string frame_record(std::string_view payload) {
  std::string out;
  out.reserve(payload.size() + 16);
  put_le(out, payload.size(), 8);
  put_le(out, mask_crc(crc32c(out.data(), 8)), 4);
  out.append(payload);
  put_le(out, mask_crc(crc32c(payload)), 4);
  return out;
}

std::vector<std::string> read_records(const std::filesystem::path& path) {
  constexpr const char* kOp = "read_records";
  std::ifstream f(path, std::ios::binary);
  BRAID_CHECK(f.good(), IOError, kOp, "{}: cannot open the file", path.string());
  const std::string buf((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  BRAID_CHECK(!f.bad(), IOError, kOp, "{}: read failed", path.string());
  const auto* base = reinterpret_cast<const unsigned char*>(buf.data());
  const size_t size = buf.size();

  std::vector<std::string> records;
  size_t off = 0;
  while (off < size) {
    const size_t left = size - off;
    BRAID_CHECK(left >= 12, IOError, kOp,
                "{}: record {} at offset {}: truncated header ({} bytes left, need 12)",
                path.string(), records.size(), off, left);
    const unsigned char* p = base + off;
    const uint32_t len_crc = mask_crc(crc32c(p, 8));
    BRAID_CHECK(len_crc == read_u32le(p + 8), IOError, kOp,
                "{}: record {} at offset {}: length CRC mismatch (stored 0x{:08x}, computed "
                "0x{:08x})",
                path.string(), records.size(), off, read_u32le(p + 8), len_crc);
    const uint64_t len = read_u64le(p);
    BRAID_CHECK(len <= left - 12 && left - 12 - len >= 4, IOError, kOp,
                "{}: record {} at offset {}: length {} runs past the end of the file ({} bytes "
                "left after the header, need {})",
                path.string(), records.size(), off, len, left - 12, len + 4);
    const uint32_t data_crc = mask_crc(crc32c(p + 12, len));
    BRAID_CHECK(data_crc == read_u32le(p + 12 + len), IOError, kOp,
                "{}: record {} at offset {}: data CRC mismatch over bytes {}..{} (stored "
                "0x{:08x}, computed 0x{:08x})",
                path.string(), records.size(), off, off + 12, off + 12 + len,
                read_u32le(p + 12 + len), data_crc);
    records.emplace_back(buf.data() + off + 12, len);
    off += 16 + len;
  }
  return records;
}

}  // namespace braid::tensorboard
