#pragma once
/// Recurrent layers: RNN (tanh or relu), LSTM and GRU, PyTorch's nn.RNN,
/// nn.LSTM and nn.GRU (torch 1.13): same arguments, same parameter names
/// (weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0, ..._reverse), same
/// gate order, so a PyTorch state_dict loads as it is. Built from the
/// lstm_cell / gru_cell ops (braid/ops/recurrent.hpp), so autograd works
/// through every step.
///
/// x: (L, N, input_size), or (N, L, input_size) with batch_first, or
/// unbatched (L, input_size). Returns output (L, N, D * hidden_size) (D = 2
/// when bidirectional; batch_first and unbatched as x) and h_n (and LSTM's
/// c_n): (num_layers * D, N, hidden_size), or (num_layers * D, hidden_size)
/// unbatched. Initial states h0 / c0 have h_n's shape; zeros when absent.
///
/// Note [variable-length sequences]
/// forward(x, lengths) with lengths an int64 (N) tensor in [1, L] processes
/// only the first lengths[b] steps of sequence b, as PyTorch's
/// pack_padded_sequence(x, lengths, enforce_sorted=False) does: the output
/// beyond a sequence's length is zero, h_n / c_n are the states at its last
/// valid step, and the reverse direction starts at that step. The whole batch
/// runs every step and the states of finished (or not yet started, for the
/// reverse direction) sequences are carried over with `where`, so no
/// gradient reaches the padding. Unlike pad_packed_sequence the output keeps
/// x's length L (pad_packed_sequence(total_length = L)).
#include <string>

#include "braid/nn/module.hpp"

namespace braid::nn {

struct RNNOptions {
  int64_t num_layers = 1;
  /// RNN only: "tanh" or "relu".
  std::string nonlinearity = "tanh";
  bool bias = true;
  bool batch_first = false;
  /// Dropout on each layer's output except the last, in training only.
  double dropout = 0.0;
  bool bidirectional = false;
};

/// What a recurrent layer returns. c_n is undefined except for LSTM.
struct RNNOutput {
  Tensor output, h_n, c_n;
};

/// The shared implementation; use RNN, LSTM or GRU.
class RNNBase : public Module {
 public:
  enum class Mode { RnnTanh, RnnRelu, Lstm, Gru };

  /// Output and final states; see the header comment and Note
  /// [variable-length sequences]. lengths, h0, c0 may be undefined ({}); c0
  /// is for LSTM only: `lstm.forward(x, lengths)`, `lstm.forward(x, {}, h0, c0)`.
  /// (lengths has no default: forward(x) is the one-tensor overload below.) Throws ShapeError (x,
  /// lengths, h0, c0 shapes), DTypeError (x not floating, lengths not int64), ValueError (a length
  /// outside [1, L], c0 given to RNN or GRU).
  RNNOutput forward(const Tensor& x, const Tensor& lengths, const Tensor& h0 = {},
                    const Tensor& c0 = {});
  /// The output only (for Sequential and operator()).
  Tensor forward(const Tensor& x) override;
  std::string extra_repr() const override;

  const Mode mode;
  const int64_t input_size, hidden_size, num_layers;
  const bool bias, batch_first;
  const double dropout;
  const bool bidirectional;

  /// weight_ih_l{k}{_reverse}: (G * hidden, in_k); weight_hh: (G * hidden,
  /// hidden); biases (G * hidden) or undefined; G = 1, 4 (LSTM) or 3 (GRU).
  struct Weights {
    Tensor *w_ih, *w_hh, *b_ih, *b_hh;
  };
  /// Layer k, direction d (0 forward, 1 reverse).
  const Weights& weights(int64_t layer, int64_t direction) const {
    return weights_[static_cast<size_t>(layer * (bidirectional ? 2 : 1) + direction)];
  }

 protected:
  RNNBase(Mode mode, int64_t input_size, int64_t hidden_size, const RNNOptions& options);

 private:
  RNNOutput run(const Tensor& x, const Tensor& lengths, const Tensor& h0, const Tensor& c0);
  std::vector<Weights> weights_;
};

/// Elman RNN: h' = act(x W_ih^T + b_ih + h W_hh^T + b_hh), act tanh or relu
/// (options.nonlinearity). RNN(10, 20, {.num_layers = 2}).
class RNN : public RNNBase {
 public:
  RNN(int64_t input_size, int64_t hidden_size, const RNNOptions& options = {});
};

/// LSTM with PyTorch's gate order (i, f, g, o). No proj_size.
class LSTM : public RNNBase {
 public:
  LSTM(int64_t input_size, int64_t hidden_size, const RNNOptions& options = {});
};

/// GRU with PyTorch's gate order (r, z, n).
class GRU : public RNNBase {
 public:
  GRU(int64_t input_size, int64_t hidden_size, const RNNOptions& options = {});
};

}  // namespace braid::nn
