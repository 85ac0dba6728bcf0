// summary(): Keras' table for a Sequential and for a user-defined module.
#include <gtest/gtest.h>

#include <sstream>

#include "braid/braid.hpp"
#include "train/train_test_util.hpp"

namespace braid {
namespace {

TEST(TrainSummary, Sequential) {
  manual_seed(0);
  train::Model model(nn::Sequential{nn::Linear(4, 8), testing_train::Relu(), nn::Linear(8, 3)});
  std::ostringstream out;
  model.set_output(out);
  model.summary({4});
  EXPECT_EQ(out.str(),
            "Model: \"sequential\"\n"
            "┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┓\n"
            "┃ Layer (type)                    ┃ Output Shape           ┃       Param # ┃\n"
            "┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━┩\n"
            "│ 0 (Linear)                      │ (None, 8)              │            40 │\n"
            "├─────────────────────────────────┼────────────────────────┼───────────────┤\n"
            "│ 1 (Relu)                        │ (None, 8)              │             0 │\n"
            "├─────────────────────────────────┼────────────────────────┼───────────────┤\n"
            "│ 2 (Linear)                      │ (None, 3)              │            27 │\n"
            "└─────────────────────────────────┴────────────────────────┴───────────────┘\n"
            " Total params: 67 (268.00 B)\n"
            " Trainable params: 67 (268.00 B)\n"
            " Non-trainable params: 0 (0.00 B)\n");
}

struct MnistNet : nn::Module {
  nn::Linear& fc1 = register_module("fc1", nn::Linear(784, 1500));
  nn::Linear& fc2 = register_module("fc2", nn::Linear(1500, 10));
  Tensor& frozen = register_parameter("frozen", zeros({6}), false);
  Tensor& running = register_buffer("running", zeros({4}));
  Tensor& steps = register_buffer("steps", zeros({1}, DType::Int64));  // not a weight
  Tensor forward(const Tensor& x) override { return fc2(relu(fc1(flatten(x, 1)))); }
};

TEST(TrainSummary, UserModuleShowsEachChildAndCountsFrozenState) {
  manual_seed(0);
  MnistNet net;
  net.train();
  const std::string s = train::summary(net, {28, 28});
  EXPECT_TRUE(net.is_training()) << "summary puts the mode back";
  EXPECT_EQ(s.substr(0, s.find('\n')), "Model: \"mnist_net\"");
  EXPECT_NE(
      s.find("│ fc1 (Linear)                    │ (None, 1500)           │     1,177,500 │\n"),
      std::string::npos)
      << s;
  EXPECT_NE(
      s.find("│ fc2 (Linear)                    │ (None, 10)             │        15,010 │\n"),
      std::string::npos)
      << s;
  // 1,192,510 trainable + 6 frozen + 4 buffer.
  EXPECT_NE(s.find(" Total params: 1,192,520 (4.55 MB)\n"
                   " Trainable params: 1,192,510 (4.55 MB)\n"
                   " Non-trainable params: 10 (40.00 B)\n"),
            std::string::npos)
      << s;
}

TEST(TrainSummary, LeafModuleAndHelpers) {
  manual_seed(0);
  nn::Linear lin(3, 2);
  const std::string s = train::summary(lin, {3});
  EXPECT_NE(s.find("│ linear (Linear)                 │ (None, 2)              │             8 │"),
            std::string::npos)
      << s;
  EXPECT_EQ(train::group_thousands(1199882), "1,199,882");
  EXPECT_EQ(train::group_thousands(999), "999");
  EXPECT_EQ(train::readable_size(1199882 * 4.0), "4.58 MB");
  EXPECT_EQ(train::readable_size(1023), "1023.00 B");
  EXPECT_EQ(train::snake_case("Sequential"), "sequential");
  EXPECT_EQ(train::snake_case("ReLU"), "re_lu");
  EXPECT_EQ(train::snake_case("MLPNet"), "mlp_net");
}

}  // namespace
}  // namespace braid
