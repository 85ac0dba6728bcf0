#pragma once
/// braid's IR: a graph of registry ops (DESIGN "graph/", "runtime/"). The
/// tracer writes it, the executor runs it, the model file stores it as JSON,
/// and ONNX export and import translate it. Nodes are registry ops (OpId +
/// Attrs), so the op registry stays the one definition of every op.
///
///   graph(%x: float32[64, 1, 28, 28]) {
///     %fc1.weight: float32[128, 784] = constant
///     %2: float32[64, 784] = flatten(%x) {start_dim=1, end_dim=-1}   # flatten
///     %3: float32[64, 128] = linear(%2, %fc1.weight, %fc1.bias)      # fc1
///     return %3
///   }
#include <optional>
#include <string>
#include <vector>

#include "braid/core/attrs.hpp"
#include "braid/core/tensor.hpp"
#include "braid/ops/registry.hpp"

namespace braid::runtime {

/// One value: a graph input, a constant, or an op output. `shape` is the
/// shape seen when the graph was made (traced or imported); see
/// Graph::dynamic_batch for which sizes may differ at run time.
struct Value {
  std::string name;  ///< unique; "x", "fc1.weight", or "3" for intermediates
  Shape shape;
  DType dtype = DType::Float32;
  Tensor data;  ///< defined for constants (weights, buffers, captured tensors)
  bool is_constant() const { return data.defined(); }
};

/// One op call. inputs/outputs are value ids; -1 is an absent optional input
/// (linear without bias).
struct Node {
  OpId op{};
  Attrs attrs;
  std::vector<int> inputs;
  std::vector<int> outputs;
  std::string scope;  ///< module path when traced ("features/0"); "" if unknown
  /// Attribute entries that hold the batch size (a reshape to [N, L, h, d]):
  /// (attribute name, element index, or -1 for an int attribute). With
  /// Graph::dynamic_batch, run() writes the batch size of its inputs there.
  std::vector<std::pair<std::string, int>> batch_attrs;
};

struct Graph {
  std::vector<Value> values;
  std::vector<Node> nodes;  ///< in execution (topological) order
  std::vector<int> inputs;  ///< value ids, in the order run() takes them
  std::vector<int> outputs;
  /// True when dim 0 of every input is a batch dimension the graph does not
  /// depend on except through Node::batch_attrs (checked by the tracer by
  /// tracing a second batch size), so run() accepts any batch size. Otherwise inputs must have the
  /// recorded shapes, and `static_reason` says why.
  bool dynamic_batch = false;
  std::string static_reason;

  /// Adds a value and returns its id.
  int add_value(std::string name, Shape shape, DType dtype, Tensor data = {});
  /// Value id by name, or -1.
  int find(std::string_view name) const;
  /// The constants (id, name) in value order: the weights a model file stores.
  std::vector<int> constants() const;

  /// The readable form shown above.
  std::string str() const;
};

/// Checks structure: ids in range; every value produced once, by an input,
/// a constant or one node; each node's inputs produced before it (so no
/// cycles); op arity; constant data matching its recorded shape and dtype;
/// outputs produced. Throws ValueError "[graph] node 3 (linear): ...".
void validate(const Graph& g);

/// The graph as JSON text (without constant data, which the model file
/// keeps as safetensors tensors named like the values), and back. Ops and
/// attributes are stored by name, so files survive op-list reordering.
/// from_json validates the structure; `constants` supplies each constant's
/// data by value name. Throws ValueError naming what is wrong (unknown op,
/// missing constant, bad attribute).
std::string to_json(const Graph& g);
Graph from_json(std::string_view json,
                const std::vector<std::pair<std::string, Tensor>>& constants);

}  // namespace braid::runtime
