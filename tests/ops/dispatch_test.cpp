// The op-call plumbing: TensorList keeps up to 4 tensors inline and moves to
// the heap beyond, and ops with more outputs than that come back whole.
#include <gtest/gtest.h>

#include "braid/braid.hpp"

namespace braid {
namespace {

using detail::TensorList;

std::vector<int64_t> firsts(const TensorList& l) {
  std::vector<int64_t> r;
  for (const Tensor& t : l) r.push_back(t.defined() ? t.numel() : -1);
  return r;
}

TEST(TensorList, HoldsInlineAndOnTheHeap) {
  TensorList a{zeros({1}), zeros({2})};
  EXPECT_EQ(firsts(a), (std::vector<int64_t>{1, 2}));
  TensorList b{zeros({1}), zeros({2}), zeros({3}), zeros({4}), zeros({5}), zeros({6})};
  EXPECT_EQ(firsts(b), (std::vector<int64_t>{1, 2, 3, 4, 5, 6}));
  TensorList c = std::move(b);
  EXPECT_EQ(c.size(), 6u);
  EXPECT_TRUE(b.empty());
  std::vector<Tensor> v = std::move(c).to_vector();
  EXPECT_EQ(v.size(), 6u);
  EXPECT_EQ(v[5].numel(), 6);
}

TEST(TensorList, ResizesAcrossTheInlineLimit) {
  TensorList l;
  l.resize(5);  // from empty straight to the heap
  EXPECT_EQ(l.size(), 5u);
  l[4] = zeros({4});
  EXPECT_EQ(l[4].numel(), 4);
  TensorList m{zeros({7}), zeros({8})};
  m.resize(6);
  EXPECT_EQ(firsts(m), (std::vector<int64_t>{7, 8, -1, -1, -1, -1}));
  TensorList n{zeros({1}), zeros({2}), zeros({3})};
  n.resize(1);
  EXPECT_EQ(firsts(n), (std::vector<int64_t>{1}));
  EXPECT_EQ(std::move(n).to_vector().size(), 1u);
}

TEST(TensorList, FiveOutputOpComesBackWhole) {
  // native_batch_norm has five outputs: one past the inline four.
  Tensor x = randn({4, 3}), rm = zeros({3}), rv = ones({3});
  std::vector<Tensor> out =
      detail::call(op_id("native_batch_norm"), {x, ones({3}), zeros({3}), rm, rv},
                   {{"training", true}, {"momentum", 0.1}, {"eps", 1e-5}});
  ASSERT_EQ(out.size(), 5u);
  for (const Tensor& t : out) EXPECT_TRUE(t.defined());
  EXPECT_EQ(out[0].shape(), x.shape());
  EXPECT_EQ(out[4].shape(), (Shape{3}));
}

}  // namespace
}  // namespace braid
