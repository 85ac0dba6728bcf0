// clip_grad_norm_ / clip_grad_value_ on hand-computed cases.
#include <gtest/gtest.h>

#include <cmath>

#include "braid/braid.hpp"
#include "core/test_util.hpp"

namespace braid {
namespace {

// Two parameters with gradients [3, 4] and [12] (joint 2-norm 13) and one without.
std::vector<Tensor> params_345_12() {
  Tensor a = zeros({2}).requires_grad_(), b = zeros({1}, DType::Float64).requires_grad_();
  Tensor none = zeros({3}).requires_grad_();
  a.set_grad(tensor({3.0f, 4.0f}));
  b.set_grad(tensor({12.0}, DType::Float64));
  return {a, none, b};
}

TEST(ClipGradNorm, ScalesAllGradientsTogether) {
  auto ps = params_345_12();
  double norm = optim::clip_grad_norm_(ps, 6.5);
  EXPECT_DOUBLE_EQ(norm, 13.0);
  double coef = 6.5 / (13.0 + 1e-6);
  std::vector<float> a = ps[0].grad().to_vector<float>();
  EXPECT_FLOAT_EQ(a[0], float(3 * coef));
  EXPECT_FLOAT_EQ(a[1], float(4 * coef));
  EXPECT_NEAR(ps[2].grad().item<double>(), 12 * coef, 1e-12);
  EXPECT_FALSE(ps[1].grad().defined());
  EXPECT_NEAR(optim::clip_grad_norm_(ps, 100.0), 6.5, 1e-5) << "the norm after clipping";
}

TEST(ClipGradNorm, BelowTheLimitLeavesGradientsAlone) {
  auto ps = params_345_12();
  EXPECT_DOUBLE_EQ(optim::clip_grad_norm_(ps, 20.0), 13.0);
  EXPECT_EQ(ps[0].grad().to_vector<float>(), (std::vector<float>{3, 4}));
  EXPECT_EQ(ps[2].grad().item<double>(), 12.0);
}

TEST(ClipGradNorm, OtherNorms) {
  auto ps = params_345_12();
  EXPECT_DOUBLE_EQ(optim::clip_grad_norm_(ps, 100.0, 1.0), 19.0);
  EXPECT_DOUBLE_EQ(optim::clip_grad_norm_(ps, 100.0, INFINITY), 12.0);
  EXPECT_NEAR(optim::clip_grad_norm_(ps, 100.0, 3.0), std::cbrt(27.0 + 64.0 + 1728.0), 1e-12);
  optim::clip_grad_norm_(ps, 6.0, INFINITY);
  EXPECT_NEAR(ps[2].grad().item<double>(), 12.0 * 6.0 / (12.0 + 1e-6), 1e-12);
  EXPECT_EQ(optim::clip_grad_norm_({}, 1.0), 0.0);
}

TEST(ClipGradNorm, Errors) {
  auto ps = params_345_12();
  BRAID_EXPECT_THROW_MSG(optim::clip_grad_norm_(ps, 1.0, 0.0), ValueError,
                         "[clip_grad_norm_] norm_type must be > 0 (or INFINITY); got 0");
  BRAID_EXPECT_THROW_MSG(optim::clip_grad_norm_(ps, -1.0), ValueError,
                         "[clip_grad_norm_] max_norm must be >= 0; got -1");
  ps[0].set_grad(tensor({NAN, 1.0f}));
  BRAID_EXPECT_THROW_HAS(optim::clip_grad_norm_(ps, 1.0, 2.0, true), ValueError,
                         "the gradients are not finite");
  EXPECT_EQ(ps[2].grad().item<double>(), 12.0) << "nothing was scaled";
  EXPECT_TRUE(std::isnan(optim::clip_grad_norm_(ps, 1.0)));
}

TEST(ClipGradValue, ClampsEveryElement) {
  Tensor a = zeros({3}).requires_grad_();
  a.set_grad(tensor({-0.5f, 2.0f, -3.0f}));
  optim::clip_grad_value_({a}, 1.0);
  EXPECT_EQ(a.grad().to_vector<float>(), (std::vector<float>{-0.5f, 1.0f, -1.0f}));
  BRAID_EXPECT_THROW_MSG(optim::clip_grad_value_({a}, -1.0), ValueError,
                         "[clip_grad_value_] clip_value must be >= 0; got -1");
}

}  // namespace
}  // namespace braid
