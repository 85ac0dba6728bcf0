// RNN / LSTM / GRU: the layer and direction loops around the cell ops; see
// braid/nn/rnn.hpp and Note [variable-length sequences] there.
#include "braid/nn/rnn.hpp"

#include <cmath>

#include "braid/ops/norm.hpp"
#include "braid/ops/ops.hpp"
#include "braid/ops/recurrent.hpp"

namespace braid::nn {

namespace {

const char* mode_name(RNNBase::Mode m) {
  switch (m) {
    case RNNBase::Mode::Lstm: return "LSTM";
    case RNNBase::Mode::Gru: return "GRU";
    default: return "RNN";
  }
}

int64_t gate_count(RNNBase::Mode m) {
  switch (m) {
    case RNNBase::Mode::Lstm: return 4;
    case RNNBase::Mode::Gru: return 3;
    default: return 1;
  }
}

RNNBase::Mode rnn_mode(const std::string& nonlinearity) {
  BRAID_CHECK(nonlinearity == "tanh" || nonlinearity == "relu", ValueError, "RNN",
              "nonlinearity must be 'tanh' or 'relu'; got '{}'", nonlinearity);
  return nonlinearity == "tanh" ? RNNBase::Mode::RnnTanh : RNNBase::Mode::RnnRelu;
}

const RNNOptions& checked(RNNBase::Mode mode, int64_t input_size, int64_t hidden_size,
                          const RNNOptions& o) {
  const char* op = mode_name(mode);
  BRAID_CHECK(input_size > 0 && hidden_size > 0, ValueError, op,
              "input_size and hidden_size must be positive; got input_size={}, hidden_size={}",
              input_size, hidden_size);
  BRAID_CHECK(o.num_layers > 0, ValueError, op, "num_layers must be positive; got {}",
              o.num_layers);
  BRAID_CHECK(o.dropout >= 0 && o.dropout <= 1, ValueError, op, "dropout must be in [0, 1]; got {}",
              o.dropout);
  BRAID_CHECK(
      mode == RNNBase::Mode::RnnTanh || mode == RNNBase::Mode::RnnRelu || o.nonlinearity == "tanh",
      ValueError, op, "nonlinearity is for RNN only; got '{}'", o.nonlinearity);
  return o;
}

// Python's repr of a float: 0.5 -> "0.5", 1 -> "1.0".
std::string py_float(double v) {
  std::string s = fmt::format("{}", v);
  if (s.find_first_of(".en") == std::string::npos) s += ".0";
  return s;
}

}  // namespace

RNNBase::RNNBase(Mode m, int64_t in, int64_t hidden, const RNNOptions& o)
    : mode(m),
      input_size(in),
      hidden_size(hidden),
      num_layers(checked(m, in, hidden, o).num_layers),
      bias(o.bias),
      batch_first(o.batch_first),
      dropout(o.dropout),
      bidirectional(o.bidirectional) {
  // PyTorch's reset_parameters: every weight and bias uniform in +-1/sqrt(hidden).
  const double k = 1.0 / std::sqrt(double(hidden));
  const int64_t g = gate_count(m) * hidden, dirs = bidirectional ? 2 : 1;
  auto uniform = [k](const Shape& s) { return rand(s) * (2 * k) - k; };
  for (int64_t layer = 0; layer < num_layers; ++layer) {
    const int64_t layer_in = layer == 0 ? in : hidden * dirs;
    for (int64_t d = 0; d < dirs; ++d) {
      const std::string sfx = fmt::format("_l{}{}", layer, d == 1 ? "_reverse" : "");
      Weights w{};
      w.w_ih = &register_parameter("weight_ih" + sfx, uniform({g, layer_in}));
      w.w_hh = &register_parameter("weight_hh" + sfx, uniform({g, hidden}));
      w.b_ih = &register_parameter("bias_ih" + sfx, bias ? uniform({g}) : Tensor());
      w.b_hh = &register_parameter("bias_hh" + sfx, bias ? uniform({g}) : Tensor());
      weights_.push_back(w);
    }
  }
}

RNN::RNN(int64_t in, int64_t hidden, const RNNOptions& o)
    : RNNBase(rnn_mode(o.nonlinearity), in, hidden, o) {}
LSTM::LSTM(int64_t in, int64_t hidden, const RNNOptions& o) : RNNBase(Mode::Lstm, in, hidden, o) {}
GRU::GRU(int64_t in, int64_t hidden, const RNNOptions& o) : RNNBase(Mode::Gru, in, hidden, o) {}

std::string RNNBase::extra_repr() const {
  std::string s = fmt::format("{}, {}", input_size, hidden_size);
  if (num_layers != 1) s += fmt::format(", num_layers={}", num_layers);
  if (!bias) s += ", bias=False";
  if (batch_first) s += ", batch_first=True";
  if (dropout != 0) s += ", dropout=" + py_float(dropout);
  if (bidirectional) s += ", bidirectional=True";
  return s;
}

Tensor RNNBase::forward(const Tensor& x) { return run(x, {}, {}, {}).output; }

RNNOutput RNNBase::forward(const Tensor& x, const Tensor& lengths, const Tensor& h0,
                           const Tensor& c0) {
  return scoped([&] { return run(x, lengths, h0, c0); });
}

namespace {

// valid[t]: (N, 1) bool, true where step t belongs to the sequence; empty
// without lengths. Note [variable-length sequences].
std::vector<Tensor> step_masks(const char* op, const Tensor& lengths, int64_t steps, int64_t batch,
                               const Shape& x_shape) {
  std::vector<Tensor> valid;
  if (!lengths.defined()) return valid;
  BRAID_CHECK(lengths.dtype() == DType::Int64, DTypeError, op, "lengths must be int64; got {}",
              dtype_name(lengths.dtype()));
  BRAID_CHECK(lengths.dim() == 1 && lengths.size(0) == batch, ShapeError, op,
              "lengths must be (N) = ({}); got input={}, lengths={}", batch, shape_str(x_shape),
              shape_str(lengths.shape()));
  const std::vector<int64_t> lens = lengths.to_vector<int64_t>();
  for (int64_t len : lens)
    BRAID_CHECK(len >= 1 && len <= steps, ValueError, op,
                "every length must be in [1, L={}]; got lengths={}", steps, lens);
  const Tensor mask = arange(steps).unsqueeze(1) < lengths.unsqueeze(0);  // (L, N)
  for (int64_t t = 0; t < steps; ++t) valid.push_back(mask.select(0, t).unsqueeze(1));
  return valid;
}

struct Step {
  Tensor h, c;
};

// One cell step: x (N, I), h / c (N, H) -> the new h (and c for the LSTM).
Step cell(RNNBase::Mode mode, const RNNBase::Weights& w, const Tensor& x, const Tensor& h,
          const Tensor& c) {
  switch (mode) {
    case RNNBase::Mode::Lstm: {
      LstmState s = lstm_cell(x, h, c, *w.w_ih, *w.w_hh, *w.b_ih, *w.b_hh);
      return {s.h, s.c};
    }
    case RNNBase::Mode::Gru: return {gru_cell(x, h, *w.w_ih, *w.w_hh, *w.b_ih, *w.b_hh), {}};
    default: {
      Tensor pre = linear(x, *w.w_ih, *w.b_ih) + linear(h, *w.w_hh, *w.b_hh);
      return {mode == RNNBase::Mode::RnnTanh ? tanh(pre) : relu(pre), {}};
    }
  }
}

// One direction of one layer over in (L, N, I) from state `s`; returns the
// outputs (L, N, H) and leaves the final state in `s`.
Tensor run_direction(RNNBase::Mode mode, const RNNBase::Weights& w, const Tensor& in, bool reverse,
                     const std::vector<Tensor>& valid, Step& s) {
  const int64_t steps = in.size(0);
  std::vector<Tensor> out(static_cast<size_t>(steps));
  for (int64_t i = 0; i < steps; ++i) {
    const int64_t t = reverse ? steps - 1 - i : i;
    Step next = cell(mode, w, in.select(0, t), s.h, s.c);
    if (valid.empty()) {
      s = next;
      out[size_t(t)] = next.h;
      continue;
    }
    // Finished (or, reversed, not yet started) sequences keep their state.
    const Tensor& v = valid[size_t(t)];
    s.h = where(v, next.h, s.h);
    if (next.c.defined()) s.c = where(v, next.c, s.c);
    out[size_t(t)] = where(v, next.h, zeros_like(next.h));
  }
  return stack(out, 0);
}

}  // namespace

RNNOutput RNNBase::run(const Tensor& x_in, const Tensor& lengths, const Tensor& h0_in,
                       const Tensor& c0_in) {
  const char* op = mode_name(mode);
  const bool lstm = mode == Mode::Lstm;
  const int64_t dirs = bidirectional ? 2 : 1;
  BRAID_CHECK(x_in.defined(), ValueError, op, "input must be defined");
  BRAID_CHECK(x_in.is_floating_point(), DTypeError, op, "input must be floating; got {}",
              dtype_name(x_in.dtype()));
  BRAID_CHECK((x_in.dim() == 2 || x_in.dim() == 3) && x_in.size(-1) == input_size, ShapeError, op,
              "input must be {} or unbatched (L, input_size={}); got input={}",
              batch_first ? fmt::format("(N, L, input_size={})", input_size)
                          : fmt::format("(L, N, input_size={})", input_size),
              input_size, shape_str(x_in.shape()));
  const bool unbatched = x_in.dim() == 2;
  // Time-major (L, N, I) inside.
  const Tensor x = unbatched ? x_in.unsqueeze(1) : batch_first ? x_in.transpose(0, 1) : x_in;
  const int64_t steps = x.size(0), batch = x.size(1);
  const Shape state_shape = unbatched ? Shape{num_layers * dirs, hidden_size}
                                      : Shape{num_layers * dirs, batch, hidden_size};
  for (const auto& [s, name] : {std::pair{&h0_in, "h0"}, std::pair{&c0_in, "c0"}})
    BRAID_CHECK(!s->defined() || s->shape() == state_shape, ShapeError, op,
                "{} must be (num_layers * num_directions, {}hidden_size) = {}; got input={}, {}={}",
                name, unbatched ? "" : "N, ", shape_str(state_shape), shape_str(x_in.shape()), name,
                shape_str(s->shape()));
  BRAID_CHECK(lstm || !c0_in.defined(), ValueError, op, "c0 is for LSTM only");
  BRAID_CHECK(!lstm || h0_in.defined() == c0_in.defined(), ValueError, op,
              "h0 and c0 must be given together");
  const std::vector<Tensor> valid = step_masks(op, lengths, steps, batch, x_in.shape());
  auto initial = [&](const Tensor& s) {
    if (!s.defined()) return zeros({num_layers * dirs, batch, hidden_size}, x.dtype());
    return unbatched ? s.unsqueeze(1) : s;
  };
  const Tensor h0 = initial(h0_in), c0 = lstm ? initial(c0_in) : Tensor();

  std::vector<Tensor> h_n, c_n;
  Tensor layer_in = x;
  for (int64_t layer = 0; layer < num_layers; ++layer) {
    std::vector<Tensor> dir_out;
    for (int64_t d = 0; d < dirs; ++d) {
      const int64_t idx = layer * dirs + d;
      Step s{h0.select(0, idx), lstm ? c0.select(0, idx) : Tensor()};
      dir_out.push_back(run_direction(mode, weights(layer, d), layer_in, d == 1, valid, s));
      h_n.push_back(s.h);
      if (lstm) c_n.push_back(s.c);
    }
    layer_in = dirs == 1 ? dir_out[0] : cat(dir_out, -1);
    if (layer + 1 < num_layers && dropout > 0 && is_training())
      layer_in = braid::dropout(layer_in, dropout, true);
  }

  RNNOutput r;
  r.output = unbatched ? layer_in.squeeze({1}) : batch_first ? layer_in.transpose(0, 1) : layer_in;
  r.h_n = unbatched ? stack(h_n, 0).squeeze({1}) : stack(h_n, 0);
  if (lstm) r.c_n = unbatched ? stack(c_n, 0).squeeze({1}) : stack(c_n, 0);
  return r;
}

}  // namespace braid::nn
