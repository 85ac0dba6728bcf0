#pragma once
/// safetensors files (Hugging Face's format, what PyTorch and Keras 3 use to
/// share weights): 8-byte little-endian header length N, N bytes of JSON
///   {"<name>": {"dtype": "F32", "shape": [2, 3], "data_offsets": [b, e]}, ...,
///    "__metadata__": {"<key>": "<string>", ...}}
/// padded with spaces so the data starts 8-byte aligned, then the tensors'
/// row-major little-endian bytes; offsets count from the start of the data.
#include <filesystem>
#include <map>
#include <optional>
#include <string>

#include "braid/nn/module.hpp"

namespace braid::io {

using Metadata = std::map<std::string, std::string>;

/// Writes `state` (in its order) with `metadata` to `path`, atomically (Note
/// [atomic file writes] in braid/io/atomic_file.hpp).
/// Any strides are written row-major. Throws IOError (file), ValueError (a
/// key that is empty or "__metadata__"); nothing is left behind on error.
void save_safetensors(const nn::StateDict& state, const std::filesystem::path& path,
                      const Metadata& metadata = {});

struct SafetensorsContents {
  nn::StateDict tensors;  ///< in the order of their data in the file
  Metadata metadata;
};

/// How read_safetensors gets the bytes; see Note [safetensors mmap].
enum class MmapMode {
  Auto,    ///< map files of at least kMmapThreshold bytes, read smaller ones
  Always,  ///< map every file
  Never,   ///< read every file into fresh buffers
};
/// Files at least this large are mapped under MmapMode::Auto; see Note
/// [safetensors mmap] for the measurement.
inline constexpr uint64_t kMmapThreshold = uint64_t(16) << 20;

struct LoadOptions {
  /// Converts every floating tensor (F16, BF16, F32, F64) to this dtype;
  /// integer and BOOL tensors keep theirs. Must be a floating dtype.
  std::optional<DType> dtype = std::nullopt;
  MmapMode mmap = MmapMode::Auto;
};

/// Reads and validates a safetensors file: header length within the file,
/// JSON object, no duplicate keys, string metadata, each tensor's dtype known
/// and supported, shape of non-negative integers, offsets within the data,
/// byte count = numel * itemsize, tensors contiguous without gaps or overlaps
/// and covering the data exactly, bool bytes 0 or 1. Every check runs
/// against the file's size before a data byte is touched. Throws IOError
/// naming the file and the key (ValueError for a non-floating
/// options.dtype). dtypes: BOOL U8 I8 I32 I64 F16 BF16 F32 F64 (I16, U16,
/// U32, U64 and the F8 types are recognised and refused by name).
///
/// Note [safetensors mmap]
/// A mapped file's tensors point into the mapping (no copy) when their data
/// is aligned for their dtype (always, for files braid writes); the mapping
/// is private copy-on-write, so writing to such a tensor changes neither the
/// file nor other readers, and it stays mapped while any tensor uses it
/// (each tensor has its own Storage, and so its own version counter). A
/// tensor whose data is misaligned, or converted by options.dtype, is
/// copied. Another program truncating the file while tensors still map it
/// makes reading them fault (SIGBUS), as with any mmap loader; braid's own
/// writers never truncate a file (they rename a new one into place).
///
/// Mapping pays a fixed cost (mmap, munmap) and a page fault per page first
/// used; reading pays a copy. `braid_bench --benchmark_filter=SafetensorsUse`
/// (load one float32 tensor, then read one float per 4 KiB page; warm page
/// cache; 2-core VM, load ~11, medians of 3) gave, read vs mapped:
///   16 KiB 0.045 vs 0.38 ms, 1 MiB 0.14 vs 0.92 ms, 4 MiB 0.42 vs 1.9 ms,
///   16 MiB 3.2 vs 2.1 ms, 64 MiB 15.9 vs 3.6 ms,
/// so Auto maps from 16 MiB. Loading alone (SafetensorsLoad) is flat for a
/// mapped file (~0.05 ms at any size) and grows with the size when read.
SafetensorsContents read_safetensors(const std::filesystem::path& path,
                                     const LoadOptions& options = {});
/// read_safetensors(path, options).tensors.
nn::StateDict load_safetensors(const std::filesystem::path& path, const LoadOptions& options = {});

}  // namespace braid::io
