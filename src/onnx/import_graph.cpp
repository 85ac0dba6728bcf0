// The importer's graph building: values, emitted and folded ops (Note
// [import by probing]), the operator table, and the final compaction.
#include <algorithm>
#include <map>

#include "onnx/import_context.hpp"

namespace braid::onnx::detail {

void Importer::fail(const std::string& message) const {
  if (!node_) throw ValueError(fmt::format("[onnx] {}: {}", model_, message));
  const std::string name = node_->name().empty() ? "(unnamed)" : "'" + node_->name() + "'";
  throw ValueError(
      fmt::format("[onnx] node {} (op {}, opset {}): {}", name, node_->op_type(), opset_, message));
}

int Importer::lookup(const std::string& name) const {
  auto it = names_.find(name);
  if (it == names_.end())
    fail(fmt::format("value '{}' is not made by any node, initializer or graph input", name));
  return it->second;
}

int Importer::in(int i) const {
  if (i >= node_->input_size() || node_->input(i).empty()) return -1;
  return lookup(node_->input(i));
}

int Importer::need(int i) const {
  const int id = in(i);
  check(id >= 0, "input {} is required; the node has {} inputs", i, node_->input_size());
  return id;
}

std::vector<int64_t> Importer::const_ints(int id, const std::string& what) const {
  check(id >= 0, "{} is missing", what);
  check(is_const(id),
        "{} ('{}') must be a constant (computable from initializers and the input shapes); "
        "braid imports graphs whose shapes are fixed",
        what, graph_.values[id].name);
  const Tensor& t = probes_[id];
  check(is_integral(t.dtype(), true), "{} must be an integer tensor; got {}", what,
        dtype_name(t.dtype()));
  return t.to_vector<int64_t>();
}

double Importer::const_double(int id, const std::string& what) const {
  check(id >= 0 && is_const(id), "{} must be a constant", what);
  check(probes_[id].numel() == 1, "{} must hold one value; got shape {}", what,
        shape_str(probes_[id].shape()));
  return probes_[id].to_vector<double>()[0];
}

std::string Importer::fresh_name(const std::string& base) {
  std::string name = base.empty() ? "v" : base;
  while (!used_names_.insert(name).second)
    name = fmt::format("{}_{}", base.empty() ? "v" : base, ++temp_counter_);
  return name;
}

int Importer::add_value(const std::string& name, const Tensor& probe, bool constant) {
  const Tensor data = constant ? probe.contiguous() : Tensor();
  const int id = graph_.add_value(name, probe.shape(), probe.dtype(), data);
  probes_.push_back(constant ? data : probe);
  return id;
}

int Importer::add_input(const std::string& name, const Tensor& probe) {
  BRAID_CHECK(!names_.count(name), ValueError, "onnx", "{}: graph input '{}' is declared twice",
              model_, name);
  used_names_.insert(name);
  const int id = add_value(name, probe, false);
  graph_.inputs.push_back(id);
  names_[name] = id;
  return id;
}

int Importer::add_initializer(const std::string& name, const Tensor& data) {
  BRAID_CHECK(!name.empty(), ValueError, "onnx", "{}: an initializer has no name", model_);
  BRAID_CHECK(!names_.count(name), ValueError, "onnx", "{}: initializer '{}' is declared twice",
              model_, name);
  used_names_.insert(name);
  const int id = add_value(name, data, true);
  names_[name] = id;
  return id;
}

int Importer::constant(const Tensor& t, const std::string& hint) {
  std::string base = hint;
  if (base.empty() && node_) base = node_->output_size() ? node_->output(0) : node_->name();
  return add_value(fresh_name(base.empty() ? "const" : base + ".const"), t, true);
}

std::vector<int> Importer::op(OpId o, const std::vector<int>& inputs, const Attrs& attrs) {
  const OpDef& d = op_def(o);
  std::vector<Tensor> args;
  bool all_const = true;
  for (int id : inputs) {
    args.push_back(id >= 0 ? probes_[id] : Tensor());
    if (id >= 0 && !is_const(id)) all_const = false;
  }
  std::vector<Tensor> out;
  try {
    out = braid::detail::call(o, args, attrs);
  } catch (const Error& e) {
    fail(fmt::format("braid's {} rejects it: {}", d.name, e.what()));
  } catch (const std::bad_alloc&) {
    fail(fmt::format("braid's {} ran out of memory (the file's shapes are too large)", d.name));
  }
  std::vector<int> ids;
  const std::string base = (node_ && node_->output_size() ? node_->output(0) : std::string("v")) +
                           "." + std::string(d.name);
  if (all_const && !(d.traits & kRandom)) {
    for (const Tensor& t : out) ids.push_back(add_value(fresh_name(base), t, true));
    return ids;
  }
  runtime::Node n{o, attrs, inputs, {}, node_ ? node_->name() : ""};
  for (const Tensor& t : out) {
    ids.push_back(add_value(fresh_name(base), t, false));
    n.outputs.push_back(ids.back());
  }
  graph_.nodes.push_back(std::move(n));
  return ids;
}

// -- the operator table ------------------------------------------------------------

namespace {
const std::map<std::string, Handler>& handlers() {
  static const std::map<std::string, Handler> table = [] {
    std::map<std::string, Handler> t;
    for (auto list : {math_handlers(), shape_handlers(), nn_handlers(), rnn_handlers()})
      for (const HandlerEntry& e : list) t[e.op_type] = e.fn;
    return t;
  }();
  return table;
}

std::string supported_list() {
  std::string s;
  for (const auto& [name, fn] : handlers()) s += (s.empty() ? "" : ", ") + name;
  return s;
}
}  // namespace

void Importer::run_node(const pb::NodeProto& n) {
  node_ = &n;
  const bool std_domain = n.domain().empty() || n.domain() == "ai.onnx";
  auto it = handlers().find(n.op_type());
  if (!std_domain || it == handlers().end())
    fail(fmt::format("operator {}{} is not supported by braid's importer (supported: {})",
                     std_domain ? "" : n.domain() + ".", n.op_type(), supported_list()));
  const size_t first_new = graph_.values.size();
  const std::vector<int> outs = it->second(*this);
  for (int k = 0; k < n.output_size(); ++k) {
    const std::string& name = n.output(k);
    if (name.empty()) continue;
    const int id = k < static_cast<int>(outs.size()) ? outs[k] : -1;
    check(id >= 0, "output {} ('{}') is not supported", k, name);
    check(!names_.count(name), "value '{}' is made twice", name);
    names_[name] = id;
    // A value this node made takes the ONNX name; an alias (Identity) keeps its own.
    if (static_cast<size_t>(id) >= first_new && graph_.values[id].name != name) {
      bool named = false;
      for (int j = 0; j < k; ++j)
        named = named || (j < static_cast<int>(outs.size()) && outs[j] == id);
      if (!named) graph_.values[id].name = name;
    }
  }
  node_ = nullptr;
}

runtime::Graph Importer::finish(const std::vector<std::string>& outputs,
                                std::string static_reason) {
  for (const std::string& name : outputs) {
    auto it = names_.find(name);
    BRAID_CHECK(it != names_.end(), ValueError, "onnx",
                "{}: graph output '{}' is not made by any node, initializer or input", model_,
                name);
    graph_.outputs.push_back(it->second);
  }
  // Keep what the outputs need: folding leaves the original initializers of
  // rewritten weights (reordered LSTM gates, transposed Gemm weights) unused.
  const size_t nv = graph_.values.size();
  std::vector<char> live(nv, 0);
  for (int id : graph_.outputs) live[id] = 1;
  for (int id : graph_.inputs) live[id] = 1;
  std::vector<char> keep(graph_.nodes.size(), 0);
  for (size_t i = graph_.nodes.size(); i-- > 0;) {
    const runtime::Node& n = graph_.nodes[i];
    keep[i] = std::any_of(n.outputs.begin(), n.outputs.end(), [&](int o) { return live[o]; });
    if (keep[i])
      for (int id : n.inputs)
        if (id >= 0) live[id] = 1;
  }
  for (size_t i = 0; i < graph_.nodes.size(); ++i)
    if (keep[i])
      for (int o : graph_.nodes[i].outputs) live[o] = 1;  // unused extra outputs stay
  std::vector<int> remap(nv, -1);
  runtime::Graph g;
  for (size_t i = 0; i < nv; ++i)
    if (live[i]) {
      remap[i] = static_cast<int>(g.values.size());
      g.values.push_back(std::move(graph_.values[i]));
    }
  auto re = [&](std::vector<int>& ids) {
    for (int& id : ids)
      if (id >= 0) id = remap[id];
  };
  for (size_t i = 0; i < graph_.nodes.size(); ++i) {
    if (!keep[i]) continue;
    runtime::Node n = std::move(graph_.nodes[i]);
    re(n.inputs);
    re(n.outputs);
    g.nodes.push_back(std::move(n));
  }
  g.inputs = graph_.inputs;
  g.outputs = graph_.outputs;
  re(g.inputs);
  re(g.outputs);
  g.dynamic_batch = false;
  g.static_reason = std::move(static_reason);
  runtime::validate(g);
  return g;
}

}  // namespace braid::onnx::detail
