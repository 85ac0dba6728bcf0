// ONNX translations of the recurrent cells and attention. The
// cells and attention are written as their parts, term by term as the
// composites in src/ops/recurrent.cpp compute them, so ONNX Runtime gives
// the executor's numbers (ONNX's LSTM/GRU nodes reorder the gates and want a
// sequence axis; a step of a traced loop is one cell).
#include <cmath>

#include "onnx/export_ctx.hpp"

namespace braid::onnx::detail {
namespace {

// linear(x, w, b?) for (N, I) or unbatched (I) x.
std::string lin(Ctx& c, size_t x, size_t w, size_t b) {
  if (c.rank(x) == 2) {
    std::vector<std::string> ins{c.in(x), c.in(w)};
    if (c.has(b)) ins.push_back(c.in(b));
    pb::NodeProto* n;
    std::string o = c.emit("Gemm", ins, &n);
    set_attr(n, "transB", 1);
    return o;
  }
  pb::NodeProto* t;
  std::string wt = c.emit("Transpose", {c.in(w)}, &t);
  set_attr(t, "perm", std::vector<int64_t>{1, 0});
  std::string y = c.emit("MatMul", {c.in(x), wt});
  return c.has(b) ? c.emit("Add", {y, c.in(b)}) : y;
}

// Splits the last dim into n equal pieces.
std::vector<std::string> split(Ctx& c, const std::string& x, int64_t n, int64_t size) {
  std::vector<std::string> outs;
  for (int64_t k = 0; k < n; ++k) outs.push_back(c.writer().fresh(fmt::format("{}_{}", x, k)));
  pb::NodeProto* s =
      c.add("Split", {x, c.ints(std::vector<int64_t>(static_cast<size_t>(n), size))}, outs);
  set_attr(s, "axis", -1);
  return outs;
}

// lstm_cell(x, h, c, w_ih, w_hh, b_ih?, b_hh?) -> h', c'; gates i, f, g, o.
void lstm_cell(Ctx& c) {
  int64_t hs = c.shape(4)[1];
  std::string gates = c.emit("Add", {lin(c, 0, 3, 5), lin(c, 1, 4, 6)});
  std::vector<std::string> g = split(c, gates, 4, hs);
  std::string i = c.emit("Sigmoid", {g[0]}), f = c.emit("Sigmoid", {g[1]});
  std::string cand = c.emit("Tanh", {g[2]}), o = c.emit("Sigmoid", {g[3]});
  std::string c1 = c.out(1);
  c.add("Add", {c.emit("Mul", {f, c.in(2)}), c.emit("Mul", {i, cand})}, {c1});
  c.add("Mul", {o, c.emit("Tanh", {c1})}, {c.out(0)});
}

// gru_cell(x, h, w_ih, w_hh, b_ih?, b_hh?) -> h'; r scales (h W_hn^T + b_hn).
void gru_cell(Ctx& c) {
  int64_t hs = c.shape(3)[1];
  std::vector<std::string> gi = split(c, lin(c, 0, 2, 4), 3, hs);
  std::vector<std::string> gh = split(c, lin(c, 1, 3, 5), 3, hs);
  std::string r = c.emit("Sigmoid", {c.emit("Add", {gi[0], gh[0]})});
  std::string z = c.emit("Sigmoid", {c.emit("Add", {gi[1], gh[1]})});
  std::string n = c.emit("Tanh", {c.emit("Add", {gi[2], c.emit("Mul", {r, gh[2]})})});
  std::string h = c.in(1);
  c.add("Add", {n, c.emit("Mul", {z, c.emit("Sub", {h, n})})}, {c.out(0)});
}

// softmax(q k^T * scale + mask) v, as attention_of computes it.
void attention(Ctx& c) {
  if (c.f("dropout_p") > 0) c.fail("attention dropout is random; trace the model in eval()");
  DType t = c.dtype(0);
  int64_t r = c.rank(1);
  std::vector<int64_t> perm;
  for (int64_t d = 0; d < r; ++d) perm.push_back(d);
  std::swap(perm[r - 2], perm[r - 1]);
  pb::NodeProto* tn;
  std::string kt = c.emit("Transpose", {c.in(1)}, &tn);
  set_attr(tn, "perm", perm);
  double scale = c.attrs().has("scale") ? c.f("scale")
                                        : 1.0 / std::sqrt(static_cast<double>(c.shape(0).back()));
  std::string s = c.emit("Mul", {c.emit("MatMul", {c.in(0), kt}), c.scalar(scale, t)});
  std::string neg_inf = c.scalar(-INFINITY, t);
  if (c.b("is_causal")) {
    int64_t l = c.shape(0).end()[-2], sl = c.shape(1).end()[-2];
    Tensor keep = tril(ones({l, sl}, DType::Bool));
    s = c.emit("Where", {c.initializer(keep, c.out(0) + "_causal"), s, neg_inf});
  }
  if (c.has(3)) {
    const runtime::Value& m = c.value(3);
    if (m.dtype == DType::Bool)
      s = c.emit("Where", {c.raw(3), s, neg_inf});
    else
      s = c.emit("Add", {s, m.dtype == t ? c.raw(3) : c.cast(c.raw(3), t)});
  }
  pb::NodeProto* sm;
  std::string w = c.emit("Softmax", {s}, &sm);
  set_attr(sm, "axis", -1);
  c.add("MatMul", {w, c.in(2)}, {c.out(0)});
}

}  // namespace

void add_sequence_ops(Table& t) {
  auto set = [&](OpId id, TranslateFn fn) { t[static_cast<size_t>(id)] = fn; };
  set(OpId::lstm_cell, lstm_cell);
  set(OpId::gru_cell, gru_cell);
  set(OpId::scaled_dot_product_attention, attention);
}

}  // namespace braid::onnx::detail
