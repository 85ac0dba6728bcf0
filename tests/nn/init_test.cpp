// nn::init: fans, gains, and the statistics of each initialiser; in-place
// (same handle), seeded, and Linear's default init unchanged.
#include <gtest/gtest.h>

#include <cmath>

#include "braid/braid.hpp"
#include "core/test_util.hpp"

namespace braid {
namespace {

double max_abs(const Tensor& t) { return amax(abs(t)).item<double>(); }
double mean_of(const Tensor& t) { return mean(t).item<double>(); }
double std_of(const Tensor& t) { return std(t).item<double>(); }

TEST(Init, FansAndGains) {
  auto f = nn::init::calculate_fan_in_and_fan_out(empty({32, 16, 3, 5}));
  EXPECT_EQ(f.fan_in, 16 * 15);
  EXPECT_EQ(f.fan_out, 32 * 15);
  f = nn::init::calculate_fan_in_and_fan_out(empty({10, 4}));
  EXPECT_EQ(f.fan_in, 4);
  EXPECT_EQ(f.fan_out, 10);
  BRAID_EXPECT_THROW_MSG(nn::init::calculate_fan_in_and_fan_out(empty({7})), ValueError,
                         "[calculate_fan_in_and_fan_out] fans need a tensor with at least 2 dims; "
                         "got shape (7)");
  EXPECT_DOUBLE_EQ(nn::init::calculate_gain("relu"), std::sqrt(2.0));
  EXPECT_DOUBLE_EQ(nn::init::calculate_gain("tanh"), 5.0 / 3.0);
  EXPECT_DOUBLE_EQ(nn::init::calculate_gain("conv2d"), 1.0);
  EXPECT_DOUBLE_EQ(nn::init::calculate_gain("leaky_relu", 0.2), std::sqrt(2.0 / 1.04));
  EXPECT_DOUBLE_EQ(nn::init::calculate_gain("selu"), 0.75);
  BRAID_EXPECT_THROW_HAS(nn::init::calculate_gain("swish"), ValueError,
                         "unsupported nonlinearity 'swish'");
}

TEST(Init, FillsInPlaceUnderNoGrad) {
  manual_seed(0);
  nn::Linear l(8, 4);
  Tensor handle = l.weight;
  nn::init::constant_(l.weight, 0.5);
  EXPECT_TRUE(l.weight.is_same(handle));
  EXPECT_TRUE(l.weight.requires_grad());
  EXPECT_TRUE(l.weight.is_leaf());
  EXPECT_EQ(l.weight.to_vector<float>(), std::vector<float>(32, 0.5f));
  nn::init::zeros_(l.bias);
  EXPECT_EQ(max_abs(l.bias), 0.0);
  nn::init::ones_(l.bias);
  EXPECT_EQ(l.bias.to_vector<float>(), std::vector<float>(4, 1.0f));
  Tensor d = zeros({3, 3}, DType::Float64);
  nn::init::normal_(d);
  EXPECT_EQ(d.dtype(), DType::Float64);
}

TEST(Init, UniformAndNormalStatistics) {
  manual_seed(1);
  Tensor t = empty({200, 250});
  nn::init::uniform_(t, -2, 3);
  EXPECT_GE(amin(t).item<double>(), -2);
  EXPECT_LT(amax(t).item<double>(), 3);
  EXPECT_NEAR(mean_of(t), 0.5, 0.03);
  nn::init::normal_(t, 1.0, 2.0);
  EXPECT_NEAR(mean_of(t), 1.0, 0.03);
  EXPECT_NEAR(std_of(t), 2.0, 0.03);
}

TEST(Init, XavierAndKaimingBounds) {
  manual_seed(2);
  Tensor w = empty({300, 200});
  nn::init::xavier_uniform_(w, 2.0);
  const double xb = 2.0 * std::sqrt(6.0 / 500.0);
  EXPECT_LE(max_abs(w), xb);
  EXPECT_GT(max_abs(w), 0.99 * xb);
  nn::init::glorot_normal_(w);
  EXPECT_NEAR(std_of(w), std::sqrt(2.0 / 500.0), 0.002);

  Tensor c = empty({64, 32, 3, 3});  // fan_in 288, fan_out 576
  nn::init::kaiming_uniform_(c, 0.0, "fan_in", "relu");
  const double kb = std::sqrt(3.0) * std::sqrt(2.0) / std::sqrt(288.0);
  EXPECT_LE(max_abs(c), kb);
  EXPECT_GT(max_abs(c), 0.99 * kb);
  nn::init::kaiming_normal_(c, 0.0, "fan_out", "relu");
  EXPECT_NEAR(std_of(c), std::sqrt(2.0 / 576.0), 0.002);
  BRAID_EXPECT_THROW_MSG(nn::init::kaiming_uniform_(c, 0.0, "fan_avg"), ValueError,
                         "[kaiming_uniform_] mode must be 'fan_in' or 'fan_out'; got 'fan_avg'");
}

TEST(Init, LinearDefaultIsKaimingWithSqrt5) {
  // Same seed, same draws: the bound 1/sqrt(in_features) as before init.hpp.
  manual_seed(3);
  nn::Linear l(50, 20);
  manual_seed(3);
  const double b = 1.0 / std::sqrt(50.0);
  Tensor w = rand({20, 50}) * (2 * b) - b;
  Tensor bias = rand({20}) * (2 * b) - b;
  EXPECT_LT(max_abs(l.weight.detach() - w), 1e-7);
  EXPECT_LT(max_abs(l.bias.detach() - bias), 1e-7);
  EXPECT_LE(max_abs(l.weight), b);
}

TEST(Init, ConvDefaultBounds) {
  manual_seed(4);
  nn::Conv2d c(16, 8, 3);  // fan_in 144
  EXPECT_LE(max_abs(c.weight), 1.0 / 12.0);
  EXPECT_GT(max_abs(c.weight), 0.95 / 12.0);
  EXPECT_LE(max_abs(c.bias), 1.0 / 12.0);
}

Tensor gram(const Tensor& q) { return matmul(q, q.t()); }

TEST(Init, OrthogonalRowsOrColumns) {
  manual_seed(5);
  Tensor wide = empty({5, 8});
  nn::init::orthogonal_(wide);
  EXPECT_LT(max_abs(gram(wide) - eye(5)), 1e-5) << "Q Q^T = I for rows <= cols";
  Tensor tall = empty({8, 5});
  nn::init::orthogonal_(tall, 2.0);
  EXPECT_LT(max_abs(matmul(tall.t(), tall) - eye(5) * 4.0), 1e-5) << "Q^T Q = gain^2 I";
  Tensor conv = empty({4, 2, 3});  // viewed as (4, 6)
  nn::init::orthogonal_(conv);
  EXPECT_LT(max_abs(gram(conv.reshape({4, 6})) - eye(4)), 1e-5);
  Tensor row = empty({5});
  BRAID_EXPECT_THROW_HAS(nn::init::orthogonal_(row), ValueError, "at least 2 dims");
  // Seeded: the same seed gives the same matrix.
  manual_seed(5);
  Tensor again = empty({5, 8});
  nn::init::orthogonal_(again);
  EXPECT_EQ(again.to_vector<float>(), wide.to_vector<float>());
}

}  // namespace
}  // namespace braid
