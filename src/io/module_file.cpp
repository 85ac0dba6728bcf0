// Module weight files (see braid/io/module_file.hpp).
#include "braid/io/module_file.hpp"

#include <vector>

#include "braid/io/checkpoint.hpp"

namespace braid {
const char* version();  // braid/braid.hpp; defined in braid_core
}

namespace braid::io {

void save(const nn::Module& module, const std::filesystem::path& path) {
  save_safetensors(
      module.state_dict(), path,
      {{"braid.format", "module"}, {"braid.version", version()}, {"braid.module", module.str()}});
}

namespace {

// The module's tensors of a checkpoint file ("model.<name>"), or all of them.
nn::StateDict module_part(const SafetensorsContents& file) {
  auto it = file.metadata.find("braid.format");
  if (it == file.metadata.end() || it->second != kCheckpointFormat) return file.tensors;
  nn::StateDict out;
  for (const auto& [name, t] : file.tensors)
    if (name.starts_with(kCheckpointModelPrefix))
      out.insert(name.substr(std::string_view(kCheckpointModelPrefix).size()), t);
  return out;
}

// Floating tensors whose dtype differs from the module's, as "'name': F16 vs float32".
std::vector<std::string> dtype_mismatches(const nn::Module& module, const nn::StateDict& state) {
  std::vector<std::string> out;
  for (const auto& [name, mine] : module.state_dict())
    if (const Tensor* t = state.find(name);
        t && t->dtype() != mine.dtype() && (t->is_floating_point() || mine.is_floating_point()))
      out.push_back(fmt::format("'{}': file {} vs module {}", name, dtype_name(t->dtype()),
                                dtype_name(mine.dtype())));
  return out;
}

}  // namespace

nn::LoadResult load(nn::Module& module, const std::filesystem::path& path,
                    const ModuleLoadOptions& options) {
  const SafetensorsContents file = read_safetensors(path, {.mmap = options.mmap});
  try {
    const nn::StateDict state = module_part(file);
    if (!options.convert_dtype) {
      const std::vector<std::string> bad = dtype_mismatches(module, state);
      BRAID_CHECK(bad.empty(), DTypeError, "load",
                  "dtypes differ for {}; pass {{.convert_dtype = true}} to convert",
                  fmt::join(bad, "; "));
    }
    // load_state_dict copies with copy_, which converts the dtype.
    return module.load_state_dict(state, options.strict);
  } catch (Error& e) {
    auto it = file.metadata.find("braid.module");
    e.add_context(
        fmt::format("io::load from {}{}", path.string(),
                    it == file.metadata.end() ? std::string() : ", which holds:\n" + it->second));
    throw;
  }
}

nn::LoadResult load(nn::Module& module, const std::filesystem::path& path, bool strict) {
  return load(module, path, ModuleLoadOptions{.strict = strict});
}

}  // namespace braid::io
