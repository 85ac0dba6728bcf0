// Recurrent building blocks (issue 3): lstm_cell, gru_cell and
// scaled_dot_product_attention, composites of linear, the activations,
// matmul and softmax (STYLE "Small primitive set"), so their first and second
// derivatives come from those ops. Formulas and gate orders are PyTorch's
// (aten/src/ATen/native/RNN.cpp; attention: the math reference of PyTorch
// 2.x's F.scaled_dot_product_attention), term by term. All checks run first.
#include "braid/ops/recurrent.hpp"

#include <cmath>

#include "ops/common.hpp"

namespace braid {
namespace detail {
namespace {
using V = std::vector<Tensor>;

// -- cells ---------------------------------------------------------------------------

// The tensors of one cell step; c is undefined for the GRU.
struct Cell {
  const Tensor &x, &h, &c, &w_ih, &w_hh, &b_ih, &b_hh;
};

void check_cell_dtypes(std::string_view op, const Cell& a) {
  std::pair<const Tensor*, const char*> all[] = {
      {&a.x, "input"},   {&a.h, "h"},       {&a.c, "c"},      {&a.w_ih, "w_ih"},
      {&a.w_hh, "w_hh"}, {&a.b_ih, "b_ih"}, {&a.b_hh, "b_hh"}};
  for (const auto& [t, name] : all)
    BRAID_CHECK(!t->defined() || t->is_floating_point(), DTypeError, op,
                "{} must be floating; got {}", name, dtype_name(t->dtype()));
}

// Checks the shapes of one step with `gates` gates (LSTM 4, GRU 3); the
// hidden size H comes from w_hh, which is (gates * H, H).
void check_cell(std::string_view op, int64_t gates, const Cell& a, bool has_c) {
  for (const Tensor* t : {&a.x, &a.h, &a.w_ih, &a.w_hh})
    BRAID_CHECK(t->defined(), ValueError, op, "input, h, w_ih and w_hh must be defined");
  BRAID_CHECK(!has_c || a.c.defined(), ValueError, op, "c must be defined");
  check_cell_dtypes(op, a);
  BRAID_CHECK(a.x.dim() == 1 || a.x.dim() == 2, ShapeError, op,
              "input must be (N, I) or unbatched (I); got input={}", shape_str(a.x.shape()));
  BRAID_CHECK(a.w_hh.dim() == 2 && a.w_hh.size(0) == gates * a.w_hh.size(1), ShapeError, op,
              "w_hh must be ({}H, H); got w_hh={}", gates, shape_str(a.w_hh.shape()));
  const int64_t hs = a.w_hh.size(1), in = a.x.size(-1);
  BRAID_CHECK(a.w_ih.shape() == (Shape{gates * hs, in}), ShapeError, op,
              "w_ih must be ({}H, I) = ({}, {}); got input={}, w_ih={}, w_hh={}", gates, gates * hs,
              in, shape_str(a.x.shape()), shape_str(a.w_ih.shape()), shape_str(a.w_hh.shape()));
  const Shape hshape = a.x.dim() == 2 ? Shape{a.x.size(0), hs} : Shape{hs};
  BRAID_CHECK(a.h.shape() == hshape, ShapeError, op,
              "h must be {} (input's batch, H); got input={}, h={}, w_hh={}", shape_str(hshape),
              shape_str(a.x.shape()), shape_str(a.h.shape()), shape_str(a.w_hh.shape()));
  BRAID_CHECK(!has_c || a.c.shape() == hshape, ShapeError, op,
              "c must have h's shape {}; got h={}, c={}", shape_str(hshape), shape_str(a.h.shape()),
              shape_str(a.c.shape()));
  for (const auto& [b, name] : {std::pair{&a.b_ih, "b_ih"}, std::pair{&a.b_hh, "b_hh"}})
    BRAID_CHECK(!b->defined() || b->shape() == Shape{gates * hs}, ShapeError, op,
                "{} must be ({}H) = ({}); got {}={}", name, gates, gates * hs, name,
                shape_str(b->shape()));
}

// in: input, h, c, w_ih, w_hh, b_ih, b_hh.
V lstm_cell_of(std::span<const Tensor> in, const Attrs&) {
  Cell a{in[0], in[1], in[2], in[3], in[4], in[5], in[6]};
  check_cell("lstm_cell", 4, a, true);
  std::vector<Tensor> g = chunk(linear(a.x, a.w_ih, a.b_ih) + linear(a.h, a.w_hh, a.b_hh), 4, -1);
  Tensor c1 = sigmoid(g[1]) * a.c + sigmoid(g[0]) * tanh(g[2]);
  return {sigmoid(g[3]) * tanh(c1), c1};
}

// in: input, h, w_ih, w_hh, b_ih, b_hh. r scales (h W_hn^T + b_hn), bias
// included, as PyTorch (and cuDNN) do; h' = n + z (h - n) is PyTorch's form.
V gru_cell_of(std::span<const Tensor> in, const Attrs&) {
  const Tensor none;
  Cell a{in[0], in[1], none, in[2], in[3], in[4], in[5]};
  check_cell("gru_cell", 3, a, false);
  std::vector<Tensor> gi = chunk(linear(a.x, a.w_ih, a.b_ih), 3, -1);
  std::vector<Tensor> gh = chunk(linear(a.h, a.w_hh, a.b_hh), 3, -1);
  Tensor r = sigmoid(gi[0] + gh[0]);
  Tensor z = sigmoid(gi[1] + gh[1]);
  Tensor n = tanh(gi[2] + r * gh[2]);
  return {n + z * (a.h - n)};
}

// -- attention -----------------------------------------------------------------------

Shape batch_dims(const Tensor& t) { return Shape(t.shape().begin(), t.shape().end() - 2); }

bool can_broadcast(const Shape& a, const Shape& b) {
  for (size_t i = 1; i <= std::min(a.size(), b.size()); ++i) {
    const int64_t da = a[a.size() - i], db = b[b.size() - i];
    if (da != db && da != 1 && db != 1) return false;
  }
  return true;
}

Shape broadcast(const Shape& a, const Shape& b) {
  Shape out(std::max(a.size(), b.size()), 1);
  for (size_t i = 1; i <= out.size(); ++i) {
    const int64_t da = i <= a.size() ? a[a.size() - i] : 1,
                  db = i <= b.size() ? b[b.size() - i] : 1;
    out[out.size() - i] = da == 1 ? db : da;
  }
  return out;
}

// Checks q, k, v and the mask; returns the scores' shape (..., L, S).
Shape check_attention(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& mask) {
  const char* op = "scaled_dot_product_attention";
  BRAID_CHECK(q.defined() && k.defined() && v.defined(), ValueError, op,
              "q, k and v must be defined");
  BRAID_CHECK(q.dim() >= 2 && k.dim() >= 2 && v.dim() >= 2, ShapeError, op,
              "q, k and v must be (..., L, E), (..., S, E), (..., S, Ev); got q={}, k={}, v={}",
              shape_str(q.shape()), shape_str(k.shape()), shape_str(v.shape()));
  BRAID_CHECK(q.is_floating_point() && k.dtype() == q.dtype() && v.dtype() == q.dtype(), DTypeError,
              op, "q, k and v must share one floating dtype; got q={}, k={}, v={}",
              dtype_name(q.dtype()), dtype_name(k.dtype()), dtype_name(v.dtype()));
  BRAID_CHECK(q.size(-1) == k.size(-1) && k.size(-2) == v.size(-2), ShapeError, op,
              "q and k must share E (dim -1), k and v S (dim -2); got q={}, k={}, v={}",
              shape_str(q.shape()), shape_str(k.shape()), shape_str(v.shape()));
  BRAID_CHECK(can_broadcast(batch_dims(q), batch_dims(k)) &&
                  can_broadcast(broadcast(batch_dims(q), batch_dims(k)), batch_dims(v)),
              ShapeError, op, "the batch dims of q, k and v must broadcast; got q={}, k={}, v={}",
              shape_str(q.shape()), shape_str(k.shape()), shape_str(v.shape()));
  Shape scores = broadcast(batch_dims(q), batch_dims(k));
  scores.push_back(q.size(-2));
  scores.push_back(k.size(-2));
  if (!mask.defined()) return scores;
  BRAID_CHECK(mask.dtype() == DType::Bool || mask.is_floating_point(), DTypeError, op,
              "attn_mask must be bool or floating; got {}", dtype_name(mask.dtype()));
  BRAID_CHECK(can_broadcast(mask.shape(), scores), ShapeError, op,
              "attn_mask must broadcast to the scores (..., L, S) = {}; got "
              "q={}, k={}, attn_mask={}",
              shape_str(scores), shape_str(q.shape()), shape_str(k.shape()),
              shape_str(mask.shape()));
  return scores;
}

// in: q, k, v, attn_mask. Scaled scores, then the causal or given mask (bool:
// -inf where false; float: added), softmax over keys, dropout, times v.
V attention_of(std::span<const Tensor> in, const Attrs& a) {
  const char* op = "scaled_dot_product_attention";
  const Tensor &q = in[0], &k = in[1], &v = in[2], &mask = in[3];
  Shape sshape = check_attention(q, k, v, mask);
  const double p = a.f(op, "dropout_p");
  const bool causal = a.b(op, "is_causal");
  BRAID_CHECK(p >= 0 && p <= 1, ValueError, op, "dropout_p must be in [0, 1]; got {}", p);
  BRAID_CHECK(!(causal && mask.defined()), ValueError, op,
              "attn_mask and is_causal cannot both be set; got attn_mask={} with is_causal",
              shape_str(mask.shape()));
  const double scale =
      a.has("scale") ? a.f(op, "scale") : 1.0 / std::sqrt(static_cast<double>(q.size(-1)));
  Tensor s = matmul(q, transpose(k, -2, -1)) * scale;
  const Tensor neg_inf = full({}, -INFINITY, q.dtype());
  if (causal) s = where(tril(ones({sshape.end()[-2], sshape.back()}, DType::Bool)), s, neg_inf);
  if (mask.defined())
    s = mask.dtype() == DType::Bool ? where(mask, s, neg_inf)
                                    : s + (mask.dtype() == q.dtype() ? mask : to(mask, q.dtype()));
  Tensor w = softmax(s, -1);
  // Dropout draws its keep-mask with the bernoulli factory from braid's
  // default generator (reproducible from the seed whatever the thread count);
  // braid's dropout op may replace these two lines once it lands.
  if (p == 1)
    w = w * 0.0;
  else if (p > 0)
    w = w * bernoulli(w.shape(), 1.0 - p, w.dtype()) * (1.0 / (1.0 - p));
  return {matmul(w, v)};
}

}  // namespace

OpDef make_def_lstm_cell() {
  OpDef d = composite_def(lstm_cell_of, 7, "", "", 2);
  d.onnx_note =
      "composite: exported as its parts (Gemm, Split, Sigmoid, Tanh, Mul, Add), term by term; "
      "ONNX's LSTM node orders the gates i, o, f, c and wants a sequence axis";
  return d;
}
OpDef make_def_gru_cell() {
  OpDef d = composite_def(gru_cell_of, 6, "");
  d.onnx_note =
      "composite: exported as its parts (Gemm, Split, Sigmoid, Tanh, Mul, Add); ONNX's GRU node "
      "(linear_before_reset = 1) orders the gates z, r, h and wants a sequence axis";
  return d;
}
OpDef make_def_scaled_dot_product_attention() {
  OpDef d = composite_def(attention_of, 4, "");
  d.onnx_note = "composite: exported as its parts (MatMul, Mul, Where, Softmax)";
  return d;
}

}  // namespace detail

using detail::call;
using detail::call1;

LstmState lstm_cell(const Tensor& input, const Tensor& h, const Tensor& c, const Tensor& w_ih,
                    const Tensor& w_hh, const Tensor& b_ih, const Tensor& b_hh) {
  std::vector<Tensor> out = call(OpId::lstm_cell, {input, h, c, w_ih, w_hh, b_ih, b_hh});
  return {std::move(out[0]), std::move(out[1])};
}
Tensor gru_cell(const Tensor& input, const Tensor& h, const Tensor& w_ih, const Tensor& w_hh,
                const Tensor& b_ih, const Tensor& b_hh) {
  return call1(OpId::gru_cell, {input, h, w_ih, w_hh, b_ih, b_hh});
}
Tensor scaled_dot_product_attention(const Tensor& q, const Tensor& k, const Tensor& v,
                                    const AttentionOptions& o) {
  Attrs attrs{{"dropout_p", o.dropout_p}, {"is_causal", o.is_causal}};
  if (o.scale) attrs.set("scale", *o.scale);
  return call1(OpId::scaled_dot_product_attention, {q, k, v, o.attn_mask}, attrs);
}

}  // namespace braid
