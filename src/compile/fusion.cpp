// Which nodes the planner runs as one step (compile/passes.hpp: find_fusions).
// The groups are chains: each member reads the value the member before it
// made, and nothing else reads that value, so it never needs memory of its
// own: the fused step keeps it in registers or in a block that stays in L1.
#include <algorithm>

#include "braid/compile/passes.hpp"

namespace braid::compiler {

using runtime::Graph;
using runtime::Node;

bool is_epilogue_op(const Node& n) {
  switch (n.op) {
    case OpId::relu:
    case OpId::gelu:
    case OpId::sigmoid:
    case OpId::tanh:
    case OpId::silu:
    case OpId::leaky_relu:
    case OpId::elu:
    case OpId::clamp: return true;
    default: return false;
  }
}

bool is_fusable_elementwise(const Node& n) {
  if (is_epilogue_op(n)) return true;
  switch (n.op) {
    case OpId::neg:
    case OpId::abs:
    case OpId::exp:
    case OpId::log:
    case OpId::log1p:
    case OpId::expm1:
    case OpId::sqrt:
    case OpId::rsqrt:
    case OpId::square:
    case OpId::sin:
    case OpId::cos:
    case OpId::softplus:
    case OpId::erf:
    case OpId::reciprocal:
    case OpId::add:
    case OpId::sub:
    case OpId::mul:
    case OpId::div:
    case OpId::maximum:
    case OpId::minimum: return true;
    default: return false;
  }
}

std::vector<Fusion> find_fusions(const Graph& g) {
  // consumer[v]: the one node reading v, or -1 when none or several do (or
  // v is a graph output, which must be stored).
  std::vector<int> uses(g.values.size(), 0), consumer(g.values.size(), -1);
  for (size_t i = 0; i < g.nodes.size(); ++i)
    for (int id : g.nodes[i].inputs)
      if (id >= 0) ++uses[id], consumer[id] = static_cast<int>(i);
  for (int id : g.outputs) uses[id] += 2;
  auto sole_reader = [&](int v) { return uses[v] == 1 ? consumer[v] : -1; };
  auto f32_out = [&](const Node& n) {
    return n.outputs.size() == 1 && g.values[n.outputs[0]].dtype == DType::Float32;
  };

  std::vector<bool> taken(g.nodes.size(), false);
  std::vector<Fusion> groups;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    if (taken[i]) continue;
    const Node& n = g.nodes[i];
    if (!f32_out(n)) continue;
    const bool product = n.op == OpId::linear || n.op == OpId::conv2d;
    if (!product && !is_fusable_elementwise(n)) continue;
    Fusion f{product ? FusionKind::Epilogue : FusionKind::Elementwise, {static_cast<int>(i)}};
    int cur = n.outputs[0];
    while (true) {
      const int next = sole_reader(cur);
      if (next < 0 || taken[next]) break;
      const Node& m = g.nodes[next];
      const bool ok = product ? is_epilogue_op(m) : is_fusable_elementwise(m);
      if (!ok || !f32_out(m)) break;
      f.nodes.push_back(next);
      cur = m.outputs[0];
    }
    if (f.nodes.size() < 2) continue;
    for (int k : f.nodes) taken[k] = true;
    groups.push_back(std::move(f));
  }
  return groups;
}

}  // namespace braid::compiler
