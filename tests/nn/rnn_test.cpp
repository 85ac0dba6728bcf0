// nn::RNN / LSTM / GRU: parity with PyTorch 1.13 (outputs, final states and
// gradients, fixed length and packed variable length; fixtures from
// scripts/gen_rnn_fixtures.py), names, printing, errors, dropout, and a
// small learning task over variable-length sequences.
#include <gtest/gtest.h>

#include <memory>

#include "braid/braid.hpp"
#include "braid/nn/rnn.hpp"
#include "braid/ops/loss.hpp"
#include "braid/ops/norm.hpp"
#include "core/test_util.hpp"
#include "nn/fixture_util.hpp"

namespace braid {
namespace {

using testing_nn::expect_close;
using testing_nn::from_json;
using testing_nn::json;

std::unique_ptr<nn::RNNBase> make_rnn(const json& c) {
  const json& o = c.at("options");
  nn::RNNOptions opt{.num_layers = o.at("num_layers").get<int64_t>(),
                     .nonlinearity = o.at("nonlinearity").get<std::string>(),
                     .batch_first = o.at("batch_first").get<bool>(),
                     .bidirectional = o.at("bidirectional").get<bool>()};
  const int64_t in = o.at("input_size").get<int64_t>(), hidden = o.at("hidden_size").get<int64_t>();
  const std::string m = c.at("module").get<std::string>();
  if (m == "LSTM") return std::make_unique<nn::LSTM>(in, hidden, opt);
  if (m == "GRU") return std::make_unique<nn::GRU>(in, hidden, opt);
  return std::make_unique<nn::RNN>(in, hidden, opt);
}

// Every case: the same parameter names (strict load), the same printing, the
// same outputs, final states and gradients (input, h0, c0, every parameter).
TEST(RNNParity, MatchesTorch) {
  const json fx = testing_nn::read_fixture("rnn.json");
  ASSERT_GE(fx.at("cases").size(), 40u);
  for (const json& c : fx.at("cases")) {
    const std::string name = c.at("name").get<std::string>();
    SCOPED_TRACE(name);
    std::unique_ptr<nn::RNNBase> m = make_rnn(c);
    m->eval();
    m->load_state_dict(testing_nn::state_from_json(c.at("state_dict")));
    EXPECT_EQ(m->str(), c.at("repr").get<std::string>());
    const json& in = c.at("inputs");
    Tensor x = from_json(in.at("input")).requires_grad_();
    Tensor h0 = in.contains("h0") ? from_json(in.at("h0")).requires_grad_() : Tensor();
    Tensor c0 = in.contains("c0") ? from_json(in.at("c0")).requires_grad_() : Tensor();
    Tensor lengths = c.contains("lengths") ? from_json(c.at("lengths")) : Tensor();
    nn::RNNOutput r = m->forward(x, lengths, h0, c0);
    const json& out = c.at("outputs");
    expect_close(r.output, out.at("output"), name + " output");
    expect_close(r.h_n, out.at("h_n"), name + " h_n");
    // push_back, not braces: g++ 12 -O3 warns (falsely) on an initializer list of Tensors.
    std::vector<Tensor> outs;
    outs.push_back(r.output);
    outs.push_back(r.h_n);
    if (out.contains("c_n")) {
      expect_close(r.c_n, out.at("c_n"), name + " c_n");
      outs.push_back(r.c_n);
    } else {
      EXPECT_FALSE(r.c_n.defined());
    }
    testing_nn::probe_loss(outs, c.at("probes")).backward();
    const json& g = c.at("grads");
    expect_close(x.grad(), g.at("input"), name + " grad input");
    if (h0.defined()) expect_close(h0.grad(), g.at("h0"), name + " grad h0");
    if (c0.defined()) expect_close(c0.grad(), g.at("c0"), name + " grad c0");
    for (const auto& [pname, p] : m->named_parameters())
      expect_close(p.grad(), g.at(pname), name + " grad " + pname);
  }
}

TEST(RNN, ParameterNamesShapesAndInit) {
  manual_seed(0);
  nn::LSTM lstm(3, 5, {.num_layers = 2, .bidirectional = true});
  std::vector<std::string> names;
  for (const auto& [n, p] : lstm.named_parameters()) names.push_back(n + shape_str(p.shape()));
  EXPECT_EQ(
      names,
      (std::vector<std::string>{
          "weight_ih_l0(20, 3)", "weight_hh_l0(20, 5)", "bias_ih_l0(20)", "bias_hh_l0(20)",
          "weight_ih_l0_reverse(20, 3)", "weight_hh_l0_reverse(20, 5)", "bias_ih_l0_reverse(20)",
          "bias_hh_l0_reverse(20)", "weight_ih_l1(20, 10)", "weight_hh_l1(20, 5)", "bias_ih_l1(20)",
          "bias_hh_l1(20)", "weight_ih_l1_reverse(20, 10)", "weight_hh_l1_reverse(20, 5)",
          "bias_ih_l1_reverse(20)", "bias_hh_l1_reverse(20)"}));
  // uniform(+-1/sqrt(hidden)): inside the bound, and spread over it.
  const double k = 1.0 / std::sqrt(5.0);
  for (const Tensor& p : lstm.parameters()) {
    EXPECT_LE(amax(abs(p)).item<double>(), k);
    EXPECT_GT(amax(abs(p)).item<double>(), 0.5 * k);
  }
  nn::GRU gru(2, 4, {.bias = false});
  EXPECT_EQ(gru.named_parameters().size(), 2u);
  EXPECT_EQ(gru.state_dict().size(), 2u);
  EXPECT_EQ(gru.str(), "GRU(2, 4, bias=False)");
  EXPECT_EQ(nn::RNN(2, 4, {.num_layers = 3, .nonlinearity = "relu", .dropout = 0.25}).str(),
            "RNN(2, 4, num_layers=3, dropout=0.25)");
  EXPECT_EQ(nn::LSTM(10, 20, {.num_layers = 2, .batch_first = true, .bidirectional = true}).str(),
            "LSTM(10, 20, num_layers=2, batch_first=True, bidirectional=True)");
}

TEST(RNN, UnbatchedAndSequentialForms) {
  manual_seed(1);
  nn::GRU gru(3, 4, {.num_layers = 2, .bidirectional = true});
  Tensor x = randn({5, 3});
  nn::RNNOutput one = gru.forward(x, {});
  EXPECT_EQ(one.output.shape(), (Shape{5, 8}));
  EXPECT_EQ(one.h_n.shape(), (Shape{4, 4}));
  nn::RNNOutput batched = gru.forward(x.unsqueeze(1), {});
  EXPECT_TRUE(all(eq(one.output, batched.output.squeeze({1}))).item<bool>());
  // operator() (as Sequential calls it) returns the output only.
  EXPECT_TRUE(all(eq(gru(x), one.output)).item<bool>());
}

TEST(RNN, DropoutBetweenLayersOnlyInTraining) {
  manual_seed(2);
  nn::LSTM lstm(3, 4, {.num_layers = 2, .dropout = 0.5});
  Tensor x = randn({6, 2, 3});
  lstm.eval();
  Tensor a = lstm(x), b = lstm(x);
  EXPECT_TRUE(all(eq(a, b)).item<bool>());
  lstm.train();
  manual_seed(7);
  Tensor t1 = lstm(x);
  manual_seed(7);
  Tensor t2 = lstm(x);
  EXPECT_TRUE(all(eq(t1, t2)).item<bool>());  // same seed, same mask
  EXPECT_FALSE(all(eq(t1, a)).item<bool>());
  // One layer: nothing to drop between.
  nn::LSTM single(3, 4, {.dropout = 0.5});
  Tensor s_eval = (single.eval(), single(x));
  single.train();
  EXPECT_TRUE(all(eq(single(x), s_eval)).item<bool>());
}

TEST(RNN, ErrorsNameTheLayer) {
  nn::LSTM lstm(3, 4, {.num_layers = 2});
  BRAID_EXPECT_THROW_MSG(
      lstm(ones({5, 2, 7})), ShapeError,
      "[LSTM] input must be (L, N, input_size=3) or unbatched (L, input_size=3); "
      "got input=(5, 2, 7)\n  in LSTM (LSTM 3, 4, num_layers=2)");
  BRAID_EXPECT_THROW_MSG(lstm.forward(ones({5, 2, 3}), {}, zeros({2, 3, 4}), zeros({2, 3, 4})),
                         ShapeError,
                         "[LSTM] h0 must be (num_layers * num_directions, N, hidden_size) = "
                         "(2, 2, 4); got input=(5, 2, 3), h0=(2, 3, 4)\n  in LSTM (LSTM 3, 4, "
                         "num_layers=2)");
  BRAID_EXPECT_THROW_HAS(lstm.forward(ones({5, 2, 3}), tensor({3, 6})), ValueError,
                         "[LSTM] every length must be in [1, L=5]; got lengths=[3, 6]");
  BRAID_EXPECT_THROW_HAS(lstm.forward(ones({5, 2, 3}), tensor({3})), ShapeError,
                         "[LSTM] lengths must be (N) = (2); got input=(5, 2, 3), lengths=(1)");
  BRAID_EXPECT_THROW_HAS(lstm.forward(ones({5, 2, 3}), tensor({3.0, 2.0})), DTypeError,
                         "[LSTM] lengths must be int64; got float32");
  BRAID_EXPECT_THROW_HAS(lstm.forward(ones({5, 2, 3}), {}, zeros({2, 2, 4})), ValueError,
                         "[LSTM] h0 and c0 must be given together");
  nn::GRU gru(3, 4);
  BRAID_EXPECT_THROW_HAS(gru.forward(ones({5, 2, 3}), {}, zeros({1, 2, 4}), zeros({1, 2, 4})),
                         ValueError, "[GRU] c0 is for LSTM only");
  BRAID_EXPECT_THROW_MSG(nn::RNN(3, 4, {.nonlinearity = "sigmoid"}), ValueError,
                         "[RNN] nonlinearity must be 'tanh' or 'relu'; got 'sigmoid'");
  BRAID_EXPECT_THROW_MSG(nn::GRU(3, 4, {.nonlinearity = "relu"}), ValueError,
                         "[GRU] nonlinearity is for RNN only; got 'relu'");
  BRAID_EXPECT_THROW_MSG(nn::LSTM(0, 4), ValueError,
                         "[LSTM] input_size and hidden_size must be positive; got input_size=0, "
                         "hidden_size=4");
  // Inside a Sequential the path names the layer.
  nn::Sequential seq{nn::Linear(2, 3), nn::GRU(5, 4)};
  BRAID_EXPECT_THROW_HAS(seq(ones({4, 1, 2})), ShapeError, "\n  in Sequential/1 (GRU 5, 4)");
}

// Count task over variable-length 0/1 sequences: is the number of ones among
// the first `length` steps at least 3? The padding holds random tokens, so
// only a model that honours the lengths can solve it.
struct CountTask {
  Tensor x, lengths, labels;
};
CountTask count_task(int64_t n, int64_t max_len) {
  Tensor tokens = randint(0, 2, {max_len, n});
  Tensor lengths = randint(1, max_len + 1, {n});
  Tensor valid = arange(max_len).unsqueeze(1) < lengths.unsqueeze(0);
  Tensor count = sum(tokens * valid.to(DType::Int64), {0});
  return {one_hot(tokens, 2).to(DType::Float32), lengths, (count >= 3).to(DType::Int64)};
}

TEST(RNN, LstmLearnsAVariableLengthCountTask) {
  manual_seed(3);
  struct Net : nn::Module {
    nn::LSTM& lstm = register_module("lstm", nn::LSTM(2, 12));
    nn::Linear& head = register_module("head", nn::Linear(12, 2));
    Tensor logits(const Tensor& x, const Tensor& lengths) {
      return head(lstm.forward(x, lengths).h_n.select(0, 0));
    }
  } net;
  optim::Adam adam(net.parameters(), {.lr = 0.03});
  const CountTask test = count_task(256, 8);
  auto accuracy = [&] {
    NoGradGuard ng;
    Tensor pred = argmax(net.logits(test.x, test.lengths), 1);
    return mean(eq(pred, test.labels).to(DType::Float32)).item<double>();
  };
  double acc = accuracy();
  for (int step = 0; step < 300 && acc <= 0.95; ++step) {
    const CountTask b = count_task(64, 8);
    adam.zero_grad();
    cross_entropy(net.logits(b.x, b.lengths), b.labels).backward();
    adam.step();
    if (step % 25 == 24) acc = accuracy();
  }
  EXPECT_GT(acc, 0.9);
}

}  // namespace
}  // namespace braid
