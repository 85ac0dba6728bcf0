// Planning a compiled graph for one set of input shapes.
//
// Note [compiled plan]
// make_plan runs the graph once through the op registry (the probe) to learn
// every value's shape and dtype: composite ops have no shape function, and a
// graph traced with a free batch may change any size that followed dim 0 of
// the inputs. Then, in node order, each node gets a Kind: a fused group (from
// find_fusions) runs as one step where its last node was; linear, conv2d,
// max_pool2d and elementwise nodes that fit their kernels' contracts get raw
// steps; views of contiguous memory become aliases (a byte offset, no step);
// everything else calls the registry (FallbackStep). Each value then gets a
// Loc. Values made by raw steps live in one arena; their lifetimes run from
// the step that makes them to the last step that reads them or any alias of
// them (and, for a fallback step, to the last reader of its results, which
// may be views of its inputs). Arena offsets are chosen largest value first,
// each at the lowest offset free during its lifetime. A graph output is made
// directly in the tensor returned to the caller where it can be (the value,
// or the value an alias output views, is produced by a step and has the
// output's size); otherwise it is copied there at the end. The returned
// tensors therefore never share memory with the arena or with each other.
#include "compile/planner.hpp"

#include <algorithm>

#include "braid/core/error.hpp"
#include "braid/core/grad_mode.hpp"
#include "braid/ops/ops.hpp"

namespace braid::compiler {

using runtime::Node;

namespace detail {
namespace {

bool same_size_view(OpId op) {
  switch (op) {
    case OpId::flatten:
    case OpId::reshape:
    case OpId::view:
    case OpId::squeeze:
    case OpId::unsqueeze:
    case OpId::contiguous:
    case OpId::clone:
    case OpId::to:
    case OpId::dropout: return true;
    default: return false;
  }
}

// Where dims [a, b) of `o` (right-aligned to `out`) are its only sizes above
// 1 and equal out's: o's element for output element i is at
// (i / inner) % period, period = the product of out[a:b], inner of out[b:].
bool broadcast_pattern(const Shape& o, const Shape& out, int64_t* inner, int64_t* period) {
  if (o == out) {
    *inner = 1, *period = 0;
    return true;
  }
  if (o.size() > out.size()) return false;
  const size_t r = out.size(), lead = r - o.size();
  int a = -1, b = -1;
  for (size_t d = 0; d < r; ++d) {
    const int64_t od = d < lead ? 1 : o[d - lead];
    if (od == 1) continue;
    if (od != out[d]) return false;
    if (a < 0) a = static_cast<int>(d);
    b = static_cast<int>(d) + 1;
  }
  if (a < 0) a = b = static_cast<int>(r);
  for (int d = a; d < b; ++d) {
    const int64_t od = static_cast<size_t>(d) < lead ? 1 : o[d - lead];
    if (od == 1 && out[d] != 1) return false;  // a gap: not one run of dims
  }
  int64_t p = 1, in = 1;
  for (int d = a; d < b; ++d) p *= out[d];
  for (size_t d = b; d < r; ++d) in *= out[d];
  *inner = in, *period = p;
  return true;
}
}  // namespace

Planner::Planner(PlanContext& ctx, std::span<const Tensor> inputs)
    : ctx_(ctx), g_(ctx.g), inputs_(inputs), plan_(std::make_unique<Plan>()) {
  if (g_.dynamic_batch && !inputs.empty()) batch_ = inputs[0].size(0);
  for (const Tensor& t : inputs) plan_->key.push_back(t.shape());
  const size_t nv = g_.values.size();
  v_.resize(nv);
  producer_.assign(nv, -1);
  readers_.assign(nv, 0);
  for (size_t i = 0; i < g_.nodes.size(); ++i) {
    for (int id : g_.nodes[i].outputs) producer_[id] = static_cast<int>(i);
    for (int id : g_.nodes[i].inputs)
      if (id >= 0) ++readers_[id];
  }
  for (int id : g_.outputs) ++readers_[id];
}

void Planner::probe() {
  NoGradGuard no_grad;
  const size_t nv = g_.values.size();
  std::vector<Tensor> env(nv);
  std::vector<int> last(nv, -1);
  for (size_t i = 0; i < g_.nodes.size(); ++i)
    for (int id : g_.nodes[i].inputs)
      if (id >= 0) last[id] = static_cast<int>(i);
  for (size_t i = 0; i < nv; ++i) {
    v_[i].shape = g_.values[i].shape;
    v_[i].dtype = g_.values[i].dtype;
    if (g_.values[i].is_constant()) env[i] = g_.values[i].data;
  }
  for (size_t i = 0; i < inputs_.size(); ++i) {
    env[g_.inputs[i]] = inputs_[i];
    v_[g_.inputs[i]].shape = inputs_[i].shape();
  }
  for (size_t i = 0; i < g_.nodes.size(); ++i) {
    const Node& n = g_.nodes[i];
    std::vector<Tensor> in;
    for (int id : n.inputs) in.push_back(id >= 0 ? env[id] : Tensor());
    std::vector<Tensor> out;
    try {
      out = braid::detail::call(n.op, in, runtime::with_batch(n, batch_));
    } catch (Error& e) {
      e.add_context(fmt::format("compiled graph node {} ({}){}", i, op_def(n.op).name,
                                n.scope.empty() ? "" : " traced in " + n.scope));
      throw;
    }
    BRAID_CHECK(out.size() == n.outputs.size(), ValueError, "compile",
                "node {} ({}) made {} outputs; the graph expects {}", i, op_def(n.op).name,
                out.size(), n.outputs.size());
    for (size_t k = 0; k < out.size(); ++k) {
      v_[n.outputs[k]].shape = out[k].shape();
      v_[n.outputs[k]].dtype = out[k].dtype();
      if (last[n.outputs[k]] > static_cast<int>(i)) env[n.outputs[k]] = std::move(out[k]);
    }
    for (int id : n.inputs)
      if (id >= 0 && last[id] == static_cast<int>(i) && !g_.values[id].is_constant())
        env[id] = Tensor();
  }
  for (auto& v : v_) v.bytes = numel_of(v.shape) * static_cast<int64_t>(dtype_size(v.dtype));
}

bool Planner::product_ok(int i) const {
  const Node& n = g_.nodes[i];
  if (n.op != OpId::linear && n.op != OpId::conv2d) return false;
  const int x = n.inputs[0], w = n.inputs[1], b = n.inputs[2], y = n.outputs[0];
  if (x < 0 || w < 0) return false;
  for (int id : {x, w, b, y})
    if (id >= 0 && v_[id].dtype != DType::Float32) return false;
  if (numel_of(v_[y].shape) == 0 || numel_of(v_[x].shape) == 0) return false;
  const Shape &xs = v_[x].shape, &ws = v_[w].shape;
  if (n.op == OpId::linear) return ws.size() == 2 && !xs.empty() && xs.back() == ws[1];
  if (ws.size() != 4 || (xs.size() != 3 && xs.size() != 4)) return false;
  // The padding as sizes, "same" or "valid": each resolves (plan_steps.cpp).
  return true;
}

bool Planner::pool_ok(int i) const {
  const Node& n = g_.nodes[i];
  if (n.op != OpId::max_pool2d || n.outputs.size() != 2) return false;
  const int x = n.inputs[0];
  const Shape& xs = v_[x].shape;
  return v_[x].dtype == DType::Float32 && (xs.size() == 3 || xs.size() == 4) &&
         readers_[n.outputs[1]] == 0 && numel_of(v_[n.outputs[0]].shape) > 0;
}

std::optional<Decision> Planner::elementwise(const std::vector<int>& nodes) const {
  Decision d;
  d.kind = Kind::Elementwise;
  d.nodes = nodes;
  int cur = -1;
  for (size_t k = 0; k < nodes.size(); ++k) {
    const Node& n = g_.nodes[nodes[k]];
    UnaryOp u;
    if (!pointwise_of(n, &u) || n.outputs.size() != 1) return std::nullopt;
    const int out = n.outputs[0];
    const Shape& os = v_[out].shape;
    if (v_[out].dtype != DType::Float32 || numel_of(os) == 0) return std::nullopt;
    auto flows = [&](int id) {
      return id >= 0 && v_[id].dtype == DType::Float32 && v_[id].shape == os;
    };
    EwOp e;
    e.op = u;
    if (!is_binary(u)) {
      if (k == 0 && !flows(n.inputs[0])) return std::nullopt;
      if (k == 0) cur = n.inputs[0];
      if (n.inputs[0] != cur) return std::nullopt;
    } else {
      const int a = n.inputs[0], b = n.inputs[1];
      if (k == 0) cur = flows(a) ? a : flows(b) ? b : -1;
      if (cur < 0 || (a != cur && b != cur) || !flows(cur)) return std::nullopt;
      e.lhs = a == cur;
      e.other = e.lhs ? b : a;
      const runtime::Value& ov = g_.values[e.other];
      if (ov.is_constant() && numel_of(v_[e.other].shape) == 1 && ov.dtype != DType::Bool) {
        e.is_scalar = true;
        e.scalar = ov.data.to(DType::Float32).item<float>();
      } else if (v_[e.other].dtype != DType::Float32 ||
                 !broadcast_pattern(v_[e.other].shape, os, &e.inner, &e.period)) {
        return std::nullopt;
      }
    }
    if (k == 0) d.ew_in = cur;
    d.ew.push_back(e);
    cur = out;
  }
  return d;
}

void Planner::decide() {
  const size_t nn = g_.nodes.size();
  kind_.assign(nn, Kind::Fallback);
  dec_.assign(nn, Decision{});
  std::vector<bool> grouped(nn, false);
  for (const Fusion& f : ctx_.fusions) {
    std::optional<Decision> d;
    if (f.kind == FusionKind::Epilogue) {
      if (!product_ok(f.nodes[0])) continue;
      d.emplace();
      d->kind = g_.nodes[f.nodes[0]].op == OpId::linear ? Kind::Linear : Kind::Conv;
      d->nodes = f.nodes;
      for (size_t k = 1; k < f.nodes.size() && d; ++k) {
        UnaryOp u;
        const Node& m = g_.nodes[f.nodes[k]];
        if (!pointwise_of(m, &u) || v_[m.outputs[0]].dtype != DType::Float32)
          d.reset();
        else
          d->acts.push_back(u);
      }
    } else {
      d = elementwise(f.nodes);
    }
    if (!d) continue;
    for (int k : f.nodes) grouped[k] = true, kind_[k] = Kind::Member;
    kind_[f.nodes.back()] = d->kind;
    dec_[f.nodes.back()] = std::move(*d);
  }
  for (size_t i = 0; i < v_.size(); ++i) v_[i].raw_ok = g_.values[i].is_constant();
  for (int id : g_.inputs) v_[id].raw_ok = true;
  for (size_t i = 0; i < nn; ++i) {
    const Node& n = g_.nodes[i];
    if (!grouped[i]) {
      Decision d;
      d.nodes = {static_cast<int>(i)};
      const int x = n.inputs.empty() ? -1 : n.inputs[0];
      const bool identity_dropout = n.op != OpId::dropout || !n.attrs.b("dropout", "training") ||
                                    n.attrs.f("dropout", "p") == 0;
      if (same_size_view(n.op) && identity_dropout && x >= 0 && v_[x].raw_ok &&
          n.outputs.size() == 1 && v_[x].bytes == v_[n.outputs[0]].bytes &&
          v_[x].dtype == v_[n.outputs[0]].dtype) {
        d.kind = Kind::Alias;
      } else if ((n.op == OpId::select || n.op == OpId::narrow) && x >= 0 && v_[x].raw_ok &&
                 !v_[x].shape.empty() &&
                 wrap_dim("compile", n.attrs.i(op_def(n.op).name, "dim"),
                          static_cast<int64_t>(v_[x].shape.size())) == 0) {
        d.kind = Kind::Alias;  // a run of whole rows: contiguous, at an offset
      } else if (product_ok(static_cast<int>(i))) {
        d.kind = n.op == OpId::linear ? Kind::Linear : Kind::Conv;
      } else if (pool_ok(static_cast<int>(i))) {
        d.kind = Kind::MaxPool;
      } else if (is_fusable_elementwise(n)) {
        if (auto e = elementwise({static_cast<int>(i)})) d = std::move(*e);
      }
      kind_[i] = d.kind;
      dec_[i] = std::move(d);
    }
    if (kind_[i] != Kind::Fallback && kind_[i] != Kind::Member)
      for (int id : n.outputs) v_[id].raw_ok = true;
  }
  chain_convs();
  // Note [relu after max pooling]: max_pool2d(relu(y)) == relu(max_pool2d(y))
  // bit for bit (relu is monotone, keeps NaN, and maps every value <= 0 to
  // +0), so a conv's relu whose only reader is a max pool runs on the pooled
  // values: a quarter of the elements, and no pass over the conv's output.
  for (size_t i = 0; i < nn; ++i) {
    if (kind_[i] != Kind::MaxPool) continue;
    const int x = g_.nodes[i].inputs[0], p = producer_[x];
    if (p < 0 || readers_[x] != 1 || (kind_[p] != Kind::Conv && kind_[p] != Kind::Linear)) continue;
    std::vector<UnaryOp>& acts = dec_[p].acts;
    if (acts.empty() || !is_relu(acts.back())) continue;
    acts.pop_back();
    dec_[i].pool_relu = true;
  }
}

std::vector<int> Planner::raw_reads(const Decision& d) const {
  const Node& n0 = g_.nodes[d.nodes[0]];
  switch (d.kind) {
    case Kind::Linear:
    case Kind::Conv: {
      std::vector<int> r = {n0.inputs[0], n0.inputs[1]};
      if (n0.inputs[2] >= 0) r.push_back(n0.inputs[2]);
      return r;
    }
    case Kind::MaxPool:
    case Kind::Alias: return {n0.inputs[0]};
    case Kind::ConvChain: return {d.chain_in};
    case Kind::Elementwise: {
      std::vector<int> r = {d.ew_in};
      for (const EwOp& e : d.ew)
        if (e.other >= 0 && !e.is_scalar) r.push_back(e.other);
      return r;
    }
    default: return {};
  }
}

}  // namespace detail

std::unique_ptr<Plan> make_plan(PlanContext& ctx, std::span<const Tensor> inputs) {
  return detail::Planner(ctx, inputs).build();
}

}  // namespace braid::compiler
