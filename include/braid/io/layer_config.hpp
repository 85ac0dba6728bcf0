#pragma once
/// Layer configs: a layer's class and constructor arguments as JSON, so a
/// Sequential model loads back as a trainable module without the C++ code
/// that built it (Keras's get_config / from_config). The weights are not in
/// the config: rebuild, then load_state_dict.
///
///     json cfg = io::layer_config(model);  // {"class": "Sequential", "config": {"layers": [
///                                          //   {"class": "Linear", "config": {"in_features": 784,
///                                          ...}}]}}
///     nn::Sequential copy = io::sequential_from_config(cfg);
///     copy.load_state_dict(model.state_dict());
///
/// Note [layer config format]
/// An entry is {"class": C, "config": {...}} with C the braid (= PyTorch)
/// class name and the config holding every constructor argument under
/// PyTorch's keyword name (braid's where braid's constructor differs:
/// TransformerEncoder's "final_norm", and its "encoder_layer" is itself an
/// entry). Sizes are an int or a list of ints, as written in the
/// constructor; Conv padding may also be "same" / "valid"; PyTorch's None is
/// null. Two optional keys beside "config" carry what a constructor does
/// not: "dtype" ("float64", ...) when the layer's floating tensors are not
/// float32, and "frozen": the names of its parameters that do not require
/// grad. When reading, a config field with a PyTorch default may be left
/// out; any other missing, unknown, mistyped or out-of-range field is a
/// ValueError naming the layer (its index path: "layer 2.1 (Linear)") and
/// the field, and nothing is built.
///
/// Layers are matched by exact class: a user's subclass of Linear has its
/// own forward, so it gets no Linear config.
#include <cstdint>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "braid/nn/module.hpp"
#include "braid/nn/sequential.hpp"

namespace braid::io {

/// The entry for `m` (see Note [layer config format]); an nn::Sequential
/// lists its layers. Throws ValueError for a module braid cannot describe
/// (a user's class, a loss, a ModuleList, mixed dtypes), naming its path:
/// "layer 3 (MyBlock): no layer config; save the weights and the graph instead".
nlohmann::json layer_config(const nn::Module& m);

/// Bounds on what a config may build, so that a hostile one cannot exhaust
/// memory or the stack. A caller that knows the weights (a model file) can
/// pass their element count as max_elements.
struct ConfigLimits {
  /// Parameters and buffers of all layers together, in elements.
  int64_t max_elements = int64_t{1} << 30;
  /// Nesting of Sequentials (and TransformerEncoder's layer).
  int max_depth = 32;
  /// Entries in all.
  int64_t max_layers = int64_t{1} << 16;
};

/// Builds the layer an entry describes, freshly initialised (from the
/// default generator, as its constructor does). Throws ValueError.
std::unique_ptr<nn::Module> layer_from_config(const nlohmann::json& config,
                                              const ConfigLimits& limits = {});

/// As layer_from_config, for an entry whose class is "Sequential".
nn::Sequential sequential_from_config(const nlohmann::json& config,
                                      const ConfigLimits& limits = {});

/// The classes layer_config and layer_from_config know, "Sequential" included.
std::vector<std::string> layer_config_classes();

}  // namespace braid::io
