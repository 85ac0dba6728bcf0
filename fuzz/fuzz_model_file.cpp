// libFuzzer target: io::load_model on arbitrary bytes: the safetensors layer,
// the braid.* metadata, the graph JSON and the constants together. A hostile
// file must end in a clear braid error (load_model promises IOError naming
// the file; any braid::Error counts here, as the graph layer's own errors may
// pass through); a crash, a sanitizer report, another exception type is a
// finding. A file that loads must give a valid graph that prints.
#include <cstdlib>

#include "braid/io/model_file.hpp"
#include "fuzz_file.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static braid::fuzz::MemFile file;
  const std::string& path = file.write(data, size);
  try {
    braid::io::LoadedModel m = braid::io::load_model(path);
    braid::runtime::validate(m.graph());  // loaded: nothing below may throw
    (void)m.graph().str();
    (void)m.input_names();
    (void)m.output_names();
  } catch (const braid::Error&) {
  }
  return 0;
}
