// sort, argsort, topk: stability, NaN order, descending, dims, dtypes, empty
// and 0-dim tensors, error texts, thread-count independence and gradients.
#include <gtest/gtest.h>

#include "core/test_util.hpp"

#include <cmath>
#include <string>
#include <vector>

#include "braid/braid.hpp"
#include "braid/testing/op_samples.hpp"

using namespace braid;

namespace {

using I64 = std::vector<int64_t>;
using F = std::vector<float>;

bool same_floats(const std::vector<float>& a, const std::vector<float>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (!(a[i] == b[i] || (std::isnan(a[i]) && std::isnan(b[i])))) return false;
  return true;
}

TEST(Sort, StableBothWays) {
  auto [v, i] = sort(tensor({2, 1, 2, 1}), -1, true);
  EXPECT_EQ(v.to_vector<int64_t>(), (I64{2, 2, 1, 1}));
  EXPECT_EQ(i.to_vector<int64_t>(), (I64{0, 2, 1, 3}));
  auto [va, ia] = sort(tensor({2, 1, 2, 1}));
  EXPECT_EQ(ia.to_vector<int64_t>(), (I64{1, 3, 0, 2}));
  EXPECT_EQ(i.dtype(), DType::Int64);
}

TEST(Sort, NaNIsGreatest) {
  Tensor x = tensor({2.0f, NAN, 1.0f, 2.0f, -INFINITY});
  auto asc = sort(x);
  EXPECT_TRUE(same_floats(asc.values.to_vector<float>(), F{-INFINITY, 1, 2, 2, NAN}));
  EXPECT_EQ(asc.indices.to_vector<int64_t>(), (I64{4, 2, 0, 3, 1}));
  auto desc = sort(x, 0, true);
  EXPECT_TRUE(same_floats(desc.values.to_vector<float>(), F{NAN, 2, 2, 1, -INFINITY}));
  EXPECT_EQ(desc.indices.to_vector<int64_t>(), (I64{1, 0, 3, 2, 4}));
}

TEST(Sort, DimsDtypesAndShapes) {
  Tensor x = tensor({{3, 1, 2}, {0, 5, 4}});
  auto [v0, i0] = sort(x, 0, true);
  EXPECT_EQ(v0.to_vector<int64_t>(), (I64{3, 5, 4, 0, 1, 2}));
  EXPECT_EQ(i0.to_vector<int64_t>(), (I64{0, 1, 1, 1, 0, 0}));
  auto t = sort(x.t(), -1);  // non-contiguous (3, 2)
  EXPECT_EQ(t.values.to_vector<int64_t>(), (I64{0, 3, 1, 5, 2, 4}));
  auto b = sort(tensor({true, false, true}));
  EXPECT_EQ(b.indices.to_vector<int64_t>(), (I64{1, 0, 2}));
  auto h = sort(tensor({3.0, 1.0, 2.0}, DType::Float16));
  EXPECT_EQ(h.values.dtype(), DType::Float16);
  EXPECT_EQ(h.values.to_vector<float>(), (F{1, 2, 3}));
  auto s = sort(scalar_tensor(3.0));
  EXPECT_EQ(s.values.shape(), Shape{});
  EXPECT_EQ(s.indices.item<int64_t>(), 0);
  EXPECT_EQ(sort(zeros({2, 0})).indices.shape(), (Shape{2, 0}));
  EXPECT_EQ(argsort(tensor({3, 1, 2}), -1, true).to_vector<int64_t>(), (I64{0, 2, 1}));
}

TEST(Sort, Errors) {
  expect_error<IndexError>(
      [] {
        sort(zeros({2, 3}), 2);
      },
      "[sort] dim 2 is out of range for a tensor of rank 2 (valid: -2 to 1)");
  expect_error<IndexError>(
      [] { argsort(zeros({2}), -2); },
      "[argsort] dim -2 is out of range for a tensor of rank 1 (valid: -1 to 0)");
}

TEST(Topk, LargestSmallestAndTies) {
  Tensor x = tensor({1.0f, 3.0f, 2.0f, 3.0f});
  auto [v, i] = topk(x, 2);
  EXPECT_EQ(v.to_vector<float>(), (F{3, 3}));
  EXPECT_EQ(i.to_vector<int64_t>(), (I64{1, 3})) << "ties go to the lower index";
  auto s = topk(x, 3, 0, false);
  EXPECT_EQ(s.values.to_vector<float>(), (F{1, 2, 3}));
  EXPECT_EQ(s.indices.to_vector<int64_t>(), (I64{0, 2, 1}));
  auto n = topk(tensor({1.0f, NAN, 3.0f, 2.0f}), 2);
  EXPECT_TRUE(same_floats(n.values.to_vector<float>(), F{NAN, 3}));
  auto ns = topk(tensor({1.0f, NAN, 3.0f, 2.0f}), 2, -1, false);
  EXPECT_EQ(ns.indices.to_vector<int64_t>(), (I64{0, 3}))
      << "NaN is the greatest, never the smallest";
}

TEST(Topk, DimsAndShapes) {
  Tensor x = tensor({{3, 1, 2}, {0, 5, 4}});
  auto d0 = topk(x, 1, 0);
  EXPECT_EQ(d0.values.shape(), (Shape{1, 3}));
  EXPECT_EQ(d0.values.to_vector<int64_t>(), (I64{3, 5, 4}));
  auto t = topk(x.t(), 1, -1, false);  // (3, 2) non-contiguous
  EXPECT_EQ(t.indices.to_vector<int64_t>(), (I64{1, 0, 0}));
  EXPECT_EQ(topk(zeros({2, 0}), 0).values.shape(), (Shape{2, 0}));
  EXPECT_EQ(topk(zeros({2, 3}), 0).indices.shape(), (Shape{2, 0}));
  auto s = topk(scalar_tensor(3.0), 1);
  EXPECT_EQ(s.values.item<double>(), 3.0);
  EXPECT_EQ(s.indices.item<int64_t>(), 0);
}

TEST(Topk, Errors) {
  expect_error<IndexError>(
      [] {
        topk(tensor({1.0, 3.0, 2.0}), 4);
      },
      "[topk] k must be in [0, 3] (the size of dim 0 of (3)); got k = 4");
  expect_error<IndexError>(
      [] {
        topk(zeros({2, 3}), -1, 0);
      },
      "[topk] k must be in [0, 2] (the size of dim 0 of (2, 3)); got k = -1");
  expect_error<IndexError>(
      [] {
        topk(zeros({2, 3}), 1, 2);
      },
      "[topk] dim 2 is out of range for a tensor of rank 2 (valid: -2 to 1)");
  expect_error<IndexError>([] { topk(scalar_tensor(1.0), 2); },
                           "[topk] k must be in [0, 1] (the size of dim 0 of ()); got k = 2");
}

TEST(Sort, SameResultForAnyThreadCount) {
  manual_seed(5);
  Tensor x = randint(0, 50, {300, 400}).to(DType::Float32);  // many ties
  int threads = get_num_threads();
  set_num_threads(1);
  auto one = sort(x, 0);
  auto one_k = topk(x, 7, 0);
  set_num_threads(std::max(2, threads));
  auto many = sort(x, 0);
  auto many_k = topk(x, 7, 0);
  set_num_threads(threads);
  EXPECT_EQ(one.indices.to_vector<int64_t>(), many.indices.to_vector<int64_t>());
  EXPECT_EQ(one_k.indices.to_vector<int64_t>(), many_k.indices.to_vector<int64_t>());
}

TEST(SortGrad, ValuesGradientGoesToTheSourcePositions) {
  Tensor x = tensor({3.0, 1.0, 2.0}, DType::Float64);
  x.requires_grad_();
  auto [v, i] = sort(x);
  EXPECT_EQ(v.grad_fn_name(), "sort");
  EXPECT_FALSE(i.requires_grad());
  (v * tensor({10.0, 20.0, 30.0}, DType::Float64)).sum().backward();
  EXPECT_EQ(x.grad().to_vector<double>(), (std::vector<double>{30, 10, 20}));
  Tensor y = tensor({{1.0, 5.0, 3.0}}, DType::Float64);
  y.requires_grad_();
  topk(y, 2, -1).values.sum().backward();
  EXPECT_EQ(y.grad().to_vector<double>(), (std::vector<double>{0, 1, 1}));
}

TEST(SortGrad, SecondDerivatives) {
  auto cube = [](const Tensor& t) { return t * t * t; };
  std::vector<std::pair<const char*, autograd::Fn>> fns = {
      {"sort",
       [&](const std::vector<Tensor>& v) {
         return std::vector<Tensor>{cube(sort(v[0], 1, true).values)};
       }},
      {"topk",
       [&](const std::vector<Tensor>& v) {
         return std::vector<Tensor>{cube(topk(v[0], 2, 0).values)};
       }},
  };
  for (auto& [name, fn] : fns) {
    auto r = autograd::gradgradcheck(fn, {braid::testing::sample_randn({3, 4}, 31)});
    EXPECT_TRUE(r.ok) << name << ": " << r.message;
  }
}

}  // namespace
