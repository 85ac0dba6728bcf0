// libFuzzer target: io::read_safetensors on arbitrary bytes, then io::load of
// the same file into a module. A hostile file must end in a clear error
// (read_safetensors: IOError naming the file; load: IOError, or ShapeError /
// ValueError when the tensors do not fit the module) and leave the module as
// it was. Anything else - a crash, a sanitizer report, another exception
// type, a huge allocation, a half-loaded module - is a finding.
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "braid/io/module_file.hpp"
#include "braid/io/safetensors.hpp"
#include "braid/nn/linear.hpp"
#include "fuzz_file.hpp"

namespace {

std::string bytes_of(const braid::Tensor& t) {
  const braid::Tensor c = t.contiguous();
  return {static_cast<const char*>(c.raw_data()),
          static_cast<size_t>(c.numel()) * c.element_size()};
}

// fc.weight (3, 4) and fc.bias (3), the names fuzz/make_corpus.cpp's
// linear.safetensors holds. Restored after every successful load.
struct Target {
  braid::nn::Linear fc{4, 3};
  std::vector<std::string> before;
  Target() {
    for (const auto& [name, t] : fc.state_dict()) before.push_back(bytes_of(t));
  }
  bool unchanged() const {
    size_t i = 0;
    for (const auto& [name, t] : fc.state_dict())
      if (bytes_of(t) != before.at(i++)) return false;
    return true;
  }
};

void restore(Target& m) {
  size_t i = 0;
  for (const auto& [name, t] : m.fc.state_dict()) {
    const std::string& b = m.before.at(i++);
    std::memcpy(t.raw_data(), b.data(), b.size());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static braid::fuzz::MemFile file;
  static Target module;
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
  try {
    braid::io::load(module.fc, path, /*strict=*/size % 2 == 0);
    restore(module);
  } catch (const braid::Error&) {
    if (!module.unchanged()) std::abort();  // a failed load changed the weights
  }
  return 0;
}
