// train::Model: compile, fit (learning, validation_split, determinism,
// accumulation, class_weight, datasets), evaluate, predict and errors.
#include <gtest/gtest.h>

#include "braid/braid.hpp"
#include "core/test_util.hpp"
#include "train/train_test_util.hpp"

namespace braid {
namespace {

using testing_train::make_blobs;
using testing_train::make_mlp;
using testing_train::TestSGD;

TEST(TrainFit, LearnsBlobsAndEvaluates) {
  auto data = make_blobs(600, 1);
  train::Model model(make_mlp(2));
  model.compile(TestSGD(0.1), "sparse_categorical_crossentropy", {"accuracy"});
  train::History h =
      model.fit(data.x, data.y,
                {.epochs = 8, .batch_size = 32, .validation_split = 0.2, .verbose = 0, .seed = 3});
  ASSERT_EQ(h["loss"].size(), 8u);
  EXPECT_EQ(h.epoch, (std::vector<int64_t>{0, 1, 2, 3, 4, 5, 6, 7}));
  EXPECT_LT(h["loss"].back(), h["loss"].front());
  EXPECT_GE(h["accuracy"].back(), 0.9);
  EXPECT_GE(h["val_accuracy"].back(), 0.9);
  auto test = make_blobs(300, 9);
  train::Logs scores = model.evaluate(test.x, test.y);
  EXPECT_GE(scores.at("accuracy"), 0.9);
  EXPECT_EQ(scores.size(), 2u);  // accuracy, loss
  Tensor pred = model.predict(test.x, 64);
  EXPECT_EQ(pred.shape(), (Shape{300, 3}));
  EXPECT_FALSE(pred.requires_grad());
  // predict's argmax agrees with evaluate's accuracy.
  auto got = argmax(pred, 1).to_vector<int64_t>(), want = test.y.to_vector<int64_t>();
  int64_t ok = 0;
  for (size_t i = 0; i < got.size(); ++i) ok += got[i] == want[i];
  EXPECT_DOUBLE_EQ(double(ok) / 300, scores.at("accuracy"));
}

// Records the first input column of every row it sees, by mode.
struct Recorder : nn::Module {
  nn::Linear& fc = register_module("fc", nn::Linear(1, 2));
  std::vector<float> train_rows, eval_rows;
  Tensor forward(const Tensor& x) override {
    auto v = x.select(1, 0).contiguous().to_vector<float>();
    auto& to = is_training() ? train_rows : eval_rows;
    to.insert(to.end(), v.begin(), v.end());
    return fc(x);
  }
};

TEST(TrainFit, ValidationSplitTakesTheLastRowsBeforeShuffling) {
  manual_seed(0);
  Recorder rec;
  train::Model model(rec);  // borrowed
  model.compile(TestSGD(0.01), "cross_entropy");
  Tensor x = arange(0.0, 10.0).reshape({10, 1});
  Tensor y = zeros({10}, DType::Int64);
  model.fit(x, y, {.epochs = 1, .batch_size = 3, .validation_split = 0.25, .verbose = 0});
  // ceil(10 * 0.75) = 8 rows train, shuffled; rows 8 and 9 validate.
  EXPECT_EQ(rec.eval_rows, (std::vector<float>{8, 9}));
  std::vector<float> seen = rec.train_rows;
  EXPECT_NE(seen, (std::vector<float>{0, 1, 2, 3, 4, 5, 6, 7})) << "shuffled";
  std::sort(seen.begin(), seen.end());
  EXPECT_EQ(seen, (std::vector<float>{0, 1, 2, 3, 4, 5, 6, 7}));
  EXPECT_TRUE(rec.is_training()) << "fit leaves the module in train mode";

  rec.train_rows.clear();
  model.fit(x, y, {.epochs = 1, .batch_size = 4, .shuffle = false, .verbose = 0});
  EXPECT_EQ(rec.train_rows, (std::vector<float>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
}

TEST(TrainFit, SameSeedTrainsBitIdenticalWeights) {
  auto data = make_blobs(200, 4);
  auto run = [&](uint64_t shuffle_seed) {
    train::Model model(make_mlp(7));
    model.compile(TestSGD(0.05), "sparse_categorical_crossentropy", {"accuracy"});
    model.fit(data.x, data.y, {.epochs = 2, .batch_size = 16, .verbose = 0, .seed = shuffle_seed});
    return testing_train::flat_weights(model.module());
  };
  const auto a = run(11), b = run(11), c = run(12);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c) << "the seed changes the batch order";
}

TEST(TrainFit, AccumulationMatchesOneBigBatch) {
  // Mean losses: 4 batches of 8 with accumulation 4, each scaled by 1/4, sum
  // to the gradient of one batch of 32 (same rows, no shuffling).
  auto data = make_blobs(32, 5);
  auto run = [&](int64_t bs, int64_t acc) {
    train::Model model(make_mlp(3));
    model.compile(TestSGD(0.1), "sparse_categorical_crossentropy");
    model.fit(
        data.x, data.y,
        {.epochs = 1, .batch_size = bs, .shuffle = false, .verbose = 0, .accumulation_steps = acc});
    return testing_train::flat_weights(model.module());
  };
  const auto big = run(32, 1), acc = run(8, 4), plain = run(8, 1);
  ASSERT_EQ(big.size(), acc.size());
  for (size_t i = 0; i < big.size(); ++i) EXPECT_NEAR(big[i], acc[i], 1e-5) << i;
  EXPECT_NE(big, plain);
}

TEST(TrainFit, ClassWeightScalesTheLoss) {
  auto data = make_blobs(64, 6);
  train::Model model(make_mlp(1));
  model.compile(TestSGD(0.0), "sparse_categorical_crossentropy");
  auto plain = model.fit(data.x, data.y, {.batch_size = 64, .verbose = 0});
  auto doubled =
      model.fit(data.x, data.y,
                {.batch_size = 64, .class_weight = {{0, 2.0}, {1, 2.0}, {2, 2.0}}, .verbose = 0});
  EXPECT_NEAR(doubled["loss"][0], 2 * plain["loss"][0], 1e-5);
  auto only0 =
      model.fit(data.x, data.y,
                {.batch_size = 64, .class_weight = {{0, 1.0}, {1, 0.0}, {2, 0.0}}, .verbose = 0});
  EXPECT_LT(only0["loss"][0], plain["loss"][0]);
}

TEST(TrainFit, StepsPerEpochAndInitialEpoch) {
  auto data = make_blobs(50, 2);
  train::Model model(make_mlp(1));
  model.compile(TestSGD(0.01), "sparse_categorical_crossentropy");
  int64_t batches = 0;
  auto h =
      model.fit(data.x, data.y,
                {.epochs = 4,
                 .batch_size = 10,
                 .initial_epoch = 2,
                 .steps_per_epoch = 7,
                 .verbose = 0,
                 .callbacks = {train::LambdaCallback(
                     {.on_train_batch_end = [&](int64_t, const train::Logs&) { ++batches; }})}});
  EXPECT_EQ(h.epoch, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(batches, 14);
}

struct PairDataset : data::Dataset {
  Tensor x, y;
  int64_t size() const override { return x.size(0); }
  data::Example get(int64_t i) const override { return {x[i], y[i]}; }
};

TEST(TrainFit, FitsADataset) {
  auto data = make_blobs(300, 8);
  PairDataset ds;
  ds.x = data.x, ds.y = data.y;
  train::Model model(make_mlp(2));
  model.compile(TestSGD(0.1), "sparse_categorical_crossentropy", {"accuracy"});
  auto h = model.fit(ds, {.epochs = 5, .validation_split = 0.2, .verbose = 0, .seed = 1});
  EXPECT_GE(h["val_accuracy"].back(), 0.9);
  EXPECT_GE(model.evaluate(ds).at("accuracy"), 0.9);
}

TEST(TrainFit, RegressionWithMseAndACallableLoss) {
  manual_seed(0);
  Tensor x = randn({64, 3});
  Tensor y = matmul(x, tensor({{1.0f}, {-2.0f}, {0.5f}}));  // (64, 1)
  train::Model model(nn::Linear(3, 1));
  model.compile(TestSGD(0.1), "mse", {"mae"});
  auto h = model.fit(x, y.reshape({64}), {.epochs = 30, .batch_size = 16, .verbose = 0});
  EXPECT_LT(h["loss"].back(), 1e-3);
  EXPECT_LT(h["mae"].back(), 0.05);

  train::Model custom(nn::Linear(3, 1));
  custom.compile(TestSGD(0.1),
                 [](const Tensor& p, const Tensor& t) { return mean(square(p - t)); });
  auto h2 = custom.fit(x, y, {.epochs = 30, .batch_size = 16, .verbose = 0});
  EXPECT_LT(h2["loss"].back(), 1e-3);
}

struct BinaryNet : nn::Module {
  nn::Linear& fc = register_module("fc", nn::Linear(2, 1));
  Tensor forward(const Tensor& x) override { return sigmoid(fc(x)).squeeze({1}); }
};

TEST(TrainFit, BinaryClassificationWithAnOwnedUserModule) {
  auto data = make_blobs(400, 12);
  Tensor y = (data.y == 0).to(DType::Float32);  // blob 0 against the rest
  manual_seed(1);
  train::Model model(std::make_unique<BinaryNet>());
  model.compile(std::make_unique<TestSGD>(0.5), "binary_crossentropy",
                {"accuracy", "precision", "recall", "auc"});
  auto h = model.fit(data.x, y, {.epochs = 10, .batch_size = 32, .verbose = 0, .seed = 2});
  EXPECT_GE(h["accuracy"].back(), 0.9);
  EXPECT_GE(h["precision"].back(), 0.8);
  EXPECT_GE(h["recall"].back(), 0.8);
  EXPECT_GE(h["auc"].back(), 0.95);
  EXPECT_EQ(model.module().type_name(), "BinaryNet");
}

TEST(TrainFit, CompileAddsParametersOnlyToAnEmptyOptimizer) {
  manual_seed(0);
  nn::Linear lin(2, 2);
  auto opt = std::make_shared<TestSGD>(0.1);
  train::Model model(lin);
  model.compile(opt, "mse");
  ASSERT_EQ(opt->num_param_groups(), 1u);
  EXPECT_EQ(opt->params(0).size(), 2u);
  model.compile(opt, "mse");
  EXPECT_EQ(opt->num_param_groups(), 1u);
  EXPECT_DOUBLE_EQ(model.learning_rate(), 0.1);
  model.set_learning_rate(0.5);
  EXPECT_DOUBLE_EQ(opt->lr(0), 0.5);
}

TEST(TrainFit, Errors) {
  auto data = make_blobs(10, 0);
  train::Model model(make_mlp(0));
  BRAID_EXPECT_THROW_MSG(
      model.fit(data.x, data.y), ValueError,
      "[train.fit] the model is not compiled; call compile(optimizer, loss, metrics) first");
  BRAID_EXPECT_THROW_MSG(
      model.compile(TestSGD(0.1), "hinge"), ValueError,
      "[train.compile] unknown loss 'hinge'; known losses: sparse_categorical_crossentropy, "
      "cross_entropy, categorical_crossentropy, binary_crossentropy, "
      "binary_crossentropy_with_logits, mse, mean_squared_error, mae, mean_absolute_error "
      "(or pass a callable)");
  BRAID_EXPECT_THROW_MSG(
      model.compile(TestSGD(0.1), "cross_entropy", {"accuracy", "acuracy"}), ValueError,
      "[train.compile] unknown metric 'acuracy'; known metrics: accuracy, acc, top_k_accuracy, "
      "sparse_top_k_categorical_accuracy, precision, recall, f1, f1_score, auc, mse, "
      "mean_squared_error, mae, mean_absolute_error");
  EXPECT_FALSE(model.compiled()) << "a failed compile changes nothing";
  model.compile(TestSGD(0.1), "cross_entropy");
  BRAID_EXPECT_THROW_MSG(model.fit(data.x, data.y.slice(0, 0, 7)), ShapeError,
                         "[train.fit] x and y must hold the same number of examples; got x "
                         "(10, 2) (10 examples) and y (7)");
  BRAID_EXPECT_THROW_HAS(model.fit(data.x, data.y, {.validation_split = 1.0}), ValueError,
                         "validation_split must be in [0, 1); got 1");
  BRAID_EXPECT_THROW_HAS(model.fit(data.x, data.y, {.batch_size = 0}), ValueError,
                         "batch_size must be > 0; got 0");
  train::Model custom(make_mlp(0));
  custom.compile(TestSGD(0.1), [](const Tensor& p, const Tensor&) { return p.sum(); });
  BRAID_EXPECT_THROW_HAS(custom.fit(data.x, data.y, {.class_weight = {{0, 1.0}}}), ValueError,
                         "class_weight needs per-example losses");
  train::History h;
  BRAID_EXPECT_THROW_MSG(h["loss"], ValueError, "[train.History] no 'loss' recorded; recorded: ");
}

}  // namespace
}  // namespace braid
