// Layer parity with PyTorch 1.13 (tests/fixtures/nn/layers.json): for every
// layer setting, print(layer), the state-dict keys and shapes, the forward
// output, and the gradients of input and parameters, after loading the
// fixture's weights. Plus the printed MNIST models and a container model.
#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <memory>
#include <set>

#include "nn/layer_fixture.hpp"

namespace braid {
namespace {

using nn_test::close;
using nn_test::json;
using nn_test::nn_fixture;
using nn_test::state_of;
using nn_test::tensor_of;
using Factory = std::function<std::unique_ptr<nn::Module>()>;

template <class M, class... A>
Factory make(A... args) {
  return [=] { return std::make_unique<M>(args...); };
}
template <class M, class O>
Factory with(O opts) {
  return [=] { return std::make_unique<M>(opts); };
}

// The braid spelling of each case in scripts/gen_nn_fixtures.py.
const std::map<std::string, Factory>& factories() {
  using namespace nn;
  static const std::map<std::string, Factory> table = {
      {"linear", make<Linear>(5, 3)},
      {"linear_nobias", make<Linear>(4, 2, false)},
      {"conv1d",
       [] { return std::make_unique<Conv1d>(3, 4, 3, Conv1dOptions{.stride = 2, .padding = 1}); }},
      {"conv1d_same",
       [] {
         return std::make_unique<Conv1d>(
             2, 3, 4, Conv1dOptions{.padding = "same", .dilation = 2, .bias = false});
       }},
      {"conv2d_mnist", make<Conv2d>(1, 32, 3)},
      {"conv2d_pad",
       [] { return std::make_unique<Conv2d>(1, 4, 3, Conv2dOptions{.stride = 1, .padding = 1}); }},
      {"conv2d_groups",
       [] {
         return std::make_unique<Conv2d>(
             4, 6, SizeArg{3, 2},
             Conv2dOptions{.stride = {2, 1}, .padding = {1, 0}, .dilation = {1, 2}, .groups = 2});
       }},
      {"conv2d_same",
       [] { return std::make_unique<Conv2d>(3, 2, 4, Conv2dOptions{.padding = "same"}); }},
      {"conv2d_valid",
       [] { return std::make_unique<Conv2d>(2, 2, 3, Conv2dOptions{.padding = "valid"}); }},
      {"conv2d_reflect",
       [] {
         return std::make_unique<Conv2d>(2, 3, 3,
                                         Conv2dOptions{.padding = 1, .padding_mode = "reflect"});
       }},
      {"conv2d_replicate_same",
       [] {
         return std::make_unique<Conv2d>(
             1, 2, 2, Conv2dOptions{.padding = "same", .padding_mode = "replicate"});
       }},
      {"conv_transpose2d",
       [] {
         return std::make_unique<ConvTranspose2d>(
             4, 2, 3, ConvTranspose2dOptions{.stride = 2, .padding = 1, .output_padding = 1});
       }},
      {"conv_transpose2d_groups",
       [] {
         return std::make_unique<ConvTranspose2d>(
             4, 6, SizeArg{2, 3},
             ConvTranspose2dOptions{.groups = 2, .bias = false, .dilation = 2});
       }},
      {"maxpool2d", make<MaxPool2d>(2)},
      {"maxpool2d_opts",
       [] {
         return std::make_unique<MaxPool2d>(
             3, nn::MaxPool2dOptions{.stride = 2, .padding = 1, .ceil_mode = true});
       }},
      {"maxpool2d_tuple",
       [] {
         return std::make_unique<MaxPool2d>(
             SizeArg{2, 3}, nn::MaxPool2dOptions{.stride = {1, 2}, .dilation = {2, 1}});
       }},
      {"avgpool2d", make<AvgPool2d>(2)},
      {"avgpool2d_opts",
       [] {
         return std::make_unique<AvgPool2d>(
             3, nn::AvgPool2dOptions{
                    .stride = 2, .padding = 1, .ceil_mode = true, .count_include_pad = false});
       }},
      {"adaptive_avg_pool2d",
       [] {
         return std::make_unique<AdaptiveAvgPool2d>(SizeArg{2, 3});
       }},
      {"adaptive_avg_pool2d_int", make<AdaptiveAvgPool2d>(1)},
      {"adaptive_max_pool2d",
       [] {
         return std::make_unique<AdaptiveMaxPool2d>(SizeArg{3, 2});
       }},
      {"batchnorm1d_eval", make<BatchNorm1d>(4)},
      {"batchnorm1d_train3d",
       [] {
         return std::make_unique<BatchNorm1d>(4,
                                              nn::BatchNormOptions{.eps = 1e-3, .momentum = 0.2});
       }},
      {"batchnorm2d_train", make<BatchNorm2d>(3)},
      {"batchnorm2d_eval", make<BatchNorm2d>(3)},
      {"batchnorm2d_cma",
       [] {
         return std::make_unique<BatchNorm2d>(2, nn::BatchNormOptions{.momentum = std::nullopt});
       }},
      {"batchnorm2d_plain",
       [] {
         return std::make_unique<BatchNorm2d>(
             3, nn::BatchNormOptions{.affine = false, .track_running_stats = false});
       }},
      {"layernorm", make<LayerNorm>(6)},
      {"layernorm_2d",
       [] {
         return std::make_unique<LayerNorm>(
             std::vector<int64_t>{3, 4},
             LayerNormOptions{.eps = 1e-3, .elementwise_affine = false});
       }},
      {"groupnorm", make<GroupNorm>(2, 4)},
      {"groupnorm_noaffine",
       [] {
         return std::make_unique<GroupNorm>(3, 6, GroupNormOptions{.eps = 1e-4, .affine = false});
       }},
      {"dropout_eval", make<Dropout>(0.2)},
      {"dropout_default_eval", make<Dropout>()},
      {"embedding",
       [] { return std::make_unique<Embedding>(10, 3, EmbeddingOptions{.padding_idx = 1}); }},
      {"embedding_negpad",
       [] { return std::make_unique<Embedding>(5, 2, EmbeddingOptions{.padding_idx = -1}); }},
      {"embedding_plain", make<Embedding>(7, 4)},
      {"flatten", make<Flatten>()},
      {"flatten_range", make<Flatten>(0, 2)},
      {"unflatten",
       [] {
         return std::make_unique<Unflatten>(1, std::vector<int64_t>{2, 3});
       }},
      {"identity", make<Identity>()},
      {"relu", make<ReLU>()},
      {"leaky_relu", make<LeakyReLU>(0.2)},
      {"leaky_relu_default", make<LeakyReLU>()},
      {"elu", make<ELU>()},
      {"elu_alpha", make<ELU>(0.5)},
      {"gelu", make<GELU>()},
      {"gelu_tanh", make<GELU>("tanh")},
      {"silu", make<SiLU>()},
      {"sigmoid", make<Sigmoid>()},
      {"tanh", make<Tanh>()},
      {"softmax", make<Softmax>(1)},
      {"log_softmax", make<LogSoftmax>(-1)},
      {"cross_entropy", make<CrossEntropyLoss>()},
      {"cross_entropy_opts", with<CrossEntropyLoss>(CrossEntropyOptions{
                                 .weight = ones({5}), .ignore_index = 1, .label_smoothing = 0.1})},
      {"cross_entropy_sum", with<CrossEntropyLoss>(CrossEntropyOptions{.reduction = "sum"})},
      {"cross_entropy_probs", with<CrossEntropyLoss>(CrossEntropyOptions{.reduction = "none"})},
      {"nll", make<NLLLoss>()},
      {"nll_weight", with<NLLLoss>(NllLossOptions{.weight = ones({3}), .reduction = "sum"})},
      {"mse", make<MSELoss>()},
      {"mse_none", with<MSELoss>(LossOptions{.reduction = "none"})},
      {"l1", with<L1Loss>(LossOptions{.reduction = "sum"})},
      {"smooth_l1", with<SmoothL1Loss>(SmoothL1LossOptions{.beta = 0.5})},
      {"huber", with<HuberLoss>(HuberLossOptions{.delta = 0.7})},
      {"bce", make<BCELoss>()},
      {"bce_weight", with<BCELoss>(BCELossOptions{.weight = ones({4}), .reduction = "sum"})},
      {"bce_logits", with<BCEWithLogitsLoss>(BceWithLogitsOptions{.pos_weight = ones({4})})},
      {"kl_div", with<KLDivLoss>(KLDivLossOptions{.reduction = "batchmean"})},
      {"kl_div_log_target",
       with<KLDivLoss>(KLDivLossOptions{.reduction = "sum", .log_target = true})},
  };
  return table;
}

std::vector<std::string> keys_of(const nn::StateDict& sd) {
  std::vector<std::string> k;
  for (const auto& [n, t] : sd) k.push_back(n);
  return k;
}

const json& fixture_case(const std::string& name) {
  for (const json& c : nn_fixture("layers.json").at("cases"))
    if (c.at("name") == name) return c;
  throw std::runtime_error("layers.json has no case " + name);
}

std::vector<std::string> case_names() {
  std::vector<std::string> names;
  for (const json& c : nn_fixture("layers.json").at("cases")) names.push_back(c.at("name"));
  return names;
}

// One test per fixture case: LayerParity/Case.Matches/conv2d_groups.
class Case : public ::testing::TestWithParam<std::string> {};

TEST_P(Case, Matches) {
  const std::string name = GetParam();
  const json& c = fixture_case(name);
  auto it = factories().find(name);
  ASSERT_NE(it, factories().end()) << "no braid factory for fixture case " << name;
  manual_seed(0);
  std::unique_ptr<nn::Module> m = it->second();
  EXPECT_EQ(m->str(), c.at("repr").get<std::string>());

  // state_dict: PyTorch's keys, in its order, with its shapes and dtypes.
  const nn::StateDict want = state_of(c.at("state"));
  const nn::StateDict mine = m->state_dict();
  ASSERT_EQ(keys_of(mine), keys_of(want));
  for (const auto& [k, t] : want) {
    EXPECT_EQ(mine.at(k).shape(), t.shape()) << k;
    EXPECT_EQ(mine.at(k).dtype(), t.dtype()) << k;
  }
  m->load_state_dict(want);
  m->train(c.at("train").get<bool>());

  Tensor x = tensor_of(c.at("input"));
  if (x.is_floating_point()) x.requires_grad_();
  Tensor y;
  if (c.contains("target")) {
    auto* loss = dynamic_cast<nn::Loss*>(m.get());
    ASSERT_NE(loss, nullptr);
    y = (*loss)(x, tensor_of(c.at("target")));
  } else {
    y = (*m)(x);
  }
  EXPECT_TRUE(close(y, c.at("output")));

  const Tensor g = tensor_of(c.at("grad_output"));
  (y * g).sum().backward();
  if (c.at("grad_input").is_null()) {
    EXPECT_FALSE(x.requires_grad() && x.grad().defined());
  } else {
    EXPECT_TRUE(close(x.grad(), c.at("grad_input"), 1e-5, 1e-5)) << "input gradient";
  }
  std::map<std::string, Tensor> params;
  for (auto& [k, p] : m->named_parameters()) params[k] = p;
  for (const auto& [k, gj] : c.at("grads").items()) {
    ASSERT_TRUE(params.count(k)) << k;
    EXPECT_TRUE(close(params[k].grad(), gj, 1e-5, 1e-5)) << "gradient of " << k;
  }
  if (c.contains("state_after")) {
    const nn::StateDict now = m->state_dict();
    for (const json& e : c.at("state_after"))
      EXPECT_TRUE(close(now.at(e.at("key").get<std::string>()), e)) << e.at("key");
  }
}

INSTANTIATE_TEST_SUITE_P(LayerParity, Case, ::testing::ValuesIn(case_names()),
                         [](const auto& info) { return info.param; });

TEST(LayerParity, EveryFactoryHasAFixture) {
  const std::vector<std::string> v = case_names();
  EXPECT_GT(v.size(), 60u);
  const std::set<std::string> names(v.begin(), v.end());
  for (const auto& [n, f] : factories()) EXPECT_TRUE(names.count(n)) << n;
}

// -- whole models ------------------------------------------------------------------------------

const json& model(const std::string& name) {
  for (const json& m : nn_fixture("models.json").at("models"))
    if (m.at("name") == name) return m;
  throw std::runtime_error("models.json has no model " + name);
}

void expect_state_like(const nn::Module& m, const json& want) {
  const nn::StateDict sd = m.state_dict();
  ASSERT_EQ(sd.size(), want.size());
  size_t i = 0;
  for (const auto& [k, t] : sd) {
    const json& w = want[i++];
    EXPECT_EQ(k, w.at("key").get<std::string>());
    EXPECT_EQ(t.shape(), nn_test::shape_of(w)) << k;
    EXPECT_EQ(std::string(dtype_name(t.dtype())), w.at("dtype").get<std::string>()) << k;
  }
}

TEST(ModelPrint, MnistMlpMatchesPyTorch) {
  nn::Sequential mlp{nn::Flatten(), nn::Linear(784, 128), nn::ReLU(), nn::Dropout(0.2),
                     nn::Linear(128, 10)};
  EXPECT_EQ(mlp.str(), model("mnist_mlp").at("repr").get<std::string>());
  expect_state_like(mlp, model("mnist_mlp").at("state"));
  mlp.eval();
  EXPECT_EQ(mlp(zeros({3, 28, 28})).shape(), (Shape{3, 10}));
}

TEST(ModelPrint, MnistCnnMatchesPyTorch) {
  nn::Sequential cnn{
      nn::Conv2d(1, 32, 3), nn::ReLU(),        nn::Conv2d(32, 64, 3), nn::ReLU(),
      nn::MaxPool2d(2),     nn::Dropout(0.25), nn::Flatten(),         nn::Linear(9216, 128),
      nn::ReLU(),           nn::Dropout(0.5),  nn::Linear(128, 10)};
  EXPECT_EQ(cnn.str(), model("mnist_cnn").at("repr").get<std::string>());
  expect_state_like(cnn, model("mnist_cnn").at("state"));
  cnn.eval();
  EXPECT_EQ(cnn(zeros({2, 1, 28, 28})).shape(), (Shape{2, 10}));
}

struct Net : nn::Module {
  nn::ModuleList& blocks =
      register_module("blocks", nn::ModuleList{nn::Linear(4, 4), nn::ReLU(), nn::Linear(4, 2)});
  nn::ModuleDict& heads = register_module("heads", nn::ModuleDict());
  nn::BatchNorm1d& norm = register_module("norm", nn::BatchNorm1d(2));
  nn::Embedding& emb = register_module("emb", nn::Embedding(6, 4, {.padding_idx = 0}));
  Net() {
    heads.insert("cls", nn::Linear(2, 3));
    heads.insert("reg", nn::Linear(2, 1, false));
  }
  Tensor forward(const Tensor& ids) override {
    Tensor h = emb(ids).mean({1});
    for (nn::Module& b : blocks) h = b(h);
    return heads["cls"](norm(h));
  }
};

TEST(ModelPrint, ContainersMatchPyTorch) {
  Net net;
  EXPECT_EQ(net.str(), model("net").at("repr").get<std::string>());
  expect_state_like(net, model("net").at("state"));
  EXPECT_EQ(net(tensor({{1, 2, 3}, {0, 4, 5}})).shape(), (Shape{2, 3}));
}

// -- BatchNorm over several training steps (Note [batch norm running statistics]) ---------------

TEST(BatchNormSteps, RunningStatisticsFollowPyTorch) {
  const json& f = nn_fixture("models.json").at("bn_steps");
  nn::BatchNorm2d bn(3, {.momentum = 0.3});
  bn.load_state_dict(state_of(f.at("state")));
  const Tensor mean_handle = bn.running_mean;
  bn.train();
  for (size_t i = 0; i < 3; ++i)
    EXPECT_TRUE(close(bn(tensor_of(f.at("inputs")[i])), f.at("outputs")[i])) << "step " << i;
  const nn::StateDict after = bn.state_dict();
  for (const json& e : f.at("state_after"))
    EXPECT_TRUE(close(after.at(e.at("key").get<std::string>()), e)) << e.at("key");
  EXPECT_EQ(bn.num_batches_tracked.dtype(), DType::Int64);
  EXPECT_TRUE(bn.running_mean.is_same(mean_handle)) << "updated in place";
  bn.eval();
  const std::vector<float> before = bn.running_mean.to_vector<float>();
  EXPECT_TRUE(close(bn(tensor_of(f.at("eval_input"))), f.at("eval_output")));
  EXPECT_EQ(bn.running_mean.to_vector<float>(), before) << "eval leaves the statistics alone";
  EXPECT_EQ(bn.num_batches_tracked.item<int64_t>(), 6);
}

}  // namespace
}  // namespace braid
