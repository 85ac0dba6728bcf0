#pragma once
/// safetensors files (Hugging Face's format, what PyTorch and Keras 3 use to
/// share weights): 8-byte little-endian header length N, N bytes of JSON
///   {"<name>": {"dtype": "F32", "shape": [2, 3], "data_offsets": [b, e]}, ...,
///    "__metadata__": {"<key>": "<string>", ...}}
/// padded with spaces so the data starts 8-byte aligned, then the tensors'
/// row-major little-endian bytes; offsets count from the start of the data.
#include <filesystem>
#include <map>
#include <string>

#include "braid/nn/module.hpp"

namespace braid::io {

using Metadata = std::map<std::string, std::string>;

/// Writes `state` (in its order) with `metadata` to `path`, atomically: a
/// temporary file in the same directory is renamed over `path` once complete.
/// Any strides are written row-major. Throws IOError (file), ValueError (a
/// key that is empty or "__metadata__"); nothing is left behind on error.
void save_safetensors(const nn::StateDict& state, const std::filesystem::path& path,
                      const Metadata& metadata = {});

struct SafetensorsContents {
  nn::StateDict tensors;  ///< in the order of their data in the file
  Metadata metadata;
};

/// Reads and validates a safetensors file: header length within the file,
/// JSON object, no duplicate keys, string metadata, each tensor's dtype known
/// and supported, shape of non-negative integers, offsets within the data,
/// byte count = numel * itemsize, tensors contiguous without gaps or overlaps
/// and covering the data exactly, bool bytes 0 or 1. Throws IOError naming
/// the file and the key. dtypes: BOOL U8 I8 I32 I64 F16 BF16 F32 F64 (I16,
/// U16, U32, U64 and the F8 types are recognised and refused by name).
SafetensorsContents read_safetensors(const std::filesystem::path& path);
/// read_safetensors(path).tensors.
nn::StateDict load_safetensors(const std::filesystem::path& path);

}  // namespace braid::io
