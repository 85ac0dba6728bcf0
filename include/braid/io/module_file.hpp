#pragma once
/// A module's weights as a safetensors file: its state dict plus metadata
/// naming what wrote it, so a file says which model it belongs to:
///   "braid.format": "module", "braid.version": "0.1.0",
///   "braid.module": the module tree as Module::str() prints it.
#include <filesystem>

#include "braid/io/safetensors.hpp"

namespace braid::io {

/// Saves module.state_dict() atomically to `path`. Throws IOError.
void save(const nn::Module& module, const std::filesystem::path& path);

struct ModuleLoadOptions {
  /// Every parameter and persistent buffer must be in the file, and nothing else.
  bool strict = true;
  /// Converts each floating tensor to the dtype of the parameter or buffer
  /// it loads into (an F16 or BF16 checkpoint into a float32 model). Without
  /// it a floating dtype that differs from the module's is a DTypeError.
  bool convert_dtype = false;
  /// How the file is read (read_safetensors).
  MmapMode mmap = MmapMode::Auto;
};

/// Loads the file's tensors into `module` in place (Module::load_state_dict).
/// Reads any safetensors file, also one written by PyTorch, and the model
/// part of a braid checkpoint (io/checkpoint.hpp). Throws IOError for a bad
/// file; DTypeError for a floating dtype that differs from the module's
/// unless options.convert_dtype; ShapeError / ValueError from load_state_dict
/// (mismatched shapes, or with `strict` missing or unexpected keys). Errors
/// gain a line naming the file. Nothing is changed when it throws.
nn::LoadResult load(nn::Module& module, const std::filesystem::path& path,
                    const ModuleLoadOptions& options);
/// load(module, path, {.strict = strict}).
nn::LoadResult load(nn::Module& module, const std::filesystem::path& path, bool strict = true);

}  // namespace braid::io
