// Learning on real MNIST, kept small: the tour's MLP trained on the first
// 10000 training digits must classify 1000 test digits to >= 90 %, both
// ways (Sequential + fit, subclassed Module + custom loop). `make test`
// fetches MNIST (scripts/setup.sh demo); without it these tests skip.
#include <gtest/gtest.h>

#include <filesystem>

#include "braid/braid.hpp"

namespace braid {
namespace {

struct Subset {
  Tensor x, y, x_test, y_test;
};

std::optional<Subset> load_subset() {
  const std::string root = BRAID_SOURCE_DIR "/.cache/mnist";
  if (!std::filesystem::exists(root + "/train-images-idx3-ubyte")) return std::nullopt;
  data::MnistSplits m = data::load_mnist(root);
  auto norm = [](const Tensor& t) {
    return unsqueeze((to(t, DType::Float32) / 255.0 - 0.1307) / 0.3081, 1);
  };
  return Subset{norm(narrow(m.train_images, 0, 0, 10000)), narrow(m.train_labels, 0, 0, 10000),
                norm(narrow(m.test_images, 0, 0, 1000)), narrow(m.test_labels, 0, 0, 1000)};
}

// Read once for both tests.
const std::optional<Subset>& mnist_subset() {
  static const std::optional<Subset> subset = load_subset();
  return subset;
}

double accuracy(nn::Module& net, const Tensor& x, const Tensor& y) {
  NoGradGuard no_grad;
  net.eval();
  return sum(eq(argmax(net(x), 1), y)).item<int64_t>() / double(x.size(0));
}

TEST(MnistSubset, SequentialFitLearns) {
  const auto& d = mnist_subset();
  if (!d) GTEST_SKIP() << "no MNIST in .cache/mnist; run scripts/fetch_mnist.sh";
  manual_seed(0);
  nn::Sequential net(nn::Flatten(), nn::Linear(784, 128), nn::ReLU(), nn::Dropout(0.2),
                     nn::Linear(128, 10));
  train::Model model(net);
  model.compile(optim::Adam({.lr = 1e-3}), "sparse_categorical_crossentropy", {"accuracy"});
  train::History h =
      model.fit(d->x, d->y, {.epochs = 2, .batch_size = 64, .verbose = 0, .seed = 1});
  EXPECT_LT(h["loss"][1], h["loss"][0]);
  EXPECT_GE(accuracy(net, d->x_test, d->y_test), 0.90);
}

struct MLP : nn::Module {
  nn::Linear& fc1 = register_module("fc1", nn::Linear(784, 128));
  nn::Linear& fc2 = register_module("fc2", nn::Linear(128, 10));
  Tensor forward(const Tensor& x) override { return fc2(relu(fc1(flatten(x, 1)))); }
};

TEST(MnistSubset, ModuleCustomLoopLearns) {
  const auto& d = mnist_subset();
  if (!d) GTEST_SKIP() << "no MNIST in .cache/mnist; run scripts/fetch_mnist.sh";
  manual_seed(0);
  MLP net;
  optim::Adam opt(net.parameters(), {.lr = 1e-3});
  data::DataLoader loader(std::make_shared<data::TensorDataset>(d->x, d->y),
                          {.batch_size = 64, .shuffle = true, .seed = 1});
  net.train();
  for (int epoch = 0; epoch < 2; ++epoch)
    for (const data::Example& b : loader) {
      opt.zero_grad();
      cross_entropy(net(b.data), b.target).backward();
      opt.step();
    }
  EXPECT_GE(accuracy(net, d->x_test, d->y_test), 0.90);
}

}  // namespace
}  // namespace braid
