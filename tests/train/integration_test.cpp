// train with the real layers around it: Adam and Dropout (the Keras-short
// front door, determinism through dropout), TensorDataset, ModelCheckpoint
// writing safetensors through io, TensorBoard writing event files.
#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>

#include "braid/braid.hpp"
#include "train/train_test_util.hpp"

namespace braid {
namespace {

namespace fs = std::filesystem;
using testing_train::make_blobs;

fs::path temp_dir(const std::string& name) {
  auto d = fs::temp_directory_path() / ("braid_train_it_" + name);
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

nn::Sequential mlp() {
  return nn::Sequential{nn::Flatten(), nn::Linear(2, 32), nn::ReLU(), nn::Dropout(0.2),
                        nn::Linear(32, 3)};
}

TEST(TrainIntegration, AdamDropoutAndDeterminism) {
  auto data = make_blobs(300, 21);
  auto run = [&] {
    manual_seed(5);
    train::Model model(mlp());
    model.compile(optim::Adam({.lr = 1e-2}), "sparse_categorical_crossentropy", {"accuracy"});
    auto h = model.fit(data.x, data.y, {.epochs = 5, .validation_split = 0.2, .verbose = 0});
    return std::make_pair(h["val_accuracy"].back(), testing_train::flat_weights(model.module()));
  };
  auto [acc, w1] = run();
  auto [acc2, w2] = run();
  EXPECT_GE(acc, 0.9);
  EXPECT_EQ(w1, w2) << "manual_seed fixes shuffling and dropout alike";
}

TEST(TrainIntegration, TensorDatasetFit) {
  auto data = make_blobs(200, 22);
  data::TensorDataset ds(data.x, data.y);
  manual_seed(1);
  train::Model model(mlp());
  model.compile(optim::Adam({.lr = 1e-2}), "sparse_categorical_crossentropy", {"accuracy"});
  auto h = model.fit(ds, {.epochs = 5, .batch_size = 16, .verbose = 0, .seed = 3});
  EXPECT_GE(h["accuracy"].back(), 0.9);
}

TEST(TrainIntegration, ModelCheckpointWritesSafetensors) {
  auto dir = temp_dir("ckpt");
  auto data = make_blobs(40, 23);
  manual_seed(2);
  train::Model model(mlp());
  model.compile(optim::Adam({.lr = 1e-2}), "sparse_categorical_crossentropy");
  model.fit(data.x, data.y,
            {.epochs = 2,
             .batch_size = 8,
             .verbose = 0,
             .callbacks = {train::ModelCheckpoint((dir / "w{epoch}.safetensors").string(),
                                                  {.monitor = "loss", .save_weights_only = true}),
                           train::ModelCheckpoint((dir / "m.safetensors").string())}});
  ASSERT_TRUE(fs::exists(dir / "w1.safetensors"));
  const nn::StateDict saved = io::load_safetensors(dir / "w2.safetensors");
  const nn::StateDict now = model.module().state_dict();
  ASSERT_EQ(saved.size(), now.size());
  for (const auto& [k, t] : now)
    EXPECT_EQ(saved.at(k).to_vector<float>(), t.to_vector<float>()) << k;
  manual_seed(99);
  nn::Sequential other = mlp();
  io::load(other, dir / "m.safetensors");
  EXPECT_EQ(testing_train::flat_weights(other), testing_train::flat_weights(model.module()));
}

TEST(TrainIntegration, TensorBoardWritesTrainAndValidationEventFiles) {
  auto dir = temp_dir("tb");
  auto data = make_blobs(40, 24);
  manual_seed(3);
  train::Model model(mlp());
  model.compile(optim::Adam({.lr = 1e-2}), "sparse_categorical_crossentropy", {"accuracy"});
  model.fit(data.x, data.y,
            {.epochs = 2,
             .batch_size = 8,
             .validation_split = 0.25,
             .verbose = 0,
             .callbacks = {train::TensorBoard(dir.string())}});
  for (const char* run : {"train", "validation"}) {
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(dir / run)) files.push_back(e.path());
    ASSERT_EQ(files.size(), 1u) << run;
    EXPECT_EQ(files[0].filename().string().rfind("events.out.tfevents.", 0), 0u);
    // The file-version record, then accuracy and loss for each of 2 epochs.
    auto records = tensorboard::read_records(files[0]);
    EXPECT_EQ(records.size(), 5u) << run;
    bool has_loss = false;
    for (const auto& r : records) has_loss = has_loss || r.find("epoch_loss") != std::string::npos;
    EXPECT_TRUE(has_loss) << run;
  }
}

TEST(TrainIntegration, SummaryOfTheMnistMlp) {
  manual_seed(0);
  train::Model model(nn::Sequential{nn::Flatten(), nn::Linear(784, 128), nn::ReLU(),
                                    nn::Dropout(0.2), nn::Linear(128, 10)});
  std::ostringstream out;
  model.set_output(out);
  model.summary({28, 28});
  const std::string s = out.str();
  EXPECT_NE(s.find("│ 0 (Flatten)                     │ (None, 784)            │             0 │"),
            std::string::npos)
      << s;
  EXPECT_NE(s.find("│ 1 (Linear)                      │ (None, 128)            │       100,480 │"),
            std::string::npos)
      << s;
  EXPECT_NE(s.find(" Total params: 101,770 (397.54 KB)\n"), std::string::npos) << s;
}

}  // namespace
}  // namespace braid
