// The tracer: a TraceHook that turns each outermost op call into a Node
// (Note [trace hook], Note [what a trace specialises]).
#include "braid/graph/trace.hpp"

#include <unordered_map>
#include <unordered_set>

#include "braid/core/error.hpp"
#include "braid/core/grad_mode.hpp"
#include "braid/ops/ops.hpp"

namespace braid::graph {

namespace {
using runtime::Graph;
using runtime::Node;

// The data of `t` without its autograd link: constants must not keep a
// parameter's graph or gradient alive, and share its storage (a graph traced
// from a module sees the module's current weights, as TorchScript's does).
Tensor detached(const Tensor& t) {
  auto im = std::make_shared<detail::TensorImpl>();
  const auto& src = t.impl();
  im->storage = src.storage;
  im->shape = src.shape;
  im->strides = src.strides;
  im->offset = src.offset;
  im->dtype = src.dtype;
  im->wrapped_number = src.wrapped_number;
  return Tensor(std::move(im));
}

class Recorder final : public detail::TraceHook {
 public:
  Recorder(const std::vector<Tensor>& inputs, const TraceOptions& o) {
    for (const auto& [name, t] : o.named_constants)
      if (t.defined()) names_.emplace(t.impl_ptr().get(), name);
    for (size_t i = 0; i < inputs.size(); ++i) {
      std::string name = i < o.input_names.size() ? o.input_names[i]
                         : inputs.size() == 1     ? "input"
                                                  : fmt::format("input_{}", i);
      g_.inputs.push_back(add(inputs[i], std::move(name), false));
    }
    scope_ = o.scope;
  }

  void on_op(OpId id, std::span<const Tensor> in, std::span<const Tensor> out,
             const Attrs& attrs) override {
    Node n;
    n.op = id;
    n.attrs = attrs;
    for (const Tensor& t : in) n.inputs.push_back(value_of(t));
    for (const Tensor& t : out)
      n.outputs.push_back(add(t, std::to_string(g_.values.size()), false));
    if (scope_) n.scope = scope_();
    g_.nodes.push_back(std::move(n));
  }

  // The graph, with fn's results as outputs. Refuses values changed in place.
  Graph finish(const std::vector<Tensor>& results, const TraceOptions& o) {
    for (size_t k = 0; k < seen_.size(); ++k) {
      const auto& [t, version, id] = seen_[k];
      if (t.version() == version || g_.values[id].is_constant()) continue;
      throw ValueError(fmt::format(
          "[trace] %{} ({}) was changed in place after it was made (add_, copy_, fill_ ...); a "
          "graph records ops, not in-place writes: write it out of place",
          g_.values[id].name, producer_of(id)));
    }
    BRAID_CHECK(!results.empty(), ValueError, "trace", "the traced function returned no tensors");
    for (size_t i = 0; i < results.size(); ++i) {
      BRAID_CHECK(results[i].defined(), ValueError, "trace", "output {} is undefined", i);
      g_.outputs.push_back(value_of(results[i]));
    }
    // Rename the outputs; intermediates keep their numbers.
    std::unordered_set<int> renamed;
    for (size_t i = 0; i < g_.outputs.size(); ++i) {
      int id = g_.outputs[i];
      if (g_.values[id].is_constant() || is_input(id) || !renamed.insert(id).second) continue;
      g_.values[id].name = i < o.output_names.size() ? o.output_names[i]
                           : g_.outputs.size() == 1  ? "output"
                                                     : fmt::format("output_{}", i);
    }
    runtime::validate(g_);
    return std::move(g_);
  }

 private:
  int add(const Tensor& t, std::string name, bool constant) {
    int id = g_.add_value(std::move(name), t.shape(), t.dtype(), constant ? detached(t) : Tensor());
    ids_[t.impl_ptr().get()] = id;
    seen_.push_back({t, t.version(), id});  // keeps t alive: its address stays unique
    return id;
  }

  int value_of(const Tensor& t) {
    if (!t.defined()) return -1;
    if (auto it = ids_.find(t.impl_ptr().get()); it != ids_.end()) return it->second;
    auto named = names_.find(t.impl_ptr().get());
    return add(t, named != names_.end() ? named->second : fmt::format("c{}", n_anonymous_++), true);
  }

  bool is_input(int id) const {
    return std::find(g_.inputs.begin(), g_.inputs.end(), id) != g_.inputs.end();
  }

  std::string producer_of(int id) const {
    for (size_t i = 0; i < g_.nodes.size(); ++i)
      for (int o : g_.nodes[i].outputs)
        if (o == id) return fmt::format("output of node {}, {}", i, op_def(g_.nodes[i].op).name);
    return "an input";
  }

  struct Seen {
    Tensor t;
    uint32_t version;
    int id;
  };
  Graph g_;
  std::unordered_map<const detail::TensorImpl*, int> ids_;
  std::unordered_map<const detail::TensorImpl*, std::string> names_;
  std::vector<Seen> seen_;
  std::function<std::string()> scope_;
  int n_anonymous_ = 0;
};

// Installs the recorder for one call of fn, whatever fn throws.
Graph record(const TraceFn& fn, const std::vector<Tensor>& inputs, const TraceOptions& o) {
  Recorder rec(inputs, o);
  std::vector<Tensor> results;
  detail::TraceHook* previous = detail::set_trace_hook(&rec);
  BRAID_CHECK(previous == nullptr, ValueError, "trace",
              "a trace is already running on this thread");
  try {
    results = fn(inputs);
  } catch (...) {
    detail::set_trace_hook(nullptr);
    throw;
  }
  detail::set_trace_hook(nullptr);
  return rec.finish(results, o);
}

std::string attr_diff(const Attrs& a, const Attrs& b) {
  for (size_t k = 0; k < a.items().size() && k < b.items().size(); ++k) {
    Attrs one, two;
    one.set(a.items()[k].first, a.items()[k].second);
    two.set(b.items()[k].first, b.items()[k].second);
    if (one.str() != two.str()) return one.str() + " vs " + two.str();
  }
  return a.str() + " vs " + b.str();
}

// The attribute entries of x that are the batch size: n in x, n + 1 in y,
// every other entry equal. False when the attributes differ otherwise.
bool mark_batch_attrs(Node& x, const Node& y, int64_t n) {
  const auto &xa = x.attrs.items(), &ya = y.attrs.items();
  if (xa.size() != ya.size()) return false;
  for (size_t k = 0; k < xa.size(); ++k) {
    if (xa[k].first != ya[k].first) return false;
    const AttrValue &u = xa[k].second, &v = ya[k].second;
    if (u.index() != v.index()) return false;
    if (auto* i = std::get_if<int64_t>(&u)) {
      int64_t j = std::get<int64_t>(v);
      if (*i == j) continue;
      if (*i != n || j != n + 1) return false;
      x.batch_attrs.emplace_back(xa[k].first, -1);
    } else if (auto* is = std::get_if<std::vector<int64_t>>(&u)) {
      const auto& js = std::get<std::vector<int64_t>>(v);
      if (is->size() != js.size()) return false;
      for (size_t e = 0; e < is->size(); ++e) {
        if ((*is)[e] == js[e]) continue;
        if ((*is)[e] != n || js[e] != n + 1) return false;
        x.batch_attrs.emplace_back(xa[k].first, static_cast<int>(e));
      }
    } else {
      Attrs one, two;
      one.set(xa[k].first, u);
      two.set(ya[k].first, v);
      if (one.str() != two.str()) return false;
    }
  }
  return true;
}

// Why `a` (traced at batch n) and `b` (at batch n + 1) are not the same
// graph up to attributes holding the batch size (which it marks in a), or
// "" when they are.
std::string batch_difference(Graph& a, const Graph& b, int64_t n) {
  auto at = [&](const std::string& what) {
    return fmt::format("{} at batch {} and {}", what, n, n + 1);
  };
  if (a.nodes.size() != b.nodes.size() || a.values.size() != b.values.size())
    return at(fmt::format("the traced code ran {} and {} ops", a.nodes.size(), b.nodes.size()));
  for (size_t i = 0; i < a.nodes.size(); ++i) {
    Node& x = a.nodes[i];
    const Node& y = b.nodes[i];
    std::string node = fmt::format("node {} ({}){}", i, op_def(x.op).name,
                                   x.scope.empty() ? "" : " in " + x.scope);
    if (x.op != y.op || x.inputs != y.inputs || x.outputs != y.outputs)
      return at(fmt::format("{} differs (control flow depends on the batch size)", node));
    if (x.attrs.str() != y.attrs.str() && !mark_batch_attrs(x, y, n))
      return fmt::format("{} has attributes that depend on the batch size: {}", node,
                         at(attr_diff(x.attrs, y.attrs)));
  }
  for (size_t i = 0; i < a.values.size(); ++i) {
    const auto &x = a.values[i], &y = b.values[i];
    if (x.is_constant() && x.shape != y.shape)
      return fmt::format(
          "constant %{} (a tensor made without an op, such as an initial state or a mask) has "
          "shape {}",
          x.name, at(shape_str(x.shape) + " vs " + shape_str(y.shape)));
  }
  return "";
}
}  // namespace

Graph trace(const TraceFn& fn, const std::vector<Tensor>& inputs, TraceOptions options) {
  BRAID_CHECK(!inputs.empty(), ValueError, "trace", "needs at least one example input");
  for (size_t i = 0; i < inputs.size(); ++i)
    BRAID_CHECK(inputs[i].defined(), ValueError, "trace", "example input {} is undefined", i);
  Graph g = record(fn, inputs, options);
  if (!options.check_batch) {
    g.static_reason = "the trace was asked not to check the batch dimension";
    return g;
  }
  int64_t n = -1;
  for (const Tensor& x : inputs) {
    if (x.dim() == 0 || (n >= 0 && x.size(0) != n) || x.size(0) == 0) {
      g.static_reason = "the inputs have no common batch dimension";
      return g;
    }
    n = x.size(0);
  }
  std::vector<Tensor> bigger;
  {
    NoGradGuard no_grad;
    for (const Tensor& x : inputs) bigger.push_back(cat({x, narrow(x, 0, 0, 1)}, 0));
  }
  Graph g2 = record(fn, bigger, options);
  g.static_reason = batch_difference(g, g2, n);
  g.dynamic_batch = g.static_reason.empty();
  if (!g.dynamic_batch)
    for (Node& node : g.nodes) node.batch_attrs.clear();
  return g;
}

}  // namespace braid::graph
