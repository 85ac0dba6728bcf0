// Our own exports read back: every example model traced, exported to ONNX,
// imported into a new graph and run by the executor gives the eager model's
// outputs. Import fixes a symbolic batch dim to 1 (onnx::import_onnx), so
// models with a free batch are checked at batch 1.
#include <gtest/gtest.h>

#include "braid/braid.hpp"
#include "braid/onnx/onnx.hpp"
#include "models.hpp"

namespace braid {
namespace {

using runtime::Graph;

double max_rel_diff(const Tensor& a, const Tensor& b) {
  double scale = std::max(1.0, max(abs(b)).item<double>());
  return max(abs(a.to(DType::Float64) - b.to(DType::Float64))).item<double>() / scale;
}

void expect_round_trip(const Graph& g, const std::vector<Tensor>& inputs, const char* name) {
  std::string bytes = onnx::export_onnx_bytes(g);
  Graph back = onnx::import_onnx_bytes(bytes, name);
  ASSERT_EQ(back.inputs.size(), g.inputs.size()) << name;
  auto want = runtime::run(g, inputs);
  auto got = runtime::run(back, inputs);
  ASSERT_EQ(got.size(), want.size()) << name;
  for (size_t i = 0; i < got.size(); ++i) {
    ASSERT_EQ(got[i].shape(), want[i].shape()) << name;
    EXPECT_LE(max_rel_diff(got[i], want[i]), 1e-5) << name << " output " << i;
  }
}

template <class M>
void single(M& m, const char* name) {
  m.eval();
  Graph g = graph::trace(m, randn({2, 1, 28, 28}));
  expect_round_trip(g, {randn({1, 1, 28, 28})}, name);
}

TEST(OnnxRoundTrip, MnistModels) {
  manual_seed(31);
  auto mlp = examples::mlp_sequential();
  single(mlp, "mlp_sequential");
  examples::MLP mlp2;
  single(mlp2, "MLP");
  auto cnn = examples::cnn_sequential();
  single(cnn, "cnn_sequential");
  examples::CNN cnn2;
  single(cnn2, "CNN");
}

TEST(OnnxRoundTrip, BatchNormCnn) {
  manual_seed(32);
  auto net = examples::fashion_cnn();
  {
    NoGradGuard no_grad;
    net(randn({8, 1, 28, 28}) * 2 + 1);
  }
  single(net, "fashion_cnn");
}

TEST(OnnxRoundTrip, LstmAndTransformer) {
  manual_seed(33);
  examples::LstmClassifier lstm;
  lstm.eval();
  Tensor x = randn({12, 3, 2}), lengths = tensor(std::vector<int64_t>{12, 4, 7});
  graph::TraceOptions o{.input_names = {"x", "lengths"}};
  for (auto& p : lstm.named_parameters()) o.named_constants.push_back(p);
  Graph g = graph::trace(
      [&](const std::vector<Tensor>& in) { return std::vector<Tensor>{lstm.logits(in[0], in[1])}; },
      {x, lengths}, o);
  expect_round_trip(g, {randn({12, 3, 2}), tensor(std::vector<int64_t>{1, 12, 5})}, "lstm");

  examples::TransformerModel tr;
  tr.eval();
  graph::TraceOptions ot{.input_names = {"tokens", "padding"}};
  for (auto& p : tr.named_parameters()) ot.named_constants.push_back(p);
  auto padding_for = [&](std::vector<int64_t> lens) {
    return arange(tr.kLen).unsqueeze(0) >= tensor(lens).unsqueeze(1);
  };
  Graph gt = graph::trace(
      [&](const std::vector<Tensor>& in) { return std::vector<Tensor>{tr.logits(in[0], in[1])}; },
      {randint(0, tr.kVocab, {2, tr.kLen}), padding_for({10, 3})}, ot);
  // The attention reshapes hold the traced batch (Node::batch_attrs), which
  // the export keeps as static shapes: the round trip runs at that batch.
  expect_round_trip(gt, {randint(0, tr.kVocab, {2, tr.kLen}), padding_for({6, 9})}, "transformer");
}

}  // namespace
}  // namespace braid
