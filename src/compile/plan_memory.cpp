// Where a plan's values live and when (Note [compiled plan] in plan.cpp):
// locations, lifetimes, arena offsets; and the plan's assembly.
#include <algorithm>

#include "braid/ops/ops.hpp"
#include "compile/planner.hpp"

namespace braid::compiler::detail {

using runtime::Node;

std::pair<int, int64_t> Planner::root_of(int v) const {
  if (v_[v].loc == Loc::Alias) return {v_[v].root, v_[v].off};
  return {v, 0};
}

void Planner::locate() {
  for (size_t i = 0; i < v_.size(); ++i)
    if (g_.values[i].is_constant()) v_[i].loc = Loc::Const;
  for (size_t i = 0; i < g_.inputs.size(); ++i) {
    v_[g_.inputs[i]].loc = Loc::Input;
    v_[g_.inputs[i]].index = static_cast<int>(i);
  }
  auto materialise = [&](int id) {
    if (v_[id].loc != Loc::Env) return;
    v_[id].loc = Loc::Arena;
    v_[id].materialise = true;
  };
  for (size_t i = 0; i < g_.nodes.size(); ++i) {
    const Node& n = g_.nodes[i];
    const Decision& d = dec_[i];
    switch (kind_[i]) {
      case Kind::Member: break;
      case Kind::Fallback:
        for (int id : n.outputs) v_[id].loc = Loc::Env;
        break;
      case Kind::Alias: {
        const int x = n.inputs[0], y = n.outputs[0];
        auto [r, off] = root_of(x);
        if (n.op == OpId::select || n.op == OpId::narrow) {
          const Shape& xs = v_[x].shape;
          const int64_t row = xs.empty() ? 0 : v_[x].bytes / std::max<int64_t>(1, xs[0]);
          int64_t first =
              n.op == OpId::select ? n.attrs.i("select", "index") : n.attrs.i("narrow", "start");
          if (first < 0) first += xs[0];
          off += first * row;
        }
        v_[y].loc = Loc::Alias, v_[y].root = r, v_[y].off = off;
        break;
      }
      default:
        v_[n.outputs[0]].loc = Loc::Arena;
        for (int id : raw_reads(d)) materialise(id);
        break;
    }
  }
  for (int id : g_.outputs) materialise(id);
  std::vector<bool> claimed(v_.size(), false);
  for (size_t k = 0; k < g_.outputs.size(); ++k) {
    const int v = g_.outputs[k];
    plan_->out_shape.push_back(v_[v].shape);
    plan_->out_dtype.push_back(v_[v].dtype);
    auto [r, off] = root_of(v);
    if (v_[r].loc == Loc::Arena && off == 0 && v_[r].bytes == v_[v].bytes && !claimed[r]) {
      claimed[r] = true;
      v_[r].loc = Loc::Output;
      v_[r].index = static_cast<int>(k);
    } else {
      copies_.emplace_back(v, static_cast<int>(k));
    }
  }
}

void Planner::lifetimes() {
  const size_t nn = g_.nodes.size();
  step_of_.assign(nn, -1);
  for (size_t i = 0; i < nn; ++i) {
    if (kind_[i] == Kind::Member || kind_[i] == Kind::Alias) continue;
    step_of_[i] = static_cast<int>(step_node_.size());
    step_node_.push_back(static_cast<int>(i));
    for (int k : dec_[i].nodes) step_of_[k] = step_of_[i];
  }
  std::vector<int> last(v_.size(), -1);
  auto read = [&](int id, int s) {
    if (id >= 0) last[id] = std::max(last[id], s);
  };
  for (size_t s = 0; s < step_node_.size(); ++s) {
    const int i = step_node_[s];
    const Node& n = g_.nodes[i];
    if (kind_[i] == Kind::Fallback)
      for (int id : n.inputs) read(id, static_cast<int>(s));
    else
      for (int id : raw_reads(dec_[i])) read(id, static_cast<int>(s));
    for (int id : n.outputs) v_[id].def = static_cast<int>(s);
  }
  for (auto [v, k] : copies_) {
    read(v, static_cast<int>(step_node_.size()));
    step_node_.push_back(-1);
  }
  // Views made by fallback ops, and aliases, keep what they view alive.
  for (size_t i = nn; i-- > 0;) {
    const Node& n = g_.nodes[i];
    if (kind_[i] != Kind::Fallback && kind_[i] != Kind::Alias) continue;
    int m = -1;
    for (int id : n.outputs) m = std::max(m, last[id]);
    for (int id : n.inputs) read(id, m);
  }
  plan_->release_after.assign(step_node_.size(), {});
  for (size_t v = 0; v < v_.size(); ++v) {
    auto [r, off] = root_of(static_cast<int>(v));
    const int l = std::max(last[v], v_[v].def);
    if (v_[r].loc == Loc::Arena) v_[r].last = std::max(v_[r].last, l);
    if (v_[v].loc == Loc::Env && v_[v].def >= 0)
      plan_->release_after[l].push_back(static_cast<int>(v));
  }
}

void Planner::place() {
  struct Item {
    int v;
    int64_t size;
  };
  std::vector<Item> items;
  int64_t total = 0;
  for (size_t v = 0; v < v_.size(); ++v) {
    if (v_[v].loc != Loc::Arena) continue;
    items.push_back({static_cast<int>(v), (v_[v].bytes + 63) / 64 * 64});
    total += v_[v].bytes;
  }
  std::stable_sort(items.begin(), items.end(),
                   [](const Item& a, const Item& b) { return a.size > b.size; });
  int64_t end = 0;
  std::vector<std::pair<int64_t, int64_t>> busy;  // [offset, offset + size) of overlapping items
  for (size_t k = 0; k < items.size(); ++k) {
    ValueInfo& vi = v_[items[k].v];
    int64_t off = 0;
    if (ctx_.options.plan_memory) {
      busy.clear();
      for (size_t j = 0; j < k; ++j) {
        const ValueInfo& o = v_[items[j].v];
        if (o.def <= vi.last && vi.def <= o.last)
          busy.emplace_back(o.arena_off, o.arena_off + items[j].size);
      }
      std::sort(busy.begin(), busy.end());
      for (auto [b, e] : busy) {
        if (off + items[k].size <= b) break;
        off = std::max(off, e);
      }
    } else {
      off = end;
    }
    vi.arena_off = off;
    end = std::max(end, off + items[k].size);
  }
  plan_->stats.arena_bytes = end;
  plan_->stats.intermediate_bytes = total;
}

std::unique_ptr<Plan> Planner::build() {
  probe();
  decide();
  locate();
  lifetimes();
  place();
  plan_->arena = empty({std::max<int64_t>(1, plan_->stats.arena_bytes / 4)});
  plan_->input_raw.assign(g_.inputs.size(), false);
  for (int s = 0; s < static_cast<int>(step_node_.size()); ++s) {
    const int i = step_node_[s];
    if (i >= 0) {
      plan_->steps.push_back(make_step(dec_[i]));
      continue;
    }
    const auto [v, k] = copies_[s - (step_node_.size() - copies_.size())];
    auto c = std::make_unique<CopyStep>();
    c->src = ref(v);
    c->dst = Ref{nullptr, static_cast<int>(g_.inputs.size()) + k, 0};
    c->bytes = v_[v].bytes;
    plan_->steps.push_back(std::move(c));
  }
  PlanStats& st = plan_->stats;
  st.steps = static_cast<int>(plan_->steps.size());
  for (size_t i = 0; i < g_.nodes.size(); ++i) {
    if (kind_[i] == Kind::Alias) ++st.alias_nodes;
    if (kind_[i] == Kind::Fallback) ++st.fallback_steps;
    if (kind_[i] != Kind::Member && kind_[i] != Kind::Alias && dec_[i].nodes.size() > 1)
      ++st.fused_steps;
  }
  plan_->has_fallback = st.fallback_steps > 0;
  plan_->frame.io.assign(g_.inputs.size() + g_.outputs.size(), nullptr);
  plan_->frame.env.assign(v_.size(), Tensor());
  plan_->held.assign(g_.inputs.size(), Tensor());
  plan_->lines.push_back(describe_plan());
  return std::move(plan_);
}

}  // namespace braid::compiler::detail
