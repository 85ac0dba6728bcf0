// Layer configs (Note [layer config format]): the example models and a
// model of every supported layer rebuild from their config with the same
// printing, bit-identical outputs and gradients; unknown classes are
// refused by path; hostile configs get a ValueError naming layer and field.
#include "braid/io/layer_config.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <functional>
#include <nlohmann/json.hpp>
#include <set>

#include "braid/braid.hpp"
#include "core/test_util.hpp"

namespace braid {
namespace {

using nlohmann::json;

// -- the models ---------------------------------------------------------------------------

// As examples/mnist_tour.cpp and examples/fashion_cnn.cpp build them.
nn::Sequential mlp_sequential() {
  return nn::Sequential(nn::Flatten(), nn::Linear(784, 128), nn::ReLU(), nn::Dropout(0.2),
                        nn::Linear(128, 10));
}
nn::Sequential cnn_sequential() {
  return nn::Sequential(nn::Conv2d(1, 32, 3), nn::ReLU(), nn::Conv2d(32, 64, 3), nn::ReLU(),
                        nn::MaxPool2d(2), nn::Dropout(0.25), nn::Flatten(), nn::Linear(9216, 128),
                        nn::ReLU(), nn::Dropout(0.5), nn::Linear(128, 10));
}
nn::Sequential fashion_cnn() {
  return nn::Sequential(nn::Conv2d(1, 32, 3, {.padding = 1}), nn::BatchNorm2d(32), nn::ReLU(),
                        nn::MaxPool2d(2), nn::Conv2d(32, 64, 3, {.padding = 1}),
                        nn::BatchNorm2d(64), nn::ReLU(), nn::MaxPool2d(2), nn::Flatten(),
                        nn::Linear(64 * 7 * 7, 128), nn::ReLU(), nn::Dropout(0.3),
                        nn::Linear(128, 10));
}

// Every layer with a config but Embedding, most with non-default settings;
// x: (2, 3, 8, 8) -> (2, 10). The shape after each layer is on its right.
nn::Sequential every_layer() {
  return nn::Sequential(
      nn::Conv2d(3, 4, 3, {.padding = 1, .padding_mode = "reflect"}),  // (2, 4, 8, 8)
      nn::BatchNorm2d(4, {.momentum = std::nullopt}), nn::GroupNorm(2, 4, {.eps = 1e-3}),
      nn::LeakyReLU(0.2), nn::MaxPool2d(2, {.ceil_mode = true}),    // (2, 4, 4, 4)
      nn::ConvTranspose2d(4, 4, 2, {.stride = 2}),                  // (2, 4, 8, 8)
      nn::AvgPool2d({2, 2}, {.stride = 2, .divisor_override = 3}),  // (2, 4, 4, 4)
      nn::AdaptiveMaxPool2d({3, 3}), nn::AdaptiveAvgPool2d(2),      // (2, 4, 2, 2)
      nn::ELU(0.5), nn::Flatten(2),                                 // (2, 4, 4)
      nn::Conv1d(4, 6, 3, {.padding = "same", .bias = false}),      // (2, 6, 4)
      nn::BatchNorm1d(6, {.affine = false}), nn::Flatten(), nn::Linear(24, 24), nn::ReLU(),
      nn::Unflatten(1, {4, -1}),  // (2, 4, 6)
      nn::LSTM(6, 8, {.num_layers = 2, .batch_first = true, .dropout = 0.1, .bidirectional = true}),
      nn::GRU(16, 8, {.batch_first = true}),
      nn::RNN(8, 8, {.nonlinearity = "relu", .bias = false, .batch_first = true}),  // (2, 4, 8)
      nn::LayerNorm(8, {.elementwise_affine = false}),
      nn::MultiheadAttention(8, 2, {.batch_first = true}),
      nn::TransformerEncoderLayer(
          8, 2,
          {.dim_feedforward = 16, .activation = "gelu", .batch_first = true, .norm_first = true}),
      nn::TransformerEncoder(
          nn::TransformerEncoderLayer(8, 2, {.dim_feedforward = 16, .batch_first = true}), 2, true),
      nn::GELU("tanh"), nn::SiLU(), nn::Tanh(), nn::Sigmoid(), nn::Dropout(0.3), nn::Identity(),
      nn::Sequential(nn::Flatten(), nn::Linear(32, 10, false)),  // (2, 10)
      nn::Softmax(1), nn::LogSoftmax(-1));
}

// Embedding: int64 (L, N) -> (L, N * 4).
nn::Sequential embedding_model() {
  return nn::Sequential(nn::Embedding(10, 6, {.padding_idx = -1}), nn::LSTM(6, 4), nn::Flatten());
}

// -- helpers ------------------------------------------------------------------------------

void expect_same_bits(const Tensor& a, const Tensor& b, const std::string& what) {
  ASSERT_EQ(a.shape(), b.shape()) << what;
  ASSERT_EQ(a.dtype(), b.dtype()) << what;
  const Tensor ca = a.contiguous(), cb = b.contiguous();
  EXPECT_EQ(std::memcmp(ca.raw_data(), cb.raw_data(), size_t(a.numel()) * a.element_size()), 0)
      << what << " differs";
}

// Rebuilds `model` from its config (through JSON text, as a model file holds
// it), loads its state, and checks printing, state, eval outputs, and that
// the copy trains: same gradients as the original for the same dropout draws.
nn::Sequential round_trip(nn::Sequential& model, const Tensor& x) {
  const json cfg = json::parse(io::layer_config(model).dump());
  nn::Sequential copy = io::sequential_from_config(cfg);
  copy.load_state_dict(model.state_dict());
  EXPECT_EQ(copy.str(), model.str());
  EXPECT_EQ(io::layer_config(copy), cfg);
  const nn::StateDict a = model.state_dict(), b = copy.state_dict();
  EXPECT_EQ(a.size(), b.size());
  for (const auto& [name, t] : a) expect_same_bits(t, b.at(name), name);

  model.eval();
  copy.eval();
  expect_same_bits(model(x), copy(x), "eval output");

  model.train();
  copy.train();
  auto grads = [&](nn::Sequential& m) {
    m.zero_grad();
    manual_seed(7);
    Tensor y = m(x);
    sum(y * y).backward();
    std::vector<Tensor> g;
    for (const Tensor& p : m.parameters()) {
      if (!p.requires_grad()) continue;
      EXPECT_TRUE(p.grad().defined());
      g.push_back(p.grad());
    }
    return g;
  };
  const std::vector<Tensor> ga = grads(model), gb = grads(copy);
  EXPECT_EQ(ga.size(), gb.size());
  for (size_t i = 0; i < std::min(ga.size(), gb.size()); ++i)
    expect_same_bits(ga[i], gb[i], "gradient " + std::to_string(i));
  return copy;
}

// Every "class" in a config, nested ones included.
void collect_classes(const json& j, std::set<std::string>& out) {
  if (j.is_object()) {
    if (j.contains("class") && j["class"].is_string()) out.insert(j["class"].get<std::string>());
    for (const auto& [k, v] : j.items()) collect_classes(v, out);
  } else if (j.is_array()) {
    for (const json& v : j) collect_classes(v, out);
  }
}

// -- what a config holds ------------------------------------------------------------------

TEST(LayerConfig, HoldsEveryConstructorArgument) {
  manual_seed(0);
  EXPECT_EQ(io::layer_config(nn::Linear(784, 128)),
            json::parse(R"({"class": "Linear", "config": {"in_features": 784,
                            "out_features": 128, "bias": true}})"));
  EXPECT_EQ(io::layer_config(nn::Sequential(nn::Flatten(), nn::Dropout(0.2), nn::ReLU())),
            json::parse(R"({"class": "Sequential", "config": {"layers": [
                {"class": "Flatten", "config": {"start_dim": 1, "end_dim": -1}},
                {"class": "Dropout", "config": {"p": 0.2}},
                {"class": "ReLU", "config": {}}]}})"));
  EXPECT_EQ(io::layer_config(nn::Conv2d(1, 32, 3, {.padding = "same"}))["config"],
            json::parse(R"({"in_channels": 1, "out_channels": 32, "kernel_size": [3, 3],
                            "stride": [1, 1], "padding": "same", "dilation": [1, 1],
                            "groups": 1, "bias": true, "padding_mode": "zeros"})"));
  // Pooling sizes stay as written (PyTorch prints them so).
  EXPECT_EQ(io::layer_config(nn::MaxPool2d(2))["config"],
            json::parse(R"({"kernel_size": 2, "stride": 2, "padding": 0, "dilation": 1,
                            "ceil_mode": false})"));
  EXPECT_EQ(io::layer_config(nn::BatchNorm2d(3, {.momentum = std::nullopt}))["config"],
            json::parse(R"({"num_features": 3, "eps": 1e-5, "momentum": null, "affine": true,
                            "track_running_stats": true})"));
  const json lstm = io::layer_config(nn::LSTM(6, 8, {.num_layers = 2}))["config"];
  EXPECT_FALSE(lstm.contains("nonlinearity"));
  EXPECT_EQ(io::layer_config(nn::RNN(6, 8))["config"]["nonlinearity"], "tanh");
}

TEST(LayerConfig, KnowsEveryLayerItClaims) {
  manual_seed(0);
  nn::Sequential a = every_layer(), b = embedding_model();
  std::set<std::string> seen;
  collect_classes(io::layer_config(a), seen);
  collect_classes(io::layer_config(b), seen);
  const std::vector<std::string> known = io::layer_config_classes();
  EXPECT_EQ(seen, std::set<std::string>(known.begin(), known.end()));
  EXPECT_EQ(known.size(), 33u);
}

// -- round trips ---------------------------------------------------------------------------

TEST(LayerConfig, MnistMlpRoundTrips) {
  manual_seed(0);
  nn::Sequential model = mlp_sequential();
  round_trip(model, randn({4, 1, 28, 28}));
}

TEST(LayerConfig, MnistCnnRoundTrips) {
  manual_seed(0);
  nn::Sequential model = cnn_sequential();
  round_trip(model, randn({1, 1, 28, 28}));
}

TEST(LayerConfig, FashionCnnRoundTripsWithRunningStatistics) {
  manual_seed(0);
  nn::Sequential model = fashion_cnn();
  model(randn({2, 1, 28, 28}));  // moves the running statistics off their start
  round_trip(model, randn({1, 1, 28, 28}));
}

TEST(LayerConfig, EveryLayerRoundTrips) {
  manual_seed(0);
  nn::Sequential model = every_layer();
  model(randn({2, 3, 8, 8}));
  round_trip(model, randn({2, 3, 8, 8}));
}

TEST(LayerConfig, EmbeddingModelRoundTrips) {
  manual_seed(0);
  nn::Sequential model = embedding_model();
  nn::Sequential copy = round_trip(model, randint(0, 10, {3, 5}));
  EXPECT_EQ(dynamic_cast<nn::Embedding&>(copy[0]).padding_idx, 9);
}

TEST(LayerConfig, KeepsDtypeAndFrozenParameters) {
  manual_seed(0);
  nn::Sequential model(nn::Linear(4, 3), nn::ReLU(), nn::Linear(3, 2));
  model.to(DType::Float64);
  dynamic_cast<nn::Linear&>(model[0]).weight.requires_grad_(false);
  const json cfg = io::layer_config(model);
  EXPECT_EQ(cfg["config"]["layers"][0]["dtype"], "float64");
  EXPECT_EQ(cfg["config"]["layers"][0]["frozen"], json::parse(R"(["weight"])"));
  EXPECT_FALSE(cfg["config"]["layers"][1].contains("dtype"));  // no tensors
  EXPECT_FALSE(cfg["config"]["layers"][2].contains("frozen"));
  nn::Sequential copy = round_trip(model, randn({5, 4}, DType::Float64));
  const auto& first = dynamic_cast<nn::Linear&>(copy[0]);
  EXPECT_EQ(first.weight.dtype(), DType::Float64);
  EXPECT_FALSE(first.weight.requires_grad());
  EXPECT_TRUE(first.bias.requires_grad());
}

TEST(LayerConfig, OmittedFieldsTakePyTorchDefaults) {
  manual_seed(0);
  auto built = [](const char* text) { return io::layer_from_config(json::parse(text))->str(); };
  EXPECT_EQ(built(R"({"class": "Linear", "config": {"in_features": 3, "out_features": 2}})"),
            nn::Linear(3, 2).str());
  EXPECT_EQ(built(R"({"class": "Conv2d", "config": {"in_channels": 1, "out_channels": 2,
                      "kernel_size": [3, 1], "padding": 1}})"),
            nn::Conv2d(1, 2, {3, 1}, {.padding = 1}).str());
  EXPECT_EQ(built(R"({"class": "MaxPool2d", "config": {"kernel_size": [2, 2], "stride": null}})"),
            nn::MaxPool2d({2, 2}).str());
  EXPECT_EQ(built(R"({"class": "TransformerEncoder", "config": {"num_layers": 2, "encoder_layer":
                      {"class": "TransformerEncoderLayer", "config": {"d_model": 4, "nhead": 2}}}})"),
            nn::TransformerEncoder(nn::TransformerEncoderLayer(4, 2), 2).str());
}

// The element budget counts what the state dict will hold, exactly, so a
// model file can pass its own element count as ConfigLimits::max_elements.
TEST(LayerConfig, BudgetCountsExactlyTheStateDict) {
  manual_seed(0);
  std::vector<nn::Sequential> models;
  models.push_back(every_layer());
  models.push_back(embedding_model());
  models.push_back(mlp_sequential());
  models.push_back(nn::Sequential(
      nn::Conv2d(4, 6, 3, {.groups = 2}), nn::BatchNorm2d(6, {.track_running_stats = false}),
      nn::GroupNorm(3, 6, {.affine = false}), nn::LayerNorm(std::vector<int64_t>{2, 3}),
      nn::RNN(4, 3, {.num_layers = 3, .bias = false, .bidirectional = true}),
      nn::GRU(3, 2, {.num_layers = 2}), nn::MultiheadAttention(4, 2, {.bias = false}),
      nn::ConvTranspose2d(4, 6, 3, {.groups = 2, .bias = false}),
      nn::Conv1d(4, 2, 3, {.groups = 2}),
      nn::TransformerEncoder(nn::TransformerEncoderLayer(4, 2, {.dim_feedforward = 3}), 3)));
  for (nn::Sequential& model : models) {
    int64_t total = 0;
    for (const auto& [name, t] : model.state_dict()) total += t.numel();
    const json cfg = io::layer_config(model);
    EXPECT_NO_THROW(io::layer_from_config(cfg, {.max_elements = total})) << model.str();
    BRAID_EXPECT_THROW_HAS(io::layer_from_config(cfg, {.max_elements = total - 1}), ValueError,
                           "ConfigLimits::max_elements");
  }
}

// -- refusals ------------------------------------------------------------------------------

struct MyBlock : nn::Module {
  nn::Linear& fc = register_module("fc", nn::Linear(2, 2));
  Tensor forward(const Tensor& x) override { return fc(x); }
};
struct MyLinear : nn::Linear {
  using nn::Linear::Linear;
};

TEST(LayerConfig, RefusesModulesItCannotDescribeByPath) {
  manual_seed(0);
  BRAID_EXPECT_THROW_MSG(
      io::layer_config(nn::Sequential(nn::Linear(2, 2), nn::ReLU(), nn::Linear(2, 2), MyBlock())),
      ValueError,
      "[layer_config] layer 3 (MyBlock): no layer config; save the weights and the graph instead");
  BRAID_EXPECT_THROW_MSG(
      io::layer_config(nn::Sequential(nn::ReLU(), nn::Sequential(nn::ReLU(), MyLinear(2, 2)))),
      ValueError,
      "[layer_config] layer 1.1 (MyLinear): no layer config; save the weights and the graph "
      "instead");
  BRAID_EXPECT_THROW_MSG(io::layer_config(MyBlock()), ValueError,
                         "[layer_config] MyBlock: no layer config; save the weights and the graph "
                         "instead");
  BRAID_EXPECT_THROW_HAS(io::layer_config(nn::Sequential(nn::MSELoss())), ValueError,
                         "layer 0 (MSELoss): no layer config");
  BRAID_EXPECT_THROW_HAS(io::layer_config(nn::ModuleList{nn::ReLU()}), ValueError,
                         "ModuleList: no layer config");
}

}  // namespace
}  // namespace braid
