// Printing like PyTorch: one number format per tensor, aligned columns,
// "..." past 3 edge items above 1000 elements, then shape, dtype and the
// autograd state.
#include <gtest/gtest.h>

#include <cmath>
#include <sstream>

#include "braid/braid.hpp"

namespace braid {
namespace {

TEST(Print, SmallFloat) {
  EXPECT_EQ(tensor({{1.0, 2.5}, {-3.0, 4.0}}).str(),
            "tensor([[ 1.0000,  2.5000],\n"
            "        [-3.0000,  4.0000]], shape=(2, 2), dtype=float32)");
  EXPECT_EQ(scalar_tensor(3.5).str(), "tensor(3.5000, shape=(), dtype=float64)");
  EXPECT_EQ(tensor({1.5}).to(DType::Float16).str(), "tensor([1.5000], shape=(1), dtype=float16)");
  EXPECT_EQ(zeros({0, 3}).str(), "tensor([], shape=(0, 3), dtype=float32)");
  EXPECT_EQ(tensor({NAN, INFINITY, -INFINITY, 1.5}).str(),
            "tensor([   nan,    inf,   -inf, 1.5000], shape=(4), dtype=float32)");
}

TEST(Print, ScientificWhenTheRangeIsWide) {
  EXPECT_EQ(tensor({1e-5, 1.0}).str(),
            "tensor([1.0000e-05, 1.0000e+00], shape=(2), dtype=float32)");
  EXPECT_EQ(tensor({1e9, 1.0}).str(), "tensor([1.0000e+09, 1.0000e+00], shape=(2), dtype=float32)");
}

TEST(Print, ThreeDimsAndViews) {
  EXPECT_EQ(arange(12).reshape({2, 2, 3}).str(),
            "tensor([[[ 0,  1,  2],\n"
            "         [ 3,  4,  5]],\n"
            "\n"
            "        [[ 6,  7,  8],\n"
            "         [ 9, 10, 11]]], shape=(2, 2, 3), dtype=int64)");
  // A transposed view prints its logical order.
  EXPECT_EQ(tensor({{1, 2}, {3, 4}}).t().str(),
            "tensor([[1, 3],\n"
            "        [2, 4]], shape=(2, 2), dtype=int64)");
}

TEST(Print, IntAndBool) {
  EXPECT_EQ(tensor({1, 2, 300}).str(), "tensor([  1,   2, 300], shape=(3), dtype=int64)");
  EXPECT_EQ(tensor({true, false}).str(), "tensor([ True, False], shape=(2), dtype=bool)");
  EXPECT_EQ(tensor({-1, 2}).to(DType::Int8).str(), "tensor([-1,  2], shape=(2), dtype=int8)");
}

TEST(Print, SummarisedWhenLarge) {
  EXPECT_EQ(arange(1000).numel(), 1000);
  EXPECT_EQ(arange(1000).str().find("..."),
            std::string::npos);  // 1000 elements still print in full
  EXPECT_EQ(arange(1001).str(),
            "tensor([   0,    1,    2, ...,  998,  999, 1000], shape=(1001), dtype=int64)");
  EXPECT_EQ(arange(2000).reshape({10, 200}).str(),
            "tensor([[   0,    1,    2, ...,  197,  198,  199],\n"
            "        [ 200,  201,  202, ...,  397,  398,  399],\n"
            "        [ 400,  401,  402, ...,  597,  598,  599],\n"
            "        ...,\n"
            "        [1400, 1401, 1402, ..., 1597, 1598, 1599],\n"
            "        [1600, 1601, 1602, ..., 1797, 1798, 1799],\n"
            "        [1800, 1801, 1802, ..., 1997, 1998, 1999]], shape=(10, 200), dtype=int64)");
  EXPECT_EQ(
      (arange(1200).to(DType::Float64) * 0.5).str(),
      "tensor([  0.0000,   0.5000,   1.0000, ..., 598.5000, 599.0000, 599.5000], shape=(1200), "
      "dtype=float64)");
}

TEST(Print, AutogradSuffix) {
  Tensor x = tensor({1.0, 2.0});
  x.requires_grad_();
  EXPECT_EQ(x.str(), "tensor([1.0000, 2.0000], shape=(2), dtype=float32, requires_grad=True)");
  EXPECT_EQ((x * 2.0).str(), "tensor([2.0000, 4.0000], shape=(2), dtype=float32, grad_fn=<mul>)");
  EXPECT_EQ(x.detach().str(), "tensor([1.0000, 2.0000], shape=(2), dtype=float32)");
  EXPECT_EQ(Tensor().str(), "tensor(undefined)");
  std::ostringstream os;
  os << x.exp();
  EXPECT_EQ(os.str(), "tensor([2.7183, 7.3891], shape=(2), dtype=float32, grad_fn=<exp>)");
}

}  // namespace
}  // namespace braid
