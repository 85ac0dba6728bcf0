// ONNX import, recurrent layers: LSTM and GRU, unrolled over the file's
// (fixed) sequence length into braid's lstm_cell / gru_cell, one call per
// time step and direction.
//
// Gate orders differ: ONNX stacks LSTM weights as i, o, f, c and GRU weights
// as z, r, h; braid's cells take PyTorch's i, f, g, o and r, z, n. The
// weights are reordered once at import (constant folding does it for
// initializers). A GRU with linear_before_reset = 0 (TensorFlow's default)
// is not PyTorch's cell, so it is written out with linear and activations.
#include <algorithm>
#include <cctype>

#include "onnx/import_context.hpp"

namespace braid::onnx::detail {
namespace {
using V = std::vector<int>;
using Ints = std::vector<int64_t>;

int slice_rows(Importer& c, int t, int64_t dim, int64_t start, int64_t end) {
  return c.op1(OpId::slice, {t},
               {{"dim", dim}, {"start", start}, {"end", end}, {"step", int64_t{1}}});
}

// Reorders the gate blocks (each h rows) of t along dim 0: block k of the
// result is block order[k] of t.
int reorder(Importer& c, int t, const Ints& order, int64_t h) {
  std::vector<int> parts;
  for (int64_t k : order) parts.push_back(slice_rows(c, t, 0, k * h, (k + 1) * h));
  return c.op1(OpId::cat, parts, {{"dim", int64_t{0}}});
}

void check_activations(Importer& c, const std::vector<std::string>& dflt) {
  c.check(!c.has_attr("clip"), "the clip attribute is not supported");
  c.check(c.attr_i("input_forget", 0) == 0, "input_forget=1 is not supported");
  const pb::AttributeProto* a = c.attr("activations");
  if (!a) return;
  for (int i = 0; i < a->strings_size(); ++i) {
    std::string s = a->strings(i), want = dflt[i % dflt.size()];
    auto lower = [](std::string v) {
      std::transform(v.begin(), v.end(), v.begin(),
                     [](unsigned char ch) { return std::tolower(ch); });
      return v;
    };
    c.check(lower(s) == lower(want), "activation {} is '{}'; only the default ({}) is supported", i,
            s, want);
  }
}

struct Rnn {
  int x = -1;  // (seq, batch, input), after the layout is undone
  int64_t seq = 0, batch = 0, hidden = 0, dirs = 1;
  bool reverse_only = false, batch_first = false;
};

Rnn rnn_setup(Importer& c) {
  Rnn r;
  r.x = c.need(0);
  c.check(c.rank(r.x) == 3, "X must be 3-D; got {}", shape_str(c.shape(r.x)));
  r.batch_first = c.attr_i("layout", 0) != 0;
  if (r.batch_first) r.x = c.op1(OpId::permute, {r.x}, {{"dims", Ints{1, 0, 2}}});
  r.seq = c.shape(r.x)[0], r.batch = c.shape(r.x)[1];
  r.hidden = c.attr_i("hidden_size", 0);
  c.check(r.hidden > 0, "hidden_size must be > 0; got {}", r.hidden);
  const std::string dir = c.attr_s("direction", "forward");
  c.check(dir == "forward" || dir == "reverse" || dir == "bidirectional",
          "direction '{}' is unknown", dir);
  r.dirs = dir == "bidirectional" ? 2 : 1;
  r.reverse_only = dir == "reverse";
  if (c.in(4) >= 0) {
    const Ints lens = c.const_ints(c.in(4), "sequence_lens");
    for (int64_t l : lens)
      c.check(l == r.seq, "sequence_lens must all equal the sequence length {}; got {}", r.seq, l);
  }
  return r;
}

// The initial state of direction d: from input `idx` (D, batch, H) or (batch,
// D, H) when batch_first, else zeros.
int initial_state(Importer& c, const Rnn& r, int idx, int64_t d) {
  const int s = c.in(idx);
  if (s < 0) return c.constant(zeros({r.batch, r.hidden}, c.dtype(r.x)));
  return c.op1(OpId::select, {s}, {{"dim", int64_t{r.batch_first ? 1 : 0}}, {"index", d}});
}

// Y (seq, D, batch, H) and Y_h, Y_c (D, batch, H) from the per-direction
// step outputs, in the requested layout.
V rnn_outputs(Importer& c, const Rnn& r, const std::vector<std::vector<int>>& ys,
              const std::vector<std::vector<int>>& finals) {
  std::vector<int> per_dir;
  for (const auto& y : ys) per_dir.push_back(c.op1(OpId::stack, y, {{"dim", int64_t{0}}}));
  int y = c.op1(OpId::stack, per_dir, {{"dim", int64_t{1}}});
  if (r.batch_first) y = c.op1(OpId::permute, {y}, {{"dims", Ints{2, 0, 1, 3}}});
  V out{y};
  for (const auto& f : finals) {
    int s = c.op1(OpId::stack, f, {{"dim", int64_t{0}}});
    if (r.batch_first) s = c.op1(OpId::permute, {s}, {{"dims", Ints{1, 0, 2}}});
    out.push_back(s);
  }
  return out;
}

V lstm(Importer& c) {
  check_activations(c, {"Sigmoid", "Tanh", "Tanh"});
  c.check(c.in(7) < 0, "peephole weights (input P) are not supported");
  const Rnn r = rnn_setup(c);
  const int w = c.need(1), rw = c.need(2), b = c.in(3);
  const int64_t h = r.hidden;
  const Ints order{0, 2, 3, 1};  // ONNX i, o, f, c -> braid i, f, g(c), o
  std::vector<std::vector<int>> ys(r.dirs), finals(2);
  for (int64_t d = 0; d < r.dirs; ++d) {
    const Attrs pick{{"dim", int64_t{0}}, {"index", d}};
    const int wd = reorder(c, c.op1(OpId::select, {w}, pick), order, h);
    const int rd = reorder(c, c.op1(OpId::select, {rw}, pick), order, h);
    int wb = -1, rb = -1;
    if (b >= 0) {
      const int bd = c.op1(OpId::select, {b}, pick);
      wb = reorder(c, slice_rows(c, bd, 0, 0, 4 * h), order, h);
      rb = reorder(c, slice_rows(c, bd, 0, 4 * h, 8 * h), order, h);
    }
    int hs = initial_state(c, r, 5, d), cs = initial_state(c, r, 6, d);
    const bool rev = r.reverse_only || d == 1;
    ys[d].assign(r.seq, -1);
    for (int64_t step = 0; step < r.seq; ++step) {
      const int64_t t = rev ? r.seq - 1 - step : step;
      const int xt = c.op1(OpId::select, {r.x}, {{"dim", int64_t{0}}, {"index", t}});
      const std::vector<int> hc = c.op(OpId::lstm_cell, {xt, hs, cs, wd, rd, wb, rb});
      hs = hc[0], cs = hc[1];
      ys[d][t] = hs;
    }
    finals[0].push_back(hs);
    finals[1].push_back(cs);
  }
  return rnn_outputs(c, r, ys, finals);
}

// One GRU step with linear_before_reset = 0 (ONNX order z, r, h):
// h~ = tanh(W_h x + Wb_h + R_h (r * h) + Rb_h), h' = h~ + z (h - h~).
int gru_step_lbr0(Importer& c, int xt, int hs, int wd, int rd, int wb, int rb, int64_t h) {
  const int gi = c.op1(OpId::linear, {xt, wd, wb});
  const int r_zr = slice_rows(c, rd, 0, 0, 2 * h), r_h = slice_rows(c, rd, 0, 2 * h, 3 * h);
  const int rb_zr = rb < 0 ? -1 : slice_rows(c, rb, 0, 0, 2 * h);
  const int rb_h = rb < 0 ? -1 : slice_rows(c, rb, 0, 2 * h, 3 * h);
  const int gh = c.op1(OpId::linear, {hs, r_zr, rb_zr});
  const int zr = c.op1(OpId::sigmoid, {c.op1(OpId::add, {slice_rows(c, gi, 1, 0, 2 * h), gh})});
  const int z = slice_rows(c, zr, 1, 0, h), rr = slice_rows(c, zr, 1, h, 2 * h);
  const int rh = c.op1(OpId::linear, {c.op1(OpId::mul, {rr, hs}), r_h, rb_h});
  const int cand = c.op1(OpId::tanh, {c.op1(OpId::add, {slice_rows(c, gi, 1, 2 * h, 3 * h), rh})});
  const int diff = c.op1(OpId::sub, {hs, cand});
  return c.op1(OpId::add, {cand, c.op1(OpId::mul, {z, diff})});
}

V gru(Importer& c) {
  check_activations(c, {"Sigmoid", "Tanh"});
  const Rnn r = rnn_setup(c);
  const int w = c.need(1), rw = c.need(2), b = c.in(3);
  const int64_t h = r.hidden;
  const bool lbr = c.attr_i("linear_before_reset", 0) != 0;
  const Ints order{1, 0, 2};  // ONNX z, r, h -> braid r, z, n
  std::vector<std::vector<int>> ys(r.dirs), finals(1);
  for (int64_t d = 0; d < r.dirs; ++d) {
    const Attrs pick{{"dim", int64_t{0}}, {"index", d}};
    int wd = c.op1(OpId::select, {w}, pick), rd = c.op1(OpId::select, {rw}, pick);
    int wb = -1, rb = -1;
    if (b >= 0) {
      const int bd = c.op1(OpId::select, {b}, pick);
      wb = slice_rows(c, bd, 0, 0, 3 * h), rb = slice_rows(c, bd, 0, 3 * h, 6 * h);
    }
    if (lbr) {
      wd = reorder(c, wd, order, h), rd = reorder(c, rd, order, h);
      if (b >= 0) wb = reorder(c, wb, order, h), rb = reorder(c, rb, order, h);
    }
    int hs = initial_state(c, r, 5, d);
    const bool rev = r.reverse_only || d == 1;
    ys[d].assign(r.seq, -1);
    for (int64_t step = 0; step < r.seq; ++step) {
      const int64_t t = rev ? r.seq - 1 - step : step;
      const int xt = c.op1(OpId::select, {r.x}, {{"dim", int64_t{0}}, {"index", t}});
      hs = lbr ? c.op1(OpId::gru_cell, {xt, hs, wd, rd, wb, rb})
               : gru_step_lbr0(c, xt, hs, wd, rd, wb, rb, h);
      ys[d][t] = hs;
    }
    finals[0].push_back(hs);
  }
  return rnn_outputs(c, r, ys, finals);
}
}  // namespace

std::vector<HandlerEntry> rnn_handlers() { return {{"LSTM", lstm}, {"GRU", gru}}; }

}  // namespace braid::onnx::detail
