// Layer configs: entries, Sequential, and the two keys beside "config"
// ("dtype", "frozen"); the per-layer fields are in layer_config_layers.cpp.
// See Note [layer config format] in braid/io/layer_config.hpp.
#include "braid/io/layer_config.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <functional>

#include "braid/core/dtype.hpp"
#include "io/config_reader.hpp"

namespace braid::io {

namespace detail {

using nlohmann::json;

std::string describe(const std::string& path, const std::string& cls) {
  return path.empty() ? cls : fmt::format("layer {} ({})", path, cls);
}

namespace {

std::string child_path(const std::string& path, const std::string& name) {
  return path.empty() ? name : path + "." + name;
}

const LayerKind* kind_of(const nn::Module& m) {
  for (const LayerKind& k : layer_kinds())
    if (*k.type == typeid(m)) return &k;
  return nullptr;
}

const LayerKind* kind_named(const std::string& name) {
  for (const LayerKind& k : layer_kinds())
    if (name == k.name) return &k;
  return nullptr;
}

// The one floating dtype of the layer's tensors when it is not float32.
std::optional<DType> layer_dtype(const nn::Module& m, const std::string& path) {
  std::optional<DType> found;
  auto see = [&](const std::vector<std::pair<std::string, Tensor>>& named) {
    for (const auto& [name, t] : named) {
      if (!t.is_floating_point()) continue;
      BRAID_CHECK(!found || *found == t.dtype(), ValueError, "layer_config",
                  "{}: mixed floating dtypes ({} and {} in '{}'); a config holds one per layer",
                  describe(path, m.type_name()), dtype_name(*found), dtype_name(t.dtype()), name);
      found = t.dtype();
    }
  };
  see(m.named_parameters());
  see(m.named_buffers());
  if (found == DType::Float32) return std::nullopt;
  return found;
}

// Applies "dtype" and "frozen" to a freshly built layer.
void apply_extras(nn::Module& m, const json& entry, const std::string& where) {
  if (auto it = entry.find("dtype"); it != entry.end()) {
    std::optional<DType> dtype;
    if (it->is_string()) {
      try {
        dtype = dtype_from_name(it->get<std::string>());
      } catch (const ValueError&) {
      }
    }
    if (!dtype || !is_floating(*dtype))
      fail(where, "'dtype' must name a floating dtype (\"float64\", ...); got " + shown(*it));
    m.to(*dtype);
  }
  if (auto it = entry.find("frozen"); it != entry.end()) {
    if (!it->is_array())
      fail(where, "'frozen' must be a list of parameter names; got " + shown(*it));
    auto params = m.named_parameters();
    std::vector<std::string> names;
    for (const auto& [name, t] : params) names.push_back(name);
    for (const json& n : *it) {
      auto p = n.is_string() ? std::find_if(params.begin(), params.end(),
                                            [&](const auto& np) { return np.first == n; })
                             : params.end();
      if (p == params.end())
        fail(where,
             fmt::format("'frozen' names {}, which is not one of its parameters ({})", shown(n),
                         names.empty() ? "none" : fmt::format("{}", fmt::join(names, ", "))));
      p->second.requires_grad_(false);
    }
  }
}

nn::Sequential build_sequential(ConfigReader& r) {
  const json& layers = r.required("layers");
  r.finish();
  if (!layers.is_array()) fail(r.where(), "field 'layers' must be a list; got " + shown(layers));
  nn::Sequential seq;
  for (size_t i = 0; i < layers.size(); ++i)
    seq.add(
        build_entry(layers[i], child_path(r.path(), std::to_string(i)), r.depth() + 1, r.state()));
  return seq;
}

// Checks an entry's own keys and class; returns the class.
std::string entry_class(const json& entry, const std::string& path, int depth, BuildState& state) {
  const std::string where = path.empty() ? "config" : "layer " + path;
  if (!entry.is_object())
    fail(where,
         "an entry must be an object {\"class\": ..., \"config\": {...}}; got " + shown(entry));
  if (depth > state.limits.max_depth)
    fail(where,
         fmt::format("nested more than ConfigLimits::max_depth = {} deep", state.limits.max_depth));
  if (++state.layers > state.limits.max_layers)
    fail(where,
         fmt::format("more than ConfigLimits::max_layers = {} layers", state.limits.max_layers));
  auto cls = entry.find("class");
  if (cls == entry.end() || !cls->is_string())
    fail(where, "'class' must be a string naming a layer; got " +
                    (cls == entry.end() ? std::string("nothing") : shown(*cls)));
  const std::string name = cls->get<std::string>();
  if (name != "Sequential" && kind_named(name) == nullptr)
    fail(where, fmt::format("unknown class {}; known: {}", shown(*cls),
                            fmt::join(layer_config_classes(), ", ")));
  for (const auto& [key, value] : entry.items())
    if (key != "class" && key != "config" && key != "dtype" && key != "frozen")
      fail(describe(path, name), fmt::format("unknown key {} beside 'class' and 'config'; "
                                             "known: class, config, dtype, frozen",
                                             shown(json(key))));
  if (!entry.contains("config")) fail(describe(path, name), "'config' is missing");
  return name;
}

}  // namespace

json write_entry(const nn::Module& m, const std::string& path) {
  if (typeid(m) == typeid(nn::Sequential)) {
    json layers = json::array();
    for (const auto& [name, child] : m.named_children())
      layers.push_back(write_entry(*child, child_path(path, name)));
    return {{"class", "Sequential"}, {"config", {{"layers", std::move(layers)}}}};
  }
  const LayerKind* kind = kind_of(m);
  BRAID_CHECK(kind != nullptr, ValueError, "layer_config",
              "{}: no layer config; save the weights and the graph instead",
              describe(path, m.type_name()));
  return {{"class", kind->name}, {"config", kind->write(m, path)}};
}

std::unique_ptr<nn::Module> build_entry(const json& entry, const std::string& path, int depth,
                                        BuildState& state) {
  const std::string cls = entry_class(entry, path, depth, state);
  const std::string where = describe(path, cls);
  ConfigReader r(entry["config"], where, path, depth, state);
  std::unique_ptr<nn::Module> m;
  try {
    if (cls == "Sequential") {
      m = std::make_unique<nn::Sequential>(build_sequential(r));
    } else {
      m = kind_named(cls)->read(r);
    }
  } catch (const ConfigError&) {
    throw;
  } catch (const Error& e) {
    // A constructor's own check (groups not dividing channels, ...).
    fail(where, e.what());
  } catch (const nlohmann::json::exception& e) {
    // Every access above is checked first; this only keeps a missed case a ValueError.
    fail(where, e.what());
  }
  apply_extras(*m, entry, where);
  return m;
}

}  // namespace detail

nlohmann::json layer_config(const nn::Module& m) {
  nlohmann::json entry = detail::write_entry(m, "");
  // dtype and frozen go on the leaf entries, where the parameters are.
  std::function<void(const nn::Module&, nlohmann::json&, const std::string&)> extras =
      [&](const nn::Module& mod, nlohmann::json& e, const std::string& path) {
        if (typeid(mod) == typeid(nn::Sequential)) {
          size_t i = 0;
          for (const auto& [name, child] : mod.named_children())
            extras(*child, e["config"]["layers"][i++], path.empty() ? name : path + "." + name);
          return;
        }
        if (auto dtype = detail::layer_dtype(mod, path)) e["dtype"] = dtype_name(*dtype);
        nlohmann::json frozen = nlohmann::json::array();
        for (const auto& [name, t] : mod.named_parameters())
          if (!t.requires_grad()) frozen.push_back(name);
        if (!frozen.empty()) e["frozen"] = std::move(frozen);
      };
  extras(m, entry, "");
  return entry;
}

std::unique_ptr<nn::Module> layer_from_config(const nlohmann::json& config,
                                              const ConfigLimits& limits) {
  detail::BuildState state{limits};
  return detail::build_entry(config, "", 0, state);
}

nn::Sequential sequential_from_config(const nlohmann::json& config, const ConfigLimits& limits) {
  const bool is_sequential =
      config.is_object() && config.contains("class") && config["class"] == "Sequential";
  if (!is_sequential)
    detail::fail("config",
                 "expected a Sequential entry {\"class\": \"Sequential\", \"config\": "
                 "{\"layers\": [...]}}; got " +
                     detail::shown(config).substr(0, 60));
  std::unique_ptr<nn::Module> m = layer_from_config(config, limits);
  return std::move(static_cast<nn::Sequential&>(*m));
}

std::vector<std::string> layer_config_classes() {
  std::vector<std::string> names{"Sequential"};
  for (const detail::LayerKind& k : detail::layer_kinds()) names.emplace_back(k.name);
  return names;
}

}  // namespace braid::io
