#pragma once
/// ONNX both ways (DESIGN "io/"): a runtime::Graph exported as an ONNX model
/// (opset 17 by default), and an ONNX model (opsets 7 to 17) imported into a
/// runtime::Graph that the executor runs. Weights travel as initializers.
#include <filesystem>
#include <string>
#include <string_view>

#include "braid/runtime/graph.hpp"

namespace braid::onnx {

struct ExportOptions {
  int64_t opset = 17;
  std::string producer_name = "braid";
  std::string graph_name = "braid";
};

/// The ONNX ModelProto bytes of `g`. Throws ValueError naming the first node
/// whose op (or attribute value) has no ONNX form: "[onnx] node 4 (cumsum) in
/// encoder/0: ...".
std::string export_onnx_bytes(const runtime::Graph& g, const ExportOptions& options = {});
/// export_onnx_bytes written atomically to `path`. Throws IOError too.
void export_onnx(const runtime::Graph& g, const std::filesystem::path& path,
                 const ExportOptions& options = {});

/// Reads an ONNX model into the IR. Throws IOError (unreadable or not an
/// ONNX protobuf), ValueError naming the node for unsupported operators or
/// attributes: "[onnx] node 'Conv_3' (op Conv, opset 11): ...".
runtime::Graph import_onnx_bytes(std::string_view bytes, std::string_view name = "<memory>");
runtime::Graph import_onnx(const std::filesystem::path& path);

}  // namespace braid::onnx
