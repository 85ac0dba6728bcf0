// The braid model file (Note [model file]).
#include "braid/io/model_file.hpp"

#include <nlohmann/json.hpp>
#include <set>

#include "braid/graph/trace.hpp"
#include "braid/io/layer_config.hpp"
#include "braid/nn/sequential.hpp"

namespace braid {
const char* version();  // braid/braid.hpp; defined in braid_core
}

namespace braid::io {

namespace {
using json = nlohmann::json;

json signature(const runtime::Graph& g, const std::vector<int>& ids) {
  json out = json::array();
  for (int id : ids) {
    const runtime::Value& v = g.values[id];
    out.push_back({{"name", v.name},
                   {"dtype", dtype_name(v.dtype)},
                   {"shape", std::vector<int64_t>(v.shape.begin(), v.shape.end())}});
  }
  return out;
}

// The tensors to store: `extra` first (a state dict), then every graph
// constant not already there under its name.
nn::StateDict tensors_of(const runtime::Graph& g, nn::StateDict extra) {
  std::set<std::string> have;
  for (const auto& [k, t] : extra) have.insert(k);
  for (int id : g.constants())
    if (have.insert(g.values[id].name).second) extra.insert(g.values[id].name, g.values[id].data);
  return extra;
}

void check_user_keys(const Metadata& meta) {
  for (const auto& [k, v] : meta)
    BRAID_CHECK(k.rfind("braid.", 0) != 0, ValueError, "io::save_model",
                "metadata key '{}' is reserved (keys starting with 'braid.' are braid's)", k);
}

// Writes the file: the user's metadata, then braid's (`meta` holds the
// braid.* keys the caller adds, such as braid.module).
void write(const runtime::Graph& g, const nn::StateDict& state, const Metadata& user, Metadata meta,
           const std::filesystem::path& path) {
  runtime::validate(g);
  meta.insert(user.begin(), user.end());
  meta["braid.format"] = "model";
  meta["braid.version"] = version();
  meta["braid.graph"] = runtime::to_json(g);
  meta["braid.inputs"] = signature(g, g.inputs).dump();
  meta["braid.outputs"] = signature(g, g.outputs).dump();
  save_safetensors(tensors_of(g, state), path, meta);
}
}  // namespace

void save_model(const runtime::Graph& g, const std::filesystem::path& path,
                const Metadata& metadata) {
  check_user_keys(metadata);
  write(g, {}, metadata, {}, path);
}

void save_model(nn::Module& module, const Tensor& example, const std::filesystem::path& path,
                const SaveModelOptions& options) {
  check_user_keys(options.metadata);
  const bool was_training = module.is_training();
  module.eval();
  runtime::Graph g;
  try {
    g = graph::trace(module, example,
                     {.input_names = options.input_names, .output_names = options.output_names});
  } catch (...) {
    module.train(was_training);
    throw;
  }
  module.train(was_training);
  Metadata meta{{"braid.module", module.str()}};
  // Keras' get_config: a Sequential of braid's layers rebuilds as a
  // trainable module. Other modules (a user's class) keep weights and graph.
  if (auto* seq = dynamic_cast<const nn::Sequential*>(&module)) {
    try {
      meta["braid.config"] = layer_config(*seq).dump();
    } catch (const ValueError&) {
    }
  }
  write(g, module.state_dict(), options.metadata, std::move(meta), path);
}

LoadedModel load_model(const std::filesystem::path& path) {
  SafetensorsContents file = read_safetensors(path);
  auto get = [&](const char* key) -> const std::string& {
    auto it = file.metadata.find(key);
    BRAID_CHECK(it != file.metadata.end(), IOError, "io::load_model",
                "{}: no '{}' in the metadata; this is a safetensors file but not a braid model "
                "file (a state dict loads with io::load)",
                path.string(), key);
    return it->second;
  };
  BRAID_CHECK(get("braid.format") == "model", IOError, "io::load_model",
              "{}: braid.format is '{}', not 'model'", path.string(), get("braid.format"));
  std::vector<std::pair<std::string, Tensor>> constants;
  for (const auto& [k, t] : file.tensors) constants.emplace_back(k, t);
  try {
    runtime::Graph g = runtime::from_json(get("braid.graph"), constants);
    return LoadedModel(std::move(g), std::move(file.metadata));
  } catch (const ValueError& e) {
    throw IOError(fmt::format("[io::load_model] {}: {}", path.string(), e.what()));
  }
}

nn::Sequential load_sequential(const std::filesystem::path& path) {
  SafetensorsContents file = read_safetensors(path);
  auto it = file.metadata.find("braid.config");
  BRAID_CHECK(it != file.metadata.end(), IOError, "io::load_sequential",
              "{}: no layer config (braid.config); only an nn::Sequential of braid's layers "
              "saves one. io::load_model runs any model file",
              path.string());
  int64_t elements = 0;
  for (const auto& [k, t] : file.tensors) elements += t.numel();
  try {
    // The config may not ask for more weights than the file holds.
    nn::Sequential seq =
        sequential_from_config(json::parse(it->second), {.max_elements = elements});
    seq.load_state_dict(file.tensors, /*strict=*/false);
    nn::StateDict own = seq.state_dict();
    for (const auto& [k, t] : own)
      BRAID_CHECK(file.tensors.find(k), IOError, "io::load_sequential",
                  "{}: the layer config has '{}' but the file has no such tensor", path.string(),
                  k);
    return seq;
  } catch (const json::exception& e) {
    throw IOError(fmt::format("[io::load_sequential] {}: braid.config is not valid JSON: {}",
                              path.string(), e.what()));
  } catch (const IOError&) {
    throw;
  } catch (const Error& e) {
    throw IOError(fmt::format("[io::load_sequential] {}: {}", path.string(), e.what()));
  }
}

std::vector<std::string> LoadedModel::input_names() const {
  std::vector<std::string> out;
  for (int id : graph().inputs) out.push_back(graph().values[id].name);
  return out;
}

std::vector<std::string> LoadedModel::output_names() const {
  std::vector<std::string> out;
  for (int id : graph().outputs) out.push_back(graph().values[id].name);
  return out;
}

}  // namespace braid::io
