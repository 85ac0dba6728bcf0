// Each graph pass of braid::compile alone (compile/passes.hpp): the graph it
// leaves runs on the plain executor and gives the same results as before.
#include "compile_test_util.hpp"

namespace braid {
namespace {

using runtime::Graph;
using testing_compile::bit_equal;
using testing_compile::close;

int count(const Graph& g, OpId op) {
  int k = 0;
  for (const runtime::Node& n : g.nodes) k += n.op == op;
  return k;
}

Tensor run1(const Graph& g, const Tensor& x) {
  std::vector<Tensor> in{x};
  return runtime::run(g, in)[0];
}

Graph trace_eval(nn::Module& m, const Tensor& x) {
  m.eval();
  NoGradGuard no_grad;
  return graph::trace(m, x);
}

TEST(FoldBatchnorm, ConvThenBatchNormBecomesOneConv) {
  manual_seed(20);
  nn::Sequential m(nn::Conv2d(3, 8, 3, {.padding = 1}), nn::BatchNorm2d(8), nn::ReLU());
  {
    NoGradGuard no_grad;
    m(randn({8, 3, 6, 6}) * 3 + 2);  // running statistics away from 0 and 1
  }
  Graph g = trace_eval(m, randn({2, 3, 6, 6}));
  Graph folded = g;
  compiler::PassLog log;
  EXPECT_EQ(compiler::fold_batchnorm(folded, &log), 1);
  EXPECT_EQ(count(folded, OpId::batch_norm), 0);
  EXPECT_EQ(count(folded, OpId::conv2d), 1);
  ASSERT_EQ(log.size(), 1u);
  EXPECT_NE(log[0].find("into conv2d"), std::string::npos) << log[0];
  runtime::validate(folded);
  Tensor x = randn({4, 3, 6, 6});
  // The scale multiplies the weights before the sum: a few ulps.
  EXPECT_TRUE(close(run1(folded, x), run1(g, x), 1e-5));
}

TEST(FoldBatchnorm, LinearThenBatchNorm1d) {
  manual_seed(21);
  nn::Sequential m(nn::Linear(5, 4), nn::BatchNorm1d(4));
  {
    NoGradGuard no_grad;
    m(randn({16, 5}) * 2 - 1);
  }
  Graph g = trace_eval(m, randn({3, 5}));
  Graph folded = g;
  EXPECT_EQ(compiler::fold_batchnorm(folded), 1);
  EXPECT_EQ(count(folded, OpId::batch_norm), 0);
  Tensor x = randn({6, 5});
  EXPECT_TRUE(close(run1(folded, x), run1(g, x), 1e-5));
}

TEST(FoldBatchnorm, LeavesTrainingModeAndSharedOutputs) {
  manual_seed(22);
  nn::Sequential m(nn::Conv2d(2, 4, 3), nn::BatchNorm2d(4));
  m.train();
  Graph train_graph;
  {
    NoGradGuard no_grad;
    train_graph = graph::trace(m, randn({2, 2, 5, 5}), {.check_batch = false});
  }
  EXPECT_EQ(compiler::fold_batchnorm(train_graph), 0);  // batch statistics: not constant
  // The conv's output is also a graph output: folding would change it.
  m.eval();
  Graph g = graph::trace(
      [&](const std::vector<Tensor>& in) {
        Tensor y = m[0](in[0]);
        return std::vector<Tensor>{y, m[1](y)};
      },
      {randn({2, 2, 5, 5})});
  EXPECT_EQ(compiler::fold_batchnorm(g), 0);
}

TEST(EliminateDeadCode, RemovesEvalDropoutAndUnusedNodes) {
  manual_seed(23);
  Tensor w = randn({4, 4});
  Graph g = graph::trace(
      [&](const std::vector<Tensor>& in) {
        Tensor unused = exp(in[0]) * 3;  // nothing reads it
        (void)unused;
        Tensor h = dropout(relu(in[0]), 0.5, false);
        return std::vector<Tensor>{matmul(h, w)};
      },
      {randn({2, 4})});
  const size_t before = g.nodes.size();
  Graph clean = g;
  compiler::PassLog log;
  EXPECT_EQ(compiler::eliminate_dead_code(clean, &log), 3) << clean.str();
  EXPECT_EQ(clean.nodes.size(), before - 3);
  EXPECT_EQ(count(clean, OpId::dropout), 0);
  EXPECT_EQ(count(clean, OpId::exp), 0);
  runtime::validate(clean);
  Tensor x = randn({3, 4});
  EXPECT_TRUE(bit_equal(run1(clean, x), run1(g, x)));
}

TEST(EliminateDeadCode, KeepsAnIdentityThatMakesAnOutput) {
  Graph g = graph::trace(
      [](const std::vector<Tensor>& in) { return std::vector<Tensor>{dropout(in[0], 0.1, false)}; },
      {randn({2, 3})});
  EXPECT_EQ(compiler::eliminate_dead_code(g), 0);
  EXPECT_EQ(g.values[g.outputs[0]].name, "output");
}

TEST(FoldConstants, EvaluatesNodesOfConstantsOnce) {
  manual_seed(24);
  Tensor w = randn({3, 4}), b = randn({3});
  Graph g = graph::trace(
      [&](const std::vector<Tensor>& in) {
        Tensor scaled = transpose(w, 0, 1) * 2;  // constants only: folded
        return std::vector<Tensor>{matmul(in[0], scaled) + b};
      },
      {randn({2, 4})});
  Graph folded = g;
  EXPECT_EQ(compiler::fold_constants(folded), 2) << folded.str();  // transpose, mul
  compiler::eliminate_dead_code(folded);
  EXPECT_EQ(count(folded, OpId::mul), 0);
  EXPECT_EQ(folded.nodes.size(), 2u) << folded.str();  // matmul, add
  runtime::validate(folded);
  // The same kernels on the same operands, only earlier: the same bits.
  Tensor x = randn({5, 4});
  EXPECT_TRUE(bit_equal(run1(folded, x), run1(g, x)));
}

TEST(FoldConstants, LeavesRandomOpsAndBatchSizedNodes) {
  Graph g = graph::trace(
      [](const std::vector<Tensor>& in) {
        Tensor noise = dropout(ones({2, 3}), 0.5, true);  // random: kept
        return std::vector<Tensor>{in[0] + noise};
      },
      {randn({2, 3})}, {.check_batch = false});
  EXPECT_EQ(compiler::fold_constants(g), 0);
}

TEST(FindFusions, LinearAndConvTakeTheirActivation) {
  manual_seed(25);
  auto mlp =
      nn::Sequential(nn::Flatten(), nn::Linear(12, 8), nn::ReLU(), nn::Linear(8, 3), nn::Sigmoid());
  Graph g = trace_eval(mlp, randn({2, 3, 4}));
  auto groups = compiler::find_fusions(g);
  ASSERT_EQ(groups.size(), 2u) << g.str();
  for (const auto& f : groups) {
    EXPECT_EQ(f.kind, compiler::FusionKind::Epilogue);
    ASSERT_EQ(f.nodes.size(), 2u);
    EXPECT_EQ(g.nodes[f.nodes[0]].op, OpId::linear);
  }
  EXPECT_EQ(g.nodes[groups[1].nodes[1]].op, OpId::sigmoid);

  auto cnn = nn::Sequential(nn::Conv2d(1, 2, 3), nn::GELU(), nn::Tanh());
  Graph gc = trace_eval(cnn, randn({1, 1, 5, 5}));
  auto gcs = compiler::find_fusions(gc);
  ASSERT_EQ(gcs.size(), 1u);
  EXPECT_EQ(gcs[0].nodes.size(), 3u);  // conv2d -> gelu -> tanh
}

TEST(FindFusions, ElementwiseChainsStopWhereAValueIsShared) {
  Tensor c = full({4}, 0.5);
  Graph g = graph::trace(
      [&](const std::vector<Tensor>& in) {
        Tensor a = exp(in[0] * 2 + 1);  // mul -> add -> exp: one loop
        Tensor s = sigmoid(a) - c;      // a is read twice: a new chain starts
        return std::vector<Tensor>{a * s};
      },
      {randn({3, 4})});
  auto groups = compiler::find_fusions(g);
  ASSERT_GE(groups.size(), 1u) << g.str();
  EXPECT_EQ(groups[0].kind, compiler::FusionKind::Elementwise);
  ASSERT_EQ(groups[0].nodes.size(), 3u);
  EXPECT_EQ(g.nodes[groups[0].nodes.back()].op, OpId::exp);
  for (const auto& f : groups)
    for (size_t k = 0; k + 1 < f.nodes.size(); ++k)
      EXPECT_NE(g.nodes[f.nodes[k]].outputs[0], g.nodes[groups[0].nodes.back()].outputs[0]);
}

}  // namespace
}  // namespace braid
