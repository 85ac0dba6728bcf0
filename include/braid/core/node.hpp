#pragma once
/// The data of the backward graph. Nodes are made by the op dispatcher
/// (braid_ops) and run by the engine (braid_autograd); core only holds them.
#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>
#include <vector>

#include "braid/core/attrs.hpp"
#include "braid/core/tensor.hpp"

namespace braid::detail {

struct Node;

/// Where a gradient goes: input `input_nr` of node `fn`.
struct Edge {
  std::shared_ptr<Node> fn;
  uint32_t input_nr = 0;
};

/// A tensor kept for backward plus the version it had when saved.
/// Outputs are kept without their autograd link (a node owning its own output
/// would be a cycle) and re-linked on unpack. See Note [version counter].
struct SavedTensor {
  Tensor data;
  uint32_t version = 0;
  bool is_output = false;
  bool requires_grad = false;
};

struct GradMeta {
  Shape shape;
  DType dtype = DType::Float32;
};

struct Node : std::enable_shared_from_this<Node> {
  static constexpr int kAccumulateGrad = -1;
  static constexpr int kCustom = -2;

  int op = kAccumulateGrad;  ///< OpId, or one of the k* kinds above
  std::string_view name;     ///< the op's registry name (grad_fn name)
  Attrs attrs;
  std::vector<SavedTensor> saved_inputs;   ///< by input position; undefined when not needed
  std::vector<SavedTensor> saved_outputs;  ///< by output position
  std::vector<Edge> next;                  ///< one per input; fn null when no grad flows
  std::vector<GradMeta> input_meta;        ///< the shape each input's gradient must have
  std::vector<GradMeta> output_meta;       ///< for outputs that got no gradient (zeros)
  uint64_t sequence_nr = 0;                ///< creation order: later nodes run first
  std::weak_ptr<TensorImpl> leaf;          ///< kAccumulateGrad: the leaf it fills
  bool released = false;                   ///< saved tensors freed by backward()
  /// Hooks registered on non-leaf outputs: (output_nr, hook), run on that
  /// output's gradient before the node's vjp.
  std::vector<std::pair<uint32_t, TensorHook>> pre_hooks;
  /// Non-leaf outputs that asked retain_grad(): (output_nr, tensor).
  std::vector<std::pair<uint32_t, std::weak_ptr<TensorImpl>>> retained;
  /// kCustom: user-defined backward (grads of outputs -> grads of inputs).
  std::function<std::vector<Tensor>(const std::vector<Tensor>&)> custom_backward;
  std::string custom_name;
};

/// Next value of the global node counter.
uint64_t next_sequence_nr();

}  // namespace braid::detail
