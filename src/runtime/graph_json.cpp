// A Graph as JSON: what the model file keeps in its __metadata__.
//
// Note [graph JSON]
//   {"format": "braid.graph", "version": 1,
//    "values": [{"name": "x", "dtype": "float32", "shape": [64, 784]},
//               {"name": "fc1.weight", ..., "constant": true},
//               {"name": "c0", ..., "constant": true, "wrapped": true}, ...],
//    "nodes": [{"op": "linear", "inputs": [0, 1, 2], "outputs": [3],
//               "attrs": {"dim": {"int": 1}}, "scope": "fc1",
//               "batch_attrs": [["shape", 0]]}, ...],
//    "inputs": [0], "outputs": [5], "dynamic_batch": true, "static_reason": ""}
// Ops and dtypes are stored by name. "wrapped" marks a number written in
// the traced code (`x * 0.5`), which type promotion treats differently from
// a 0-dim tensor. Attribute floats that JSON cannot hold (NaN, +-inf; an
// attention mask fills with -inf) are stored as the strings "nan", "inf",
// "-inf".
#include <cmath>
#include <nlohmann/json.hpp>

#include "braid/core/error.hpp"
#include "braid/runtime/graph.hpp"

namespace braid::runtime {

namespace {
using json = nlohmann::json;

json float_json(double d) {
  if (std::isnan(d)) return "nan";
  if (std::isinf(d)) return d > 0 ? "inf" : "-inf";
  return d;
}

double float_from(const json& j, const std::string& where) {
  if (j.is_number()) return j.get<double>();
  const std::string s = j.get<std::string>();
  if (s == "nan") return NAN;
  if (s == "inf") return INFINITY;
  if (s == "-inf") return -INFINITY;
  throw ValueError(fmt::format("[graph] {}: '{}' is not a number", where, s));
}

// Integers must be JSON integers: nlohmann turns a float such as 1e118 into
// an int with a plain cast, undefined behaviour when out of range (UBSan,
// found by fuzz/fuzz_graph_json).
template <class T>
T int_from(const json& j) {
  BRAID_CHECK(j.is_number_integer(), ValueError, "graph", "expected an integer; got {}", j.dump());
  return j.get<T>();
}
template <class T>
std::vector<T> ints_from(const json& j) {
  std::vector<T> out;
  for (const json& x : j.get_ref<const json::array_t&>()) out.push_back(int_from<T>(x));
  return out;
}

json attr_json(const AttrValue& v) {
  return std::visit(
      [](const auto& x) -> json {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, int64_t>) return {{"int", x}};
        if constexpr (std::is_same_v<T, double>) return {{"float", float_json(x)}};
        if constexpr (std::is_same_v<T, bool>) return {{"bool", x}};
        if constexpr (std::is_same_v<T, std::vector<int64_t>>) return {{"ints", x}};
        if constexpr (std::is_same_v<T, std::string>) return {{"string", x}};
        if constexpr (std::is_same_v<T, Scalar>) {
          switch (x.kind()) {
            case Scalar::Kind::Bool: return {{"scalar_bool", x.template to<bool>()}};
            case Scalar::Kind::Int: return {{"scalar_int", x.to_int()}};
            case Scalar::Kind::Float: return {{"scalar_float", float_json(x.to_double())}};
          }
        }
        return {};
      },
      v);
}

AttrValue attr_from(const json& j, const std::string& where) {
  BRAID_CHECK(j.is_object() && j.size() == 1, ValueError, "graph",
              "{}: an attribute is an object with one key (int, float, bool, ints, string, "
              "scalar_int, scalar_float, scalar_bool)",
              where);
  // Not `const auto& [kind, v] = *j.items().begin()`: nlohmann's operator*
  // returns the temporary iterator itself, which dies at the `;` (ASan:
  // stack-use-after-scope, found by fuzz/fuzz_graph_json).
  const auto it = j.begin();
  const std::string& kind = it.key();
  const json& v = it.value();
  if (kind == "int") return int_from<int64_t>(v);
  if (kind == "float") return float_from(v, where);
  if (kind == "bool") return v.get<bool>();
  if (kind == "ints") return ints_from<int64_t>(v);
  if (kind == "string") return v.get<std::string>();
  if (kind == "scalar_int") return Scalar(int_from<int64_t>(v));
  if (kind == "scalar_float") return Scalar(float_from(v, where));
  if (kind == "scalar_bool") return Scalar(v.get<bool>());
  throw ValueError(fmt::format("[graph] {}: unknown attribute kind '{}'", where, kind));
}

// A second handle on `t`'s data, so that marking it wrapped leaves the
// caller's tensor alone.
Tensor alias(const Tensor& t, bool wrapped) {
  auto im = std::make_shared<detail::TensorImpl>();
  const auto& src = t.impl();
  im->storage = src.storage;
  im->shape = src.shape;
  im->strides = src.strides;
  im->offset = src.offset;
  im->dtype = src.dtype;
  im->wrapped_number = wrapped;
  return Tensor(std::move(im));
}

Shape shape_from(const json& j, const std::string& where) {
  auto dims = ints_from<int64_t>(j);
  for (int64_t d : dims)
    BRAID_CHECK(d >= 0, ValueError, "graph", "{}: negative size {} in shape", where, d);
  return Shape(dims);
}

Graph parse(const json& j, const std::vector<std::pair<std::string, Tensor>>& constants) {
  BRAID_CHECK(j.is_object() && j.value("format", "") == "braid.graph", ValueError, "graph",
              "not a braid graph (\"format\" is not \"braid.graph\")");
  const int version = int_from<int>(j.at("version"));
  BRAID_CHECK(version == 1, ValueError, "graph",
              "graph format version {} is newer than this braid reads (1)", version);
  Graph g;
  for (const json& v : j.at("values")) {
    std::string name = v.at("name").get<std::string>();
    const std::string where = "value %" + name;
    Shape shape = shape_from(v.at("shape"), where);
    DType dtype = dtype_from_name(v.at("dtype").get<std::string>());
    Tensor data;
    if (v.value("constant", false)) {
      auto it = std::find_if(constants.begin(), constants.end(),
                             [&](const auto& c) { return c.first == name; });
      BRAID_CHECK(it != constants.end(), ValueError, "graph",
                  "constant %{} has no tensor in the file", name);
      data = alias(it->second, v.value("wrapped", false));
    }
    g.add_value(std::move(name), std::move(shape), dtype, std::move(data));
  }
  for (const json& n : j.at("nodes")) {
    Node node;
    const std::string where = fmt::format("node {}", g.nodes.size());
    try {
      node.op = op_id(n.at("op").get<std::string>());
    } catch (const ValueError& e) {
      throw ValueError(fmt::format("[graph] {}: {}", where, e.what()));
    }
    node.inputs = ints_from<int>(n.at("inputs"));
    node.outputs = ints_from<int>(n.at("outputs"));
    node.scope = n.value("scope", "");
    if (n.contains("batch_attrs"))
      for (const json& b : n.at("batch_attrs").get_ref<const json::array_t&>())
        node.batch_attrs.emplace_back(b.at(0).get<std::string>(), int_from<int>(b.at(1)));
    if (n.contains("attrs"))
      for (const auto& [k, a] : n.at("attrs").items())
        node.attrs.set(k, attr_from(a, where + " attribute '" + k + "'"));
    g.nodes.push_back(std::move(node));
  }
  g.inputs = ints_from<int>(j.at("inputs"));
  g.outputs = ints_from<int>(j.at("outputs"));
  g.dynamic_batch = j.value("dynamic_batch", false);
  g.static_reason = j.value("static_reason", "");
  validate(g);
  return g;
}
}  // namespace

std::string to_json(const Graph& g) {
  json values = json::array();
  for (const Value& v : g.values) {
    json jv = {{"name", v.name},
               {"dtype", dtype_name(v.dtype)},
               {"shape", std::vector<int64_t>(v.shape.begin(), v.shape.end())}};
    if (v.is_constant()) {
      jv["constant"] = true;
      if (v.data.impl().wrapped_number) jv["wrapped"] = true;
    }
    values.push_back(std::move(jv));
  }
  json nodes = json::array();
  for (const Node& n : g.nodes) {
    json attrs = json::object();
    for (const auto& [k, v] : n.attrs.items()) attrs[k] = attr_json(v);
    json jn = {{"op", op_def(n.op).name}, {"inputs", n.inputs}, {"outputs", n.outputs}};
    if (!attrs.empty()) jn["attrs"] = std::move(attrs);
    if (!n.scope.empty()) jn["scope"] = n.scope;
    if (!n.batch_attrs.empty()) jn["batch_attrs"] = n.batch_attrs;
    nodes.push_back(std::move(jn));
  }
  json j = {{"format", "braid.graph"},         {"version", 1},       {"values", std::move(values)},
            {"nodes", std::move(nodes)},       {"inputs", g.inputs}, {"outputs", g.outputs},
            {"dynamic_batch", g.dynamic_batch}};
  if (!g.static_reason.empty()) j["static_reason"] = g.static_reason;
  return j.dump();
}

Graph from_json(std::string_view text,
                const std::vector<std::pair<std::string, Tensor>>& constants) {
  json j;
  try {
    j = json::parse(text);
  } catch (const json::exception& e) {
    throw ValueError(fmt::format("[graph] the graph is not valid JSON: {}", e.what()));
  }
  try {
    return parse(j, constants);
  } catch (const json::exception& e) {
    // A missing key or a value of the wrong JSON type.
    throw ValueError(fmt::format("[graph] malformed graph: {}", e.what()));
  }
}

}  // namespace braid::runtime
