// Every example model (examples/models.hpp) traced: the graph gives the eager
// model's outputs bit for bit, also after a JSON round trip, and at another
// batch size where the trace found the batch dimension free.
#include <gtest/gtest.h>

#include <cstring>

#include "braid/braid.hpp"
#include "braid/graph/trace.hpp"
#include "braid/runtime/executor.hpp"
#include "models.hpp"

namespace braid {
namespace {

using runtime::Graph;

bool equal(const Tensor& a, const Tensor& b) {
  if (a.shape() != b.shape() || a.dtype() != b.dtype()) return false;
  Tensor ca = a.contiguous(), cb = b.contiguous();
  return std::memcmp(ca.raw_data(), cb.raw_data(), ca.numel() * ca.element_size()) == 0;
}

std::vector<std::pair<std::string, Tensor>> constants_of(const Graph& g) {
  std::vector<std::pair<std::string, Tensor>> out;
  for (int id : g.constants()) out.emplace_back(g.values[id].name, g.values[id].data);
  return out;
}

// Runs g (and its JSON round trip) on `inputs` and checks each output equals
// `expected` exactly.
void expect_same(const Graph& g, const std::vector<Tensor>& inputs,
                 const std::vector<Tensor>& expected) {
  Graph copy = runtime::from_json(runtime::to_json(g), constants_of(g));
  for (const Graph* gr : {&g, static_cast<const Graph*>(&copy)}) {
    auto got = runtime::run(*gr, inputs);
    ASSERT_EQ(got.size(), expected.size());
    for (size_t i = 0; i < got.size(); ++i) {
      ASSERT_EQ(got[i].shape(), expected[i].shape());
      EXPECT_TRUE(equal(got[i], expected[i])) << "output " << i << " differs\n" << gr->str();
    }
  }
}

template <class M>
void check_single_input(M& m, Shape example, Shape other) {
  m.eval();
  Tensor x = randn(example), x2 = randn(other);
  Graph g = graph::trace(m, x);
  EXPECT_TRUE(g.dynamic_batch) << g.static_reason;
  NoGradGuard no_grad;
  expect_same(g, {x}, {m(x)});
  expect_same(g, {x2}, {m(x2)});
}

TEST(ExampleModels, MlpBothWays) {
  manual_seed(1);
  auto seq = examples::mlp_sequential();
  check_single_input(seq, {8, 1, 28, 28}, {1, 1, 28, 28});
  examples::MLP mlp;
  check_single_input(mlp, {8, 1, 28, 28}, {3, 1, 28, 28});
}

TEST(ExampleModels, CnnBothWays) {
  manual_seed(2);
  auto seq = examples::cnn_sequential();
  check_single_input(seq, {2, 1, 28, 28}, {3, 1, 28, 28});
  examples::CNN cnn;
  check_single_input(cnn, {2, 1, 28, 28}, {1, 1, 28, 28});
}

TEST(ExampleModels, BatchNormCnn) {
  manual_seed(3);
  auto net = examples::fashion_cnn();
  {  // Running statistics away from their initial values.
    Tensor warm = randn({16, 1, 28, 28}) * 2 + 1;
    net(warm);
  }
  check_single_input(net, {4, 1, 28, 28}, {2, 1, 28, 28});
}

TEST(ExampleModels, LstmWithLengths) {
  manual_seed(4);
  examples::LstmClassifier m;
  m.eval();
  Tensor x = randn({12, 5, 2}), lengths = tensor(std::vector<int64_t>{12, 3, 7, 1, 9});
  graph::TraceOptions o{.input_names = {"x", "lengths"}};
  for (auto& p : m.named_parameters()) o.named_constants.push_back(p);
  Graph g = graph::trace(
      [&](const std::vector<Tensor>& in) { return std::vector<Tensor>{m.logits(in[0], in[1])}; },
      {x, lengths}, o);
  NoGradGuard no_grad;
  expect_same(g, {x, lengths}, {m.logits(x, lengths)});
  // Other lengths, same shapes: the lengths are data, not part of the trace.
  Tensor other = tensor(std::vector<int64_t>{2, 12, 1, 5, 5});
  expect_same(g, {x, other}, {m.logits(x, other)});
  std::cout << "LSTM graph: " << g.nodes.size() << " nodes; batch "
            << (g.dynamic_batch ? "free" : "fixed: " + g.static_reason) << "\n";
}

TEST(ExampleModels, TransformerEncoder) {
  manual_seed(5);
  examples::TransformerModel m;
  m.eval();
  Tensor tokens = randint(0, m.kVocab, {3, m.kLen});
  Tensor padding =
      arange(m.kLen).unsqueeze(0) >= tensor(std::vector<int64_t>{10, 4, 7}).unsqueeze(1);
  graph::TraceOptions o{.input_names = {"tokens", "padding"}};
  for (auto& p : m.named_parameters()) o.named_constants.push_back(p);
  Graph g = graph::trace(
      [&](const std::vector<Tensor>& in) { return std::vector<Tensor>{m.logits(in[0], in[1])}; },
      {tokens, padding}, o);
  NoGradGuard no_grad;
  expect_same(g, {tokens, padding}, {m.logits(tokens, padding)});
  Tensor other = arange(m.kLen).unsqueeze(0) >= tensor(std::vector<int64_t>{5, 10, 1}).unsqueeze(1);
  expect_same(g, {tokens, other}, {m.logits(tokens, other)});
  // The attention reshapes hold the batch size; the graph marks them.
  ASSERT_TRUE(g.dynamic_batch) << g.static_reason;
  Tensor tokens5 = randint(0, m.kVocab, {5, m.kLen});
  Tensor padding5 = arange(m.kLen).unsqueeze(0) >= randint(1, m.kLen + 1, {5, 1});
  expect_same(g, {tokens5, padding5}, {m.logits(tokens5, padding5)});
  EXPECT_NE(g.str().find("= batch]"), std::string::npos);
}

}  // namespace
}  // namespace braid
