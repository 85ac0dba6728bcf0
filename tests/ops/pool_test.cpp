// Pooling, pad and interpolate: values against naive references written from
// PyTorch's definitions (every window tap o * stride - padding + j * dilation,
// divisors, adaptive bounds, mirror/edge positions), the adjoint ops against
// their forward ops, autograd, error texts, and 1- vs 2-thread results.
#include <gtest/gtest.h>

#include "core/test_util.hpp"

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "braid/braid.hpp"

using namespace braid;

namespace {

using I64 = std::vector<int64_t>;
using D = std::vector<double>;

// x viewed as (P, H, W) float64 values.
struct Planes {
  int64_t p, h, w;
  D v;
  double at(int64_t q, int64_t i, int64_t j) const { return v[(q * h + i) * w + j]; }
};
Planes planes(const Tensor& x) {
  return {x.numel() / (x.size(-1) * x.size(-2)), x.size(-2), x.size(-1), x.to_vector<double>()};
}

// Window taps of output o along one axis: o * s - p + t * d for t < k.
std::vector<int64_t> taps(int64_t o, int64_t k, int64_t s, int64_t p, int64_t d) {
  std::vector<int64_t> r;
  for (int64_t t = 0; t < k; ++t) r.push_back(o * s - p + t * d);
  return r;
}

struct MaxCfg {
  Shape x;
  I64 k, s, p, d;
  bool ceil;
};

// Naive max pooling over the taps inside the input; NaN wins, ties go first.
void expect_max_matches_naive(const MaxCfg& c, uint64_t seed) {
  manual_seed(seed);
  Tensor x = randn(c.x, DType::Float64);
  auto [y, idx] = max_pool2d_with_indices(x, c.k, {c.s, c.p, c.d, c.ceil});
  const Planes in = planes(x), out = planes(y);
  const I64 iv = idx.to_vector<int64_t>();
  const I64 s = c.s.empty() ? c.k : c.s;
  for (int64_t q = 0; q < out.p; ++q)
    for (int64_t i = 0; i < out.h; ++i)
      for (int64_t j = 0; j < out.w; ++j) {
        double best = -std::numeric_limits<double>::infinity();
        int64_t at = -1;
        for (int64_t r : taps(i, c.k[0], s[0], c.p[0], c.d[0]))
          for (int64_t col : taps(j, c.k.back(), s.back(), c.p.back(), c.d.back()))
            if (r >= 0 && r < in.h && col >= 0 && col < in.w &&
                (at < 0 || in.at(q, r, col) > best)) {
              best = in.at(q, r, col);
              at = r * in.w + col;
            }
        const size_t o = static_cast<size_t>((q * out.h + i) * out.w + j);
        ASSERT_EQ(out.v[o], best) << "plane " << q << " (" << i << ", " << j << ")";
        ASSERT_EQ(iv[o], at);
      }
}

TEST(MaxPool2d, MatchesNaiveReference) {
  const std::vector<MaxCfg> cfgs = {
      {{2, 3, 24, 24}, {2}, {}, {0}, {1}, false},            // the MNIST 2x2 loop
      {{2, 3, 7, 7}, {2}, {}, {0}, {1}, false},              // 2x2 with a dropped row
      {{2, 2, 7, 6}, {3}, {2}, {1}, {1}, true},              // ceil_mode with padding
      {{1, 3, 9, 8}, {3, 2}, {2, 1}, {1, 1}, {2, 3}, true},  // dilation
      {{3, 6, 5}, {2, 3}, {1, 2}, {0, 1}, {1}, false},       // unbatched, rectangular
      {{1, 1, 4, 4}, {4}, {3}, {2}, {1}, true},
  };
  uint64_t seed = 40;
  for (const MaxCfg& c : cfgs) {
    SCOPED_TRACE(shape_str(c.x) + " k=" + shape_str(c.k));
    expect_max_matches_naive(c, ++seed);
  }
}

TEST(MaxPool2d, OutputSizesFollowPyTorch) {
  Tensor x = zeros({1, 1, 5, 5});
  EXPECT_EQ(max_pool2d(x, {2}, {.stride = {2}, .padding = {1}, .ceil_mode = true}).shape(),
            (Shape{1, 1, 3, 3}));  // a 4th window would start in the right padding
  EXPECT_EQ(max_pool2d(zeros({1, 1, 5, 5}), {2}, {.ceil_mode = true}).shape(), (Shape{1, 1, 3, 3}));
  EXPECT_EQ(max_pool2d(zeros({2, 5, 5}), {2}).shape(), (Shape{2, 2, 2}));
  EXPECT_EQ(max_pool2d(zeros({0, 2, 4, 4}), {2}).shape(), (Shape{0, 2, 2, 2}));
}

TEST(MaxPool2d, NaNWinsAndTiesGoFirst) {
  // Both the 2x2 loop and the general one: NaN anywhere in a window wins.
  Tensor x = tensor({{{{1.0f, NAN, 2.0f, 2.0f}, {0.0f, 5.0f, 2.0f, 2.0f}}}});
  auto fast = max_pool2d_with_indices(x, {2});
  EXPECT_TRUE(std::isnan(fast.values.to_vector<float>()[0]));
  EXPECT_EQ(fast.indices.to_vector<int64_t>(), (I64{1, 2}));
  auto general = max_pool2d_with_indices(x, {2}, {.stride = {1}});
  EXPECT_EQ(general.indices.to_vector<int64_t>(), (I64{1, 1, 2}));
  auto all_inf = max_pool2d_with_indices(full({1, 2, 2}, -INFINITY), {2});
  EXPECT_EQ(all_inf.indices.to_vector<int64_t>(), (I64{0}));
}

TEST(MaxPool2d, HalfComputesInFloat32) {
  Tensor x = tensor({{{1.0, 3.0}, {2.0, 0.5}}}, DType::Float16);
  auto r = max_pool2d_with_indices(x, {2});
  EXPECT_EQ(r.values.dtype(), DType::Float16);
  EXPECT_EQ(r.values.to_vector<float>(), (std::vector<float>{3.0f}));
  EXPECT_EQ(r.indices.dtype(), DType::Int64);
}

TEST(MaxPool2d, GradientScattersAtIndicesAndAddsOverlaps) {
  Tensor x = tensor({{{1.0, 9.0, 2.0}, {3.0, 4.0, 5.0}}}).requires_grad_();
  Tensor y = max_pool2d(x, {2}, {.stride = {1}});  // both windows pick the 9
  y.backward(tensor({{{10.0, 20.0}}}));
  EXPECT_EQ(x.grad().to_vector<double>(), (D{0, 30, 0, 0, 0, 0}));
  EXPECT_EQ(y.grad_fn_name(), "max_pool2d");
}

// -- average pooling ---------------------------------------------------------------

struct AvgCfg {
  Shape x;
  I64 k, s, p;
  bool ceil, incl;
  std::optional<int64_t> div;
};

void expect_avg_matches_naive(const AvgCfg& c, uint64_t seed) {
  manual_seed(seed);
  Tensor x = randn(c.x, DType::Float64);
  Tensor y = avg_pool2d(x, c.k, {c.s, c.p, c.ceil, c.incl, c.div});
  const Planes in = planes(x), out = planes(y);
  const I64 s = c.s.empty() ? c.k : c.s;
  for (int64_t q = 0; q < out.p; ++q)
    for (int64_t i = 0; i < out.h; ++i)
      for (int64_t j = 0; j < out.w; ++j) {
        double sum = 0;
        int64_t inside = 0, padded = 0;
        for (int64_t r : taps(i, c.k[0], s[0], c.p[0], 1))
          for (int64_t col : taps(j, c.k.back(), s.back(), c.p.back(), 1)) {
            const bool in_rows = r >= 0 && r < in.h, in_cols = col >= 0 && col < in.w;
            padded += r < in.h + c.p[0] && col < in.w + c.p.back();  // not past the padding
            if (in_rows && in_cols) {
              sum += in.at(q, r, col);
              ++inside;
            }
          }
        const double want = inside == 0 ? 0.0
                                        : sum / static_cast<double>(c.div    ? *c.div
                                                                    : c.incl ? padded
                                                                             : inside);
        ASSERT_NEAR(out.v[static_cast<size_t>((q * out.h + i) * out.w + j)], want, 1e-12);
      }
}

TEST(AvgPool2d, MatchesNaiveReference) {
  const std::vector<AvgCfg> cfgs = {
      {{2, 3, 6, 6}, {2}, {}, {0}, false, true, {}},
      {{2, 2, 7, 7}, {3}, {2}, {1}, false, true, {}},
      {{2, 2, 7, 7}, {3}, {2}, {1}, false, false, {}},
      {{1, 2, 6, 6}, {3}, {2}, {1}, true, true, {}},  // a window past the padding
      {{1, 2, 6, 6}, {3}, {2}, {1}, true, false, {}},
      {{3, 5, 6}, {3, 2}, {1, 2}, {1, 1}, false, true, 5},
      {{1, 1, 5, 6}, {2}, {2}, {1}, true, false, -3},
  };
  uint64_t seed = 60;
  for (const AvgCfg& c : cfgs) {
    SCOPED_TRACE(shape_str(c.x) + " k=" + shape_str(c.k));
    expect_avg_matches_naive(c, ++seed);
  }
}

TEST(AvgPool2d, Int64DividesWithTruncation) {
  Tensor x = tensor({{{1, 2}, {3, -9}}});
  EXPECT_EQ(avg_pool2d(x, {2}).to_vector<int64_t>(), (I64{-0}));  // -3 / 4
  EXPECT_EQ(avg_pool2d(x, {1}).to_vector<int64_t>(), (I64{1, 2, 3, -9}));
  EXPECT_EQ(avg_pool2d(x, {2}).dtype(), DType::Int64);
}

// <pool(x), g> = <x, adjoint(g)>: the *_backward ops are the adjoints.
void expect_adjoint(const Tensor& x, const Tensor& y, const Tensor& g, const Tensor& gx) {
  const double lhs = sum(y * g).item<double>(), rhs = sum(x * gx).item<double>();
  EXPECT_NEAR(lhs, rhs, 1e-10 * (1 + std::abs(lhs)));
}

TEST(AvgPool2d, BackwardOpsAreTheAdjoints) {
  manual_seed(5);
  Tensor x = randn({2, 3, 7, 6}, DType::Float64);
  const AvgPool2dOptions o{
      .stride = {2}, .padding = {1}, .ceil_mode = true, .count_include_pad = false};
  Tensor y = avg_pool2d(x, {3}, o);
  Tensor g = randn(y.shape(), DType::Float64);
  expect_adjoint(x, y, g, avg_pool2d_backward(g, {7, 6}, {3}, o));
  Tensor ya = adaptive_avg_pool2d(x, {4, 5});
  Tensor ga = randn(ya.shape(), DType::Float64);
  expect_adjoint(x, ya, ga, adaptive_avg_pool2d_backward(ga, {7, 6}));
  auto [ym, idx] = max_pool2d_with_indices(x, {3}, {.stride = {1}, .padding = {1}});
  Tensor gm = randn(ym.shape(), DType::Float64);
  expect_adjoint(x, gather(flatten(x, -2), -1, flatten(idx, -2)).reshape(ym.shape()), gm,
                 max_pool2d_backward(gm, idx, {7, 6}));
}

// -- adaptive pooling --------------------------------------------------------------

TEST(AdaptivePool2d, MatchesNaiveReference) {
  manual_seed(7);
  Tensor x = randn({2, 3, 7, 5}, DType::Float64);
  for (const I64& o : {I64{3, 2}, I64{1}, I64{7, 5}, I64{9, 11}}) {
    Tensor a = adaptive_avg_pool2d(x, o);
    auto [m, mi] = adaptive_max_pool2d_with_indices(x, o);
    const Planes in = planes(x), av = planes(a), mv = planes(m);
    const I64 iv = mi.to_vector<int64_t>();
    for (int64_t q = 0; q < av.p; ++q)
      for (int64_t i = 0; i < av.h; ++i)
        for (int64_t j = 0; j < av.w; ++j) {
          const int64_t h0 = i * 7 / av.h, h1 = ((i + 1) * 7 + av.h - 1) / av.h;
          const int64_t w0 = j * 5 / av.w, w1 = ((j + 1) * 5 + av.w - 1) / av.w;
          double s = 0, best = -INFINITY;
          int64_t at = -1;
          for (int64_t r = h0; r < h1; ++r)
            for (int64_t c = w0; c < w1; ++c) {
              s += in.at(q, r, c);
              if (in.at(q, r, c) > best) best = in.at(q, r, c), at = r * 5 + c;
            }
          const size_t k = static_cast<size_t>((q * av.h + i) * av.w + j);
          ASSERT_NEAR(av.v[k], s / static_cast<double>((h1 - h0) * (w1 - w0)), 1e-12);
          ASSERT_EQ(mv.v[k], best);
          ASSERT_EQ(iv[k], at);
        }
  }
  EXPECT_EQ(adaptive_avg_pool2d(x, {0, 0}).shape(), (Shape{2, 3, 0, 0}));
  EXPECT_EQ(adaptive_max_pool2d(zeros({3, 4, 4}), {2}).shape(), (Shape{3, 2, 2}));
}

// -- pad --------------------------------------------------------------------------------

TEST(Pad, ConstantCropsAndFills) {
  Tensor x = tensor({{1, 2, 3}, {4, 5, 6}});
  EXPECT_EQ(pad(x, {1, -1}, "constant", 9).to_vector<int64_t>(), (I64{9, 1, 2, 9, 4, 5}));
  Tensor y = pad(x, {0, 0, 1, 0}, "constant", 2.7);  // the value casts to int64 like PyTorch
  EXPECT_EQ(y.to_vector<int64_t>(), (I64{2, 2, 2, 1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(pad(x, {-2, -1}).shape(), (Shape{2, 0}));
  Tensor same = pad(x, {0, 0});
  EXPECT_NE(same.storage(), x.storage());  // a copy, never an alias
}

TEST(Pad, ReflectAndReplicatePositions) {
  Tensor x = tensor({{{0.0, 1.0, 2.0, 3.0, 4.0}}});
  EXPECT_EQ(pad(x, {2, 3}, "reflect").to_vector<double>(), (D{2, 1, 0, 1, 2, 3, 4, 3, 2, 1}));
  EXPECT_EQ(pad(x, {-5, 4}, "reflect").to_vector<double>(), (D{3, 2, 1, 0}));
  EXPECT_EQ(pad(x, {2, -1}, "replicate").to_vector<double>(), (D{0, 0, 0, 1, 2, 3}));
  EXPECT_EQ(pad(x, {-6, 3}, "replicate").to_vector<double>(), (D{4, 4}));
  Tensor x2 = reshape(arange(6.0), {1, 2, 3});
  EXPECT_EQ(pad(x2, {1, 0, 0, 1}, "reflect").to_vector<double>(),
            (D{1, 0, 1, 2, 4, 3, 4, 5, 1, 0, 1, 2}));
  EXPECT_EQ(pad(x2, {0, 1, 1, 0}, "replicate").to_vector<double>(),
            (D{0, 1, 2, 2, 0, 1, 2, 2, 3, 4, 5, 5}));
}

// -- interpolate --------------------------------------------------------------------

TEST(Interpolate, NearestDoublesAndBilinearKeepsRamps) {
  Tensor x = reshape(arange(4.0f), {1, 1, 2, 2});
  Tensor up = interpolate(x, {.scale_factor = {2.0}});
  EXPECT_EQ(up.to_vector<float>(),
            (std::vector<float>{0, 0, 1, 1, 0, 0, 1, 1, 2, 2, 3, 3, 2, 2, 3, 3}));
  // With align_corners, bilinear reproduces a linear function at the new grid.
  Tensor ramp = reshape(arange(0, 5, 1, DType::Float64) * 2.0, {1, 1, 1, 5});
  Tensor r = interpolate(expand(ramp, {1, 1, 3, 5}),
                         {.size = {3, 9}, .mode = "bilinear", .align_corners = true});
  D want;
  for (int row = 0; row < 3; ++row)
    for (int j = 0; j < 9; ++j) want.push_back(j * 1.0);
  EXPECT_EQ(r.to_vector<double>(), want);
  EXPECT_EQ(interpolate(zeros({0, 3, 4, 4}), {.scale_factor = {1.5}, .mode = "bilinear"}).shape(),
            (Shape{0, 3, 6, 6}));
  Tensor l = interpolate(reshape(arange(3.0f), {1, 1, 3}), {.size = {6}});
  EXPECT_EQ(l.to_vector<float>(), (std::vector<float>{0, 0, 1, 1, 2, 2}));
}

TEST(Interpolate, GradientSumsOverTheTaps) {
  Tensor x = ones({1, 1, 2, 3}, DType::Float64).requires_grad_();
  sum(interpolate(x, {.size = {4, 5}, .mode = "bilinear"})).backward();
  EXPECT_NEAR(sum(x.grad()).item<double>(), 20.0, 1e-12);  // each output's weights sum to 1
}

// -- errors: rule and every value, before anything runs ------------------------------

TEST(PoolErrors, ExactTexts) {
  Tensor x = zeros({2, 3, 5, 5});
  expect_error<ValueError>(
      [&] {
        max_pool2d(x, {2, 2, 2});
      },
      "[max_pool2d] kernel_size must be one int or two ints (H, W); got (2, 2, 2)");
  expect_error<ValueError>(
      [&] { max_pool2d(x, {0}, {.stride = {1}}); },
      "[max_pool2d] kernel_size must be greater than zero; got kernel_size=(0, 0)");
  expect_error<ValueError>(
      [&] {
        max_pool2d(x, {2}, {.stride = {0, 1}});
      },
      "[max_pool2d] stride must be greater than zero; got stride=(0, 1)");
  expect_error<ValueError>([&] { max_pool2d(x, {2}, {.padding = {-1}}); },
                           "[max_pool2d] padding must be non-negative; got padding=(-1, -1)");
  expect_error<ValueError>([&] { max_pool2d(x, {2}, {.dilation = {0}}); },
                           "[max_pool2d] dilation must be greater than zero; got dilation=(0, 0)");
  expect_error<ValueError>(
      [&] {
        max_pool2d(x, {3, 1}, {.padding = {1}});
      },
      "[max_pool2d] padding must be at most half of kernel_size; got padding=(1, 1), "
      "kernel_size=(3, 1)");
  expect_error<ShapeError>(
      [&] {
        max_pool2d(zeros({5, 5}), {2});
      },
      "[max_pool2d] x must be 3-D (C, H, W) or 4-D (N, C, H, W); got x=(5, 5)");
  expect_error<ShapeError>(
      [&] {
        max_pool2d(zeros({2, 0, 5, 5}), {2});
      },
      "[max_pool2d] x must have non-zero C, H and W (only N may be 0); got x=(2, 0, 5, 5)");
  expect_error<ShapeError>([&] { max_pool2d(x, {7}); },
                           "[max_pool2d] output size (0, 0) is too small; got x=(2, 3, 5, 5), "
                           "kernel_size=(7, 7), stride=(7, 7), padding=(0, 0), dilation=(1, 1)");
  expect_error<DTypeError>(
      [&] {
        max_pool2d(zeros({1, 2, 2}, DType::Int64), {2});
      },
      "[max_pool2d] x must be floating point; got int64");
  expect_error<ValueError>([&] { avg_pool2d(x, {2}, {.divisor_override = 0}); },
                           "[avg_pool2d] divisor_override must not be zero; got 0");
  expect_error<DTypeError>(
      [&] {
        avg_pool2d(zeros({1, 2, 2}, DType::Int32), {2});
      },
      "[avg_pool2d] x must be floating point or int64; got int32");
  expect_error<ShapeError>(
      [&] {
        avg_pool2d_backward(zeros({2, 3, 3, 3}), {5, 5}, {2});
      },
      "[avg_pool2d_backward] grad must have the pooled shape (2, 3, 2, 2); "
      "got grad=(2, 3, 3, 3)");
}

TEST(PoolErrors, AdaptiveAndBackwardTexts) {
  expect_error<ValueError>(
      [] {
        adaptive_avg_pool2d(zeros({2, 3, 5, 5}), {-1, 2});
      },
      "[adaptive_avg_pool2d] output_size must be non-negative; got output_size=(-1, 2)");
  expect_error<ShapeError>(
      [] {
        adaptive_avg_pool2d(zeros({2, 3, 0, 5}), {2});
      },
      "[adaptive_avg_pool2d] x must have non-zero size in dims 2..3; got "
      "x=(2, 3, 0, 5) (dim 2 is empty)");
  EXPECT_EQ(adaptive_avg_pool2d(zeros({2, 0, 4, 4}), {2}).shape(), (Shape{2, 0, 2, 2}));
  expect_error<ShapeError>(
      [] {
        adaptive_max_pool2d(zeros({2, 0, 4, 5}), {2});
      },
      "[adaptive_max_pool2d] x must have non-zero size in dims 1..3; got "
      "x=(2, 0, 4, 5) (dim 1 is empty)");
  expect_error<ValueError>(
      [] {
        adaptive_avg_pool2d_backward(zeros({1, 2, 2}), {0, 3});
      },
      "[adaptive_avg_pool2d_backward] input_size must be two positive ints "
      "(H, W); got (0, 3)");
  Tensor g = zeros({1, 2, 2});
  expect_error<IndexError>(
      [&] {
        max_pool2d_backward(g, tensor(I64{0, 3, 16, 1}, {1, 2, 2}), {4, 4});
      },
      "[max_pool2d_backward] indices must lie in [0, H * W) = [0, 16); got 16 at position (0, 1, "
      "0)");
  expect_error<ShapeError>(
      [&] {
        max_pool2d_backward(g, zeros({1, 4}, DType::Int64), {4, 4});
      },
      "[max_pool2d_backward] indices must have grad's shape; got grad=(1, 2, "
      "2), indices=(1, 4)");
}

TEST(PadErrors, ExactTexts) {
  Tensor x = zeros({2, 3, 5});
  expect_error<ValueError>(
      [&] {
        pad(x, {1, 1}, "circular");
      },
      "[pad] mode must be \"constant\", \"reflect\" or \"replicate\"; got \"circular\"");
  expect_error<ValueError>(
      [&] {
        pad(x, {1, 1, 1});
      },
      "[pad] pads must have an even length (a pair per dim, last dim first); got "
      "pads=(1, 1, 1)");
  expect_error<ValueError>(
      [&] {
        pad(x, {1, 1, 1, 1, 1, 1, 1, 1});
      },
      "[pad] pads cover 4 dims but x has 3; got x=(2, 3, 5), pads=(1, 1, 1, 1, 1, "
      "1, 1, 1)");
  expect_error<ValueError>(
      [&] {
        pad(x, {1, 1}, "reflect", 1);
      },
      "[pad] mode \"reflect\" takes no value; got value=1");
  expect_error<ShapeError>(
      [&] {
        pad(zeros({3, 5}), {1, 1, 1, 1}, "replicate");
      },
      "[pad] mode \"replicate\" pads 1, 2 or 3 dims of a tensor with 1 or 2 more "
      "dims; got x=(3, 5), pads=(1, 1, 1, 1)");
  expect_error<ShapeError>(
      [&] {
        pad(zeros({2, 0, 4}), {1, 1}, "reflect");
      },
      "[pad] mode \"reflect\" needs every dim but the first to be non-empty; got "
      "x=(2, 0, 4)");
  expect_error<ShapeError>(
      [&] {
        pad(x, {5, 1}, "reflect");
      },
      "[pad] reflect pads must be smaller than the padded dim; got (5, 1) for dim "
      "2 of x=(2, 3, 5)");
  expect_error<ShapeError>(
      [&] {
        pad(x, {-3, -2}, "replicate");
      },
      "[pad] mode \"replicate\" must leave dim 2 non-empty; padding its size 5 by "
      "(-3, -2) gives 0");
  expect_error<ShapeError>(
      [&] {
        pad(x, {-3, -3});
      },
      "[pad] negative pads (-3, -3) remove more than the size 5 of dim 2; got "
      "x=(2, 3, 5), pads=(-3, -3)");
}

TEST(InterpolateErrors, ExactTexts) {
  Tensor x = zeros({2, 3, 5, 5});
  expect_error<ValueError>([&] { interpolate(x, {}); },
                           "[interpolate] give exactly one of size and scale_factor; got neither");
  expect_error<ValueError>([&] { interpolate(x, {.size = {3}, .scale_factor = {2.0}}); },
                           "[interpolate] give exactly one of size and scale_factor; got both");
  expect_error<ValueError>(
      [&] {
        interpolate(x, {.size = {3, 4, 5}});
      },
      "[interpolate] size must have one value or one per spatial dim (2); got "
      "size=(3, 4, 5)");
  expect_error<ValueError>(
      [&] {
        interpolate(x, {.scale_factor = {2.0, 2.0, 2.0}});
      },
      "[interpolate] scale_factor must have one value or one per spatial dim "
      "(2); got 3 values");
  expect_error<ValueError>(
      [&] { interpolate(x, {.size = {3}, .align_corners = false}); },
      "[interpolate] align_corners can only be set with mode \"bilinear\"; got "
      "mode \"nearest\"");
  expect_error<ValueError>(
      [&] { interpolate(x, {.size = {3}, .mode = "bicubic"}); },
      "[interpolate] mode must be \"nearest\" or \"bilinear\"; got \"bicubic\"");
  expect_error<ShapeError>(
      [&] {
        interpolate(zeros({3, 5, 5}), {.size = {3}, .mode = "bilinear"});
      },
      "[interpolate] mode \"bilinear\" takes a 4-D (N, C, H, W) x; got x=(3, 5, 5)");
  expect_error<ValueError>(
      [&] { interpolate(x, {.size = {3}, .recompute_scale_factor = true}); },
      "[interpolate] recompute_scale_factor is not meaningful with an explicit size");
  expect_error<ShapeError>(
      [&] { interpolate(x, {.scale_factor = {0.1}}); },
      "[interpolate] C, the input sizes and the output sizes must be greater than "
      "0; got x=(2, 3, 5, 5), output size (0, 0)");
  expect_error<ValueError>([&] { interpolate(x, {.scale_factor = {INFINITY}}); },
                           "[interpolate] scales_h must be finite; got inf");
  expect_error<DTypeError>(
      [&] {
        interpolate(zeros({1, 1, 2, 2}, DType::Int64), {.size = {3}});
      },
      "[interpolate] x must be floating point; got int64");
}

// -- determinism: Note [pool determinism] --------------------------------------------

TEST(PoolDeterminism, OneAndTwoThreadsAgreeBitwise) {
  const int threads = get_num_threads();
  manual_seed(11);
  Tensor x = randn({8, 64, 24, 24});  // 512 planes: several parallel chunks
  Tensor g = randn({8, 64, 12, 12});
  auto run = [&] {
    auto [m, mi] = max_pool2d_with_indices(x, {2});
    auto [m3, mi3] = max_pool2d_with_indices(x, {3}, {.stride = {2}, .padding = {1}});
    return std::vector<Tensor>{m,
                               mi,
                               m3,
                               max_pool2d_backward(g, mi, {24, 24}),
                               avg_pool2d(x, {3}, {.stride = {2}, .padding = {1}}),
                               avg_pool2d_backward(g, {24, 24}, {2}),
                               adaptive_avg_pool2d(x, {5, 7}),
                               adaptive_avg_pool2d_backward(g, {24, 24}),
                               adaptive_max_pool2d(x, {5}),
                               pad(x, {2, 1, 1, 2}, "reflect"),
                               interpolate(x, {.scale_factor = {1.5}, .mode = "bilinear"})};
  };
  set_num_threads(1);
  const std::vector<Tensor> one = run();
  set_num_threads(std::max(2, threads));
  const std::vector<Tensor> two = run();
  set_num_threads(threads);
  for (size_t i = 0; i < one.size(); ++i) {
    SCOPED_TRACE(i);
    if (one[i].dtype() == DType::Int64) {
      EXPECT_EQ(one[i].to_vector<int64_t>(), two[i].to_vector<int64_t>());
    } else {
      EXPECT_EQ(one[i].to_vector<float>(), two[i].to_vector<float>());
    }
  }
}

}  // namespace
