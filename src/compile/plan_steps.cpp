// Building a plan's steps from the planner's decisions (Note [compiled plan]).
#include <algorithm>

#include "braid/ops/ops.hpp"
#include "compile/planner.hpp"
#ifdef BRAID_HAVE_DNNL
#include "kernels/x86/linear_dnnl.hpp"
#endif

namespace braid::compiler::detail {

using runtime::Node;

Ref Planner::ref(int v) const {
  auto [r, off] = root_of(v);
  const ValueInfo& vi = v_[r];
  Ref ref;
  switch (vi.loc) {
    case Loc::Const:
      ref.fixed = static_cast<std::byte*>(ctx_.const_data[r].raw_data()) + off;
      break;
    case Loc::Arena:
      ref.fixed = static_cast<std::byte*>(plan_->arena.raw_data()) + vi.arena_off + off;
      break;
    case Loc::Input:
      ref.io = vi.index, ref.offset = off;
      plan_->input_raw[vi.index] = true;
      break;
    case Loc::Output:
      ref.io = static_cast<int>(g_.inputs.size()) + vi.index, ref.offset = off;
      break;
    default: BRAID_ASSERT(false && "value has no raw memory");
  }
  return ref;
}

std::unique_ptr<Step> Planner::make_step(const Decision& d) {
  std::unique_ptr<Step> s;
  switch (d.kind) {
    case Kind::Linear: s = linear_step(d); break;
    case Kind::Conv: s = conv_step(d); break;
    case Kind::MaxPool: s = pool_step(d); break;
    case Kind::ConvChain: s = chain_step(d); break;
    case Kind::Elementwise: s = elementwise_step(d); break;
    default: s = fallback_step(d); break;
  }
  s->nodes = d.nodes;
  return s;
}

std::unique_ptr<Step> Planner::linear_step(const Decision& d) {
  const int i = d.nodes[0];
  const Node& n = g_.nodes[i];
  const int x = n.inputs[0], w = n.inputs[1], b = n.inputs[2];
  auto s = std::make_unique<LinearStep>();
  s->x = ref(x), s->w = ref(w), s->y = ref(g_.nodes[d.nodes.back()].outputs[0]);
  if (b >= 0) s->bias = ref(b);
  s->n = v_[w].shape[0], s->k = v_[w].shape[1];
  s->m = numel_of(v_[x].shape) / s->k;
  s->acts = d.acts;
  const bool const_params = g_.values[w].is_constant() && (b < 0 || g_.values[b].is_constant());
  if (const_params && s->m <= kSmallRows) {
    auto& packed = ctx_.packed[i];
    if (!packed)
      packed = std::make_shared<const PackedWeight>(pack_weight(
          static_cast<const float*>(ctx_.const_data[w].raw_data()),
          b >= 0 ? static_cast<const float*>(ctx_.const_data[b].raw_data()) : nullptr, s->n, s->k));
    s->packed = packed;
  }
#ifdef BRAID_HAVE_DNNL
  const bool relu_only = s->acts.empty() || (s->acts.size() == 1 && is_relu(s->acts[0]));
  if (const_params && s->m > kSmallRows && relu_only)
    s->matmul = kernels::PackedLinear::make(
        static_cast<const float*>(ctx_.const_data[w].raw_data()),
        b >= 0 ? static_cast<const float*>(ctx_.const_data[b].raw_data()) : nullptr, s->m, s->n,
        s->k, !s->acts.empty());
#endif
  return s;
}

std::unique_ptr<Step> Planner::conv_step(const Decision& d) {
  const Node& n = g_.nodes[d.nodes[0]];
  const int x = n.inputs[0], w = n.inputs[1], b = n.inputs[2];
  auto s = std::make_unique<ConvStep>();
  s->g = conv_geom(d.nodes[0]);
  const kernels::ConvGeom& g = s->g;
  s->x = ref(x), s->w = ref(w), s->y = ref(g_.nodes[d.nodes.back()].outputs[0]);
  if (b >= 0) {
    s->bias = ref(b);
  } else {
    plan_->keep_alive.push_back(zeros({g.c_out}));
    s->bias.fixed = static_cast<std::byte*>(plan_->keep_alive.back().raw_data());
  }
  s->acts = d.acts;
  return s;
}

PoolWindow pool_window(const Node& n) {
  auto pair = [&](std::string_view name, std::vector<int64_t> dflt) {
    std::vector<int64_t> v = n.attrs.has(name) ? n.attrs.ints("max_pool2d", name) : dflt;
    if (v.empty()) v = dflt;
    return std::pair<int64_t, int64_t>{v.front(), v.back()};
  };
  const auto [kh, kw] = pair("kernel_size", {1});
  const auto [sh, sw] = pair("stride", {kh, kw});
  const auto [ph, pw] = pair("padding", {0});
  const auto [dh, dw] = pair("dilation", {1});
  return {kh, kw, sh, sw, ph, pw, dh, dw};
}

std::unique_ptr<Step> Planner::pool_step(const Decision& d) {
  const Node& n = g_.nodes[d.nodes[0]];
  const Shape &xs = v_[n.inputs[0]].shape, &ys = v_[n.outputs[0]].shape;
  const auto [kh, kw, sh, sw, ph, pw, dh, dw] = pool_window(n);
  auto s = std::make_unique<MaxPoolStep>();
  const int64_t h = xs[xs.size() - 2], w = xs.back();
  s->planes = numel_of(xs) / (h * w);
  s->rows = kernels::window_axis(h, ys[ys.size() - 2], kh, sh, ph, dh, false);
  s->cols = kernels::window_axis(w, ys.back(), kw, sw, pw, dw, false);
  auto pairs = [](const kernels::PoolAxis& ax) {
    for (int64_t o = 0; o < ax.out(); ++o)
      if (ax.start[o] != 2 * o || ax.end[o] != 2 * o + 2) return false;
    return ax.step == 1;
  };
  s->pairs = pairs(s->rows) && pairs(s->cols);
  s->relu = d.pool_relu;
  s->x = ref(n.inputs[0]), s->y = ref(n.outputs[0]);
  return s;
}

std::unique_ptr<Step> Planner::elementwise_step(const Decision& d) {
  auto s = std::make_unique<ElementwiseStep>();
  const int out = g_.nodes[d.nodes.back()].outputs[0];
  s->in = ref(d.ew_in), s->out = ref(out);
  s->n = numel_of(v_[out].shape);
  for (const EwOp& e : d.ew) {
    ElementwiseStep::Op op;
    op.op = e.op, op.lhs = e.lhs, op.inner = e.inner, op.period = e.period;
    op.is_scalar = e.is_scalar, op.scalar = e.scalar;
    if (e.other >= 0 && !e.is_scalar) op.other = ref(e.other);
    s->ops.push_back(op);
  }
  return s;
}

std::unique_ptr<Step> Planner::fallback_step(const Decision& d) {
  const int i = d.nodes[0];
  const Node& n = g_.nodes[i];
  auto s = std::make_unique<FallbackStep>();
  s->op = n.op;
  s->attrs = runtime::with_batch(n, batch_);
  s->where = fmt::format("compiled graph node {} ({}){}", i, op_def(n.op).name,
                         n.scope.empty() ? "" : " traced in " + n.scope);
  for (int id : n.inputs) {
    FallbackStep::In in;
    in.value = id;
    if (id < 0) {
      in.kind = FallbackStep::In::Absent;
    } else if (v_[id].loc == Loc::Const) {
      in.kind = FallbackStep::In::Constant;
      in.constant = ctx_.const_data[id];
    } else if (v_[id].loc == Loc::Input) {
      in.kind = FallbackStep::In::Input;
      in.input = v_[id].index;
    } else if (v_[id].loc == Loc::Env) {
      in.kind = FallbackStep::In::Env;
    } else {
      in.kind = FallbackStep::In::Raw;
      in.raw = ref(id);
      in.shape = v_[id].shape;
      in.dtype = v_[id].dtype;
    }
    s->in.push_back(std::move(in));
  }
  for (int id : n.outputs) {
    FallbackStep::Out o;
    o.value = id;
    if (v_[id].loc == Loc::Arena || v_[id].loc == Loc::Output) {
      o.dst = ref(id);
      o.shape = v_[id].shape;
    } else {
      o.keep = readers_[id] > 0;
    }
    s->out.push_back(std::move(o));
  }
  return s;
}

std::string Planner::describe_plan() const {
  const PlanStats& st = plan_->stats;
  std::string shapes;
  for (const Shape& s : plan_->key) {
    if (!shapes.empty()) shapes += ", ";
    shapes += shape_str(s);
  }
  std::string s = fmt::format(
      "plan for inputs {}: {} steps ({} fused, {} through the op registry), {} views as "
      "aliases; arena {} bytes for {} bytes of intermediates\n",
      shapes, st.steps, st.fused_steps, st.fallback_steps, st.alias_nodes, st.arena_bytes,
      st.intermediate_bytes);
  for (size_t k = 0; k < plan_->steps.size(); ++k) {
    const Step& step = *plan_->steps[k];
    std::string nodes;
    for (int i : step.nodes) {
      if (!nodes.empty()) nodes += ',';
      nodes += std::to_string(i);
    }
    s += fmt::format("  {:>3}: {}", k, step.describe());
    if (!nodes.empty()) s += fmt::format("   (node {})", nodes);
    s += '\n';
  }
  return s;
}

}  // namespace braid::compiler::detail
