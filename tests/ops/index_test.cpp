// index_select, index_add, gather, scatter, scatter_add, take_along_dim,
// nonzero: hand-checked values, negative dims, int dtypes, empty and 0-dim
// tensors, every error text, untouched inputs after a failure, thread-count
// independence and gradients (including second derivatives).
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

Tensor idx(const I64& v, const Shape& shape = {}) {
  return tensor(v, shape.empty() ? Shape{static_cast<int64_t>(v.size())} : shape);
}
// x = [[0, 1, 2], [3, 4, 5]]
Tensor x23() { return arange(6).to(DType::Float32).reshape({2, 3}); }

// -- index_select --------------------------------------------------------------------

TEST(IndexSelect, PicksRowsAndColumnsWithRepeats) {
  Tensor x = x23();
  Tensor r = index_select(x, 0, idx({1, 0, 1}));
  EXPECT_EQ(r.shape(), (Shape{3, 3}));
  EXPECT_EQ(r.to_vector<float>(), (F{3, 4, 5, 0, 1, 2, 3, 4, 5}));
  Tensor c = index_select(x, -1, tensor(std::vector<int32_t>{2, 0}));
  EXPECT_EQ(c.to_vector<float>(), (F{2, 0, 5, 3}));
}

TEST(IndexSelect, IntDtypesNonContiguousEmptyAnd0Dim) {
  Tensor xi = arange(6).reshape({2, 3}).t();  // int64, (3, 2), non-contiguous
  EXPECT_EQ(index_select(xi, 1, idx({1})).to_vector<int64_t>(), (I64{3, 4, 5}));
  Tensor e = index_select(x23(), 0, idx({}));
  EXPECT_EQ(e.shape(), (Shape{0, 3}));
  Tensor s = index_select(scalar_tensor(5.0), 0, idx({0}));
  EXPECT_EQ(s.shape(), Shape{});
  EXPECT_EQ(s.item<double>(), 5.0);
  // A 0-d index keeps the dim (size 1), as in PyTorch.
  EXPECT_EQ(index_select(x23(), 1, scalar_tensor(2, DType::Int64)).shape(), (Shape{2, 1}));
}

TEST(IndexSelect, Errors) {
  Tensor x = x23();
  expect_error<IndexError>(
      [&] {
        index_select(x, 0, idx({0, 2}));
      },
      "[index_select] index 2 at index position (1) is out of range for dim 0 of size 2 "
      "(valid: 0 to 1); x has shape (2, 3)");
  expect_error<IndexError>(
      [&] { index_select(x, 1, idx({-1})); },
      "[index_select] index -1 at index position (0) is out of range for dim 1 of size 3 "
      "(valid: 0 to 2); x has shape (2, 3)");
  expect_error<DTypeError>([&] { index_select(x, 0, tensor({0.0})); },
                           "[index_select] index must be int64 or int32; got float32");
  expect_error<IndexError>(
      [&] {
        index_select(x, 0, idx({0}, {1, 1}));
      },
      "[index_select] index must be 0-d or 1-d; got shape (1, 1)");
  expect_error<IndexError>(
      [&] { index_select(x, 2, idx({0})); },
      "[index_select] dim 2 is out of range for a tensor of rank 2 (valid: -2 to 1)");
  expect_error<IndexError>(
      [&] {
        index_select(scalar_tensor(1.0), 0, idx({0, 0}));
      },
      "[index_select] a 0-dim x takes exactly one index; got index of shape (2)");
  expect_error<IndexError>(
      [&] {
        index_select(zeros({0, 2}), 0, idx({0}));
      },
      "[index_select] index 0 at index position (0) is out of range for dim 0 of size 0 "
      "(the dim is empty, so no index is valid); x has shape (0, 2)");
}

// -- index_add ------------------------------------------------------------------------

TEST(IndexAdd, AccumulatesRepeatedIndicesInOrder) {
  Tensor r =
      index_add(zeros({3, 2}), 0, idx({2, 0, 2}), tensor({{1.0, 2.0}, {3.0, 4.0}, {5.0, 6.0}}));
  EXPECT_EQ(r.to_vector<float>(), (F{3, 4, 0, 0, 6, 8}));
  Tensor c = index_add(x23(), -1, idx({1}), tensor({{10.0}, {20.0}}));
  EXPECT_EQ(c.to_vector<float>(), (F{0, 11, 2, 3, 24, 5}));
  Tensor i = index_add(arange(3), 0, idx({1, 1}), tensor(I64{5, 6}));
  EXPECT_EQ(i.to_vector<int64_t>(), (I64{0, 12, 2}));
  EXPECT_EQ(index_add(scalar_tensor(5.0), 0, idx({0}), scalar_tensor(2.0)).item<double>(), 7.0);
}

TEST(IndexAdd, Errors) {
  Tensor x = x23();
  expect_error<ShapeError>(
      [&] {
        index_add(x, 0, idx({1, 1}), ones({2, 2}));
      },
      "[index_add] source must have x's shape with dim 0 of size index.numel() = 2; got x (2, "
      "3), index (2), source (2, 2)");
  expect_error<ShapeError>(
      [&] {
        index_add(x, 0, idx({1, 1}), ones({3, 3}));
      },
      "[index_add] source must have x's shape with dim 0 of size index.numel() = 2; got x (2, "
      "3), index (2), source (3, 3)");
  expect_error<DTypeError>(
      [&] {
        index_add(x, 0, idx({1}), ones({1, 3}, DType::Float64));
      },
      "[index_add] source must have x's dtype; got x float32, source float64");
  expect_error<IndexError>(
      [&] {
        index_add(x, 0, idx({1, 5}), ones({2, 3}));
      },
      "[index_add] index 5 at index position (1) is out of range for dim 0 of size 2 (valid: 0 "
      "to 1); x has shape (2, 3)");
  expect_error<DTypeError>(
      [&] {
        index_add(x, 0, tensor({true}), ones({1, 3}));
      },
      "[index_add] index must be int64 or int32; got bool");
  expect_error<IndexError>(
      [&] {
        index_add(x, 0, idx({1, 1}, {1, 2}), ones({2, 3}));
      },
      "[index_add] index must be 0-d or 1-d; got shape (1, 2)");
}

// -- gather -------------------------------------------------------------------------

TEST(Gather, PicksAlongDim) {
  Tensor x = x23();
  EXPECT_EQ(gather(x, 1, idx({0, 2}, {2, 1})).to_vector<float>(), (F{0, 5}));
  // index may be wider than x along dim and narrower on the others.
  Tensor w = gather(x, -1, idx({2, 2, 0, 1}, {1, 4}));
  EXPECT_EQ(w.shape(), (Shape{1, 4}));
  EXPECT_EQ(w.to_vector<float>(), (F{2, 2, 0, 1}));
  EXPECT_EQ(gather(x, 0, idx({1, 0, 1}, {1, 3})).to_vector<float>(), (F{3, 1, 5}));
  Tensor xi =
      arange(6).reshape({3, 2}).t();  // (2, 3) int64, non-contiguous: [[0, 2, 4], [1, 3, 5]]
  EXPECT_EQ(gather(xi, 1, tensor(std::vector<int32_t>{2, 0}, {2, 1})).to_vector<int64_t>(),
            (I64{4, 1}));
  EXPECT_EQ(gather(x, 1, idx({}, {0, 0})).shape(), (Shape{0, 0}));
  EXPECT_EQ(gather(scalar_tensor(3.0), 0, idx({0, 0})).to_vector<double>(),
            (std::vector<double>{3, 3}));
}

TEST(Gather, Errors) {
  Tensor x = x23();
  expect_error<ShapeError>(
      [&] {
        gather(x, 1, idx({0, 2}));
      },
      "[gather] x and index must have the same number of dims; got x (2, 3), index (2)");
  expect_error<ShapeError>(
      [&] {
        gather(x, 0, idx({0, 1, 1, 0}, {1, 4}));
      },
      "[gather] index.size(d) must be <= x.size(d) for every d != dim; got x (2, 3), index (1, "
      "4), dim 0");
  expect_error<IndexError>(
      [&] {
        gather(x, 1, idx({0, 3}, {2, 1}));
      },
      "[gather] index 3 at index position (1, 0) is out of range for dim 1 of size 3 (valid: 0 "
      "to 2); x has shape (2, 3)");
  expect_error<IndexError>(
      [&] {
        gather(x, 1, idx({-1, 0}, {2, 1}));
      },
      "[gather] index -1 at index position (0, 0) is out of range for dim 1 of size 3 (valid: "
      "0 to 2); x has shape (2, 3)");
  expect_error<DTypeError>(
      [&] {
        gather(x, 1, tensor({{0.0}, {1.0}}));
      },
      "[gather] index must be int64 or int32; got float32");
  expect_error<IndexError>(
      [&] {
        gather(x, -3, idx({0}, {1, 1}));
      },
      "[gather] dim -3 is out of range for a tensor of rank 2 (valid: -2 to 1)");
}

// -- scatter / scatter_add ----------------------------------------------------------

TEST(Scatter, WritesAndLastWriteWins) {
  Tensor x = x23();
  Tensor r = scatter(x, 1, idx({2, 0}, {2, 1}), tensor({{7.0}, {8.0}}));
  EXPECT_EQ(r.to_vector<float>(), (F{0, 1, 7, 8, 4, 5}));
  // Duplicate targets: the later source (in index order) wins, every time.
  Tensor d = scatter(x, 1, idx({0, 0}, {1, 2}), tensor({{7.0, 8.0}}));
  EXPECT_EQ(d.to_vector<float>(), (F{8, 1, 2, 3, 4, 5}));
  // src may be larger than index: only its leading part is read.
  Tensor s = scatter(zeros({3}), 0, idx({2}), tensor({9.0, 10.0}));
  EXPECT_EQ(s.to_vector<float>(), (F{0, 0, 9}));
  EXPECT_EQ(x.to_vector<float>(), (F{0, 1, 2, 3, 4, 5})) << "scatter is out of place";
}

TEST(ScatterAdd, SumsDuplicatesAndHandlesIntAndNegativeDim) {
  Tensor r = scatter_add(x23(), -1, idx({0, 0}, {1, 2}), tensor({{7.0, 8.0}}));
  EXPECT_EQ(r.to_vector<float>(), (F{15, 1, 2, 3, 4, 5}));
  Tensor i = scatter_add(zeros({2, 2}, DType::Int32), 0, idx({1, 1, 1, 0}, {2, 2}),
                         tensor({{1, 2}, {3, 4}}, DType::Int32));
  EXPECT_EQ(i.to_vector<int32_t>(), (std::vector<int32_t>{0, 4, 4, 2}));
  Tensor e = scatter_add(x23(), 0, idx({}, {0, 3}), zeros({0, 3}));
  EXPECT_EQ(e.to_vector<float>(), (F{0, 1, 2, 3, 4, 5}));
}

TEST(Scatter, Errors) {
  Tensor x = x23();
  expect_error<DTypeError>(
      [&] {
        scatter(x, 1, idx({0}, {1, 1}), ones({1, 1}, DType::Float64));
      },
      "[scatter] src must have x's dtype; got x float32, src float64");
  expect_error<ShapeError>(
      [&] {
        scatter(x, 1, idx({0, 0, 1}, {1, 3}), ones({1, 2}));
      },
      "[scatter] index.size(d) must be <= x.size(d) for every d != dim and <= src.size(d) for "
      "every d; got x (2, 3), index (1, 3), src (1, 2), dim 1");
  expect_error<ShapeError>(
      [&] {
        scatter(x, 0, idx({0, 0, 0, 0}, {1, 4}), ones({3, 4}));
      },
      "[scatter] index.size(d) must be <= x.size(d) for every d != dim and <= src.size(d) for "
      "every d; got x (2, 3), index (1, 4), src (3, 4), dim 0");
  expect_error<ShapeError>(
      [&] {
        scatter_add(x, 1, idx({0, 0}, {1, 2}), ones({2}));
      },
      "[scatter_add] x, index and src must have the same number of dims; got x (2, 3), index "
      "(1, 2), src (2)");
  expect_error<IndexError>(
      [&] {
        scatter_add(x, 1, idx({0, 5}, {1, 2}), ones({1, 2}));
      },
      "[scatter_add] index 5 at index position (0, 1) is out of range for dim 1 of size 3 "
      "(valid: 0 to 2); x has shape (2, 3)");
  expect_error<DTypeError>(
      [&] {
        scatter_add(x, 1, ones({1, 2}), ones({1, 2}));
      },
      "[scatter_add] index must be int64 or int32; got float32");
}

// DESIGN rule 6: every index is checked before anything is written. The bad
// index sits last, after many good ones.
TEST(Scatter, AFailureLeavesEverythingUntouched) {
  Tensor x = zeros({4, 5});
  Tensor src = ones({4, 5});
  Tensor index = zeros({4, 5}, DType::Int64);
  static_cast<int64_t*>(index.raw_data())[19] = 4;
  uint32_t xv = x.version();
  for (bool add : {false, true}) {
    EXPECT_THROW(add ? scatter_add(x, 0, index, src) : scatter(x, 0, index, src), IndexError);
    EXPECT_EQ(x.to_vector<float>(), std::vector<float>(20, 0.0f));
    EXPECT_EQ(src.to_vector<float>(), std::vector<float>(20, 1.0f));
    EXPECT_EQ(x.version(), xv);
  }
  EXPECT_THROW(index_add(x, 0, idx({0, 9}), ones({2, 5})), IndexError);
  EXPECT_EQ(x.to_vector<float>(), std::vector<float>(20, 0.0f));
}

// Note [deterministic scatter]: the same sums, bit for bit, for any thread count.
TEST(ScatterAdd, SameBitsForAnyThreadCount) {
  manual_seed(11);
  Tensor src = randn({64, 3000});
  Tensor index = randint(0, 7, {64, 3000});
  int threads = get_num_threads();
  set_num_threads(1);
  Tensor one = scatter_add(zeros({64, 7}), 1, index, src);
  Tensor one_ia = index_add(zeros({64, 7}), 1, index.select(0, 0), src);
  set_num_threads(std::max(2, threads));
  Tensor many = scatter_add(zeros({64, 7}), 1, index, src);
  Tensor many_ia = index_add(zeros({64, 7}), 1, index.select(0, 0), src);
  set_num_threads(threads);
  EXPECT_EQ(one.to_vector<float>(), many.to_vector<float>());
  EXPECT_EQ(one_ia.to_vector<float>(), many_ia.to_vector<float>());
}

// -- take_along_dim -------------------------------------------------------------------

TEST(TakeAlongDim, BroadcastsAndFlattens) {
  Tensor x = x23();
  EXPECT_EQ(take_along_dim(x, idx({0, 2}, {2, 1}), 1).to_vector<float>(), (F{0, 5}));
  // indices (1, 3) broadcast over x's 2 rows.
  Tensor b = take_along_dim(x, idx({0, 1, 1}, {1, 3}), 1);
  EXPECT_EQ(b.shape(), (Shape{2, 3}));
  EXPECT_EQ(b.to_vector<float>(), (F{0, 1, 1, 3, 4, 4}));
  EXPECT_EQ(take_along_dim(x, idx({5, 0})).to_vector<float>(), (F{5, 0}));
  Tensor bx = take_along_dim(zeros({2, 1}), idx({0, 0, 0}, {1, 3}), 1);
  EXPECT_EQ(bx.shape(), (Shape{2, 3}));
}

TEST(TakeAlongDim, Errors) {
  Tensor x = x23();
  expect_error<ShapeError>(
      [&] {
        take_along_dim(x, idx({0, 2}), 1);
      },
      "[take_along_dim] x and indices must have the same number of dims; got x (2, 3), indices "
      "(2)");
  expect_error<ShapeError>(
      [&] {
        take_along_dim(x, idx({0, 2, 1}, {3, 1}), 1);
      },
      "[take_along_dim] x and indices must broadcast on every dim but 1; got x (2, 3), indices "
      "(3, 1) (dim 0: 2 vs 3)");
  expect_error<DTypeError>([&] { take_along_dim(x, tensor({{0.0}}), 1); },
                           "[take_along_dim] index must be int64 or int32; got float32");
  expect_error<IndexError>(
      [&] { take_along_dim(x, idx({6})); },
      "[gather] index 6 at index position (0) is out of range for dim 0 of size 6 (valid: 0 to "
      "5); x has shape (6)");
}

// -- nonzero -----------------------------------------------------------------------------

TEST(Nonzero, CoordinatesRowMajor) {
  Tensor n = nonzero(tensor({{0, 1}, {2, 0}}));
  EXPECT_EQ(n.dtype(), DType::Int64);
  EXPECT_EQ(n.shape(), (Shape{2, 2}));
  EXPECT_EQ(n.to_vector<int64_t>(), (I64{0, 1, 1, 0}));
  // NaN is non-zero, -0.0 is zero.
  EXPECT_EQ(nonzero(tensor({NAN, 0.0f, -0.0f, 1.0f})).to_vector<int64_t>(), (I64{0, 3}));
  EXPECT_EQ(nonzero(tensor({true, false, true})).to_vector<int64_t>(), (I64{0, 2}));
  Tensor t = nonzero(tensor({{0, 1}, {2, 0}}).t());  // non-contiguous: [[0, 2], [1, 0]]
  EXPECT_EQ(t.to_vector<int64_t>(), (I64{0, 1, 1, 0}));
  EXPECT_EQ(nonzero(scalar_tensor(3.0)).shape(), (Shape{1, 0}));
  EXPECT_EQ(nonzero(scalar_tensor(0.0)).shape(), (Shape{0, 0}));
  EXPECT_EQ(nonzero(zeros({0, 3})).shape(), (Shape{0, 2}));
  EXPECT_EQ(nonzero(ones({2}, DType::Float16)).to_vector<int64_t>(), (I64{0, 1}));
}

TEST(Nonzero, IsNotDifferentiable) {
  Tensor x = ones({2});
  x.requires_grad_();
  Tensor n = nonzero(x);
  EXPECT_FALSE(n.requires_grad());
  EXPECT_EQ(op_def(OpId::nonzero).nondiff_reason, "integer output");
}

// -- gradients -----------------------------------------------------------------------------

TEST(IndexGrad, IndexSelectBackwardAddsRepeats) {
  Tensor x = ones({3, 2}, DType::Float64);
  x.requires_grad_();
  sum(index_select(x, 0, idx({2, 2, 0}))).backward();
  EXPECT_EQ(x.grad().to_vector<double>(), (std::vector<double>{1, 1, 0, 0, 2, 2}));
  EXPECT_EQ(index_select(x, 0, idx({0})).grad_fn_name(), "index_select");
}

TEST(IndexGrad, ScatterBackwardZeroesOverwrittenPositions) {
  Tensor x = ones({2, 3}, DType::Float64);
  Tensor src = ones({2, 2}, DType::Float64);
  x.requires_grad_();
  src.requires_grad_();
  Tensor y = scatter(x, 1, idx({2, 0}, {2, 1}), src);
  (y * arange(6).to(DType::Float64).reshape({2, 3})).sum().backward();
  EXPECT_EQ(x.grad().to_vector<double>(), (std::vector<double>{0, 1, 0, 0, 4, 5}));
  // src's unread column gets zero.
  EXPECT_EQ(src.grad().to_vector<double>(), (std::vector<double>{2, 0, 3, 0}));
}

TEST(IndexGrad, SecondDerivatives) {
  auto cube = [](const Tensor& t) { return t * t * t; };
  struct Case {
    const char* name;
    autograd::Fn fn;
    std::vector<Tensor> in;
  };
  Tensor gi = idx({0, 2, 1, 1}, {2, 2});
  std::vector<Case> cases = {
      {"gather",
       [&](const std::vector<Tensor>& v) { return std::vector<Tensor>{cube(gather(v[0], 1, gi))}; },
       {braid::testing::sample_randn({2, 3}, 1)}},
      {"index_select",
       [&](const std::vector<Tensor>& v) {
         return std::vector<Tensor>{cube(index_select(v[0], 0, idx({1, 1, 0})))};
       },
       {braid::testing::sample_randn({2, 3}, 2)}},
      {"scatter_add",
       [&](const std::vector<Tensor>& v) {
         return std::vector<Tensor>{cube(scatter_add(v[0], 1, gi, v[1]))};
       },
       {braid::testing::sample_randn({2, 3}, 3), braid::testing::sample_randn({2, 2}, 4)}},
      {"index_add",
       [&](const std::vector<Tensor>& v) {
         return std::vector<Tensor>{cube(index_add(v[0], 0, idx({1, 1}), v[1]))};
       },
       {braid::testing::sample_randn({2, 3}, 5), braid::testing::sample_randn({2, 3}, 6)}},
  };
  for (Case& c : cases) {
    auto r = autograd::gradgradcheck(c.fn, c.in);
    EXPECT_TRUE(r.ok) << c.name << ": " << r.message;
  }
}

}  // namespace
