#pragma once
/// Network ops: the recurrent family (src/ops/recurrent.cpp). See op_list.def.
///
/// One time step of the LSTM and GRU cells and scaled dot-product attention,
/// composites of linear, the activations, matmul and softmax (so gradients
/// and second derivatives come from those ops). Weights are PyTorch's
/// nn.LSTMCell / nn.GRUCell layout, so a state_dict carries over as it is.
#include <optional>

#include "braid/core/tensor.hpp"

namespace braid {

/// The LSTM cell's new hidden and cell state.
struct LstmState {
  Tensor h, c;
};

/// One LSTM step, PyTorch's gate order (i, f, g, o) along w_ih's rows:
///   i, f, g, o = x w_ih^T + b_ih + h w_hh^T + b_hh (split in 4 along the last dim)
///   c' = sigmoid(f) c + sigmoid(i) tanh(g),  h' = sigmoid(o) tanh(c').
/// input: (N, I) or unbatched (I); h, c: (N, H) or (H); w_ih: (4H, I);
/// w_hh: (4H, H); b_ih, b_hh: (4H) or undefined. Returns h', c' of h's shape.
/// Throws ShapeError naming every shape involved, DTypeError (not floating).
LstmState lstm_cell(const Tensor& input, const Tensor& h, const Tensor& c, const Tensor& w_ih,
                    const Tensor& w_hh, const Tensor& b_ih = {}, const Tensor& b_hh = {});

/// One GRU step, PyTorch's gate order (r, z, n):
///   r = sigmoid(x W_ir^T + b_ir + h W_hr^T + b_hr), z likewise,
///   n = tanh(x W_in^T + b_in + r * (h W_hn^T + b_hn)),  h' = (1 - z) n + z h.
/// input: (N, I) or (I); h: (N, H) or (H); w_ih: (3H, I); w_hh: (3H, H);
/// b_ih, b_hh: (3H) or undefined. Returns h' of h's shape. Throws as lstm_cell.
Tensor gru_cell(const Tensor& input, const Tensor& h, const Tensor& w_ih, const Tensor& w_hh,
                const Tensor& b_ih = {}, const Tensor& b_hh = {});

struct AttentionOptions {
  /// Broadcastable to (..., L, S): bool (true = attend, PyTorch 2.x's
  /// convention) or floating, added to the scores. Undefined: no mask.
  Tensor attn_mask = {};
  /// Probability of zeroing an attention weight (the rest scale by 1 / (1 - p)),
  /// drawn from braid's default generator. Applied whenever > 0, as PyTorch's
  /// functional form does: pass 0 in evaluation.
  double dropout_p = 0.0;
  /// Query i attends to keys 0..i only (a lower-triangular (L, S) mask).
  bool is_causal = false;
  /// Multiplies the scores; 1 / sqrt(E) when absent.
  std::optional<double> scale = std::nullopt;
};

/// softmax(q k^T * scale + mask) v, as PyTorch 2.x's
/// F.scaled_dot_product_attention (PyTorch 1.13 has no public one).
/// q: (..., L, E), k: (..., S, E), v: (..., S, Ev) -> (..., L, Ev); the batch
/// dims (...) broadcast. A query whose keys are all masked gets NaN, as in
/// PyTorch. Throws ShapeError (dims, mask shape), DTypeError (q, k, v not one
/// floating dtype; mask neither bool nor floating), ValueError (dropout_p
/// outside [0, 1], attn_mask given with is_causal).
Tensor scaled_dot_product_attention(const Tensor& q, const Tensor& k, const Tensor& v,
                                    const AttentionOptions& options = {});

}  // namespace braid
