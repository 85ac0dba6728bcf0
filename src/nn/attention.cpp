// MultiheadAttention; see braid/nn/attention.hpp. The computation follows
// PyTorch 1.13's F.multi_head_attention_forward term by term, batch-first
// inside: (N, heads, L, head_dim) blocks.
#include "braid/nn/attention.hpp"

#include <cmath>
#include <limits>

#include "braid/core/grad_mode.hpp"
#include "braid/ops/norm.hpp"
#include "braid/ops/ops.hpp"
#include "braid/ops/recurrent.hpp"

namespace braid::nn {

namespace {
constexpr const char* kOp = "MultiheadAttention";

int64_t checked_heads(int64_t embed_dim, int64_t num_heads) {
  BRAID_CHECK(embed_dim > 0 && num_heads > 0, ValueError, kOp,
              "embed_dim and num_heads must be positive; got embed_dim={}, num_heads={}", embed_dim,
              num_heads);
  BRAID_CHECK(embed_dim % num_heads == 0, ValueError, kOp,
              "embed_dim must be divisible by num_heads; got embed_dim={}, num_heads={}", embed_dim,
              num_heads);
  return embed_dim / num_heads;
}

// xavier_uniform over (3E, E): bound sqrt(6 / (fan_in + fan_out)).
Tensor xavier_uniform(int64_t rows, int64_t cols) {
  const double bound = std::sqrt(6.0 / double(rows + cols));
  return rand({rows, cols}) * (2 * bound) - bound;
}

// A mask as scores to add: bool true -> -inf (not allowed), floating as it is.
Tensor additive(const Tensor& mask, DType dtype, const char* name) {
  BRAID_CHECK(mask.dtype() == DType::Bool || mask.is_floating_point(), DTypeError, kOp,
              "{} must be bool or floating; got {}", name, dtype_name(mask.dtype()));
  if (mask.dtype() != DType::Bool) return mask.to(dtype);
  // Made by an op from the mask (not zeros(mask.shape())), so that a traced
  // graph does not capture a tensor of the batch's shape.
  return where(mask, full({}, -std::numeric_limits<double>::infinity(), dtype),
               full({}, 0.0, dtype));
}
}  // namespace

MultiheadAttention::MultiheadAttention(int64_t e, int64_t h, const MultiheadAttentionOptions& o)
    : embed_dim(e),
      num_heads(h),
      head_dim(checked_heads(e, h)),
      dropout(o.dropout),
      batch_first(o.batch_first),
      in_proj_weight(register_parameter("in_proj_weight", xavier_uniform(3 * e, e))),
      in_proj_bias(register_parameter("in_proj_bias", o.bias ? zeros({3 * e}) : Tensor())),
      out_proj(register_module("out_proj", NonDynamicallyQuantizableLinear(e, e, o.bias))) {
  BRAID_CHECK(o.dropout >= 0 && o.dropout <= 1, ValueError, kOp,
              "dropout must be in [0, 1]; got {}", o.dropout);
  if (o.bias) {
    NoGradGuard ng;
    out_proj.bias.zero_();
  }
}

Tensor MultiheadAttention::forward(const Tensor& x) {
  return run(x, x, x, {}, false, {}, true).output;
}

AttentionOutput MultiheadAttention::forward(const Tensor& query, const Tensor& key,
                                            const Tensor& value, const Tensor& key_padding_mask,
                                            bool need_weights, const Tensor& attn_mask,
                                            bool average_attn_weights) {
  return scoped([&] {
    return run(query, key, value, key_padding_mask, need_weights, attn_mask, average_attn_weights);
  });
}

AttentionOutput MultiheadAttention::run(const Tensor& query, const Tensor& key, const Tensor& value,
                                        const Tensor& key_padding_mask, bool need_weights,
                                        const Tensor& attn_mask, bool average_attn_weights) {
  for (const Tensor* t : {&query, &key, &value}) {
    BRAID_CHECK(t->defined(), ValueError, kOp, "query, key and value must be defined");
    BRAID_CHECK(t->is_floating_point(), DTypeError, kOp,
                "query, key and value must be floating; got {}", dtype_name(t->dtype()));
  }
  const bool unbatched = query.dim() == 2;
  const std::string layout = unbatched     ? "(L, E)"
                             : batch_first ? "(N, L, E), key and value (N, S, E)"
                                           : "(L, N, E), key and value (S, N, E)";
  const int64_t want_dim = unbatched ? 2 : 3;
  const int64_t bdim = batch_first ? 0 : 1, sdim = batch_first ? 1 : 0;
  bool ok = (query.dim() == 2 || query.dim() == 3) && key.dim() == want_dim &&
            value.dim() == want_dim && query.size(-1) == embed_dim && key.size(-1) == embed_dim &&
            value.size(-1) == embed_dim;
  if (ok && unbatched) ok = key.size(0) == value.size(0);
  if (ok && !unbatched)
    ok = key.size(bdim) == query.size(bdim) && value.size(bdim) == query.size(bdim) &&
         key.size(sdim) == value.size(sdim);
  BRAID_CHECK(ok, ShapeError, kOp,
              "query must be {} (or unbatched, key and value alike) with E = embed_dim={}; got "
              "query={}, key={}, value={}",
              layout, embed_dim, shape_str(query.shape()), shape_str(key.shape()),
              shape_str(value.shape()));

  // Batch-first (N, L, E) inside.
  auto to_bf = [&](const Tensor& t) {
    return unbatched ? t.unsqueeze(0) : batch_first ? t : t.transpose(0, 1);
  };
  const Tensor q_in = to_bf(query), k_in = to_bf(key), v_in = to_bf(value);
  const int64_t n = q_in.size(0), l = q_in.size(1), s = k_in.size(1), e = embed_dim;
  const DType dt = q_in.dtype();

  // Projections with the q, k, v rows of in_proj_weight.
  auto project = [&](const Tensor& x, int64_t i, int64_t len) {
    Tensor b = in_proj_bias.defined() ? in_proj_bias.narrow(0, i * e, e) : Tensor();
    Tensor y = linear(x, in_proj_weight.narrow(0, i * e, e), b);
    return y.reshape({n, len, num_heads, head_dim}).transpose(1, 2);  // (N, H, len, hd)
  };
  Tensor q = project(q_in, 0, l), k = project(k_in, 1, s), v = project(v_in, 2, s);

  // Both masks as one additive (N or 1, H or 1, L or 1, S) term.
  Tensor mask;
  if (attn_mask.defined()) {
    const bool two = attn_mask.dim() == 2 && attn_mask.shape() == (Shape{l, s});
    const bool three = attn_mask.dim() == 3 && attn_mask.shape() == (Shape{n * num_heads, l, s});
    BRAID_CHECK(two || three, ShapeError, kOp,
                "attn_mask must be (L, S) = ({}, {}) or (N * num_heads, L, S) = ({}, {}, {}); "
                "got attn_mask={}",
                l, s, n * num_heads, l, s, shape_str(attn_mask.shape()));
    mask = additive(attn_mask, dt, "attn_mask");
    if (three) mask = mask.reshape({n, num_heads, l, s});
  }
  if (key_padding_mask.defined()) {
    const Shape want = unbatched ? Shape{s} : Shape{n, s};
    BRAID_CHECK(key_padding_mask.shape() == want, ShapeError, kOp,
                "key_padding_mask must be {} (N, S); got key_padding_mask={}, key={}",
                shape_str(want), shape_str(key_padding_mask.shape()), shape_str(key.shape()));
    Tensor kpm = additive(key_padding_mask, dt, "key_padding_mask").reshape({n, 1, 1, s});
    mask = mask.defined() ? mask + kpm : kpm;
  }
  const double p = is_training() ? dropout : 0.0;

  AttentionOutput r;
  Tensor attended;  // (N, H, L, hd)
  if (!need_weights) {
    attended = scaled_dot_product_attention(q, k, v, {.attn_mask = mask, .dropout_p = p});
  } else {
    Tensor scores = matmul(q * (1.0 / std::sqrt(double(head_dim))), k.transpose(-2, -1));
    if (mask.defined()) scores = scores + mask;
    Tensor w = softmax(scores, -1);
    if (p > 0) w = braid::dropout(w, p, true);
    attended = matmul(w, v);
    r.weights = average_attn_weights ? mean(w, {1}) : w;
    if (unbatched) r.weights = r.weights.squeeze({0});
  }
  Tensor out = out_proj(attended.transpose(1, 2).reshape({n, l, e}));
  r.output = unbatched ? out.squeeze({0}) : batch_first ? out : out.transpose(0, 1);
  return r;
}

}  // namespace braid::nn
