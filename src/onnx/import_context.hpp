#pragma once
// ONNX import internals: the context every operator handler writes through.
//
// Note [import by probing]
// The importer runs the model once while it builds the graph: every graph
// input gets a zero "probe" tensor of its declared shape, and each registry op
// the importer emits is called right away on its inputs' probes. That gives
// every value its shape and dtype from the op's own inference (no second
// shape-inference table to drift), and it folds constants for free: an op
// whose inputs are all constants (initializers, Constant nodes, Shape of a
// value whose shape is known) becomes a constant instead of a node. PyTorch's
// shape subgraphs (Shape -> Gather -> Unsqueeze -> Concat -> Reshape) thereby
// vanish, and the graph is fixed to the file's input shapes
// (Graph::dynamic_batch = false).
#include <onnx/onnx_pb.h>

#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "braid/core/error.hpp"
#include "braid/ops/ops.hpp"
#include "braid/runtime/graph.hpp"

namespace braid::onnx::detail {

namespace pb = ::onnx;

/// The most elements the importer makes for one input probe or constant
/// (1 GiB of float32): a hostile file cannot make it allocate without bound.
inline constexpr int64_t kMaxElements = int64_t{1} << 28;

/// TensorProto -> Tensor (a copy). `what` names it in errors ("initializer
/// 'fc.weight'"). Throws ValueError for unsupported element types, external
/// data, data sizes that do not match the dims.
Tensor tensor_from_proto(const pb::TensorProto& t, const std::string& what);
/// ONNX element type code -> DType; ValueError naming `what` if braid has none.
DType dtype_from_onnx(int32_t type, const std::string& what);

class Importer {
 public:
  Importer(std::string model_name, int64_t opset) : model_(std::move(model_name)), opset_(opset) {}

  int64_t opset() const { return opset_; }
  const pb::NodeProto& node() const { return *node_; }

  // -- errors -------------------------------------------------------------------
  /// ValueError "[onnx] node 'name' (op X, opset N): message".
  [[noreturn]] void fail(const std::string& message) const;
  template <class... Args>
  void check(bool cond, fmt::format_string<Args...> f, Args&&... args) const {
    if (!cond) [[unlikely]]
      fail(fmt::format(f, std::forward<Args>(args)...));
  }

  // -- the current node's inputs and attributes ------------------------------------
  int num_inputs() const { return node_->input_size(); }
  /// Value id of input i; -1 when absent (past the end or named "").
  int in(int i) const;
  /// As in(i), throwing when the input is absent.
  int need(int i) const;
  const pb::AttributeProto* attr(const std::string& name) const;
  int64_t attr_i(const std::string& name, int64_t dflt) const;
  double attr_f(const std::string& name, double dflt) const;
  std::string attr_s(const std::string& name, const std::string& dflt) const;
  std::vector<int64_t> attr_ints(const std::string& name, std::vector<int64_t> dflt = {}) const;
  bool has_attr(const std::string& name) const { return attr(name) != nullptr; }

  // -- values -------------------------------------------------------------------
  /// The probe (Note [import by probing]) of value `id`: real data for constants.
  const Tensor& probe(int id) const { return probes_[id]; }
  const Shape& shape(int id) const { return probes_[id].shape(); }
  int64_t rank(int id) const { return static_cast<int64_t>(probes_[id].shape().size()); }
  DType dtype(int id) const { return probes_[id].dtype(); }
  bool is_const(int id) const { return id >= 0 && graph_.values[id].is_constant(); }
  /// The values of a constant integer tensor (any int dtype), e.g. a Reshape
  /// shape; fails naming `what` if the value is not a constant.
  std::vector<int64_t> const_ints(int id, const std::string& what) const;
  double const_double(int id, const std::string& what) const;

  /// Adds a constant value (a contiguous copy is kept) and returns its id.
  int constant(const Tensor& t, const std::string& hint = "");
  /// Emits registry op `op` (or folds it into a constant when every input is
  /// one); returns the ids of all its outputs. Errors from the op name the node.
  std::vector<int> op(OpId op, const std::vector<int>& inputs, const Attrs& attrs = {});
  int op1(OpId o, const std::vector<int>& inputs, const Attrs& attrs = {}) {
    return op(o, inputs, attrs)[0];
  }

  // -- driver (import.cpp) ----------------------------------------------------------
  int add_input(const std::string& name, const Tensor& probe);
  int add_initializer(const std::string& name, const Tensor& data);
  void reserve_name(const std::string& name) { used_names_.insert(name); }
  void run_node(const pb::NodeProto& n);
  int lookup(const std::string& name) const;
  runtime::Graph finish(const std::vector<std::string>& outputs, std::string static_reason);

 private:
  std::string fresh_name(const std::string& base);
  int add_value(const std::string& name, const Tensor& probe, bool constant);

  std::string model_;
  int64_t opset_;
  const pb::NodeProto* node_ = nullptr;
  runtime::Graph graph_;
  std::vector<Tensor> probes_;
  std::unordered_map<std::string, int> names_;  // ONNX value name -> value id
  std::unordered_set<std::string> used_names_;
  int temp_counter_ = 0;
};

/// An operator handler: reads the current node from the context and returns
/// the value id of each ONNX output (in order; -1 for ones it does not make).
using Handler = std::vector<int> (*)(Importer& ctx);
struct HandlerEntry {
  const char* op_type;
  Handler fn;
};

// Each family file lists its handlers (import_math.cpp, import_shape.cpp,
// import_nn.cpp, import_rnn.cpp).
std::vector<HandlerEntry> math_handlers();
std::vector<HandlerEntry> shape_handlers();
std::vector<HandlerEntry> nn_handlers();
std::vector<HandlerEntry> rnn_handlers();

/// Wraps a negative axis into [0, rank); fails naming the node when out of range.
int64_t wrap_axis(const Importer& ctx, int64_t axis, int64_t rank, const char* what = "axis");

}  // namespace braid::onnx::detail
