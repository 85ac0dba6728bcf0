// Conv chains in a plan: runs of conv2d (+relu) -> conv2d (+relu) -> ... ->
// max_pool2d 2x2 that run as one ConvChainStep (Note [conv chains] in
// kernels/x86/conv_chain_dnnl.cpp), and the conv geometry both conv steps use.
#include <algorithm>

#include "braid/ops/ops.hpp"
#include "compile/planner.hpp"
#ifdef BRAID_HAVE_DNNL
#include "kernels/x86/conv_chain_dnnl.hpp"
#endif

namespace braid::compiler::detail {

using runtime::Node;

namespace {
// One value per spatial dim (1 or 2 given) as (height, width), as conv2d reads it.
std::pair<int64_t, int64_t> per_dim(const Attrs& a, std::string_view name, int64_t dflt) {
  if (!a.has(name)) return {dflt, dflt};
  const auto& v = a.ints("conv2d", name);
  return {v.front(), v.back()};
}
}  // namespace

kernels::ConvGeom Planner::conv_geom(int node) const {
  const Node& n = g_.nodes[node];
  const Shape &xs = v_[n.inputs[0]].shape, &ws = v_[n.inputs[1]].shape,
              &ys = v_[n.outputs[0]].shape;
  const Attrs& a = n.attrs;
  kernels::ConvGeom g;
  g.n = xs.size() == 4 ? xs[0] : 1;
  g.c_in = xs[xs.size() - 3], g.h = xs[xs.size() - 2], g.w = xs.back();
  g.c_out = ws[0], g.kh = ws[2], g.kw = ws[3];
  g.oh = ys[ys.size() - 2], g.ow = ys.back();
  g.groups = a.has("groups") ? a.i("conv2d", "groups") : 1;
  std::tie(g.sh, g.sw) = per_dim(a, "stride", 1);
  std::tie(g.dh, g.dw) = per_dim(a, "dilation", 1);
  const AttrValue* pad = a.find("padding");
  if (const std::string* mode = pad ? std::get_if<std::string>(pad) : nullptr) {
    // "same": the odd row/column of an even kernel goes at the end (conv.cpp).
    g.ph = *mode == "same" ? g.dh * (g.kh - 1) / 2 : 0;
    g.pw = *mode == "same" ? g.dw * (g.kw - 1) / 2 : 0;
  } else {
    std::tie(g.ph, g.pw) = per_dim(a, "padding", 0);
  }
  return g;
}

// Whether max_pool2d node `node` reads inputs 2o and 2o + 1 on both axes
// (2x2, stride 2, no padding or dilation, floor sizes).
bool Planner::pool_2x2(int node) const {
  const Node& n = g_.nodes[node];
  const auto [kh, kw, sh, sw, ph, pw, dh, dw] = pool_window(n);
  const Shape &xs = v_[n.inputs[0]].shape, &ys = v_[n.outputs[0]].shape;
  return kh == 2 && kw == 2 && sh == 2 && sw == 2 && ph == 0 && pw == 0 && dh == 1 && dw == 1 &&
         ys[ys.size() - 2] == xs[xs.size() - 2] / 2 && ys.back() == xs.back() / 2;
}

// Note [conv chains in a plan]: a chain starts at a conv step (alone or
// with a ReLU: other activations stay with ConvStep) whose weights and bias
// are constants, and grows while the value it made has one reader that is
// such a conv (reading it as its input) or, last, a 2x2 max pool. Two members
// at least: a lone conv keeps the layer-by-layer step, which calls the
// eager kernel (bit-identical to eager). The chain is made here, at plan
// time; where oneDNN refuses it (ConvChain::make: shapes, layouts, a core
// without AVX-512) the steps stay as they were.
void Planner::chain_convs() {
#ifdef BRAID_HAVE_DNNL
  const int nn = static_cast<int>(g_.nodes.size());
  std::vector<int> owner(nn, -1), reader(v_.size(), -1);  // node -> its step's node
  for (int i = 0; i < nn; ++i) {
    if (kind_[i] == Kind::Member || kind_[i] == Kind::Alias || kind_[i] == Kind::Fallback) continue;
    for (int k : dec_[i].nodes) owner[k] = i;
  }
  for (int i = 0; i < nn; ++i)
    for (int id : g_.nodes[i].inputs)
      if (id >= 0) reader[id] = i;
  auto chainable_conv = [&](int i) {
    if (i < 0 || kind_[i] != Kind::Conv) return false;
    const Node& c = g_.nodes[dec_[i].nodes[0]];
    const auto& acts = dec_[i].acts;
    const bool relu = acts.size() == 1 && is_relu(acts[0]);
    return (acts.empty() || relu) && g_.values[c.inputs[1]].is_constant() &&
           (c.inputs[2] < 0 || g_.values[c.inputs[2]].is_constant());
  };
  std::vector<bool> taken(nn, false);
  for (int i = 0; i < nn; ++i) {
    if (taken[i] || !chainable_conv(i)) continue;
    std::vector<int> convs = {i};
    int pool = -1;
    while (true) {
      const int y = g_.nodes[convs.back()].outputs[0];
      const int r = readers_[y] == 1 ? reader[y] : -1;
      if (r < 0 || g_.nodes[r].inputs[0] != y) break;
      const int s = owner[r];
      if (s >= 0 && !taken[s] && chainable_conv(s) && dec_[s].nodes[0] == r) {
        convs.push_back(s);
        continue;
      }
      if (s == r && kind_[r] == Kind::MaxPool && pool_2x2(r)) pool = r;
      break;
    }
    if (convs.size() + (pool >= 0 ? 1 : 0) < 2) continue;
    std::vector<kernels::ChainConv> spec;
    Decision d;
    d.kind = Kind::ConvChain;
    for (int s : convs) {
      const Node& c = g_.nodes[dec_[s].nodes[0]];
      kernels::ChainConv cc;
      cc.g = conv_geom(dec_[s].nodes[0]);
      cc.weight = static_cast<const float*>(ctx_.const_data[c.inputs[1]].raw_data());
      if (c.inputs[2] >= 0)
        cc.bias = static_cast<const float*>(ctx_.const_data[c.inputs[2]].raw_data());
      cc.relu = !dec_[s].acts.empty();
      spec.push_back(cc);
      d.nodes.insert(d.nodes.end(), dec_[s].nodes.begin(), dec_[s].nodes.end());
      if (!d.chain_what.empty()) d.chain_what += ", ";
      d.chain_what += fmt::format("conv2d {}->{} {}x{}{}", cc.g.c_in, cc.g.c_out, cc.g.kh, cc.g.kw,
                                  cc.relu ? " +relu" : "");
    }
    if (pool >= 0) d.nodes.push_back(pool), d.chain_what += ", max_pool2d 2x2";
    d.chain = std::shared_ptr<kernels::ConvChain>(kernels::ConvChain::make(spec, pool >= 0));
    if (!d.chain) continue;
    d.chain_in = g_.nodes[dec_[convs[0]].nodes[0]].inputs[0];
    for (int k : d.nodes) kind_[k] = Kind::Member, taken[k] = true;
    const int last = d.nodes.back();
    kind_[last] = Kind::ConvChain;
    dec_[last] = std::move(d);
  }
#endif
}

std::unique_ptr<Step> Planner::chain_step(const Decision& d) {
  auto s = std::make_unique<ConvChainStep>();
  s->x = ref(d.chain_in);
  s->y = ref(g_.nodes[d.nodes.back()].outputs[0]);
  s->chain = d.chain;
  s->what = d.chain_what;
  return s;
}

}  // namespace braid::compiler::detail
