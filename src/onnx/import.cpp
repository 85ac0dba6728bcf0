// ONNX import: ModelProto -> runtime::Graph. This file checks the model as a
// whole (protobuf, opset, inputs, initializers, node order); the operators
// live in import_{math,shape,nn,rnn}.cpp, the graph building in
// import_graph.cpp. See Note [import by probing] (import_context.hpp).
#include <climits>
#include <fstream>
#include <sstream>
#include <unordered_map>
#include <unordered_set>

#include "braid/core/grad_mode.hpp"
#include "braid/onnx/onnx.hpp"
#include "onnx/import_context.hpp"

namespace braid::onnx {

namespace {
using detail::pb::GraphProto;
using detail::pb::ModelProto;
using detail::pb::NodeProto;

constexpr int64_t kMinOpset = 7, kMaxOpset = 18;

int64_t default_opset(const ModelProto& m, const std::string& where) {
  int64_t opset = -1;
  for (const auto& o : m.opset_import())
    if (o.domain().empty() || o.domain() == "ai.onnx") opset = o.version();
  BRAID_CHECK(opset >= 0, ValueError, "onnx", "{}: the model imports no default-domain opset",
              where);
  BRAID_CHECK(opset >= kMinOpset && opset <= kMaxOpset, ValueError, "onnx",
              "{}: opset {} is not supported; braid imports opsets {} to {}", where, opset,
              kMinOpset, kMaxOpset);
  return opset;
}

// The nodes in an order where every input is made before it is read (ONNX
// requires files to be sorted, but exporters have been known to slip); a
// cycle or an input nobody makes is an error naming the node.
std::vector<const NodeProto*> sorted_nodes(const GraphProto& g,
                                           const std::unordered_set<std::string>& given,
                                           const std::string& where) {
  const int n = g.node_size();
  std::unordered_map<std::string, int> producer;
  for (int i = 0; i < n; ++i)
    for (const std::string& o : g.node(i).output())
      if (!o.empty()) {
        BRAID_CHECK(!given.count(o) && producer.emplace(o, i).second, ValueError, "onnx",
                    "{}: value '{}' is made twice (by node '{}' (op {}) and before)", where, o,
                    g.node(i).name(), g.node(i).op_type());
      }
  std::vector<std::vector<int>> users(n);
  std::vector<int> waiting(n, 0);
  for (int i = 0; i < n; ++i)
    for (const std::string& in : g.node(i).input()) {
      if (in.empty() || given.count(in)) continue;
      auto it = producer.find(in);
      BRAID_CHECK(it != producer.end(), ValueError, "onnx",
                  "{}: node '{}' (op {}) reads '{}', which no node, initializer or graph input "
                  "makes",
                  where, g.node(i).name(), g.node(i).op_type(), in);
      users[it->second].push_back(i);
      ++waiting[i];
    }
  std::vector<const NodeProto*> order;
  std::vector<int> ready;
  for (int i = n - 1; i >= 0; --i)
    if (waiting[i] == 0) ready.push_back(i);
  while (!ready.empty()) {
    const int i = ready.back();
    ready.pop_back();
    order.push_back(&g.node(i));
    for (int u : users[i])
      if (--waiting[u] == 0) ready.push_back(u);
  }
  if (static_cast<int>(order.size()) < n)
    for (int i = 0; i < n; ++i)
      BRAID_CHECK(waiting[i] == 0, ValueError, "onnx",
                  "{}: the graph has a cycle through node '{}' (op {})", where, g.node(i).name(),
                  g.node(i).op_type());
  return order;
}

// A zero tensor of the input's declared type; symbolic dims become 1 and are
// noted in `fixed`.
Tensor input_probe(const detail::pb::ValueInfoProto& v, const std::string& where,
                   std::string& fixed) {
  const std::string what = fmt::format("{}: graph input '{}'", where, v.name());
  BRAID_CHECK(v.type().has_tensor_type(), ValueError, "onnx", "{} is not a tensor", what);
  const auto& tt = v.type().tensor_type();
  const DType dt = detail::dtype_from_onnx(tt.elem_type(), what);
  BRAID_CHECK(tt.has_shape(), ValueError, "onnx",
              "{} has no shape; braid imports graphs with known input ranks", what);
  Shape shape;
  for (const auto& d : tt.shape().dim()) {
    if (d.has_dim_value()) {
      BRAID_CHECK(d.dim_value() >= 0 && d.dim_value() <= (int64_t{1} << 31), ValueError, "onnx",
                  "{} has a dim of size {}", what, d.dim_value());
      shape.push_back(d.dim_value());
      BRAID_CHECK(numel_of(shape) <= detail::kMaxElements, ValueError, "onnx",
                  "{} is too large: {}", what, shape_str(shape));
    } else {
      shape.push_back(1);
      fixed += fmt::format("{}input '{}' dim {} ('{}') was fixed to 1", fixed.empty() ? "" : "; ",
                           v.name(), shape.size() - 1, d.dim_param());
    }
  }
  return zeros(shape, dt);
}
}  // namespace

runtime::Graph import_onnx_bytes(std::string_view bytes, std::string_view name) {
  const std::string where(name);
  BRAID_CHECK(bytes.size() < static_cast<size_t>(INT_MAX), IOError, "onnx",
              "{}: {} bytes is over protobuf's 2 GiB limit", where, bytes.size());
  ModelProto model;
  BRAID_CHECK(model.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())), IOError, "onnx",
              "{}: not an ONNX model (the protobuf does not parse; truncated or another format)",
              where);
  BRAID_CHECK(model.has_graph() && model.graph().output_size() > 0, IOError, "onnx",
              "{}: not an ONNX model (no graph, or a graph without outputs)", where);
  const GraphProto& g = model.graph();
  detail::Importer ctx(where, default_opset(model, where));
  NoGradGuard no_grad;

  std::unordered_set<std::string> given;
  for (const auto& t : g.initializer()) {
    Tensor data =
        detail::tensor_from_proto(t, fmt::format("{}: initializer '{}'", where, t.name()));
    ctx.add_initializer(t.name(), data);
    given.insert(t.name());
  }
  BRAID_CHECK(g.sparse_initializer_size() == 0, ValueError, "onnx",
              "{}: sparse initializers are not supported", where);
  std::string fixed;
  for (const auto& v : g.input()) {
    if (given.count(v.name())) continue;  // IR < 4 lists initializers as inputs too
    BRAID_CHECK(!v.name().empty(), ValueError, "onnx", "{}: a graph input has no name", where);
    ctx.add_input(v.name(), input_probe(v, where, fixed));
    given.insert(v.name());
  }
  for (const auto& n : g.node())
    for (const std::string& o : n.output()) ctx.reserve_name(o);
  for (const NodeProto* n : sorted_nodes(g, given, where)) ctx.run_node(*n);

  std::vector<std::string> outputs;
  for (const auto& o : g.output()) outputs.push_back(o.name());
  std::string reason =
      "ONNX import folds the shape computations against the input shapes in the file";
  if (!fixed.empty()) reason += " (" + fixed + ")";
  return ctx.finish(outputs, reason);
}

runtime::Graph import_onnx(const std::filesystem::path& path) {
  std::ifstream f(path, std::ios::binary);
  BRAID_CHECK(f.good(), IOError, "onnx", "cannot open '{}'", path.string());
  std::ostringstream ss;
  ss << f.rdbuf();
  BRAID_CHECK(!f.bad(), IOError, "onnx", "cannot read '{}'", path.string());
  const std::string bytes = ss.str();
  return import_onnx_bytes(bytes, path.string());
}

}  // namespace braid::onnx
