// libFuzzer target: data::read_idx on arbitrary bytes, plain or gzip (the
// reader decides by content). Bad files must end in braid::Error; a crash,
// a sanitizer report, another exception or an allocation the file's bytes
// cannot back (a lying header) is a finding.
#include <cstdlib>

#include "braid/data/idx.hpp"
#include "fuzz_file.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static braid::fuzz::MemFile file;
  const std::string& path = file.write(data, size);
  try {
    braid::Tensor t = braid::data::read_idx(path);
    // (Tensor::is_contiguous says false for some empty tensors, e.g. (0, 0, 5).)
    if (!t.defined() || t.dim() < 1 || (t.numel() > 0 && !t.is_contiguous())) std::abort();
  } catch (const braid::IOError&) {  // the promised error; any other is a finding
  }
  return 0;
}
