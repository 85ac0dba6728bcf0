#pragma once
// Internal: what the export tests ask of braid_onnx without seeing protobuf
// (export_ctx.hpp needs ONNX's compile definitions, which stay private).
#include <string>

#include "braid/ops/registry.hpp"

namespace braid::onnx::detail {

/// Whether `id` has an ONNX translation (the registry test walks all_ops()).
bool has_translation(OpId id);

/// Runs onnx's checker on a serialized model; `full` adds strict shape
/// inference with type checks (every node's input types, the declared
/// output shapes). Throws ValueError with the checker's message.
void check_model_bytes(const std::string& bytes, bool full);

}  // namespace braid::onnx::detail
