// Writing safetensors files (see braid/io/safetensors.hpp); reading is in
// safetensors_read.cpp.
#include "braid/io/safetensors.hpp"

#include <bit>
#include <nlohmann/json.hpp>

#include "braid/core/grad_mode.hpp"
#include "braid/io/atomic_file.hpp"
#include "io/safetensors_codes.hpp"

namespace braid::io {

namespace fs = std::filesystem;
using json = nlohmann::ordered_json;

static_assert(std::endian::native == std::endian::little,
              "safetensors data is little-endian and is written as host bytes");

namespace {

using detail::code_of;

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
  std::string head = make_header(tensors, metadata, path);
  std::string len(8, '\0');
  for (int i = 0; i < 8; ++i) len[i] = static_cast<char>((uint64_t(head.size()) >> (8 * i)) & 0xff);
  head.insert(0, len);
  std::vector<ByteRange> chunks{{head.data(), head.size()}};
  for (const auto& [name, t] : tensors)
    chunks.push_back({t.raw_data(), static_cast<size_t>(t.numel()) * t.element_size()});
  write_file_atomically(path, chunks, kOp);
}

}  // namespace braid::io
