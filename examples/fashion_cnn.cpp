// Fashion-MNIST with a BatchNorm CNN, Keras style: random flips through a
// dataset transform, fit() with a validation split and callbacks
// (EarlyStopping, ReduceLROnPlateau, CSVLogger, TensorBoard), then evaluate.
// Data: Debian's dataset-fashion-mnist (`scripts/setup.sh demo` installs it).
//   fashion_cnn [epochs (2)] [train examples (60000)] [log dir (/tmp/braid_fashion)]
#include <braid/braid.hpp>

#include "models.hpp"

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <string>

using namespace braid;

using examples::fashion_cnn;  // examples/models.hpp

int main(int argc, char** argv) try {
  const int64_t epochs = argc > 1 ? std::stoll(argv[1]) : 2;
  const int64_t n_train = argc > 2 ? std::stoll(argv[2]) : 60000;
  const std::string log_dir = argc > 3 ? argv[3] : "/tmp/braid_fashion";
  manual_seed(0);
  std::filesystem::create_directories(log_dir);

  data::MnistSplits fashion = data::load_fashion_mnist();
  auto normalise = [](const Tensor& images) {  // uint8 (N, 28, 28) -> float (N, 1, 28, 28)
    return unsqueeze((to(images, DType::Float32) / 255.0 - 0.2860) / 0.3530, 1);
  };
  Tensor x = narrow(normalise(fashion.train_images), 0, 0, n_train);
  Tensor y = narrow(fashion.train_labels, 0, 0, n_train);
  Tensor x_test = normalise(fashion.test_images), y_test = fashion.test_labels;

  // The last 10% validates (as Keras' validation_split); the rest is flipped
  // at random, each example's draw fixed by (seed, epoch, index).
  const int64_t n_val = n_train / 10, n_fit = n_train - n_val;
  auto train_set = std::make_shared<data::MappedDataset>(
      std::make_shared<data::TensorDataset>(narrow(x, 0, 0, n_fit), narrow(y, 0, 0, n_fit)),
      data::random_horizontal_flip(0.5));

  nn::Sequential net = fashion_cnn();
  std::cout << net << "\n";
  train::Model model(net);
  model.summary({1, 28, 28});
  model.compile(optim::Adam({.lr = 1e-3}), "sparse_categorical_crossentropy", {"accuracy"});
  train::History history = model.fit(
      *train_set,
      {.epochs = epochs,
       .batch_size = 128,
       .validation_data = {{narrow(x, 0, n_fit, n_val), narrow(y, 0, n_fit, n_val)}},
       .callbacks = {train::EarlyStopping(
                         {.monitor = "val_accuracy", .patience = 2, .restore_best_weights = true}),
                     train::ReduceLROnPlateau(
                         {.monitor = "val_loss", .factor = 0.5, .patience = 1}),
                     train::CSVLogger(log_dir + "/history.csv"), train::TensorBoard(log_dir)},
       .seed = 1});

  train::Logs test = model.evaluate(x_test, y_test, 512);
  std::printf(
      "Fashion-MNIST test accuracy %.2f %% (loss %.4f) after %zu epoch(s); "
      "history in %s/history.csv, TensorBoard runs in %s/{train,validation}\n",
      test.at("accuracy") * 100, test.at("loss"), history["loss"].size(), log_dir.c_str(),
      log_dir.c_str());
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "fashion_cnn: %s\n", e.what());
  return 1;
}
