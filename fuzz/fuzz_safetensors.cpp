// libFuzzer target: io::read_safetensors on arbitrary bytes. A hostile file
// must end in braid::Error (IOError naming the file); anything else - a
// crash, a sanitizer report, another exception type, a huge allocation - is
// a finding. A file that parses is checked for what the reader promises.
#include <cstdlib>

#include "braid/io/safetensors.hpp"
#include "fuzz_file.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static braid::fuzz::MemFile file;
  const std::string& path = file.write(data, size);
  try {
    braid::io::SafetensorsContents c = braid::io::read_safetensors(path);
    // Accepted: the tensors tile the data after the header, so their bytes
    // can never add up to more than the file.
    size_t bytes = 0;
    for (const auto& [name, t] : c.tensors) {
      if (!t.defined() || (t.numel() > 0 && !t.is_contiguous())) std::abort();
      bytes += static_cast<size_t>(t.numel()) * t.element_size();
    }
    if (bytes + 8 > size) std::abort();
  } catch (const braid::IOError&) {  // the promised error; any other is a finding
  }
  return 0;
}
