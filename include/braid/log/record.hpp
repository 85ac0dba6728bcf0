#pragma once
/// TFRecord framing, the container of TensorBoard event files: each record is
///   uint64 length (little-endian) | uint32 masked CRC-32C of those 8 bytes |
///   data[length] | uint32 masked CRC-32C of data.
/// The writer side is `frame_record`; `read_records` checks a whole file.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace braid::tensorboard {

/// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), continuing from
/// `crc` (0 to start). Uses the SSE4.2 crc32 instruction when the CPU has it.
uint32_t crc32c(const void* data, size_t n, uint32_t crc = 0);
inline uint32_t crc32c(std::string_view s) { return crc32c(s.data(), s.size()); }

/// TFRecord's masked CRC: ((crc >> 15) | (crc << 17)) + 0xa282ead8. Masking
/// keeps a CRC of data that itself holds CRCs from being trivially related.
inline uint32_t mask_crc(uint32_t crc) { return ((crc >> 15) | (crc << 17)) + 0xa282ead8u; }

/// One framed record holding `payload` (16 + payload.size() bytes).
std::string frame_record(std::string_view payload);

/// The payloads of every record in the TFRecord file at `path`, in order,
/// after checking both CRCs of each record. Throws IOError naming the file,
/// the record's byte offset and what failed (unreadable file, truncated
/// header, length CRC, length past the end of the file, data CRC).
std::vector<std::string> read_records(const std::filesystem::path& path);

namespace detail {
/// The table-driven CRC-32C (also the fallback without SSE4.2); exposed so
/// the tests can check both paths agree.
uint32_t crc32c_portable(const void* data, size_t n, uint32_t crc = 0);
}  // namespace detail

}  // namespace braid::tensorboard
