// libFuzzer target: onnx::import_onnx_bytes on arbitrary bytes (protobuf
// parsing, then the translation of nodes, attributes and initializers into
// the IR). Bad input must end in a braid error (IOError for bytes that are
// not an ONNX model, ValueError naming the node otherwise); a crash, a
// sanitizer report, another exception type is a finding. An imported graph
// must validate and print. Built once the onnx layer (braid_onnx) exists.
#include <cstdlib>
#include <string_view>

#include "braid/onnx/onnx.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    braid::runtime::Graph g = braid::onnx::import_onnx_bytes(
        std::string_view(reinterpret_cast<const char*>(data), size), "fuzz.onnx");
    braid::runtime::validate(g);  // imported: nothing below may throw
    (void)g.str();
  } catch (const braid::Error&) {
  }
  return 0;
}
