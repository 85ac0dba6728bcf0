// cat, stack, split, chunk, repeat, tile, roll, flip, tril, triu: hand-checked
// values, negative dims, dtypes (promotion, ints, bool, half), empty and 0-dim
// tensors, every error text, aliasing, and gradients.
#include <gtest/gtest.h>

#include "core/test_util.hpp"

#include <string>
#include <vector>

#include "braid/braid.hpp"
#include "braid/testing/op_samples.hpp"

using namespace braid;

namespace {

using I64 = std::vector<int64_t>;
using F = std::vector<float>;

Tensor x23() { return arange(6).to(DType::Float32).reshape({2, 3}); }

// -- cat / stack ------------------------------------------------------------------------

TEST(Cat, JoinsAlongEitherDim) {
  Tensor x = x23();
  Tensor r = cat({x, ones({1, 3})}, 0);
  EXPECT_EQ(r.shape(), (Shape{3, 3}));
  EXPECT_EQ(r.to_vector<float>(), (F{0, 1, 2, 3, 4, 5, 1, 1, 1}));
  Tensor c = cat({x.t(), zeros({3, 1})}, -1);  // non-contiguous input
  EXPECT_EQ(c.to_vector<float>(), (F{0, 3, 0, 1, 4, 0, 2, 5, 0}));
}

TEST(Cat, PromotesLikePyTorch) {
  Tensor i = tensor({1, 2}, DType::Int32);
  EXPECT_EQ(cat({i, tensor({true})}).dtype(), DType::Int32);
  Tensor h = cat({i, ones({1}, DType::Float16)});
  EXPECT_EQ(h.dtype(), DType::Float16);
  EXPECT_EQ(h.to_vector<float>(), (F{1, 2, 1}));
  Tensor f = cat({tensor({1.5}), tensor({2.5}, DType::Float64), tensor(I64{3})});
  EXPECT_EQ(f.dtype(), DType::Float64);
  EXPECT_EQ(f.to_vector<double>(), (std::vector<double>{1.5, 2.5, 3}));
}

TEST(Cat, EmptyInputs) {
  // A (0) tensor is skipped whatever the rank of the others, as in PyTorch.
  EXPECT_EQ(cat({zeros({0}), x23()}, 1).shape(), (Shape{2, 3}));
  EXPECT_EQ(cat({x23(), zeros({0})}, 0).shape(), (Shape{2, 3}));
  EXPECT_EQ(cat({zeros({0}), zeros({0})}, 3).shape(), (Shape{0}));
  EXPECT_EQ(cat({zeros({2, 0}), x23()}, 1).to_vector<float>(), (F{0, 1, 2, 3, 4, 5}));
}

TEST(Cat, ManyInputs) {
  // More inputs than a 32-bit promote mask has bits (Note [cat promotion]).
  std::vector<Tensor> parts;
  for (int i = 0; i < 40; ++i) parts.push_back(i == 39 ? tensor({39.5}) : tensor(I64{i}));
  Tensor r = cat(parts);
  EXPECT_EQ(r.dtype(), DType::Float32);
  EXPECT_EQ(r.to_vector<float>()[38], 38.0f);
  EXPECT_EQ(r.to_vector<float>()[39], 39.5f);
}

TEST(Cat, Errors) {
  expect_error<ShapeError>(
      [] {
        cat({zeros({2, 3}), zeros({2, 4})}, 0);
      },
      "[cat] sizes must match except in dim 0; got input 0 of shape (2, 3) and input 1 of shape "
      "(2, 4)");
  expect_error<ShapeError>(
      [] {
        cat({zeros({2, 3}), zeros({2, 3, 1})}, 0);
      },
      "[cat] inputs must have the same number of dims; got input 0 of shape (2, 3) and input 1 "
      "of shape (2, 3, 1)");
  expect_error<ValueError>([] { cat({}, 0); },
                           "[cat] needs at least one tensor; got an empty list");
  expect_error<ShapeError>(
      [] {
        cat({ones({1}), scalar_tensor(1.0)}, 0);
      },
      "[cat] a 0-dim tensor (input 1) cannot be concatenated; unsqueeze it first");
  expect_error<IndexError>(
      [] {
        cat({zeros({2, 3})}, 2);
      },
      "[cat] dim 2 is out of range for a tensor of rank 2 (valid: -2 to 1)");
}

TEST(Stack, NewDimAnywhere) {
  Tensor a = tensor({1, 2}), b = tensor({3, 4});
  EXPECT_EQ(stack({a, b}).to_vector<int64_t>(), (I64{1, 2, 3, 4}));
  Tensor s = stack({a, b}, -1);
  EXPECT_EQ(s.shape(), (Shape{2, 2}));
  EXPECT_EQ(s.to_vector<int64_t>(), (I64{1, 3, 2, 4}));
  Tensor z = stack({scalar_tensor(1, DType::Int64), scalar_tensor(2.0, DType::Float32)});
  EXPECT_EQ(z.dtype(), DType::Float32);
  EXPECT_EQ(z.to_vector<float>(), (F{1, 2}));
}

TEST(Stack, Errors) {
  expect_error<ShapeError>(
      [] {
        stack({zeros({2}), zeros({3})});
      },
      "[stack] inputs must all have the same shape; got input 0 of shape (2) and input 1 of "
      "shape (3)");
  expect_error<ValueError>([] { stack({}); },
                           "[stack] needs at least one tensor; got an empty list");
  expect_error<IndexError>(
      [] {
        stack({zeros({2, 3})}, 3);
      },
      "[stack] dim 3 is out of range for a tensor of rank 3 (valid: -3 to 2)");
}

// -- split / chunk ------------------------------------------------------------------------

std::vector<Shape> shapes(const std::vector<Tensor>& ts) {
  std::vector<Shape> s;
  for (const Tensor& t : ts) s.push_back(t.shape());
  return s;
}

TEST(Split, BySizeAndBySizesAsViews) {
  Tensor x = arange(5);
  auto parts = split(x, 2);
  EXPECT_EQ(shapes(parts), (std::vector<Shape>{{2}, {2}, {1}}));
  EXPECT_EQ(parts[2].to_vector<int64_t>(), (I64{4}));
  EXPECT_EQ(parts[1].storage(), x.storage()) << "split returns views";
  auto cols = split(x23(), I64{1, 0, 2}, -1);
  EXPECT_EQ(shapes(cols), (std::vector<Shape>{{2, 1}, {2, 0}, {2, 2}}));
  EXPECT_EQ(cols[2].to_vector<float>(), (F{1, 2, 4, 5}));
  EXPECT_EQ(shapes(split(arange(0), 0)), (std::vector<Shape>{{0}}));
  EXPECT_EQ(shapes(split(arange(3), 5)), (std::vector<Shape>{{3}}));
}

TEST(Split, Errors) {
  expect_error<ValueError>(
      [] { split(arange(5), 0); },
      "[split] split_size 0 is only valid for an empty dim; dim 0 of (5) has size 5");
  expect_error<ValueError>([] { split(arange(5), -1); },
                           "[split] split_size must be non-negative; got -1");
  expect_error<ValueError>(
      [] {
        split(arange(5), I64{2, 2});
      },
      "[split] sizes must sum to 5 (the size of dim 0 of (5)); got (2, 2) summing to 4");
  expect_error<ValueError>(
      [] {
        split(arange(5), I64{2, -1, 4});
      },
      "[split] sizes must be non-negative; got (2, -1, 4)");
  expect_error<ShapeError>([] { split(scalar_tensor(5.0), 1); },
                           "[split] x must have at least 1 dim; got a 0-dim tensor");
  expect_error<IndexError>([] { split(x23(), 2, 2); },
                           "[split] dim 2 is out of range for a tensor of rank 2 (valid: -2 to 1)");
}

TEST(Chunk, CeilSizedPieces) {
  EXPECT_EQ(shapes(chunk(arange(5), 3)), (std::vector<Shape>{{2}, {2}, {1}}));
  EXPECT_EQ(shapes(chunk(arange(6), 4)), (std::vector<Shape>{{2}, {2}, {2}}));
  EXPECT_EQ(shapes(chunk(zeros({2, 0}), 3, -1)), (std::vector<Shape>{{2, 0}, {2, 0}, {2, 0}}));
  expect_error<ValueError>([] { chunk(arange(5), 0); }, "[chunk] chunks must be positive; got 0");
  expect_error<ShapeError>([] { chunk(scalar_tensor(1.0), 1); },
                           "[chunk] x must have at least 1 dim; got a 0-dim tensor");
}

// -- repeat / tile ----------------------------------------------------------------------------

TEST(Repeat, TilesAndAddsLeadingDims) {
  Tensor r = repeat(arange(3), {2, 2});
  EXPECT_EQ(r.shape(), (Shape{2, 6}));
  EXPECT_EQ(r.to_vector<int64_t>(), (I64{0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2}));
  Tensor t = repeat(x23().t(), {1, 2});
  EXPECT_EQ(t.to_vector<float>(), (F{0, 3, 0, 3, 1, 4, 1, 4, 2, 5, 2, 5}));
  EXPECT_EQ(repeat(x23(), {2, 0}).shape(), (Shape{4, 0}));
  EXPECT_EQ(repeat(scalar_tensor(3.0), {}).shape(), Shape{});
  Tensor x = x23();
  Tensor same = repeat(x, {1, 1});
  EXPECT_NE(same.storage(), x.storage()) << "repeat always copies";
}

TEST(Tile, PadsReps) {
  Tensor t = tile(x23(), {2});
  EXPECT_EQ(t.to_vector<float>(), (F{0, 1, 2, 0, 1, 2, 3, 4, 5, 3, 4, 5}));
  EXPECT_EQ(tile(scalar_tensor(3.0), {2, 2}).shape(), (Shape{2, 2}));
  EXPECT_EQ(tile(x23(), {}).shape(), (Shape{2, 3}));
}

TEST(RepeatTile, Errors) {
  expect_error<ShapeError>(
      [] { repeat(x23(), {2}); },
      "[repeat] needs a repeat count for each of the 2 dims of x (shape (2, 3)); got (2)");
  expect_error<ValueError>(
      [] {
        repeat(x23(), {2, -1});
      },
      "[repeat] repeats must be non-negative; got (2, -1)");
  expect_error<ValueError>(
      [] {
        tile(x23(), {-1, 2});
      },
      "[tile] reps must be non-negative; got (-1, 2)");
}

// -- roll / flip ---------------------------------------------------------------------------------

TEST(Roll, ShiftsAlongDimsOrFlattened) {
  Tensor x = arange(6).reshape({2, 3});
  EXPECT_EQ(roll(x, {1}, {}).to_vector<int64_t>(), (I64{5, 0, 1, 2, 3, 4}));
  EXPECT_EQ(roll(x, {1, 5}, {0, -1}).to_vector<int64_t>(), (I64{4, 5, 3, 1, 2, 0}));
  EXPECT_EQ(roll(x, {-7}, {1}).to_vector<int64_t>(), (I64{1, 2, 0, 4, 5, 3}));
  EXPECT_EQ(roll(x, {1, -1}, {0, 0}).to_vector<int64_t>(), (I64{0, 1, 2, 3, 4, 5}));
  EXPECT_EQ(roll(zeros({0, 3}), {1}, {0}).shape(), (Shape{0, 3}));
  EXPECT_EQ(roll(scalar_tensor(3.0), {1}, {}).item<double>(), 3.0);
  Tensor same = roll(x, {3}, {1});
  EXPECT_NE(same.storage(), x.storage()) << "roll never returns its input";
}

TEST(Roll, Errors) {
  Tensor x = x23();
  expect_error<ValueError>(
      [&] {
        roll(x, {1, 1}, {0});
      },
      "[roll] needs one shift per dim; got shifts (1, 1) and dims (0)");
  expect_error<ValueError>(
      [&] { roll(x, {}, {}); },
      "[roll] without dims x is rolled flattened and takes exactly one shift; got shifts ()");
  expect_error<IndexError>([&] { roll(x, {1}, {2}); },
                           "[roll] dim 2 is out of range for a tensor of rank 2 (valid: -2 to 1)");
}

TEST(Flip, ReversesDims) {
  Tensor x = arange(6).reshape({2, 3});
  EXPECT_EQ(flip(x, {-1}).to_vector<int64_t>(), (I64{2, 1, 0, 5, 4, 3}));
  EXPECT_EQ(flip(x, {0, 1}).to_vector<int64_t>(), (I64{5, 4, 3, 2, 1, 0}));
  EXPECT_EQ(flip(x.t(), {0}).to_vector<int64_t>(), (I64{2, 5, 1, 4, 0, 3}));
  EXPECT_EQ(flip(x, {}).to_vector<int64_t>(), (I64{0, 1, 2, 3, 4, 5}));
  EXPECT_EQ(flip(scalar_tensor(3.0), {0}).item<double>(), 3.0);
  EXPECT_EQ(flip(zeros({0, 2}), {0}).shape(), (Shape{0, 2}));
  EXPECT_EQ(flip(tensor({1.0, 2.0}, DType::BFloat16), {0}).to_vector<float>(), (F{2, 1}));
}

TEST(Flip, Errors) {
  Tensor x = x23();
  expect_error<IndexError>(
      [&] {
        flip(x, {0, -2});
      },
      "[flip] dim -2 appears more than once in dims (0, -2)");
  expect_error<IndexError>([&] { flip(x, {2}); },
                           "[flip] dim 2 is out of range for a tensor of rank 2 (valid: -2 to 1)");
}

// -- tril / triu ------------------------------------------------------------------------------

TEST(Triangle, BatchedWithDiagonals) {
  Tensor x = ones({2, 3, 4});
  Tensor l = tril(x, -1);
  F want = {0, 0, 0, 0, 1, 0, 0, 0, 1, 1, 0, 0};
  F both = want;
  both.insert(both.end(), want.begin(), want.end());
  EXPECT_EQ(l.to_vector<float>(), both);
  EXPECT_EQ(triu(ones({2, 3}), 1).to_vector<float>(), (F{0, 1, 1, 0, 0, 1}));
  EXPECT_EQ(triu(ones({3, 4}), -5).to_vector<float>(), F(12, 1));
  EXPECT_EQ(tril(ones({3, 3}), 5).to_vector<float>(), F(9, 1));
  EXPECT_EQ(tril(arange(4).reshape({2, 2}).t()).to_vector<int64_t>(), (I64{0, 0, 1, 3}));
  Tensor b = tril(tensor({{true, true}, {true, true}}));
  EXPECT_EQ(b.dtype(), DType::Bool);
  EXPECT_EQ(b.to_vector<int64_t>(), (I64{1, 0, 1, 1}));
  EXPECT_EQ(tril(ones({0, 3})).shape(), (Shape{0, 3}));
}

TEST(Triangle, Errors) {
  expect_error<ShapeError>(
      [] { tril(ones({3})); },
      "[tril] x must have at least 2 dims (the matrix is the last two); got shape (3)");
  expect_error<ShapeError>(
      [] { triu(scalar_tensor(1.0)); },
      "[triu] x must have at least 2 dims (the matrix is the last two); got shape ()");
}

// -- gradients --------------------------------------------------------------------------------

TEST(JoinGrad, CatCastsEachGradientToItsInput) {
  Tensor a = ones({2}, DType::Float32), b = ones({1}, DType::Float64);
  a.requires_grad_();
  b.requires_grad_();
  Tensor y = cat({a, tensor(I64{7}), b});
  EXPECT_EQ(y.grad_fn_name(), "cat");
  (y * tensor({1.0, 2.0, 3.0, 4.0}, DType::Float64)).sum().backward();
  EXPECT_EQ(a.grad().dtype(), DType::Float32);
  EXPECT_EQ(a.grad().to_vector<float>(), (F{1, 2}));
  EXPECT_EQ(b.grad().to_vector<double>(), (std::vector<double>{4}));
}

TEST(JoinGrad, SecondDerivatives) {
  auto sq = [](const Tensor& t) { return t * t; };
  std::vector<std::pair<const char*, autograd::Fn>> fns = {
      {"cat",
       [&](const std::vector<Tensor>& v) {
         return std::vector<Tensor>{sq(cat({v[0], v[1]}, 1))};
       }},
      {"roll",
       [&](const std::vector<Tensor>& v) {
         return std::vector<Tensor>{sq(roll(v[0], {1}, {1})) * v[1]};
       }},
      {"flip",
       [&](const std::vector<Tensor>& v) {
         return std::vector<Tensor>{sq(flip(v[0], {0})) * v[1]};
       }},
      {"tril",
       [&](const std::vector<Tensor>& v) { return std::vector<Tensor>{sq(tril(v[0] * v[1]))}; }},
      {"repeat",
       [&](const std::vector<Tensor>& v) {
         return std::vector<Tensor>{sq(repeat(v[0], {2, 1})) + v[1].sum()};
       }},
  };
  for (auto& [name, fn] : fns) {
    auto r = autograd::gradgradcheck(
        fn, {braid::testing::sample_randn({2, 3}, 21), braid::testing::sample_randn({2, 3}, 22)});
    EXPECT_TRUE(r.ok) << name << ": " << r.message;
  }
}

}  // namespace
