// compile(f)(x) == f(x) for every example model (examples/models.hpp), at two
// batch sizes each.
//
// Within kTol, since every model here has a step that computes its numbers
// another way than eager (Note [what compile changes in the numbers]): the
// small-batch linear kernel sums each dot product in k order (oneDNN blocks
// k); above 8 rows a linear with a constant weight is one packed oneDNN
// matmul (Note [packed linear]); conv -> relu -> conv -> relu -> pool runs
// as one oneDNN chain (Note [conv chains]); and a folded BatchNorm scales
// the weights before the sum instead of the sum.
// Both move a result by a few float32 ulps of the sum of its terms'
// magnitudes; for these layers (k up to 9216, outputs of order 1) that is
// below 1e-5, and kTol = 1e-4 * (1 + |y|) leaves a margin without letting a
// wrong index or a missed bias (errors of order 1e-2 and more) through.
#include "compile_test_util.hpp"
#include "models.hpp"

namespace braid {
namespace {

using testing_compile::bit_equal;
using testing_compile::close;

constexpr double kTol = 1e-4;

// The eager result of a module in eval mode, without autograd.
Tensor eager(nn::Module& m, const Tensor& x) {
  NoGradGuard no_grad;
  return m(x);
}

// Compiles m on a batch of `example` images and checks batches b1, b2:
// bit-exact when `exact` says so for that batch, else within kTol.
template <class M>
void check_images(M& m, int64_t example, int64_t b1, bool exact1, int64_t b2, bool exact2,
                  CompileOptions o = {}) {
  m.eval();
  CompiledModule c = compile(m, randn({example, 1, 28, 28}), o);
  EXPECT_TRUE(m.is_training() == false);
  for (auto [b, exact] : {std::pair{b1, exact1}, std::pair{b2, exact2}}) {
    Tensor x = randn({b, 1, 28, 28});
    Tensor want = eager(m, x);
    Tensor got = c(x);
    if (exact)
      EXPECT_TRUE(bit_equal(got, want)) << "batch " << b << "\n" << c.report();
    else
      EXPECT_TRUE(close(got, want, kTol)) << "batch " << b << "\n" << c.report();
    // A second call with the same shape runs the kept plan.
    EXPECT_TRUE(bit_equal(c(x), got)) << "batch " << b;
  }
}

TEST(CompileModels, MlpSequential) {
  manual_seed(10);
  auto m = examples::mlp_sequential();
  check_images(m, 4, 1, false, 32, false);
}

TEST(CompileModels, MlpClass) {
  manual_seed(11);
  examples::MLP m;
  check_images(m, 4, 3, false, 16, false);
}

TEST(CompileModels, CnnSequential) {
  manual_seed(12);
  auto m = examples::cnn_sequential();
  check_images(m, 2, 1, false, 12, false);
}

TEST(CompileModels, CnnClass) {
  manual_seed(13);
  examples::CNN m;
  check_images(m, 2, 2, false, 9, false);
}

TEST(CompileModels, BatchNormCnn) {
  manual_seed(14);
  auto m = examples::fashion_cnn();
  {  // Running statistics away from their initial values, so folding matters.
    NoGradGuard no_grad;
    m(randn({16, 1, 28, 28}) * 2 + 1);
  }
  check_images(m, 4, 1, false, 10, false);
  // Without folding, the BatchNorms run through the registry.
  check_images(m, 4, 2, false, 10, false, {.fold_batchnorm = false});
  m.eval();
  CompiledModule c = compile(m, randn({2, 1, 28, 28}));
  EXPECT_NE(c.report().find("folded batch_norm"), std::string::npos) << c.report();
  for (const runtime::Node& n : c.graph().nodes) EXPECT_NE(n.op, OpId::batch_norm);
}

TEST(CompileModels, CompileRestoresTrainingMode) {
  manual_seed(15);
  auto m = examples::mlp_sequential();
  m.train();
  CompiledModule c = compile(m, randn({2, 1, 28, 28}));
  EXPECT_TRUE(m.is_training());
  // The compiled graph is the eval one: dropout is gone, calls are deterministic.
  Tensor x = randn({5, 1, 28, 28});
  EXPECT_TRUE(bit_equal(c(x), c(x)));
  m.eval();
  EXPECT_TRUE(close(c(x), eager(m, x), kTol));
}

TEST(CompileModels, LstmWithLengths) {
  manual_seed(16);
  examples::LstmClassifier m;
  m.eval();
  Tensor x = randn({12, 5, 2}), lengths = tensor(std::vector<int64_t>{12, 3, 7, 1, 9});
  graph::TraceOptions o{.input_names = {"x", "lengths"}};
  for (auto& p : m.named_parameters()) o.named_constants.push_back(p);
  CompiledModule c = compile(graph::trace(
      [&](const std::vector<Tensor>& in) { return std::vector<Tensor>{m.logits(in[0], in[1])}; },
      {x, lengths}, o));
  NoGradGuard no_grad;
  // The head is a linear on 5 rows (the small-batch kernel): within kTol.
  EXPECT_TRUE(close(c({x, lengths})[0], m.logits(x, lengths), kTol)) << c.report();
  Tensor other = tensor(std::vector<int64_t>{2, 12, 1, 5, 5});
  EXPECT_TRUE(close(c({x, other})[0], m.logits(x, other), kTol));
}

TEST(CompileModels, TransformerEncoder) {
  manual_seed(17);
  examples::TransformerModel m;
  m.eval();
  Tensor tokens = randint(0, m.kVocab, {3, m.kLen});
  Tensor padding =
      arange(m.kLen).unsqueeze(0) >= tensor(std::vector<int64_t>{10, 4, 7}).unsqueeze(1);
  graph::TraceOptions o{.input_names = {"tokens", "padding"}};
  for (auto& p : m.named_parameters()) o.named_constants.push_back(p);
  runtime::Graph g = graph::trace(
      [&](const std::vector<Tensor>& in) { return std::vector<Tensor>{m.logits(in[0], in[1])}; },
      {tokens, padding}, o);
  ASSERT_TRUE(g.dynamic_batch) << g.static_reason;
  CompiledModule c = compile(std::move(g));
  NoGradGuard no_grad;
  // The compiled linears are oneDNN's packed matmul and the eager ones
  // braid's GEMM (Note [own gemm]): the same sums in a different order.
  const Tensor got = c({tokens, padding})[0];
  EXPECT_TRUE(close(got, m.logits(tokens, padding), kTol)) << c.report();
  EXPECT_TRUE(bit_equal(c({tokens, padding})[0], got));
  Tensor tokens5 = randint(0, m.kVocab, {5, m.kLen});
  Tensor padding5 = arange(m.kLen).unsqueeze(0) >= randint(1, m.kLen + 1, {5, 1});
  EXPECT_TRUE(close(c({tokens5, padding5})[0], m.logits(tokens5, padding5), kTol)) << c.report();
}

}  // namespace
}  // namespace braid
