// Callbacks: each one's effect on a real fit (a LambdaCallback placed
// first feeds made-up "val_loss" values where a test needs a given curve).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "braid/braid.hpp"
#include "core/test_util.hpp"
#include "train/train_test_util.hpp"

namespace braid {
namespace {

using testing_train::make_blobs;
using testing_train::make_mlp;
using testing_train::TestSGD;

// Sets logs["val_loss"] = curve[epoch].
train::LambdaCallback fake_val_loss(std::vector<double> curve) {
  return train::LambdaCallback(
      {.on_epoch_end = [curve](int64_t e, train::Logs& logs) { logs["val_loss"] = curve.at(e); }});
}

struct Fixture {
  testing_train::Blobs data = make_blobs(40, 3);
  train::Model model{make_mlp(1)};
  std::ostringstream out;
  Fixture(double lr = 0.1) {
    model.compile(TestSGD(lr), "sparse_categorical_crossentropy", {"accuracy"});
    model.set_output(out);
  }
  train::History fit(int64_t epochs, std::vector<train::CallbackPtr> cbs) {
    return model.fit(
        data.x, data.y,
        {.epochs = epochs, .batch_size = 8, .verbose = 0, .callbacks = std::move(cbs)});
  }
};

std::filesystem::path temp_dir(const std::string& name) {
  auto d = std::filesystem::temp_directory_path() / ("braid_train_" + name);
  std::filesystem::remove_all(d);
  std::filesystem::create_directories(d);
  return d;
}

TEST(TrainCallbacks, EarlyStoppingStopsAfterPatience) {
  Fixture fx;
  auto es = std::make_shared<train::EarlyStopping>(
      train::EarlyStoppingOptions{.patience = 2, .verbose = 1});
  auto h = fx.fit(10, {fake_val_loss({1.0, 0.9, 0.95, 0.96, 0.97, 0.5, 0.5, 0.5, 0.5, 0.5}), es});
  EXPECT_EQ(h.epoch, (std::vector<int64_t>{0, 1, 2, 3}));
  EXPECT_EQ(es->stopped_epoch, 3);
  EXPECT_EQ(es->best_epoch, 1);
  EXPECT_EQ(fx.out.str(), "Epoch 4: early stopping\n");
}

TEST(TrainCallbacks, EarlyStoppingModesDeltaBaselineStart) {
  auto run = [](train::EarlyStoppingOptions o, std::vector<double> curve) {
    Fixture fx;
    auto es = std::make_shared<train::EarlyStopping>(o);
    return fx.fit(int64_t(curve.size()), {fake_val_loss(curve), es}).epoch.size();
  };
  // min_delta: 1.0 -> 0.97 is no improvement of 0.05.
  EXPECT_EQ(run({.min_delta = 0.05, .patience = 1}, {1.0, 0.97, 0.93, 0.5}), 2u);
  EXPECT_EQ(run({.min_delta = 0.02, .patience = 1}, {1.0, 0.97, 0.96, 0.5}), 3u);
  // mode max: rising values improve.
  EXPECT_EQ(run({.patience = 1, .mode = "max"}, {1.0, 2.0, 3.0, 2.0, 1.0}), 4u);
  // baseline: the first epoch, not beating 0.5, does not reset the wait.
  EXPECT_EQ(run({.patience = 2}, {1, 1, 1, 1, 1}), 3u);
  EXPECT_EQ(run({.patience = 2, .baseline = 0.5}, {1, 1, 1, 1, 1}), 2u);
  // start_from_epoch: the first 3 epochs are not watched.
  EXPECT_EQ(run({.patience = 1, .start_from_epoch = 3}, {1, 2, 3, 4, 5, 6}), 5u);
  BRAID_EXPECT_THROW_MSG(train::EarlyStopping({.mode = "up"}), ValueError,
                         "[EarlyStopping] mode must be 'auto', 'min' or 'max'; got 'up'");
}

TEST(TrainCallbacks, EarlyStoppingRestoresTheBestWeights) {
  Fixture fx;
  std::vector<std::vector<float>> weights;
  auto grab = train::LambdaCallback({.on_epoch_end = [&](int64_t, train::Logs&) {
    weights.push_back(testing_train::flat_weights(fx.model.module()));
  }});
  auto h = fx.fit(6, {fake_val_loss({1.0, 0.5, 0.7, 0.8, 0.9, 1.0}), std::move(grab),
                      train::EarlyStopping({.patience = 2, .restore_best_weights = true})});
  ASSERT_EQ(h.epoch.size(), 4u);
  EXPECT_NE(weights[1], weights[3]);
  EXPECT_EQ(testing_train::flat_weights(fx.model.module()), weights[1]);
}

TEST(TrainCallbacks, ReduceLROnPlateau) {
  Fixture fx;
  auto h = fx.fit(
      8, {fake_val_loss({1, 1, 1, 1, 1, 1, 1, 1}),
          train::ReduceLROnPlateau({.factor = 0.5, .patience = 2, .cooldown = 1, .min_lr = 0.03})});
  // Logs hold the rate the epoch ran with. Epoch 0 sets the best; 1, 2 wait
  // -> 0.05 after epoch 2. As in Keras, the cooldown epoch (3) ends its
  // cooldown before counting, so epoch 4 reduces again, to min_lr.
  const std::vector<double> want = {0.1, 0.1, 0.1, 0.05, 0.05, 0.03, 0.03, 0.03};
  ASSERT_EQ(h["learning_rate"].size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) EXPECT_DOUBLE_EQ(h["learning_rate"][i], want[i]) << i;
  EXPECT_DOUBLE_EQ(fx.model.learning_rate(), 0.03);
  BRAID_EXPECT_THROW_HAS(train::ReduceLROnPlateau({.factor = 1.0}), ValueError,
                         "factor must be in [0, 1); got 1");
}

TEST(TrainCallbacks, LearningRateScheduler) {
  Fixture fx;
  std::vector<double> seen;
  auto h = fx.fit(3, {train::LearningRateScheduler(
                          [](int64_t epoch, double lr) { return epoch == 0 ? lr : lr * 0.1; }),
                      train::LambdaCallback({.on_epoch_begin = [&](int64_t, const train::Logs&) {
                        seen.push_back(fx.model.learning_rate());
                      }})});
  EXPECT_NEAR(seen[0], 0.1, 1e-15);
  EXPECT_NEAR(seen[1], 0.01, 1e-15);
  EXPECT_NEAR(seen[2], 0.001, 1e-15);
  EXPECT_EQ(h["learning_rate"], seen);
}

std::vector<std::string> lines(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::vector<std::string> out;
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

TEST(TrainCallbacks, CSVLoggerWritesAndAppends) {
  auto path = temp_dir("csv") / "log.csv";
  Fixture fx;
  auto h = fx.fit(2, {train::CSVLogger(path.string())});
  auto rows = lines(path);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0], "epoch,accuracy,loss");
  for (int e = 0; e < 2; ++e) {
    std::istringstream row(rows[e + 1]);
    std::string epoch, acc, loss;
    std::getline(row, epoch, ',');
    std::getline(row, acc, ',');
    std::getline(row, loss, ',');
    EXPECT_EQ(epoch, std::to_string(e));
    EXPECT_EQ(std::stod(acc), h["accuracy"][e]) << "round-trips exactly";
    EXPECT_EQ(std::stod(loss), h["loss"][e]);
  }
  fx.fit(1, {train::CSVLogger(path.string(), ",", true)});
  rows = lines(path);
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[3].substr(0, 2), "0,");
  fx.fit(1, {train::CSVLogger(path.string(), ";")});
  rows = lines(path);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0], "epoch;accuracy;loss");
}

TEST(TrainCallbacks, TerminateOnNaN) {
  manual_seed(0);
  train::Model model(nn::Linear(2, 1));
  int64_t calls = 0;
  model.compile(TestSGD(0.1), [&calls](const Tensor& p, const Tensor& t) {
    Tensor l = mean(square(p - t));
    return ++calls == 3 ? l * NAN : l;
  });
  std::ostringstream out;
  model.set_output(out);
  auto h = model.fit(
      randn({40, 2}), randn({40, 1}),
      {.epochs = 5, .batch_size = 4, .verbose = 0, .callbacks = {train::TerminateOnNaN()}});
  EXPECT_EQ(calls, 3);
  EXPECT_EQ(h.epoch.size(), 1u);
  EXPECT_EQ(out.str(), "Batch 2: Invalid loss, terminating training\n");
}

TEST(TrainCallbacks, ModelCheckpointSavesBestOnly) {
  auto dir = temp_dir("ckpt");
  std::vector<std::pair<std::string, bool>> writes;
  auto writer = [&](const nn::Module& m, const std::string& path, bool weights_only) {
    EXPECT_FALSE(m.state_dict().empty());
    writes.emplace_back(path, weights_only);
  };
  Fixture fx;
  auto ckpt = std::make_shared<train::ModelCheckpoint>(
      (dir / "sub" / "m_{epoch:02d}_{val_loss:.2f}.safetensors").string(),
      train::ModelCheckpointOptions{
          .save_best_only = true, .save_weights_only = true, .writer = writer});
  fx.fit(4, {fake_val_loss({1.0, 1.2, 0.8, 0.8}), ckpt});
  ASSERT_EQ(writes.size(), 2u);
  EXPECT_EQ(writes[0].first, (dir / "sub" / "m_01_1.00.safetensors").string());
  EXPECT_EQ(writes[1].first, (dir / "sub" / "m_03_0.80.safetensors").string());
  EXPECT_TRUE(writes[0].second);
  EXPECT_TRUE(std::filesystem::is_directory(dir / "sub"));
  EXPECT_EQ(ckpt->saved.size(), 2u);
  train::ModelCheckpoint bad("m_{nope}.st");
  BRAID_EXPECT_THROW_HAS(bad.format_path(0, {{"loss", 1.0}}), ValueError,
                         "filepath 'm_{nope}.st' names 'nope', which the logs lack");
  writes.clear();
  Fixture every;
  every.fit(2, {train::ModelCheckpoint("e{epoch}.st", {.writer = writer})});
  ASSERT_EQ(writes.size(), 2u);
  EXPECT_EQ(writes[1].first, "e2.st");
  EXPECT_FALSE(writes[1].second);
}

struct FakeWriter : train::ScalarWriter {
  std::string dir;
  std::vector<std::string>* log;
  void add_scalar(const std::string& tag, double v, int64_t step) override {
    log->push_back(fmt::format("{}:{}@{}={:.6f}", std::filesystem::path(dir).filename().string(),
                               tag, step, v));
  }
  void flush() override {}
};

TEST(TrainCallbacks, TensorBoardWritesTrainAndValidationRuns) {
  std::vector<std::string> log;
  auto factory = [&](const std::string& dir) {
    auto w = std::make_unique<FakeWriter>();
    w->dir = dir, w->log = &log;
    return w;
  };
  Fixture fx;
  auto h = fx.model.fit(fx.data.x, fx.data.y,
                        {.epochs = 2,
                         .batch_size = 8,
                         .validation_split = 0.25,
                         .verbose = 0,
                         .callbacks = {train::TensorBoard("tb", factory)}});
  std::vector<std::string> want;
  for (int e = 0; e < 2; ++e) {
    want.push_back(fmt::format("train:epoch_accuracy@{}={:.6f}", e, h["accuracy"][e]));
    want.push_back(fmt::format("train:epoch_loss@{}={:.6f}", e, h["loss"][e]));
    want.push_back(fmt::format("validation:epoch_accuracy@{}={:.6f}", e, h["val_accuracy"][e]));
    want.push_back(fmt::format("validation:epoch_loss@{}={:.6f}", e, h["val_loss"][e]));
  }
  EXPECT_EQ(log, want);
}

TEST(TrainCallbacks, HookOrderAndStopFromABatch) {
  Fixture fx;
  std::vector<std::string> calls;
  auto h = fx.fit(
      3,
      {train::LambdaCallback(
          {.on_train_begin = [&](const train::Logs&) { calls.push_back("tb"); },
           .on_train_end =
               [&](const train::Logs& l) { calls.push_back(l.count("loss") ? "te+loss" : "te"); },
           .on_epoch_begin = [&](int64_t e,
                                 const train::Logs&) { calls.push_back(fmt::format("eb{}", e)); },
           .on_epoch_end = [&](int64_t e,
                               train::Logs&) { calls.push_back(fmt::format("ee{}", e)); },
           .on_train_batch_end =
               [&](int64_t b, const train::Logs&) {
                 calls.push_back(fmt::format("b{}", b));
                 if (b == 1) fx.model.stop_training = true;
               }})});
  EXPECT_EQ(calls, (std::vector<std::string>{"tb", "eb0", "b0", "b1", "ee0", "te+loss"}));
  EXPECT_EQ(h.epoch.size(), 1u);
}

}  // namespace
}  // namespace braid
