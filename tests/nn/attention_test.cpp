// nn::MultiheadAttention, TransformerEncoderLayer, TransformerEncoder: parity
// with PyTorch 1.13 (outputs, attention weights, gradients; masks of every
// kind; fixtures from scripts/gen_rnn_fixtures.py), names, printing, errors,
// dropout in training only, and a small encoder learning a sequence task.
#include <gtest/gtest.h>

#include <memory>

#include "braid/braid.hpp"
#include "braid/nn/attention.hpp"
#include "braid/nn/transformer.hpp"
#include "core/test_util.hpp"
#include "nn/fixture_util.hpp"

namespace braid {
namespace {

using testing_nn::expect_close;
using testing_nn::from_json;
using testing_nn::json;

Tensor mask_of(const json& c, const char* name) {
  return c.at("masks").contains(name) ? from_json(c.at("masks").at(name)) : Tensor();
}

// Checks the gradients of every input in the case and every parameter.
void expect_grads(const json& c, const std::string& name, nn::Module& m,
                  const std::vector<std::pair<std::string, Tensor>>& inputs) {
  const json& g = c.at("grads");
  for (const auto& [k, t] : inputs) expect_close(t.grad(), g.at(k), name + " grad " + k);
  for (const auto& [pname, p] : m.named_parameters())
    expect_close(p.grad(), g.at(pname), name + " grad " + pname);
}

TEST(MultiheadAttentionParity, MatchesTorch) {
  const json fx = testing_nn::read_fixture("attention.json");
  int seen = 0;
  for (const json& c : fx.at("cases")) {
    const std::string name = c.at("name").get<std::string>();
    if (name.rfind("mha_", 0) != 0) continue;
    ++seen;
    SCOPED_TRACE(name);
    const json& o = c.at("options");
    nn::MultiheadAttention m(
        o.at("embed_dim").get<int64_t>(), o.at("num_heads").get<int64_t>(),
        {.bias = o.at("bias").get<bool>(), .batch_first = o.at("batch_first").get<bool>()});
    m.eval();
    m.load_state_dict(testing_nn::state_from_json(c.at("state_dict")));
    EXPECT_EQ(m.str(), c.at("repr").get<std::string>());
    const json& in = c.at("inputs");
    std::vector<std::pair<std::string, Tensor>> inputs;
    for (const char* k : {"query", "key", "value"})
      if (in.contains(k)) inputs.emplace_back(k, from_json(in.at(k)).requires_grad_());
    const Tensor q = inputs[0].second;
    const Tensor k = inputs.size() > 1 ? inputs[1].second : q;
    const Tensor v = inputs.size() > 2 ? inputs[2].second : q;
    const bool need_weights = o.at("need_weights").get<bool>();
    nn::AttentionOutput r =
        m.forward(q, k, v, mask_of(c, "key_padding_mask"), need_weights, mask_of(c, "attn_mask"),
                  o.at("average_attn_weights").get<bool>());
    expect_close(r.output, c.at("outputs").at("output"), name + " output");
    std::vector<Tensor> outs;  // not braces: see rnn_test.cpp
    outs.push_back(r.output);
    if (need_weights) {
      expect_close(r.weights, c.at("outputs").at("weights"), name + " weights");
      outs.push_back(r.weights);
    } else {
      EXPECT_FALSE(r.weights.defined());
    }
    testing_nn::probe_loss(outs, c.at("probes")).backward();
    expect_grads(c, name, m, inputs);
  }
  EXPECT_GE(seen, 9);
}

TEST(TransformerEncoderParity, MatchesTorch) {
  const json fx = testing_nn::read_fixture("attention.json");
  int seen = 0;
  for (const json& c : fx.at("cases")) {
    const std::string name = c.at("name").get<std::string>();
    if (name.rfind("enc", 0) != 0) continue;
    ++seen;
    SCOPED_TRACE(name);
    const json& o = c.at("options");
    nn::TransformerEncoderLayerOptions opt{
        .dim_feedforward = o.at("dim_feedforward").get<int64_t>(),
        .dropout = o.at("dropout").get<double>(),
        .activation = o.at("activation").get<std::string>(),
        .batch_first = o.at("batch_first").get<bool>(),
        .norm_first = o.at("norm_first").get<bool>()};
    nn::TransformerEncoderLayer layer(o.at("d_model").get<int64_t>(), o.at("nhead").get<int64_t>(),
                                      opt);
    const int64_t num_layers = o.at("num_layers").get<int64_t>();
    std::unique_ptr<nn::Module> owner;
    if (num_layers > 0)
      owner = std::make_unique<nn::TransformerEncoder>(std::move(layer), num_layers,
                                                       o.at("final_norm").get<bool>());
    else
      owner = std::make_unique<nn::TransformerEncoderLayer>(std::move(layer));
    owner->eval();  // dropout 0.1 in the settings, none in eval
    owner->load_state_dict(testing_nn::state_from_json(c.at("state_dict")));
    EXPECT_EQ(owner->str(), c.at("repr").get<std::string>());
    Tensor x = from_json(c.at("inputs").at("input")).requires_grad_();
    const Tensor mask = mask_of(c, "attn_mask"), kpm = mask_of(c, "key_padding_mask");
    Tensor y = num_layers > 0
                   ? static_cast<nn::TransformerEncoder&>(*owner).forward(x, mask, kpm)
                   : static_cast<nn::TransformerEncoderLayer&>(*owner).forward(x, mask, kpm);
    expect_close(y, c.at("outputs").at("output"), name + " output");
    testing_nn::probe_loss(std::vector<Tensor>(1, y), c.at("probes")).backward();
    expect_grads(c, name, *owner, {{"input", x}});
  }
  EXPECT_GE(seen, 6);
}

TEST(MultiheadAttention, NamesInitAndSelfAttentionForm) {
  manual_seed(0);
  nn::MultiheadAttention mha(8, 2);
  std::vector<std::string> names;
  for (const auto& [n, p] : mha.named_parameters()) names.push_back(n + shape_str(p.shape()));
  EXPECT_EQ(names, (std::vector<std::string>{"in_proj_weight(24, 8)", "in_proj_bias(24)",
                                             "out_proj.weight(8, 8)", "out_proj.bias(8)"}));
  EXPECT_EQ(amax(abs(mha.in_proj_bias)).item<double>(), 0.0);
  EXPECT_EQ(amax(abs(mha.out_proj.bias)).item<double>(), 0.0);
  EXPECT_LE(amax(abs(mha.in_proj_weight)).item<double>(), std::sqrt(6.0 / 32));
  EXPECT_EQ(mha.str(),
            "MultiheadAttention(\n  (out_proj): NonDynamicallyQuantizableLinear(in_features=8, "
            "out_features=8, bias=True)\n)");
  // operator() is self-attention without weights.
  Tensor x = randn({4, 3, 8});
  nn::AttentionOutput r = mha.forward(x, x, x);
  EXPECT_EQ(r.weights.shape(), (Shape{3, 4, 4}));
  EXPECT_EQ(amax(abs(mha(x) - r.output)).item<double>(), 0.0);
  nn::AttentionOutput per_head = mha.forward(x, x, x, {}, true, {}, false);
  EXPECT_EQ(per_head.weights.shape(), (Shape{3, 2, 4, 4}));
}

TEST(MultiheadAttention, DropoutOnlyInTraining) {
  manual_seed(1);
  nn::MultiheadAttention mha(8, 2, {.dropout = 0.5});
  Tensor x = randn({4, 2, 8});
  mha.eval();
  Tensor a = mha.forward(x, x, x).weights;
  EXPECT_TRUE(all(eq(a, mha.forward(x, x, x).weights)).item<bool>());
  mha.train();
  Tensor b = mha.forward(x, x, x).weights;
  EXPECT_FALSE(all(eq(a, b)).item<bool>());
}

TEST(MultiheadAttention, ErrorsNameTheLayer) {
  nn::MultiheadAttention mha(8, 2);
  BRAID_EXPECT_THROW_MSG(mha.forward(ones({4, 3, 6}), ones({4, 3, 6}), ones({4, 3, 6})), ShapeError,
                         "[MultiheadAttention] query must be (L, N, E), key and value (S, N, E) "
                         "(or unbatched, key and value alike) with E = embed_dim=8; got "
                         "query=(4, 3, 6), key=(4, 3, 6), value=(4, 3, 6)\n  in "
                         "MultiheadAttention (MultiheadAttention)");
  Tensor x = ones({4, 3, 8});
  BRAID_EXPECT_THROW_HAS(mha.forward(x, x, x, {}, true, ones({4, 5}, DType::Bool)), ShapeError,
                         "[MultiheadAttention] attn_mask must be (L, S) = (4, 4) or "
                         "(N * num_heads, L, S) = (6, 4, 4); got attn_mask=(4, 5)");
  BRAID_EXPECT_THROW_HAS(mha.forward(x, x, x, ones({4, 3}, DType::Bool)), ShapeError,
                         "[MultiheadAttention] key_padding_mask must be (3, 4) (N, S); got "
                         "key_padding_mask=(4, 3), key=(4, 3, 8)");
  BRAID_EXPECT_THROW_HAS(
      mha.forward(x, x, x, ones({3, 4}, DType::Int64)), DTypeError,
      "[MultiheadAttention] key_padding_mask must be bool or floating; got int64");
  BRAID_EXPECT_THROW_MSG(nn::MultiheadAttention(10, 3), ValueError,
                         "[MultiheadAttention] embed_dim must be divisible by num_heads; got "
                         "embed_dim=10, num_heads=3");
  nn::TransformerEncoderLayer layer(8, 2, {.dim_feedforward = 16});
  BRAID_EXPECT_THROW_HAS(layer(ones({4, 3, 6})), ShapeError,
                         "\n  in TransformerEncoderLayer/self_attn (MultiheadAttention)");
  BRAID_EXPECT_THROW_MSG(
      nn::TransformerEncoderLayer(8, 2, {.activation = "tanh"}), ValueError,
      "[TransformerEncoderLayer] activation must be 'relu' or 'gelu'; got 'tanh'");
}

TEST(TransformerEncoder, CopiesTheLayerAndKeepsThemApart) {
  manual_seed(2);
  nn::TransformerEncoder enc(nn::TransformerEncoderLayer(8, 2, {.dim_feedforward = 16}), 3);
  EXPECT_EQ(enc.state_dict().size(), 3 * 12u);
  const Tensor w0 = enc.layer(0).linear1.weight, w2 = enc.layer(2).linear1.weight;
  EXPECT_TRUE(all(eq(w0, w2)).item<bool>());
  EXPECT_FALSE(w0.storage() == w2.storage());
  enc.eval();
  EXPECT_EQ(enc(randn({5, 2, 8})).shape(), (Shape{5, 2, 8}));
  BRAID_EXPECT_THROW_HAS(enc.forward(randn({5, 2, 8}), {}, ones({2, 4}, DType::Bool)), ShapeError,
                         "\n  in TransformerEncoder/layers/0/self_attn (MultiheadAttention)");
}

}  // namespace
}  // namespace braid
