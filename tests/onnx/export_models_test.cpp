// Every example model (examples/models.hpp), traced in eval() and exported
// to ONNX: onnx's checker (with strict shape inference) accepts the model,
// and ONNX Runtime gives the executor's outputs (relative max diff <= 1e-5).
// Prints "[onnx] <model>: ... ORT max diff <d>" per model:
//   ./build/release/tests/braid_tests --gtest_filter='OnnxExportModels*'
#include <gtest/gtest.h>

#include "braid/graph/trace.hpp"
#include "models.hpp"
#include "onnx/ort_helper.hpp"

namespace braid {
namespace {

using runtime::Graph;
using testing::expect_ort_matches;

template <class M>
Graph trace_eval(M& m, const Tensor& x) {
  m.eval();
  return graph::trace(m, x);
}

// One ONNX Runtime run per test (each starts node): at another batch size
// than the trace's where the batch is free, which the ONNX model must take.
TEST(OnnxExportModels, MlpSequentialAtAnotherBatchSize) {
  manual_seed(11);
  auto seq = examples::mlp_sequential();
  Graph g = trace_eval(seq, randn({4, 1, 28, 28}));
  ASSERT_TRUE(g.dynamic_batch) << g.static_reason;
  expect_ort_matches(g, {randn({3, 1, 28, 28})}, "MLP (Sequential), traced at batch 4, run at 3");
}

TEST(OnnxExportModels, MlpClass) {
  manual_seed(12);
  examples::MLP mlp;
  expect_ort_matches(trace_eval(mlp, randn({2, 1, 28, 28})), {randn({5, 1, 28, 28})},
                     "MLP (class)");
}

TEST(OnnxExportModels, CnnSequential) {
  manual_seed(13);
  auto seq = examples::cnn_sequential();
  expect_ort_matches(trace_eval(seq, randn({2, 1, 28, 28})), {randn({3, 1, 28, 28})},
                     "CNN (Sequential)");
}

TEST(OnnxExportModels, CnnClass) {
  manual_seed(14);
  examples::CNN cnn;
  expect_ort_matches(trace_eval(cnn, randn({2, 1, 28, 28})), {randn({2, 1, 28, 28})},
                     "CNN (class)");
}

TEST(OnnxExportModels, BatchNormCnn) {
  manual_seed(15);
  auto net = examples::fashion_cnn();
  {  // Running statistics away from their initial values.
    NoGradGuard no_grad;
    net(randn({8, 1, 28, 28}) * 2 + 1);
  }
  Graph g = trace_eval(net, randn({2, 1, 28, 28}));
  expect_ort_matches(g, {randn({3, 1, 28, 28}) * 2 + 1}, "BatchNorm CNN (eval)");
}

TEST(OnnxExportModels, LstmWithLengths) {
  manual_seed(16);
  examples::LstmClassifier m;
  m.eval();
  Tensor x = randn({12, 5, 2}), lengths = tensor(std::vector<int64_t>{12, 3, 7, 1, 9});
  graph::TraceOptions o{.input_names = {"x", "lengths"}};
  for (auto& p : m.named_parameters()) o.named_constants.push_back(p);
  o.scope = [] { return nn::Module::current_path(); };
  Graph g = graph::trace(
      [&](const std::vector<Tensor>& in) { return std::vector<Tensor>{m.logits(in[0], in[1])}; },
      {x, lengths}, o);
  // Other lengths than the trace's: they are an input of the ONNX model, not constants.
  expect_ort_matches(g, {randn({12, 5, 2}), tensor(std::vector<int64_t>{2, 12, 1, 5, 5})},
                     "LSTM classifier");
}

TEST(OnnxExportModels, TransformerEncoderWithPaddingMask) {
  manual_seed(17);
  examples::TransformerModel m;
  m.eval();
  Tensor tokens = randint(0, m.kVocab, {3, m.kLen});
  auto padding_for = [&](std::vector<int64_t> lens) {
    return arange(m.kLen).unsqueeze(0) >= tensor(lens).unsqueeze(1);
  };
  graph::TraceOptions o{.input_names = {"tokens", "padding"}};
  for (auto& p : m.named_parameters()) o.named_constants.push_back(p);
  o.scope = [] { return nn::Module::current_path(); };
  Graph g = graph::trace(
      [&](const std::vector<Tensor>& in) { return std::vector<Tensor>{m.logits(in[0], in[1])}; },
      {tokens, padding_for({10, 4, 7})}, o);
  expect_ort_matches(g, {randint(0, m.kVocab, {3, m.kLen}), padding_for({5, 10, 1})},
                     "Transformer encoder + key padding mask");
}

TEST(OnnxExportModels, TransformerEncoderWithoutMask) {
  manual_seed(18);
  examples::TransformerModel m;
  m.eval();
  graph::TraceOptions o{.input_names = {"tokens"}};
  for (auto& p : m.named_parameters()) o.named_constants.push_back(p);
  Graph g = graph::trace(
      [&](const std::vector<Tensor>& in) { return std::vector<Tensor>{m.logits(in[0], {})}; },
      {randint(0, m.kVocab, {2, m.kLen})}, o);
  expect_ort_matches(g, {randint(0, m.kVocab, {2, m.kLen})}, "Transformer encoder, no mask");
}

}  // namespace
}  // namespace braid
