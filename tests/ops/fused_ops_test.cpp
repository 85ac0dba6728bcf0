// The fused primitives behind cross_entropy and Linear (Note [fused cross
// entropy], Note [linear forward]): they are registry ops a graph can name,
// so they check their own inputs; and the front doors route to them.
#include <gtest/gtest.h>

#include "braid/braid.hpp"
#include "core/test_util.hpp"

namespace braid {
namespace {

using detail::call1;

Attrs ce_attrs(const std::string& reduction, int64_t ignore = -100) {
  return {{"ignore_index", ignore}, {"reduction", reduction}};
}

TEST(FusedOps, SoftmaxCrossEntropyRefusesBadInput) {
  const Tensor x = randn({3, 4}), t = tensor({1, 0, 3});
  BRAID_EXPECT_THROW_MSG(
      call1(OpId::softmax_cross_entropy, {randn({4}), tensor({1})}, ce_attrs("mean")), ShapeError,
      "[softmax_cross_entropy] input must be floating (N, C); got float32 (4)");
  BRAID_EXPECT_THROW_MSG(call1(OpId::softmax_cross_entropy, {x, tensor({1, 0})}, ce_attrs("mean")),
                         ShapeError,
                         "[softmax_cross_entropy] target must be int64 (N) = (3); got int64 (2)");
  BRAID_EXPECT_THROW_MSG(
      call1(OpId::softmax_cross_entropy, {x, tensor({1, 4, 0})}, ce_attrs("mean")), IndexError,
      "[softmax_cross_entropy] target class index 4 is out of range for 4 classes "
      "(valid: 0..3 or ignore_index -100)");
  BRAID_EXPECT_THROW_MSG(
      call1(OpId::softmax_cross_entropy, {x, t}, ce_attrs("avg")), ValueError,
      "[softmax_cross_entropy] reduction must be 'none', 'mean' or 'sum'; got 'avg'");
  BRAID_EXPECT_THROW_MSG(
      call1(OpId::softmax_cross_entropy_backward, {randn({3}), x, t}, ce_attrs("mean")), ShapeError,
      "[softmax_cross_entropy_backward] grad must have shape (); got (3)");
}

TEST(FusedOps, CrossEntropyTakesTheFusedPathAndMatchesTheComposite) {
  manual_seed(3);
  const Tensor x = randn({6, 5}, DType::Float64), t = tensor({4, 0, -100, 2, 1, 3});
  // The composite form, by hand: -mean over kept rows of log_softmax picked at t.
  const Tensor lp = log_softmax(x, 1);
  double want = 0;
  for (int64_t r : {0, 1, 3, 4, 5})
    want -= lp.select(0, r).select(0, t.select(0, r).item<int64_t>()).item<double>();
  want /= 5;
  EXPECT_NEAR(cross_entropy(x, t).item<double>(), want, 1e-12);
  BRAID_EXPECT_THROW_MSG(cross_entropy(x, tensor({4, 0, 9, 2, 1, 3})), IndexError,
                         "[cross_entropy] target class index 9 is out of range for 5 classes "
                         "(valid: 0..4 or ignore_index -100)");
}

TEST(FusedOps, LinearForwardRefusesBadInput) {
  BRAID_EXPECT_THROW_MSG(
      call1(OpId::linear_forward, {randn({2, 3}), randn({4, 5}), randn({4})}), ShapeError,
      "[linear_forward] want x (N, in), weight (out, in), bias (out); got x=(2, 3), weight=(4, 5), "
      "bias=(4)");
  BRAID_EXPECT_THROW_MSG(
      call1(OpId::linear_forward, {randn({2, 3}), randn({4, 3}), randn({3})}), ShapeError,
      "[linear_forward] want x (N, in), weight (out, in), bias (out); got x=(2, 3), weight=(4, 3), "
      "bias=(3)");
  // The front door names its own op for the same mistake.
  EXPECT_THROW(linear(randn({2, 3}), randn({4, 5}), randn({4})), ShapeError);
}

// rescale (Note [rescale]): image bytes to normalised float32 in one pass,
// the same values as the four-op chain it replaces, to rounding.
TEST(FusedOps, RescaleNormalisesBytesLikeTheChain) {
  const Tensor bytes = tensor(std::vector<int64_t>{0, 1, 127, 128, 254, 255}).to(DType::UInt8);
  const Tensor y = rescale(bytes, 1.0 / (255.0 * 0.3081), -0.1307 / 0.3081);
  EXPECT_EQ(y.dtype(), DType::Float32);
  const Tensor chain = (to(bytes, DType::Float32) / 255.0 - 0.1307) / 0.3081;
  EXPECT_LE(amax(abs(y - chain)).item<double>(), 1e-6);
  EXPECT_NEAR(y.select(0, 5).item<double>(), (1 - 0.1307) / 0.3081, 1e-6);
  // A floating input keeps its dtype, and its gradient is the scale.
  const Tensor x = randn({3}, DType::Float64).requires_grad_();
  sum(rescale(x, -2.5, 1.0)).backward();
  EXPECT_EQ(amax(abs(x.grad() + 2.5)).item<double>(), 0.0);
}

TEST(FusedOps, RescaleRefusesBadInput) {
  BRAID_EXPECT_THROW_MSG(rescale(tensor({true, false}), 2.0), DTypeError,
                         "[rescale] bool input is not supported");
  BRAID_EXPECT_THROW_MSG(rescale(randn({2}), INFINITY, 0.0), ValueError,
                         "[rescale] scale and offset must be finite; got scale=inf, offset=0");
}

// relu_backward (Note [relu backward]): relu's gradient in one pass, a NaN
// gradient where the output is 0 gives 0 as PyTorch's threshold_backward.
TEST(FusedOps, ReluBackwardMasksTheGradientAndChecksItsInputs) {
  const Tensor g = tensor({NAN, 2.0f, -3.0f, 4.0f}), y = tensor({0.0f, 1.0f, 0.5f, -1.0f});
  const Tensor d = call1(OpId::relu_backward, {g, y});
  const std::vector<float> want{0.0f, 2.0f, -3.0f, 0.0f};
  for (int64_t i = 0; i < 4; ++i) EXPECT_EQ(d.select(0, i).item<float>(), want[size_t(i)]) << i;
  // relu's own gradient runs it: x = 0 gets 0, as in PyTorch.
  const Tensor x = tensor({-1.0, 0.0, 2.0}).requires_grad_();
  sum(relu(x) * 3.0).backward();
  EXPECT_EQ(x.grad().select(0, 0).item<double>(), 0.0);
  EXPECT_EQ(x.grad().select(0, 1).item<double>(), 0.0);
  EXPECT_EQ(x.grad().select(0, 2).item<double>(), 3.0);
  BRAID_EXPECT_THROW_MSG(call1(OpId::relu_backward, {randn({2, 3}), randn({3, 2})}), ShapeError,
                         "[relu_backward] grad and y must have the same shape; got grad=(2, 3), "
                         "y=(3, 2)");
  BRAID_EXPECT_THROW_MSG(call1(OpId::relu_backward, {randn({2}), randn({2}, DType::Float64)}),
                         DTypeError,
                         "[relu_backward] grad and y must have the same floating dtype; got "
                         "grad=float32, y=float64");
}

}  // namespace
}  // namespace braid
