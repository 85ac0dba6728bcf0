#pragma once
/// MultiheadAttention: PyTorch 1.13's nn.MultiheadAttention for query, key
/// and value of one embed_dim (no kdim / vdim, add_bias_kv, add_zero_attn).
/// Parameters as PyTorch names them: in_proj_weight (3E, E) (q, k, v rows in
/// that order), in_proj_bias (3E), out_proj.weight (E, E), out_proj.bias (E),
/// so a PyTorch state_dict loads as it is. Initialised as PyTorch does:
/// xavier_uniform in_proj_weight, zero biases, Linear's init for out_proj.
///
/// query: (L, N, E), key / value: (S, N, E); batch_first: (N, L, E) and
/// (N, S, E); unbatched: (L, E) and (S, E). Per head (E / num_heads wide):
/// softmax(q k^T / sqrt(E / num_heads) + masks) v, then out_proj.
/// Masks follow PyTorch 1.13's convention for this module: a bool mask is
/// true where attention is NOT allowed; a floating mask is added to the
/// scores. attn_mask: (L, S) or (N * num_heads, L, S); key_padding_mask: (N, S)
/// (or (S) unbatched). A query whose keys are all masked gets NaN, as in PyTorch.
#include "braid/nn/linear.hpp"
#include "braid/nn/module.hpp"

namespace braid::nn {

/// PyTorch's name for MultiheadAttention's out_proj (a plain Linear there
/// too; the name only keeps it out of dynamic quantization). Kept so that
/// printing matches PyTorch.
class NonDynamicallyQuantizableLinear : public Linear {
 public:
  using Linear::Linear;
};

struct MultiheadAttentionOptions {
  /// Dropout on the attention weights, in training only.
  double dropout = 0.0;
  bool bias = true;
  bool batch_first = false;
};

/// The attended values and (need_weights) the attention weights:
/// (N, L, S) averaged over heads, or (N, num_heads, L, S); undefined when not asked.
struct AttentionOutput {
  Tensor output, weights;
};

class MultiheadAttention : public Module {
 public:
  MultiheadAttention(int64_t embed_dim, int64_t num_heads,
                     const MultiheadAttentionOptions& options = {});
  /// PyTorch's forward, same argument order. Throws ShapeError (query, key,
  /// value or a mask of the wrong shape), DTypeError (not floating; a mask
  /// neither bool nor floating).
  AttentionOutput forward(const Tensor& query, const Tensor& key, const Tensor& value,
                          const Tensor& key_padding_mask = {}, bool need_weights = true,
                          const Tensor& attn_mask = {}, bool average_attn_weights = true);
  /// Self-attention forward(x, x, x), the output only (for Sequential).
  Tensor forward(const Tensor& x) override;

  const int64_t embed_dim, num_heads, head_dim;
  const double dropout;
  const bool batch_first;
  Tensor& in_proj_weight;  ///< (3E, E)
  Tensor& in_proj_bias;    ///< (3E), or undefined without bias
  NonDynamicallyQuantizableLinear& out_proj;

 private:
  AttentionOutput run(const Tensor& query, const Tensor& key, const Tensor& value,
                      const Tensor& key_padding_mask, bool need_weights, const Tensor& attn_mask,
                      bool average_attn_weights);
};

}  // namespace braid::nn
