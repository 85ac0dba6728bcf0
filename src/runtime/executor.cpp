// Runs a Graph node by node through the op registry, with grad mode off.
#include "braid/runtime/executor.hpp"

#include "braid/core/error.hpp"
#include "braid/core/grad_mode.hpp"
#include "runtime/batch_attrs.hpp"

namespace braid::runtime {

namespace {
void check_inputs(const Graph& g, std::span<const Tensor> inputs) {
  BRAID_CHECK(
      inputs.size() == g.inputs.size(), ValueError, "graph", "takes {} inputs ({}); got {}",
      g.inputs.size(),
      [&] {
        std::string names;
        for (int id : g.inputs) names += (names.empty() ? "" : ", ") + g.values[id].name;
        return names;
      }(),
      inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    const Value& v = g.values[g.inputs[i]];
    const Tensor& x = inputs[i];
    BRAID_CHECK(x.defined(), ValueError, "graph", "input '{}' is undefined", v.name);
    BRAID_CHECK(x.dtype() == v.dtype, DTypeError, "graph", "input '{}' must be {}; got {}", v.name,
                dtype_name(v.dtype), dtype_name(x.dtype()));
    bool same = x.shape() == v.shape;
    if (!same && g.dynamic_batch && x.dim() == static_cast<int64_t>(v.shape.size()) && x.dim() > 0)
      same = std::equal(x.shape().begin() + 1, x.shape().end(), v.shape.begin() + 1);
    if (same) continue;
    if (g.dynamic_batch)
      throw ShapeError(
          fmt::format("[graph] input '{}' must have shape {} (any size in dim 0); got {}", v.name,
                      shape_str(v.shape), shape_str(x.shape())));
    throw ShapeError(fmt::format(
        "[graph] input '{}' must have shape {}, as traced; got {}. The graph is fixed to the "
        "traced shapes because {}",
        v.name, shape_str(v.shape), shape_str(x.shape()),
        g.static_reason.empty() ? "it was made so" : g.static_reason));
  }
}

}  // namespace

Attrs with_batch(const Node& n, int64_t batch) {
  if (n.batch_attrs.empty() || batch < 0) return n.attrs;
  Attrs a = n.attrs;
  for (const auto& [name, k] : n.batch_attrs) {
    if (k < 0) {
      a.set(name, batch);
      continue;
    }
    auto v = std::get<std::vector<int64_t>>(*a.find(name));
    v[k] = batch;
    a.set(name, std::move(v));
  }
  return a;
}

Executor::Executor(Graph g) : g_(std::move(g)) {
  validate(g_);
  // Each intermediate is dropped after the last node that reads it, so peak
  // memory is the live set, not the whole trace.
  std::vector<int> last_use(g_.values.size(), -1);
  for (size_t i = 0; i < g_.nodes.size(); ++i)
    for (int id : g_.nodes[i].inputs)
      if (id >= 0) last_use[id] = static_cast<int>(i);
  for (int id : g_.outputs) last_use[id] = -1;
  release_after_.resize(g_.nodes.size());
  for (size_t id = 0; id < last_use.size(); ++id)
    if (last_use[id] >= 0 && !g_.values[id].is_constant())
      release_after_[last_use[id]].push_back(static_cast<int>(id));
}

std::vector<Tensor> Executor::operator()(std::span<const Tensor> inputs) const {
  check_inputs(g_, inputs);
  NoGradGuard no_grad;
  std::vector<Tensor> env(g_.values.size());
  for (size_t i = 0; i < g_.values.size(); ++i)
    if (g_.values[i].is_constant()) env[i] = g_.values[i].data;
  for (size_t i = 0; i < inputs.size(); ++i) env[g_.inputs[i]] = inputs[i];
  const int64_t batch = g_.dynamic_batch && !inputs.empty() ? inputs[0].size(0) : -1;
  for (size_t i = 0; i < g_.nodes.size(); ++i) {
    const Node& n = g_.nodes[i];
    std::vector<Tensor> in;
    in.reserve(n.inputs.size());
    for (int id : n.inputs) in.push_back(id >= 0 ? env[id] : Tensor());
    std::vector<Tensor> out;
    try {
      out = n.batch_attrs.empty() || batch < 0 ? detail::call(n.op, in, n.attrs)
                                               : detail::call(n.op, in, with_batch(n, batch));
    } catch (Error& e) {
      e.add_context(fmt::format("graph node {} ({}){}", i, op_def(n.op).name,
                                n.scope.empty() ? "" : " traced in " + n.scope));
      throw;
    }
    BRAID_CHECK(out.size() == n.outputs.size(), ValueError, "graph",
                "node {} ({}) made {} outputs; the graph expects {}", i, op_def(n.op).name,
                out.size(), n.outputs.size());
    for (size_t k = 0; k < out.size(); ++k) env[n.outputs[k]] = std::move(out[k]);
    for (int id : release_after_[i]) env[id] = Tensor();
  }
  std::vector<Tensor> result;
  result.reserve(g_.outputs.size());
  for (int id : g_.outputs) result.push_back(env[id]);
  return result;
}

std::vector<Tensor> run(const Graph& g, std::span<const Tensor> inputs) {
  return Executor(g)(inputs);
}

}  // namespace braid::runtime
