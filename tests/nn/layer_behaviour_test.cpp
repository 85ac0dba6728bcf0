// Layer behaviour beyond parity: train/eval modes, containers, bad settings
// and wrong input shapes (errors name the layer path and both shapes).
#include <gtest/gtest.h>

#include "braid/braid.hpp"
#include "core/test_util.hpp"

namespace braid {
namespace {

TEST(DropoutLayer, ZeroesAFractionInTrainingOnly) {
  manual_seed(7);
  nn::Dropout d(0.2);
  const Tensor x = ones({100000});
  const std::vector<float> y = d(x).to_vector<float>();
  int64_t zeros_seen = 0;
  for (float v : y) {
    if (v == 0.0f)
      ++zeros_seen;
    else
      ASSERT_FLOAT_EQ(v, 1.25f) << "survivors are scaled by 1 / (1 - p)";
  }
  EXPECT_NEAR(double(zeros_seen) / 100000.0, 0.2, 0.01);
  manual_seed(7);
  EXPECT_EQ(d(x).to_vector<float>(), y) << "same seed, same mask";
  d.eval();
  EXPECT_EQ(d(x).to_vector<float>(), x.to_vector<float>());
  d.train();
  EXPECT_NE(d(x).to_vector<float>(), x.to_vector<float>());
}

TEST(BatchNormLayer, TrainUpdatesStatisticsEvalUsesThem) {
  nn::BatchNorm1d bn(2, {.momentum = 0.5});
  const Tensor x = tensor({{1.0, 10.0}, {3.0, 30.0}});  // batch means 2, 20; unbiased vars 2, 200
  Tensor y = bn(x);
  EXPECT_EQ(bn.running_mean.to_vector<float>(), (std::vector<float>{1.0f, 10.0f}));
  EXPECT_EQ(bn.running_var.to_vector<float>(), (std::vector<float>{1.5f, 100.5f}));
  EXPECT_EQ(bn.num_batches_tracked.item<int64_t>(), 1);
  EXPECT_NEAR(y.to_vector<float>()[0], -1.0, 1e-4) << "normalised with the batch statistics";
  bn.eval();
  y = bn(x);
  EXPECT_NEAR(y.to_vector<float>()[0], 0.0, 1e-6) << "(1 - running mean 1) / sqrt(1.5)";
  EXPECT_EQ(bn.num_batches_tracked.item<int64_t>(), 1) << "eval counts no batch";
  bn.reset_running_stats();
  EXPECT_EQ(bn.running_var.to_vector<float>(), (std::vector<float>{1.0f, 1.0f}));
  EXPECT_EQ(bn.num_batches_tracked.item<int64_t>(), 0);
}

TEST(BatchNormLayer, UntrackedHasNoBuffersAndAlwaysUsesTheBatch) {
  nn::BatchNorm2d bn(3, {.track_running_stats = false});
  std::vector<std::string> keys;
  for (const auto& [k, t] : bn.state_dict()) keys.push_back(k);
  EXPECT_EQ(keys, (std::vector<std::string>{"weight", "bias"}));
  bn.eval();
  manual_seed(1);
  Tensor y = bn(randn({4, 3, 2, 2}) * 5 + 3);
  EXPECT_NEAR(mean(y).item<double>(), 0.0, 1e-5);
}

TEST(LayerDTypes, AModelCastToFloat64RunsInFloat64) {
  manual_seed(2);
  nn::Sequential net{nn::Conv2d(1, 2, 3, {.padding = 1}),
                     nn::BatchNorm2d(2),
                     nn::ReLU(),
                     nn::MaxPool2d(2),
                     nn::Flatten(),
                     nn::Linear(8, 3)};
  net.to(DType::Float64);
  Tensor y = net(randn({2, 1, 4, 4}, DType::Float64));
  EXPECT_EQ(y.dtype(), DType::Float64);
  EXPECT_EQ(y.shape(), (Shape{2, 3}));
  const auto& bn = dynamic_cast<nn::BatchNorm2d&>(net[1]);
  EXPECT_EQ(bn.running_mean.dtype(), DType::Float64);
  EXPECT_EQ(bn.num_batches_tracked.dtype(), DType::Int64) << "integer buffers keep their dtype";
  EXPECT_EQ(bn.num_batches_tracked.item<int64_t>(), 1);
}

TEST(Containers, ModuleListIndexesIteratesAndRegisters) {
  nn::ModuleList list{nn::Linear(3, 3), nn::ReLU()};
  list.append(nn::Linear(3, 1));
  EXPECT_EQ(list.size(), 3u);
  EXPECT_EQ(list.parameters().size(), 4u);
  EXPECT_EQ(list[-1].type_name(), "Linear");
  EXPECT_EQ(list.at<nn::Linear>(2).out_features, 1);
  Tensor x = ones({2, 3});
  for (nn::Module& m : list) x = m(x);
  EXPECT_EQ(x.shape(), (Shape{2, 1}));
  BRAID_EXPECT_THROW_MSG(list[3], IndexError, "[ModuleList] index 3 is out of range for 3 modules");
  BRAID_EXPECT_THROW_MSG(list.at<nn::Linear>(1), ValueError,
                         "[ModuleList] '1' is a ReLU, not the type asked for");
  nn::ModuleList moved = std::move(list);
  EXPECT_EQ(moved.at<nn::Linear>(0).in_features, 3) << "children survive a move";
}

TEST(Containers, ModuleDictKeepsInsertionOrder) {
  nn::ModuleDict d;
  d.insert("b", nn::Linear(2, 2));
  d.insert("a", nn::Tanh());
  EXPECT_EQ(d.keys(), (std::vector<std::string>{"b", "a"}));
  EXPECT_TRUE(d.contains("a"));
  EXPECT_FALSE(d.contains("c"));
  EXPECT_EQ(d["a"].type_name(), "Tanh");
  EXPECT_EQ(d.at<nn::Linear>("b").in_features, 2);
  std::vector<std::string> seen;
  for (const auto& [k, m] : d) seen.push_back(k + ":" + m->type_name());
  EXPECT_EQ(seen, (std::vector<std::string>{"b:Linear", "a:Tanh"}));
  BRAID_EXPECT_THROW_MSG(d.insert("a", nn::ReLU()), ValueError,
                         "[ModuleDict] module name 'a' is already registered");
  BRAID_EXPECT_THROW_MSG(d["c"], ValueError,
                         "[ModuleDict] has no child module 'c'; children: b, a");
  std::vector<std::string> keys;
  for (const auto& [k, t] : d.state_dict()) keys.push_back(k);
  EXPECT_EQ(keys, (std::vector<std::string>{"b.weight", "b.bias"}));
}

// -- wrong input shapes: the message names the layer's path, what it expects and what it got ----

TEST(LayerErrors, ConvInsideSequentialNamesPathAndShapes) {
  nn::Sequential net{nn::Conv2d(1, 32, 3), nn::ReLU(), nn::Flatten(), nn::Linear(9216, 10)};
  BRAID_EXPECT_THROW_MSG(
      net(zeros({2, 3, 28, 28})), ShapeError,
      "[Conv2d] expected input (N, 1, H, W) or (1, H, W) with in_channels=1; got input=(2, 3, 28, "
      "28)\n  in Sequential/0 (Conv2d 1, 32, kernel_size=(3, 3), stride=(1, 1))");
  BRAID_EXPECT_THROW_MSG(
      net(zeros({2, 1, 20, 20})), ShapeError,
      "[Linear] input's last dim must be in_features=9216; got input=(2, 10368)\n  in "
      "Sequential/3 (Linear in_features=9216, out_features=10, bias=True)");
}

TEST(LayerErrors, EachLayerChecksItsInput) {
  nn::Conv1d c1(2, 4, 3);
  BRAID_EXPECT_THROW_MSG(
      c1(zeros({2, 3, 8})), ShapeError,
      "[Conv1d] expected input (N, 2, L) or (2, L) with in_channels=2; got "
      "input=(2, 3, 8)\n  in Conv1d (Conv1d 2, 4, kernel_size=(3,), stride=(1,))");
  nn::MaxPool2d mp(2);
  BRAID_EXPECT_THROW_HAS(mp(zeros({4, 4})), ShapeError,
                         "[MaxPool2d] expected input (N, C, H, W) or (C, H, W); got input=(4, 4)");
  nn::BatchNorm2d bn(3);
  BRAID_EXPECT_THROW_HAS(bn(zeros({2, 3, 4})), ShapeError,
                         "[BatchNorm2d] expected input (N, 3, H, W); got input=(2, 3, 4)");
  nn::BatchNorm1d bn1(3);
  BRAID_EXPECT_THROW_HAS(bn1(zeros({2, 4})), ShapeError,
                         "[BatchNorm1d] expected input (N, 3) or (N, 3, L); got input=(2, 4)");
  nn::LayerNorm ln(std::vector<int64_t>{3, 4});
  BRAID_EXPECT_THROW_HAS(ln(zeros({2, 4, 3})), ShapeError,
                         "[LayerNorm] expected input (*, 3, 4) ending in normalized_shape; got "
                         "input=(2, 4, 3)");
  nn::GroupNorm gn(2, 4);
  BRAID_EXPECT_THROW_HAS(gn(zeros({2, 6, 3})), ShapeError,
                         "[GroupNorm] expected input (N, 4, *); got input=(2, 6, 3)");
  nn::Embedding emb(5, 2);
  BRAID_EXPECT_THROW_HAS(
      emb(zeros({3})), DTypeError,
      "[Embedding] expected int64 or int32 indices; got float32 indices of shape (3)");
  nn::Flatten fl;
  BRAID_EXPECT_THROW_HAS(fl(zeros({5})), ShapeError,
                         "[Flatten] expected input with dims 1..-1 (start_dim <= end_dim); got "
                         "input=(5)");
  nn::Unflatten uf(1, {2, 3});
  BRAID_EXPECT_THROW_HAS(uf(zeros({4, 5})), ShapeError,
                         "[Unflatten] expected input whose dim 1 has size 6 (the product of "
                         "unflattened_size=(2, 3)); got input=(4, 5)");
  nn::Softmax sm(2);
  BRAID_EXPECT_THROW_HAS(sm(zeros({4, 5})), ShapeError,
                         "[Softmax] expected input with dim 2 (rank > 2); got input=(4, 5)");
  nn::ConvTranspose2d ct(4, 2, 3);
  BRAID_EXPECT_THROW_HAS(ct(zeros({1, 3, 5, 5})), ShapeError,
                         "[ConvTranspose2d] expected input (N, 4, H, W) or (4, H, W) with "
                         "in_channels=4; got input=(1, 3, 5, 5)");
}

TEST(LayerErrors, LossesNameThemselves) {
  nn::CrossEntropyLoss ce;
  BRAID_EXPECT_THROW_HAS(ce(zeros({4, 3}), tensor({0, 1, 5, 2})), IndexError,
                         "\n  in CrossEntropyLoss");
  nn::MSELoss mse;
  BRAID_EXPECT_THROW_HAS(mse(zeros({4, 1}), zeros({4})), ShapeError, "\n  in MSELoss");
  BRAID_EXPECT_THROW_MSG(nn::MSELoss({.reduction = "avg"}), ValueError,
                         "[MSELoss] reduction must be 'none', 'mean', 'sum'; got 'avg'");
  BRAID_EXPECT_THROW_MSG(nn::KLDivLoss({.reduction = "avg"}), ValueError,
                         "[KLDivLoss] reduction must be 'none', 'mean', 'sum' or 'batchmean'; "
                         "got 'avg'");
  EXPECT_EQ(nn::BCEWithLogitsLoss({.pos_weight = ones({3})}).state_dict().size(), 1u);
}

TEST(LayerErrors, BadSettingsFailAtConstruction) {
  BRAID_EXPECT_THROW_MSG(nn::Conv2d(3, 8, 3, {.groups = 2}), ValueError,
                         "[Conv2d] in_channels=3 must be divisible by groups=2");
  BRAID_EXPECT_THROW_MSG(nn::Conv2d(3, 8, 3, {.stride = 2, .padding = "same"}), ValueError,
                         "[Conv2d] padding='same' needs stride 1; got stride=(2, 2)");
  BRAID_EXPECT_THROW_MSG(nn::Conv2d(3, 8, {3, 3, 3}), ValueError,
                         "[Conv2d] kernel_size must be one int or 2 ints; got (3, 3, 3)");
  BRAID_EXPECT_THROW_MSG(nn::Conv2d(3, 8, 3, {.padding_mode = "circular"}), ValueError,
                         "[Conv2d] padding_mode must be 'zeros', 'reflect' or 'replicate'; got "
                         "'circular'");
  BRAID_EXPECT_THROW_MSG(nn::MaxPool2d(0), ValueError,
                         "[MaxPool2d] kernel_size must be >= 1; got 0");
  BRAID_EXPECT_THROW_MSG(nn::Dropout(1.5), ValueError,
                         "[Dropout] dropout probability has to be between 0 and 1; got p=1.5");
  BRAID_EXPECT_THROW_MSG(nn::GroupNorm(3, 4), ValueError,
                         "[GroupNorm] num_channels=4 must be divisible by num_groups=3");
  BRAID_EXPECT_THROW_MSG(nn::Embedding(5, 2, {.padding_idx = 5}), ValueError,
                         "[Embedding] padding_idx must be within num_embeddings=5 (in [-5, 5)); "
                         "got 5");
  BRAID_EXPECT_THROW_MSG(nn::GELU("fast"), ValueError,
                         "[GELU] approximate must be 'none' or 'tanh'; got 'fast'");
}

TEST(EmbeddingLayer, PaddingRowStartsAtZeroAndFromPretrainedFreezes) {
  manual_seed(0);
  nn::Embedding e(4, 3, {.padding_idx = -2});
  EXPECT_EQ(*e.padding_idx, 2);
  EXPECT_EQ(e.weight.select(0, 2).to_vector<float>(), std::vector<float>(3, 0.0f));
  nn::Embedding p = nn::Embedding::from_pretrained(tensor({{1.0, 2.0}, {3.0, 4.0}}));
  EXPECT_FALSE(p.weight.requires_grad());
  EXPECT_EQ(p(tensor({1, 0})).to_vector<float>(), (std::vector<float>{3, 4, 1, 2}));
}

}  // namespace
}  // namespace braid
