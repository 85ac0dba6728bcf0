// TransformerEncoderLayer / TransformerEncoder; see braid/nn/transformer.hpp.
#include "braid/nn/transformer.hpp"

#include "braid/ops/norm.hpp"
#include "braid/ops/ops.hpp"

namespace braid::nn {

namespace {
const TransformerEncoderLayerOptions& checked(int64_t d_model,
                                              const TransformerEncoderLayerOptions& o) {
  constexpr const char* op = "TransformerEncoderLayer";
  BRAID_CHECK(o.activation == "relu" || o.activation == "gelu", ValueError, op,
              "activation must be 'relu' or 'gelu'; got '{}'", o.activation);
  BRAID_CHECK(d_model > 0 && o.dim_feedforward > 0, ValueError, op,
              "d_model and dim_feedforward must be positive; got d_model={}, dim_feedforward={}",
              d_model, o.dim_feedforward);
  return o;
}
}  // namespace

TransformerEncoderLayer::TransformerEncoderLayer(int64_t d, int64_t h,
                                                 const TransformerEncoderLayerOptions& o)
    : d_model(d),
      nhead(h),
      options(checked(d, o)),
      self_attn(register_module(
          "self_attn",
          MultiheadAttention(d, h, {.dropout = o.dropout, .batch_first = o.batch_first}))),
      linear1(register_module("linear1", Linear(d, o.dim_feedforward))),
      dropout(register_module("dropout", Dropout(o.dropout))),
      linear2(register_module("linear2", Linear(o.dim_feedforward, d))),
      norm1(register_module("norm1", LayerNorm(d, {.eps = o.layer_norm_eps}))),
      norm2(register_module("norm2", LayerNorm(d, {.eps = o.layer_norm_eps}))),
      dropout1(register_module("dropout1", Dropout(o.dropout))),
      dropout2(register_module("dropout2", Dropout(o.dropout))) {}

Tensor TransformerEncoderLayer::forward(const Tensor& src) { return run(src, {}, {}); }

Tensor TransformerEncoderLayer::forward(const Tensor& src, const Tensor& src_mask,
                                        const Tensor& src_key_padding_mask) {
  return scoped([&] { return run(src, src_mask, src_key_padding_mask); });
}

Tensor TransformerEncoderLayer::run(const Tensor& src, const Tensor& mask, const Tensor& kpm) {
  auto sa = [&](const Tensor& x) {
    return dropout1(self_attn.forward(x, x, x, kpm, false, mask).output);
  };
  auto ff = [&](const Tensor& x) {
    Tensor a = linear1(x);
    a = options.activation == "relu" ? relu(a) : gelu(a);
    return dropout2(linear2(dropout(a)));
  };
  Tensor x = src;
  if (options.norm_first) {
    x = x + sa(norm1(x));
    x = x + ff(norm2(x));
  } else {
    x = norm1(x + sa(x));
    x = norm2(x + ff(x));
  }
  return x;
}

TransformerEncoder::TransformerEncoder(TransformerEncoderLayer&& layer, int64_t n, bool final_norm)
    : num_layers(n),
      final_norm(final_norm),
      layers_(register_module("layers", transformer_detail::EncoderLayers())) {
  BRAID_CHECK(n > 0, ValueError, "TransformerEncoder", "num_layers must be positive; got {}", n);
  const StateDict state = layer.state_dict();
  const int64_t d = layer.d_model, h = layer.nhead;
  const TransformerEncoderLayerOptions o = layer.options;
  layers_.append(std::move(layer));
  for (int64_t i = 1; i < n; ++i) {
    TransformerEncoderLayer& copy = layers_.append(TransformerEncoderLayer(d, h, o));
    copy.load_state_dict(state);  // copies the values: the layers share nothing
  }
  if (final_norm) norm_ = &register_module("norm", LayerNorm(d, {.eps = o.layer_norm_eps}));
}

TransformerEncoderLayer& TransformerEncoder::layer(int64_t i) const {
  return static_cast<TransformerEncoderLayer&>(layers_.child(std::to_string(i)));
}

Tensor TransformerEncoder::forward(const Tensor& src) { return run(src, {}, {}); }

Tensor TransformerEncoder::forward(const Tensor& src, const Tensor& mask, const Tensor& kpm) {
  return scoped([&] { return run(src, mask, kpm); });
}

Tensor TransformerEncoder::run(const Tensor& src, const Tensor& mask, const Tensor& kpm) {
  Tensor x = layers_.within([&] {
    Tensor y = src;
    for (int64_t i = 0; i < num_layers; ++i) y = layer(i).forward(y, mask, kpm);
    return y;
  });
  return norm_ ? (*norm_)(x) : x;
}

}  // namespace braid::nn
