// The IR's structure: building, printing and validating a Graph.
#include "braid/runtime/graph.hpp"

#include <fmt/format.h>

#include <unordered_set>

#include "braid/core/error.hpp"

namespace braid::runtime {

int Graph::add_value(std::string name, Shape shape, DType dtype, Tensor data) {
  values.push_back({std::move(name), std::move(shape), dtype, std::move(data)});
  return static_cast<int>(values.size()) - 1;
}

int Graph::find(std::string_view name) const {
  for (size_t i = 0; i < values.size(); ++i)
    if (values[i].name == name) return static_cast<int>(i);
  return -1;
}

std::vector<int> Graph::constants() const {
  std::vector<int> ids;
  for (size_t i = 0; i < values.size(); ++i)
    if (values[i].is_constant()) ids.push_back(static_cast<int>(i));
  return ids;
}

namespace {
std::string value_decl(const Value& v) {
  return fmt::format("%{}: {}{}", v.name, dtype_name(v.dtype), shape_str(v.shape));
}

std::string ref(const Graph& g, int id) { return id < 0 ? "None" : "%" + g.values[id].name; }
}  // namespace

std::string Graph::str() const {
  std::string s = "graph(";
  for (size_t i = 0; i < inputs.size(); ++i) s += (i ? ", " : "") + value_decl(values[inputs[i]]);
  s += ") {\n";
  for (int c : constants()) s += "  " + value_decl(values[c]) + " = constant\n";
  for (const Node& n : nodes) {
    std::string outs, ins;
    for (size_t i = 0; i < n.outputs.size(); ++i)
      outs += (i ? ", " : "") + value_decl(values[n.outputs[i]]);
    for (size_t i = 0; i < n.inputs.size(); ++i) ins += (i ? ", " : "") + ref(*this, n.inputs[i]);
    s += fmt::format("  {} = {}({})", outs, op_def(n.op).name, ins);
    if (!n.attrs.items().empty()) s += " {" + n.attrs.str() + "}";
    for (const auto& [name, k] : n.batch_attrs)
      s += k < 0 ? fmt::format(" [{} = batch]", name) : fmt::format(" [{}[{}] = batch]", name, k);
    if (!n.scope.empty()) s += "   # " + n.scope;
    s += "\n";
  }
  s += "  return ";
  for (size_t i = 0; i < outputs.size(); ++i) s += (i ? ", " : "") + ref(*this, outputs[i]);
  s += "\n}\n";
  if (!dynamic_batch && !static_reason.empty()) s += "# fixed shapes: " + static_reason + "\n";
  return s;
}

namespace {
std::string node_name(const Graph& g, size_t i) {
  const Node& n = g.nodes[i];
  std::string s = fmt::format("node {} ({})", i, op_def(n.op).name);
  if (!n.scope.empty()) s += " in " + n.scope;
  return s;
}
}  // namespace

void validate(const Graph& g) {
  const int nv = static_cast<int>(g.values.size());
  // Who produced each value: -2 nobody yet, -1 an input or a constant, else a node.
  std::vector<int> producer(g.values.size(), -2);
  auto in_range = [&](int id) { return id >= 0 && id < nv; };
  std::unordered_set<std::string_view> names;
  for (size_t i = 0; i < g.values.size(); ++i) {
    const Value& v = g.values[i];
    BRAID_CHECK(!v.name.empty(), ValueError, "graph", "value {} has no name", i);
    BRAID_CHECK(names.insert(v.name).second, ValueError, "graph", "two values are named %{}",
                v.name);
    if (!v.is_constant()) continue;
    BRAID_CHECK(v.data.shape() == v.shape && v.data.dtype() == v.dtype, ValueError, "graph",
                "constant %{} is recorded as {}{} but its data is {}{}", v.name,
                dtype_name(v.dtype), shape_str(v.shape), dtype_name(v.data.dtype()),
                shape_str(v.data.shape()));
    producer[i] = -1;
  }
  for (int id : g.inputs) {
    BRAID_CHECK(in_range(id), ValueError, "graph", "input id {} is out of range (0..{})", id,
                nv - 1);
    BRAID_CHECK(producer[id] == -2, ValueError, "graph",
                "input %{} is listed twice or is also a constant", g.values[id].name);
    producer[id] = -1;
  }
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const Node& n = g.nodes[i];
    BRAID_CHECK(static_cast<int>(n.op) < kNumOps, ValueError, "graph", "node {}: op id {} unknown",
                i, static_cast<int>(n.op));
    const OpDef& d = op_def(n.op);
    BRAID_CHECK(d.num_inputs < 0 || static_cast<int>(n.inputs.size()) == d.num_inputs, ValueError,
                "graph", "{}: takes {} inputs; the node has {}", node_name(g, i), d.num_inputs,
                n.inputs.size());
    BRAID_CHECK(!n.outputs.empty(), ValueError, "graph", "{}: has no outputs", node_name(g, i));
    for (const auto& [name, k] : n.batch_attrs) {
      const AttrValue* a = n.attrs.find(name);
      auto* ints = a ? std::get_if<std::vector<int64_t>>(a) : nullptr;
      bool ok = a && (k == -1 ? std::holds_alternative<int64_t>(*a)
                              : ints && k >= 0 && k < static_cast<int>(ints->size()));
      BRAID_CHECK(ok, ValueError, "graph", "{}: batch attribute {}[{}] is not an int entry",
                  node_name(g, i), name, k);
    }
    for (int id : n.inputs) {
      if (id == -1) continue;  // an absent optional input
      BRAID_CHECK(in_range(id), ValueError, "graph", "{}: input id {} is out of range (0..{})",
                  node_name(g, i), id, nv - 1);
      BRAID_CHECK(producer[id] != -2, ValueError, "graph",
                  "{}: input %{} is not produced before the node (a cycle, or a value no node "
                  "makes)",
                  node_name(g, i), g.values[id].name);
    }
    for (int id : n.outputs) {
      BRAID_CHECK(in_range(id), ValueError, "graph", "{}: output id {} is out of range (0..{})",
                  node_name(g, i), id, nv - 1);
      BRAID_CHECK(producer[id] == -2, ValueError, "graph",
                  "{}: output %{} is already produced (by an input, a constant or node {})",
                  node_name(g, i), g.values[id].name, producer[id]);
      producer[id] = static_cast<int>(i);
    }
  }
  BRAID_CHECK(!g.outputs.empty(), ValueError, "graph", "the graph has no outputs");
  for (int id : g.outputs) {
    BRAID_CHECK(in_range(id), ValueError, "graph", "output id {} is out of range (0..{})", id,
                nv - 1);
    BRAID_CHECK(producer[id] != -2, ValueError, "graph", "output %{} is never produced",
                g.values[id].name);
  }
}

}  // namespace braid::runtime
