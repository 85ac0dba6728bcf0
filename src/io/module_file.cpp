// Module weight files (see braid/io/module_file.hpp).
#include "braid/io/module_file.hpp"

namespace braid {
const char* version();  // braid/braid.hpp; defined in braid_core
}

namespace braid::io {

void save(const nn::Module& module, const std::filesystem::path& path) {
  save_safetensors(
      module.state_dict(), path,
      {{"braid.format", "module"}, {"braid.version", version()}, {"braid.module", module.str()}});
}

nn::LoadResult load(nn::Module& module, const std::filesystem::path& path, bool strict) {
  const SafetensorsContents file = read_safetensors(path);
  try {
    return module.load_state_dict(file.tensors, strict);
  } catch (Error& e) {
    auto it = file.metadata.find("braid.module");
    e.add_context(
        fmt::format("io::load from {}{}", path.string(),
                    it == file.metadata.end() ? std::string() : ", which holds:\n" + it->second));
    throw;
  }
}

}  // namespace braid::io
