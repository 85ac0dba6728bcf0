#pragma once
/// TransformerEncoderLayer and TransformerEncoder, PyTorch 1.13's modules:
/// same children (self_attn, linear1, dropout, linear2, norm1, norm2,
/// dropout1, dropout2; TransformerEncoder: layers.0, layers.1, ...), so a
/// PyTorch state_dict loads as it is, and the same printing.
///
///   post-norm (default): x = norm1(x + sa(x)); x = norm2(x + ff(x))
///   norm_first:          x = x + sa(norm1(x)); x = x + ff(norm2(x))
///   sa(x) = dropout1(self_attn(x, x, x, masks)),
///   ff(x) = dropout2(linear2(dropout(activation(linear1(x))))).
/// src: (S, N, d_model), (N, S, d_model) with batch_first, or (S, d_model).
#include <string>

#include "braid/nn/attention.hpp"
#include "braid/nn/container.hpp"
#include "braid/nn/dropout.hpp"
#include "braid/nn/linear.hpp"
#include "braid/nn/module.hpp"
#include "braid/nn/norm.hpp"

namespace braid::nn {

namespace transformer_detail {
/// TransformerEncoder's `layers`: a ModuleList (and printed as one) that
/// also lends its error scope, so errors read "TransformerEncoder/layers/0/...".
class EncoderLayers : public ModuleList {
 public:
  std::string type_name() const override { return "ModuleList"; }
  template <class F>
  auto within(F&& fn) {
    return scoped(std::forward<F>(fn));
  }
};
}  // namespace transformer_detail

struct TransformerEncoderLayerOptions {
  int64_t dim_feedforward = 2048;
  double dropout = 0.1;
  /// "relu" or "gelu".
  std::string activation = "relu";
  double layer_norm_eps = 1e-5;
  bool batch_first = false;
  bool norm_first = false;
};

class TransformerEncoderLayer : public Module {
 public:
  TransformerEncoderLayer(int64_t d_model, int64_t nhead,
                          const TransformerEncoderLayerOptions& options = {});
  /// src_mask: (S, S) or (N * nhead, S, S); src_key_padding_mask: (N, S);
  /// conventions as MultiheadAttention's. Throws as MultiheadAttention.
  Tensor forward(const Tensor& src, const Tensor& src_mask,
                 const Tensor& src_key_padding_mask = {});
  Tensor forward(const Tensor& src) override;

  const int64_t d_model, nhead;
  const TransformerEncoderLayerOptions options;
  MultiheadAttention& self_attn;
  Linear& linear1;
  Dropout& dropout;
  Linear& linear2;
  LayerNorm &norm1, &norm2;
  Dropout &dropout1, &dropout2;

 private:
  Tensor run(const Tensor& src, const Tensor& mask, const Tensor& key_padding_mask);
};

/// num_layers copies of `layer` (same initial parameters, as PyTorch's deep
/// copy gives), run in turn; then `final_norm` (PyTorch's `norm`) when true.
class TransformerEncoder : public Module {
 public:
  TransformerEncoder(TransformerEncoderLayer&& layer, int64_t num_layers, bool final_norm = false);
  Tensor forward(const Tensor& src, const Tensor& mask, const Tensor& src_key_padding_mask = {});
  Tensor forward(const Tensor& src) override;
  TransformerEncoderLayer& layer(int64_t i) const;

  const int64_t num_layers;
  /// Whether a LayerNorm (child `norm`) follows the last layer.
  const bool final_norm;

 private:
  Tensor run(const Tensor& src, const Tensor& mask, const Tensor& key_padding_mask);
  transformer_detail::EncoderLayers& layers_;
  LayerNorm* norm_ = nullptr;
};

}  // namespace braid::nn
