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

/// Loads the file's tensors into `module` in place (Module::load_state_dict).
/// Reads any safetensors file, also one written by PyTorch. Throws IOError
/// for a bad file; ShapeError / ValueError from load_state_dict (mismatched
/// shapes, or with `strict` missing or unexpected keys) gain a line naming
/// the file. Nothing is changed when it throws.
nn::LoadResult load(nn::Module& module, const std::filesystem::path& path, bool strict = true);

}  // namespace braid::io
