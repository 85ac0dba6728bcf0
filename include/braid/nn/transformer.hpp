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
#include "braid/nn/linear.hpp"
#include "braid/nn/module.hpp"

namespace braid::nn {

/// Note [transformer private layers]
/// norm1/norm2 and the dropouts need LayerNorm and Dropout modules, written
/// in parallel elsewhere; these minimal ones print and name their state as
/// PyTorch's do (weight, bias; "LayerNorm((8,), eps=1e-05, ...)") so that
/// swapping in nn::LayerNorm / nn::Dropout later changes no key and no text.
namespace transformer_detail {
class LayerNorm : public Module {
 public:
  LayerNorm(int64_t d, double eps);
  Tensor forward(const Tensor& x) override;
  std::string extra_repr() const override;
  const int64_t normalized_size;
  const double eps;
  Tensor& weight;
  Tensor& bias;
};
class Dropout : public Module {
 public:
  explicit Dropout(double p);
  Tensor forward(const Tensor& x) override;
  std::string extra_repr() const override;
  const double p;
};
/// Children "0", "1", ... printed as PyTorch's ModuleList.
class ModuleList : public Module {
 public:
  template <class M>
  M& append(M&& m) {
    return register_module(std::to_string(children().size()), std::forward<M>(m));
  }
  /// fn() inside this list's error scope, so paths read "layers/0/...".
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
  transformer_detail::Dropout& dropout;
  Linear& linear2;
  transformer_detail::LayerNorm &norm1, &norm2;
  transformer_detail::Dropout &dropout1, &dropout2;

 private:
  Tensor run(const Tensor& src, const Tensor& mask, const Tensor& key_padding_mask);
};

/// num_layers copies of `layer` (same initial parameters, as PyTorch's deep
/// copy gives), run in turn; then `final_norm` (PyTorch's `norm`) when true.
class TransformerEncoder : public Module {
 public:
  TransformerEncoder(TransformerEncoderLayer&& layer, int64_t num_layers,
                     bool final_norm = false);
  Tensor forward(const Tensor& src, const Tensor& mask,
                 const Tensor& src_key_padding_mask = {});
  Tensor forward(const Tensor& src) override;
  TransformerEncoderLayer& layer(int64_t i) const;

  const int64_t num_layers;

 private:
  Tensor run(const Tensor& src, const Tensor& mask, const Tensor& key_padding_mask);
  transformer_detail::ModuleList& layers_;
  transformer_detail::LayerNorm* norm_ = nullptr;
};

}  // namespace braid::nn
