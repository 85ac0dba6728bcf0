#pragma once
// Internal: what one op's ONNX translation sees and the helpers it writes
// nodes with. The translations (export_*.cpp) fill one table keyed by OpId,
// so the registry stays the one op list (STYLE "One op list"); the test walks
// all_ops() against has_translation().
//
// Note [onnx export]
// - A graph keeps the ops the user called, with inputs as passed (Note
//   [trace hook]): composites (linear, softmax, lstm_cell, attention, the
//   losses) are translated whole, term by term as they compute, so ONNX
//   Runtime gives the executor's numbers; promotion is the exporter's job
//   (Ctx::in casts where the dispatcher would; a number written in the code
//   is stored already cast).
// - Shapes written into the model come from attributes, or from Shape at run
//   time, never from the traced sizes where the batch is free
//   (Graph::dynamic_batch): the ONNX inputs' dim 0 is the symbolic "batch".
// - Inference graphs only: training-mode batch norm and dropout, attention
//   dropout and the gradient ops are refused with the node named.
#include <onnx/onnx_pb.h>

#include <array>
#include <string>
#include <unordered_set>
#include <vector>

#include "braid/core/error.hpp"
#include "braid/ops/ops.hpp"
#include "braid/runtime/graph.hpp"
#include "onnx/export_internal.hpp"

namespace braid::onnx::detail {

namespace pb = ::onnx;

/// ONNX's element type for a braid dtype.
pb::TensorProto_DataType onnx_dtype(DType t);

/// The model being written: the GraphProto, the names taken, the helpers'
/// shared constants.
class Writer {
 public:
  explicit Writer(pb::GraphProto* g) : g_(g) {}
  pb::GraphProto* graph() { return g_; }
  /// A name no value or helper has: hint, hint_1, hint_2, ...
  std::string fresh(const std::string& hint);
  /// Marks `name` as taken (graph values keep their braid names).
  void take(const std::string& name) { used_.insert(name); }
  /// An initializer holding `t` (any strides; written row-major, little-endian).
  std::string initializer(const Tensor& t, const std::string& hint);
  /// As initializer, under exactly `name` (a graph constant keeps its name).
  void named_initializer(const Tensor& t, const std::string& name);
  /// A 1-D int64 initializer (axes, shapes, pads), shared by equal contents.
  std::string ints(const std::vector<int64_t>& v);
  /// A 0-dim initializer of dtype `t`, shared by equal contents.
  std::string scalar(double v, DType t);

 private:
  pb::GraphProto* g_;
  std::unordered_set<std::string> used_;
  std::vector<std::pair<std::string, std::string>> shared_;  // (key, name)
};

/// One braid node being translated.
class Ctx {
 public:
  Ctx(Writer& w, const runtime::Graph& g, int index);

  const runtime::Node& node() const { return n_; }
  const Attrs& attrs() const { return n_.attrs; }
  const char* op() const;
  size_t num_inputs() const { return n_.inputs.size(); }
  bool has(size_t i) const { return i < n_.inputs.size() && n_.inputs[i] >= 0; }
  const runtime::Value& value(size_t i) const { return g_.values[n_.inputs[i]]; }
  const runtime::Value& out_value(size_t i) const { return g_.values[n_.outputs[i]]; }
  const Shape& shape(size_t i) const { return value(i).shape; }
  int64_t rank(size_t i) const { return static_cast<int64_t>(shape(i).size()); }
  /// The dtype input i has once the registry's promotion ran (what the
  /// kernel sees): promote_mask inputs cast to the common type, kIntToFloat.
  DType dtype(size_t i) const { return promoted_[i]; }
  /// Input i's ONNX name, cast to dtype(i) where the dispatcher would cast.
  std::string in(size_t i);
  /// Input i as it is in the graph (no promotion cast).
  std::string raw(size_t i) const;
  /// Output i's ONNX name.
  std::string out(size_t i) const;
  bool out_used(size_t i) const;
  /// The constant data of input i, or an undefined tensor.
  const Tensor& constant(size_t i) const { return value(i).data; }

  /// Adds a node; returns it to set attributes on.
  pb::NodeProto* add(const char* op, std::vector<std::string> inputs,
                     std::vector<std::string> outputs);
  /// A one-output node with a fresh output name, which it returns.
  std::string emit(const char* op, std::vector<std::string> inputs, pb::NodeProto** node = nullptr);
  std::string cast(const std::string& x, DType to);
  std::string ints(const std::vector<int64_t>& v) { return w_.ints(v); }
  std::string scalar(double v, DType t) { return w_.scalar(v, t); }
  std::string initializer(const Tensor& t, const std::string& hint) {
    return w_.initializer(t, hint);
  }
  Writer& writer() { return w_; }

  int64_t i(const char* name) const { return n_.attrs.i(op(), name); }
  double f(const char* name) const { return n_.attrs.f(op(), name); }
  bool b(const char* name) const { return n_.attrs.b(op(), name); }
  const std::vector<int64_t>& ints_attr(const char* name) const {
    return n_.attrs.ints(op(), name);
  }
  /// A dim attribute wrapped into [0, rank).
  int64_t dim(const char* name, int64_t rank) const;

  /// ValueError "[onnx] node 4 (cumsum) in encoder/0: <what>".
  template <class... Args>
  [[noreturn]] void fail(fmt::format_string<Args...> f, Args&&... args) const {
    fail_msg(fmt::format(f, std::forward<Args>(args)...));
  }
  [[noreturn]] void fail_msg(const std::string& what) const;

 private:
  Writer& w_;
  const runtime::Graph& g_;
  const runtime::Node& n_;
  int index_;
  std::vector<DType> promoted_;
  std::vector<std::string> cast_cache_;
};

void set_attr(pb::NodeProto* n, const char* name, int64_t v);
void set_attr(pb::NodeProto* n, const char* name, double v);
void set_attr(pb::NodeProto* n, const char* name, const std::vector<int64_t>& v);
void set_attr(pb::NodeProto* n, const char* name, const std::string& v);
inline void set_attr(pb::NodeProto* n, const char* name, int v) {
  set_attr(n, name, static_cast<int64_t>(v));
}
inline void set_attr(pb::NodeProto* n, const char* name, const char* v) {
  set_attr(n, name, std::string(v));
}

/// Writes the ONNX nodes of one braid node.
using TranslateFn = void (*)(Ctx& c);
using Table = std::array<TranslateFn, kNumOps>;

// Each family file fills its ops' entries.
void add_elementwise(Table& t);
void add_shape_ops(Table& t);
void add_reductions(Table& t);
void add_network_ops(Table& t);
void add_sequence_ops(Table& t);
void add_losses(Table& t);

/// The table, filled once.
const Table& table();

}  // namespace braid::onnx::detail
