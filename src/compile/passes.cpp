// The rewriting passes of braid::compile (compile/passes.hpp): BatchNorm
// folding, dead code and identities, constant folding. Each edits the node
// list and then compacts the graph (drops values nothing reads or makes).
#include "braid/compile/passes.hpp"

#include <cmath>
#include <unordered_set>

#include "braid/core/error.hpp"
#include "braid/core/grad_mode.hpp"
#include "braid/ops/ops.hpp"

namespace braid::compiler {

using runtime::Graph;
using runtime::Node;

namespace {

std::string where(const Graph& g, int i) {
  const Node& n = g.nodes[i];
  return fmt::format("node {} ({}){}", i, op_def(n.op).name,
                     n.scope.empty() ? "" : ", in " + n.scope);
}

// How many node inputs read each value, plus one per graph output.
std::vector<int> use_counts(const Graph& g) {
  std::vector<int> uses(g.values.size(), 0);
  for (const Node& n : g.nodes)
    for (int id : n.inputs)
      if (id >= 0) ++uses[id];
  for (int id : g.outputs) ++uses[id];
  return uses;
}

bool is_output(const Graph& g, int id) {
  return std::find(g.outputs.begin(), g.outputs.end(), id) != g.outputs.end();
}

bool is_const(const Graph& g, int id) { return id >= 0 && g.values[id].is_constant(); }

// Removes the nodes marked in `drop` and every value no remaining node,
// input or output refers to (constants included), renumbering the rest.
void compact(Graph& g, const std::vector<bool>& drop) {
  std::vector<Node> nodes;
  for (size_t i = 0; i < g.nodes.size(); ++i)
    if (!drop[i]) nodes.push_back(std::move(g.nodes[i]));
  std::vector<bool> keep(g.values.size(), false);
  for (int id : g.inputs) keep[id] = true;
  for (int id : g.outputs) keep[id] = true;
  for (const Node& n : nodes) {
    for (int id : n.inputs)
      if (id >= 0) keep[id] = true;
    for (int id : n.outputs) keep[id] = true;
  }
  std::vector<int> remap(g.values.size(), -1);
  std::vector<runtime::Value> values;
  for (size_t i = 0; i < g.values.size(); ++i) {
    if (!keep[i]) continue;
    remap[i] = static_cast<int>(values.size());
    values.push_back(std::move(g.values[i]));
  }
  auto re = [&](std::vector<int>& ids) {
    for (int& id : ids)
      if (id >= 0) id = remap[id];
  };
  for (Node& n : nodes) {
    re(n.inputs);
    re(n.outputs);
  }
  re(g.inputs);
  re(g.outputs);
  g.values = std::move(values);
  g.nodes = std::move(nodes);
}

// A name not yet used in g, from `base`.
std::string fresh_name(const Graph& g, const std::string& base) {
  if (g.find(base) < 0) return base;
  for (int k = 2;; ++k)
    if (std::string s = fmt::format("{}.{}", base, k); g.find(s) < 0) return s;
}

std::vector<double> doubles(const Tensor& t) { return t.contiguous().to_vector<double>(); }

Tensor from_doubles(const std::vector<double>& v, const Shape& shape, DType dtype) {
  return tensor(v, shape).to(dtype).contiguous();
}

// Whether node `bn` is an eval-mode batch_norm with constant parameters.
bool foldable_bn(const Graph& g, const Node& bn) {
  if (bn.op != OpId::batch_norm || bn.attrs.b("batch_norm", "training")) return false;
  for (int k = 1; k <= 4; ++k)
    if (bn.inputs[k] != -1 && !is_const(g, bn.inputs[k])) return false;
  return bn.inputs[1] >= 0 && bn.inputs[2] >= 0;
}
}  // namespace

int fold_batchnorm(Graph& g, PassLog* log) {
  NoGradGuard no_grad;
  std::vector<int> uses = use_counts(g);
  std::vector<int> producer(g.values.size(), -1);
  for (size_t i = 0; i < g.nodes.size(); ++i)
    for (int id : g.nodes[i].outputs) producer[id] = static_cast<int>(i);
  std::vector<bool> drop(g.nodes.size(), false);
  int folded = 0;
  for (size_t j = 0; j < g.nodes.size(); ++j) {
    const Node& bn = g.nodes[j];
    if (!foldable_bn(g, bn)) continue;
    const int y = bn.inputs[0];
    const int i = producer[y];
    if (i < 0 || uses[y] != 1 || drop[i]) continue;
    Node& prev = g.nodes[i];
    const bool conv = prev.op == OpId::conv2d, lin = prev.op == OpId::linear;
    if (!(conv || lin) || !is_const(g, prev.inputs[1])) continue;
    if (prev.inputs[2] >= 0 && !is_const(g, prev.inputs[2])) continue;
    const runtime::Value& wv = g.values[prev.inputs[1]];
    const runtime::Value& yv = g.values[y];
    if (!is_floating(wv.dtype)) continue;
    // The BatchNorm's channel dim must be the features of the product:
    // dim 1 of a conv's (N, C, H, W) output, or of a linear's (N, F).
    if (lin && yv.shape.size() != 2) continue;
    if (conv && yv.shape.size() != 4) continue;
    const int64_t c = wv.shape[0];
    const double eps = bn.attrs.f("batch_norm", "eps");
    const auto mean = doubles(g.values[bn.inputs[1]].data);
    const auto var = doubles(g.values[bn.inputs[2]].data);
    const auto gamma =
        bn.inputs[3] >= 0 ? doubles(g.values[bn.inputs[3]].data) : std::vector<double>(c, 1.0);
    const auto beta =
        bn.inputs[4] >= 0 ? doubles(g.values[bn.inputs[4]].data) : std::vector<double>(c, 0.0);
    const auto bias =
        prev.inputs[2] >= 0 ? doubles(g.values[prev.inputs[2]].data) : std::vector<double>(c, 0.0);
    auto w = doubles(wv.data);
    if (static_cast<int64_t>(mean.size()) != c) continue;
    const int64_t per = static_cast<int64_t>(w.size()) / c;
    std::vector<double> b2(c);
    for (int64_t o = 0; o < c; ++o) {
      const double s = gamma[o] / std::sqrt(var[o] + eps);
      for (int64_t k = 0; k < per; ++k) w[o * per + k] *= s;
      b2[o] = (bias[o] - mean[o]) * s + beta[o];
    }
    const std::string wname = fresh_name(g, wv.name + ".bn_folded");
    const Shape wshape = wv.shape;
    const DType dt = wv.dtype;
    const int wid = g.add_value(wname, wshape, dt, from_doubles(w, wshape, dt));
    const int bid = g.add_value(fresh_name(g, wname + "_bias"), {c}, dt, from_doubles(b2, {c}, dt));
    Node& conv_node = g.nodes[i];  // add_value may not move nodes, but re-read for clarity
    conv_node.inputs[1] = wid;
    conv_node.inputs[2] = bid;
    conv_node.outputs[0] = g.nodes[j].outputs[0];
    drop[j] = true;
    ++folded;
    if (log)
      log->push_back(fmt::format("folded batch_norm ({}) into {} ({})", where(g, j),
                                 op_def(conv_node.op).name, where(g, i)));
  }
  if (folded) compact(g, drop);
  return folded;
}

int eliminate_dead_code(Graph& g, PassLog* log) {
  // Identities: consumers read the input instead.
  std::vector<int> replace(g.values.size());
  for (size_t i = 0; i < replace.size(); ++i) replace[i] = static_cast<int>(i);
  std::vector<bool> drop(g.nodes.size(), false);
  int removed = 0;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    Node& n = g.nodes[i];
    for (int& id : n.inputs)
      if (id >= 0) id = replace[id];
    bool identity = false;
    if (n.op == OpId::dropout)
      identity = !n.attrs.b("dropout", "training") || n.attrs.f("dropout", "p") == 0;
    else if (n.op == OpId::contiguous || n.op == OpId::clone)
      identity = true;
    else if (n.op == OpId::to)
      identity = n.inputs[0] >= 0 &&
                 dtype_from_name(n.attrs.s("to", "dtype")) == g.values[n.inputs[0]].dtype;
    if (!identity || n.outputs.size() != 1 || is_output(g, n.outputs[0])) continue;
    replace[n.outputs[0]] = n.inputs[0];
    drop[i] = true;
    ++removed;
    if (log) log->push_back(fmt::format("removed identity {}", where(g, static_cast<int>(i))));
  }
  // Dead nodes: nothing a graph output depends on reads them.
  std::vector<bool> live(g.values.size(), false);
  for (int id : g.outputs) live[id] = true;
  for (size_t i = g.nodes.size(); i-- > 0;) {
    if (drop[i]) continue;
    const Node& n = g.nodes[i];
    bool any = false;
    for (int id : n.outputs) any = any || live[id];
    if (!any) {
      drop[i] = true;
      ++removed;
      if (log) log->push_back(fmt::format("removed unused {}", where(g, static_cast<int>(i))));
      continue;
    }
    for (int id : n.inputs)
      if (id >= 0) live[id] = true;
  }
  compact(g, drop);
  return removed;
}

int fold_constants(Graph& g, PassLog* log, int64_t max_bytes) {
  NoGradGuard no_grad;
  std::vector<bool> drop(g.nodes.size(), false);
  int folded = 0;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const Node& n = g.nodes[i];
    const OpDef& d = op_def(n.op);
    if ((d.traits & kRandom) || n.op == OpId::dropout || !n.batch_attrs.empty()) continue;
    bool all_const = true;
    for (int id : n.inputs) all_const = all_const && (id < 0 || is_const(g, id));
    if (!all_const) continue;
    int64_t bytes = 0;
    for (int id : n.outputs)
      bytes += numel_of(g.values[id].shape) * static_cast<int64_t>(dtype_size(g.values[id].dtype));
    if (bytes > max_bytes) continue;
    std::vector<Tensor> in;
    for (int id : n.inputs) in.push_back(id >= 0 ? g.values[id].data : Tensor());
    std::vector<Tensor> out;
    try {
      out = detail::call(n.op, in, n.attrs);
    } catch (const Error&) {
      continue;  // left for run time, where the error names the node
    }
    if (out.size() != n.outputs.size()) continue;
    for (size_t k = 0; k < out.size(); ++k) g.values[n.outputs[k]].data = out[k].contiguous();
    drop[i] = true;
    ++folded;
    if (log) log->push_back(fmt::format("folded constant {}", where(g, static_cast<int>(i))));
  }
  if (folded) compact(g, drop);
  return folded;
}

void optimize(Graph& g, const PassOptions& o, PassLog* log) {
  runtime::validate(g);
  eliminate_dead_code(g, log);
  if (o.fold_constants && fold_constants(g, log) > 0) eliminate_dead_code(g, log);
  if (o.fold_batchnorm) fold_batchnorm(g, log);
  runtime::validate(g);
}

}  // namespace braid::compiler
