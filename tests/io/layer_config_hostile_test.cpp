// Hostile layer configs: every missing, mistyped, out-of-range or unknown
// field is a ValueError that names the layer (by index path) and the field;
// limits stop configs that would exhaust memory or the stack; and a sweep
// over every field of a full config with bad values never crashes.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <nlohmann/json.hpp>

#include "braid/braid.hpp"
#include "braid/io/layer_config.hpp"
#include "core/test_util.hpp"

namespace braid {
namespace {

using nlohmann::json;

void expect_refused(const json& cfg, const std::string& msg) {
  BRAID_EXPECT_THROW_MSG(io::layer_from_config(cfg), ValueError, msg);
}
json linear(json config) { return {{"class", "Linear"}, {"config", std::move(config)}}; }
json seq(json layers) {
  return {{"class", "Sequential"}, {"config", {{"layers", std::move(layers)}}}};
}

TEST(LayerConfigHostile, EntriesMustBeWellFormed) {
  const std::string p = "[layer_from_config] ";
  expect_refused(
      json::array({1, 2}),
      p + "config: an entry must be an object {\"class\": ..., \"config\": {...}}; got [1,2]");
  expect_refused(json::parse(R"({"config": {}})"),
                 p + "config: 'class' must be a string naming a layer; got nothing");
  expect_refused(json::parse(R"({"class": 7, "config": {}})"),
                 p + "config: 'class' must be a string naming a layer; got 7");
  BRAID_EXPECT_THROW_HAS(
      io::layer_from_config(json::parse(R"({"class": "MyBlock", "config": {}})")), ValueError,
      p + "config: unknown class \"MyBlock\"; known: Sequential, Linear, Conv1d");
  expect_refused(json::parse(R"({"class": "ReLU"})"), p + "ReLU: 'config' is missing");
  expect_refused(json::parse(R"({"class": "ReLU", "config": []})"),
                 p + "ReLU: 'config' must be an object; got []");
  expect_refused(json::parse(R"({"class": "ReLU", "config": {}, "trainable": false})"),
                 p + "ReLU: unknown key \"trainable\" beside 'class' and 'config'; known: class, "
                     "config, dtype, frozen");
  expect_refused(json::parse(R"({"class": "ReLU", "config": {"inplace": true}})"),
                 p + "ReLU: unknown field \"inplace\"; it takes none");
  expect_refused(seq(5), p + "Sequential: field 'layers' must be a list; got 5");
  expect_refused(seq(json::array({linear({{"in_features", 2}, {"out_features", 2}}), "ReLU"})),
                 p + "layer 1: an entry must be an object {\"class\": ..., \"config\": {...}}; got "
                     "\"ReLU\"");
  BRAID_EXPECT_THROW_MSG(
      io::sequential_from_config(linear(json::object())), ValueError,
      p + "config: expected a Sequential entry {\"class\": \"Sequential\", "
          "\"config\": {\"layers\": [...]}}; got {\"class\":\"Linear\",\"config\":{}}");
}

TEST(LayerConfigHostile, FieldsAreCheckedByNameAndLayer) {
  const std::string p = "[layer_from_config] ";
  const std::string want = "must be an integer in [1, 2147483648]";
  expect_refused(linear({{"in_features", 3}}), p + "Linear: field 'out_features' is missing");
  expect_refused(linear({{"in_features", "784"}, {"out_features", 2}}),
                 p + "Linear: field 'in_features' " + want + "; got \"784\"");
  expect_refused(linear({{"in_features", 78.5}, {"out_features", 2}}),
                 p + "Linear: field 'in_features' " + want + "; got 78.5");
  expect_refused(linear({{"in_features", -5}, {"out_features", 2}}),
                 p + "Linear: field 'in_features' " + want + "; got -5");
  expect_refused(linear({{"in_features", 18446744073709551615ull}, {"out_features", 2}}),
                 p + "Linear: field 'in_features' " + want + "; got 18446744073709551615");
  expect_refused(linear({{"in_features", 3}, {"out_features", 2}, {"bias", 1}}),
                 p + "Linear: field 'bias' must be true or false; got 1");
  expect_refused(linear({{"in_features", 3}, {"out_features", 2}, {"bais", false}}),
                 p + "Linear: unknown field \"bais\"; fields: in_features, out_features, bias");
  // Inside a Sequential the layer is named by its index path.
  expect_refused(seq({seq({linear({{"in_features", 3}, {"out_features", 0}})})}),
                 p + "layer 0.0 (Linear): field 'out_features' " + want + "; got 0");
  auto layer = [](const char* cls, json config) {
    return json{{"class", cls}, {"config", config}};
  };
  expect_refused(layer("Dropout", {{"p", 1.5}}),
                 p + "Dropout: field 'p' must be a number in [0, 1]; got 1.5");
  expect_refused(layer("Dropout", {{"p", std::nan("")}}),
                 p + "Dropout: field 'p' must be a number in [0, 1]; got null");
  expect_refused(layer("GELU", {{"approximate", "fast"}}),
                 p + "GELU: field 'approximate' must be one of \"none\" \"tanh\"; got \"fast\"");
  const json conv = {{"in_channels", 3}, {"out_channels", 4}, {"kernel_size", 3}};
  json c = conv;
  c["kernel_size"] = {3, 3, 3};
  expect_refused(layer("Conv2d", c),
                 p + "Conv2d: field 'kernel_size' must be an integer or a list of 2 integers, "
                     "each in [1, 2147483648]; got [3,3,3]");
  c = conv;
  c["padding"] = "full";
  expect_refused(layer("Conv2d", c),
                 p + "Conv2d: field 'padding' must be one of \"same\" \"valid\"; got \"full\"");
  c = conv;
  c["groups"] = 2;  // the constructor's own check, passed on with the layer's name
  expect_refused(layer("Conv2d", c),
                 p + "Conv2d: [Conv2d] in_channels=3 must be divisible by groups=2");
  expect_refused(
      layer("Embedding", {{"num_embeddings", 5}, {"embedding_dim", 2}, {"padding_idx", 5}}),
      p + "Embedding: field 'padding_idx' must be null or an integer in [-5, 4]; got 5");
  expect_refused(layer("Unflatten", {{"dim", 1}, {"unflattened_size", json::array()}}),
                 p + "Unflatten: field 'unflattened_size' must be a non-empty list of at most 64 "
                     "integers in [1, 2147483648] or -1; got []");
  expect_refused(layer("LSTM", {{"input_size", 2}, {"hidden_size", 2}, {"nonlinearity", "relu"}}),
                 p + "LSTM: unknown field \"nonlinearity\"; fields: input_size, hidden_size, "
                     "num_layers, bias, batch_first, dropout, bidirectional");
  expect_refused(layer("BatchNorm2d", {{"num_features", 2}, {"momentum", "fast"}}),
                 p + "BatchNorm2d: field 'momentum' must be a number in [0, 1]; got \"fast\"");
  expect_refused(
      layer("TransformerEncoder", {{"num_layers", 2}, {"encoder_layer", linear(json::object())}}),
      p + "TransformerEncoder: field 'encoder_layer' must be a TransformerEncoderLayer "
          "entry; got {\"class\":\"Linear\",\"config\":{}}");
  expect_refused(
      layer("TransformerEncoder",
            {{"num_layers", 2},
             {"encoder_layer", layer("TransformerEncoderLayer", {{"d_model", 4}, {"nhead", 3}})}}),
      p + "layer encoder_layer (TransformerEncoderLayer): [MultiheadAttention] embed_dim must be "
          "divisible by num_heads; got embed_dim=4, num_heads=3");
}

TEST(LayerConfigHostile, DtypeAndFrozenAreChecked) {
  const std::string p = "[layer_from_config] ";
  json l = linear({{"in_features", 2}, {"out_features", 2}});
  l["dtype"] = "int64";
  expect_refused(
      l, p + "Linear: 'dtype' must name a floating dtype (\"float64\", ...); got \"int64\"");
  l["dtype"] = "float99";
  expect_refused(
      l, p + "Linear: 'dtype' must name a floating dtype (\"float64\", ...); got \"float99\"");
  l.erase("dtype");
  l["frozen"] = "weight";
  expect_refused(l, p + "Linear: 'frozen' must be a list of parameter names; got \"weight\"");
  l["frozen"] = {"weight", "scale"};
  expect_refused(l, p + "Linear: 'frozen' names \"scale\", which is not one of its parameters "
                        "(weight, bias)");
}

TEST(LayerConfigHostile, LimitsBoundMemoryDepthAndCount) {
  const std::string p = "[layer_from_config] ";
  expect_refused(linear({{"in_features", 2147483648}, {"out_features", 2147483648}}),
                 p + "Linear: would hold 4611686020574871552 elements, more than the 1073741824 "
                     "left of ConfigLimits::max_elements = 1073741824");
  BRAID_EXPECT_THROW_HAS(
      io::layer_from_config(seq({linear({{"in_features", 10}, {"out_features", 5}}),
                                 linear({{"in_features", 10}, {"out_features", 5}})}),
                            {.max_elements = 100}),
      ValueError, p + "layer 1 (Linear): would hold 55 elements, more than the 45 left");
  json deep = seq(json::array());
  for (int i = 0; i < 40; ++i) deep = seq({deep});
  BRAID_EXPECT_THROW_HAS(io::layer_from_config(deep), ValueError,
                         "nested more than ConfigLimits::max_depth = 32 deep");
  json many = json::array();
  for (int i = 0; i < 20; ++i) many.push_back(json{{"class", "ReLU"}, {"config", json::object()}});
  BRAID_EXPECT_THROW_HAS(io::layer_from_config(seq(many), {.max_layers = 10}), ValueError,
                         p + "layer 9: more than ConfigLimits::max_layers = 10 layers");
  // A TransformerEncoder counts its copies of the layer.
  json enc = {
      {"class", "TransformerEncoder"},
      {"config",
       {{"num_layers", 1000000},
        {"encoder_layer",
         {{"class", "TransformerEncoderLayer"}, {"config", {{"d_model", 64}, {"nhead", 2}}}}}}}};
  BRAID_EXPECT_THROW_HAS(io::layer_from_config(enc), ValueError,
                         p + "TransformerEncoder: would hold");
}

// Every scalar and list in a full config, replaced in turn by each bad value:
// the rebuild either succeeds or throws ValueError, never anything else.
TEST(LayerConfigHostile, SweepOverEveryFieldNeverCrashes) {
  manual_seed(0);
  nn::Sequential model(
      nn::Conv2d(3, 4, 3, {.padding = 1}), nn::BatchNorm2d(4), nn::GroupNorm(2, 4),
      nn::MaxPool2d(2), nn::AvgPool2d(2), nn::AdaptiveAvgPool2d(2), nn::ConvTranspose2d(4, 4, 2),
      nn::Flatten(), nn::Unflatten(1, {4, 4}), nn::Conv1d(4, 4, 3), nn::BatchNorm1d(4),
      nn::LayerNorm(2), nn::Embedding(10, 4, {.padding_idx = 0}), nn::LSTM(4, 4), nn::RNN(4, 4),
      nn::MultiheadAttention(4, 2),
      nn::TransformerEncoder(nn::TransformerEncoderLayer(4, 2, {.dim_feedforward = 8}), 2),
      nn::Sequential(nn::LeakyReLU(), nn::GELU(), nn::Softmax(1), nn::Dropout(0.1)));
  const json good = io::layer_config(model);
  const std::vector<json> bad = {
      -1,  0,       2147483648LL,  1e308,          -1e308, 0.5,
      "x", nullptr, json::array(), json::object(), true,   json::array({-1, 0, 1})};
  std::vector<json::json_pointer> leaves;
  std::function<void(const json&, const json::json_pointer&)> walk =
      [&](const json& j, const json::json_pointer& at) {
        leaves.push_back(at);
        if (j.is_object())
          for (const auto& [k, v] : j.items()) walk(v, at / k);
        else if (j.is_array())
          for (size_t i = 0; i < j.size(); ++i) walk(j[i], at / i);
      };
  walk(good, json::json_pointer());
  int built = 0, refused = 0;
  for (const json::json_pointer& at : leaves) {
    for (const json& v : bad) {
      json cfg = good;
      cfg[at] = v;
      try {
        io::layer_from_config(cfg, {.max_elements = int64_t{1} << 20});
        ++built;
      } catch (const ValueError&) {
        ++refused;
      } catch (const std::exception& e) {
        ADD_FAILURE() << at.to_string() << " = " << v.dump() << ": " << e.what();
      }
    }
  }
  EXPECT_GT(refused, 1000);
  EXPECT_GT(built, 10);  // e.g. another valid size or flag
}

}  // namespace
}  // namespace braid
