#pragma once
/// The braid model file: one file that any safetensors reader reads, holding
/// a model's weights and the traced graph that runs them, so a program loads
/// and runs it without the C++ class that made it.
///
/// Note [model file]
/// Tensors: the module's state dict (state-dict names) plus the graph's
/// other constants (c0, c1, ... for tensors the forward made without an op).
/// __metadata__ (string values):
///   "braid.format": "model"          "braid.version": "0.1.0"
///   "braid.graph": the IR as JSON (runtime::to_json; Note [graph JSON])
///   "braid.inputs", "braid.outputs": JSON lists of {name, dtype, shape}
///   "braid.module": the module tree as Module::str() prints it
///   "braid.config": for an nn::Sequential, its layer config (Keras'
///                   get_config), from which load_sequential rebuilds a
///                   trainable module
/// plus any user metadata (keys not starting with "braid.").
#include <filesystem>
#include <string>
#include <vector>

#include "braid/io/safetensors.hpp"
#include "braid/nn/sequential.hpp"
#include "braid/runtime/executor.hpp"

namespace braid::io {

struct SaveModelOptions {
  std::vector<std::string> input_names;   ///< default "input" / "input_0", ...
  std::vector<std::string> output_names;  ///< default "output" / "output_0", ...
  Metadata metadata;                      ///< user keys; "braid.*" are reserved
};

/// Traces module(example) in eval mode (the module's mode is restored) and
/// writes the model file atomically. Throws what the trace throws, IOError,
/// ValueError for a reserved metadata key.
void save_model(nn::Module& module, const Tensor& example, const std::filesystem::path& path,
                const SaveModelOptions& options = {});
/// Writes a graph (traced, imported or hand-made) as a model file.
void save_model(const runtime::Graph& g, const std::filesystem::path& path,
                const Metadata& metadata = {});

/// A loaded model file: runs without autograd, nn or the class that made it.
class LoadedModel {
 public:
  LoadedModel(runtime::Graph g, Metadata metadata)
      : executor_(std::move(g)), metadata_(std::move(metadata)) {}
  std::vector<Tensor> operator()(std::span<const Tensor> inputs) const { return executor_(inputs); }
  std::vector<Tensor> operator()(std::initializer_list<Tensor> inputs) const {
    return executor_(inputs);
  }
  const runtime::Graph& graph() const { return executor_.graph(); }
  const Metadata& metadata() const { return metadata_; }
  std::vector<std::string> input_names() const;
  std::vector<std::string> output_names() const;

 private:
  runtime::Executor executor_;
  Metadata metadata_;
};

/// Reads a model file. Throws IOError naming the file: not a braid model
/// file, a malformed graph, a constant missing from the tensors.
LoadedModel load_model(const std::filesystem::path& path);

/// Rebuilds the trainable nn::Sequential a model file was saved from (its
/// "braid.config", Keras' model_from_config) and loads its weights. Throws
/// IOError when the file has no layer config (the model was not a
/// Sequential of braid's layers) or the config is malformed.
nn::Sequential load_sequential(const std::filesystem::path& path);

}  // namespace braid::io
