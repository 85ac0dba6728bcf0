// The losses (src/ops/loss.cpp): values against naive loops in double (the
// class losses with weights, ignored targets, label smoothing and K-dim
// inputs), the edges PyTorch defines (BCE's log clamp, stable logits, xlogy,
// all-ignored batches), gradients that stay finite where a plain formula
// gives NaN, thread-count independence, and every error text. PyTorch
// parity itself is in tests/fixtures/ops_loss.json (tests/ops/parity_test.cpp).
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "../core/test_util.hpp"
#include "braid/braid.hpp"
#include "numeric_test_util.hpp"

namespace braid {
namespace {

using D = std::vector<double>;

using testing::expect_close;

// -- naive class-loss reference ------------------------------------------------------
// x is (N, C, K) flattened (K = 1 for (N, C)); targets (N, K); w (C) or empty.
struct ClassRef {
  D none;
  double sum = 0, mean = 0;
};

D log_softmax_at(const D& x, int64_t n, int64_t k, int64_t c_count, int64_t k_count) {
  auto at = [&](int64_t c) { return x[(n * c_count + c) * k_count + k]; };
  double m = -INFINITY, s = 0;
  for (int64_t c = 0; c < c_count; ++c) m = std::max(m, at(c));
  for (int64_t c = 0; c < c_count; ++c) s += std::exp(at(c) - m);
  D lp(c_count);
  for (int64_t c = 0; c < c_count; ++c) lp[c] = at(c) - m - std::log(s);
  return lp;
}

ClassRef ref_index(const D& x, const std::vector<int64_t>& t, const D& w, int64_t n_count,
                   int64_t c_count, int64_t k_count, int64_t ignore, double eps) {
  ClassRef r;
  double total = 0;
  for (int64_t n = 0; n < n_count; ++n)
    for (int64_t k = 0; k < k_count; ++k) {
      const int64_t tt = t[n * k_count + k];
      if (tt == ignore) {
        r.none.push_back(0);
        continue;
      }
      D lp = log_softmax_at(x, n, k, c_count, k_count);
      const double wt = w.empty() ? 1 : w[tt];
      double smooth = 0;
      for (int64_t c = 0; c < c_count; ++c) smooth -= (w.empty() ? 1 : w[c]) * lp[c];
      r.none.push_back((1 - eps) * -wt * lp[tt] + eps / c_count * smooth);
      total += wt;
    }
  for (double v : r.none) r.sum += v;
  r.mean = r.sum / total;
  return r;
}

ClassRef ref_probs(const D& x, const D& p, const D& w, int64_t n_count, int64_t c_count,
                   int64_t k_count, double eps) {
  ClassRef r;
  for (int64_t n = 0; n < n_count; ++n)
    for (int64_t k = 0; k < k_count; ++k) {
      D lp = log_softmax_at(x, n, k, c_count, k_count);
      double l = 0;
      for (int64_t c = 0; c < c_count; ++c) {
        const double pc = (1 - eps) * p[(n * c_count + c) * k_count + k] + eps / c_count;
        l -= (w.empty() ? 1 : w[c]) * pc * lp[c];
      }
      r.none.push_back(l);
      r.sum += l;
    }
  r.mean = r.sum / static_cast<double>(n_count * k_count);
  return r;
}

void expect_reductions(const Tensor& x, const Tensor& t, CrossEntropyOptions o,
                       const ClassRef& want) {
  o.reduction = "none";
  expect_close(cross_entropy(x, t, o).to_vector<double>(), want.none);
  o.reduction = "sum";
  EXPECT_NEAR(cross_entropy(x, t, o).item<double>(), want.sum, 1e-12);
  o.reduction = "mean";
  EXPECT_NEAR(cross_entropy(x, t, o).item<double>(), want.mean, 1e-12);
}

TEST(CrossEntropy, ClassIndicesMatchTheNaiveLoops) {
  manual_seed(1);
  Tensor x = randn({6, 4}, DType::Float64);
  std::vector<int64_t> tv{3, -100, 0, 1, -100, 2};
  Tensor t = tensor(tv, {6});
  Tensor w = tensor(D{0.5, 1.0, 2.0, 3.0}, {4});
  const D xv = x.to_vector<double>(), wv = w.to_vector<double>();
  for (double eps : {0.0, 0.2, 1.0}) {
    SCOPED_TRACE(eps);
    expect_reductions(x, t, {.label_smoothing = eps}, ref_index(xv, tv, {}, 6, 4, 1, -100, eps));
    expect_reductions(x, t, {.weight = w, .label_smoothing = eps},
                      ref_index(xv, tv, wv, 6, 4, 1, -100, eps));
  }
  // ignore_index inside [0, C): class 2 is skipped, -100 is then out of range.
  std::vector<int64_t> t2{3, 2, 0, 1, 2, 2};
  expect_reductions(x, tensor(t2, {6}), {.weight = w, .ignore_index = 2, .label_smoothing = 0.1},
                    ref_index(xv, t2, wv, 6, 4, 1, 2, 0.1));
}

TEST(CrossEntropy, KDimAndUnbatched) {
  manual_seed(2);
  Tensor x = randn({2, 3, 2, 2}, DType::Float64);  // N=2, C=3, K=4
  std::vector<int64_t> tv{0, 2, -100, 1, 1, 1, 0, 2};
  Tensor t = tensor(tv, {2, 2, 2});
  Tensor w = tensor(D{2.0, 0.5, 1.0}, {3});
  ClassRef want = ref_index(x.to_vector<double>(), tv, w.to_vector<double>(), 2, 3, 4, -100, 0.3);
  Tensor none = cross_entropy(x, t, {.weight = w, .reduction = "none", .label_smoothing = 0.3});
  EXPECT_EQ(none.shape(), (Shape{2, 2, 2}));
  expect_reductions(x, t, {.weight = w, .label_smoothing = 0.3}, want);

  Tensor u = randn({5}, DType::Float64);
  Tensor ut = scalar_tensor(3, DType::Int64);
  Tensor lu = cross_entropy(u, ut, {.reduction = "none"});
  EXPECT_EQ(lu.shape(), Shape{});
  D lp = log_softmax_at(u.to_vector<double>(), 0, 0, 5, 1);
  EXPECT_NEAR(lu.item<double>(), -lp[3], 1e-12);
  EXPECT_NEAR(cross_entropy(u, ut).item<double>(), -lp[3], 1e-12);
}

TEST(CrossEntropy, ProbabilitiesMatchTheNaiveLoops) {
  manual_seed(3);
  Tensor x = randn({2, 3, 4}, DType::Float64);
  Tensor p = softmax(randn({2, 3, 4}, DType::Float64), 1);
  Tensor w = tensor(D{2.0, 0.5, 1.0}, {3});
  const D xv = x.to_vector<double>(), pv = p.to_vector<double>(), wv = w.to_vector<double>();
  expect_reductions(x, p, {}, ref_probs(xv, pv, {}, 2, 3, 4, 0.0));
  // "mean" divides by N * K whatever the weights, as PyTorch 1.13.
  expect_reductions(x, p, {.weight = w, .label_smoothing = 0.25},
                    ref_probs(xv, pv, wv, 2, 3, 4, 0.25));
}

TEST(CrossEntropy, AllIgnoredMeanIsNaNAndGradientIsZero) {
  Tensor x = randn({3, 4}, DType::Float64).requires_grad_();
  Tensor t = tensor(std::vector<int64_t>{-100, -100, -100}, {3});
  EXPECT_TRUE(std::isnan(cross_entropy(x, t).item<double>()));
  EXPECT_EQ(cross_entropy(x, t, {.reduction = "sum"}).item<double>(), 0.0);
  cross_entropy(x, t, {.reduction = "sum"}).backward();
  for (double g : x.grad().to_vector<double>()) EXPECT_EQ(g, 0.0);
}

TEST(CrossEntropy, IgnoredTargetsSkipInfiniteLogits) {
  // An ignored position is looked up at class 0 and masked after: a -inf
  // logit there must not turn the loss into 0 * inf = NaN.
  Tensor x = tensor({{-INFINITY, 1.0, 2.0}, {0.5, 0.1, -0.3}}, DType::Float64).requires_grad_();
  Tensor t = tensor(std::vector<int64_t>{-100, 0}, {2});
  Tensor l = cross_entropy(x, t, {.reduction = "none"});
  D lv = l.to_vector<double>();
  EXPECT_EQ(lv[0], 0.0);
  EXPECT_TRUE(std::isfinite(lv[1]));
  sum(l).backward();
  for (double g : x.grad().to_vector<double>()) EXPECT_TRUE(std::isfinite(g));
}

TEST(CrossEntropy, GradientIsSoftmaxMinusOneHotOverN) {
  manual_seed(4);
  Tensor x = randn({64, 10}).requires_grad_();
  Tensor t = randint(0, 10, {64});
  cross_entropy(x, t).backward();
  Tensor want =
      (softmax(x.detach(), 1) - to(eq(unsqueeze(t, 1), arange(10)), DType::Float32)) / 64.0;
  const std::vector<float> g = x.grad().to_vector<float>(), wv = want.to_vector<float>();
  for (size_t i = 0; i < g.size(); ++i) EXPECT_NEAR(g[i], wv[i], 1e-7) << i;
}

TEST(NllLoss, PicksTheWeightedLogProbability) {
  Tensor lp = tensor({{-1.0, -2.0, -0.5}, {-0.1, -3.0, -2.5}}, DType::Float64);
  Tensor t = tensor(std::vector<int64_t>{2, 0}, {2});
  Tensor w = tensor(D{4.0, 1.0, 2.0}, {3});
  expect_close(nll_loss(lp, t, {.reduction = "none"}).to_vector<double>(), {0.5, 0.1});
  expect_close(nll_loss(lp, t, {.weight = w, .reduction = "none"}).to_vector<double>(), {1.0, 0.4});
  EXPECT_NEAR(nll_loss(lp, t, {.weight = w}).item<double>(), 1.4 / 6.0, 1e-15);
  EXPECT_NEAR(nll_loss(lp, t, {.ignore_index = 0}).item<double>(), 0.5, 1e-15);
  // A float64 weight does not promote a float32 loss.
  EXPECT_EQ(nll_loss(to(lp, DType::Float32), t, {.weight = w}).dtype(), DType::Float32);
}

// -- regression losses -------------------------------------------------------------------

TEST(RegressionLosses, MatchTheirFormulas) {
  Tensor x = tensor(D{0.0, 1.0, -2.0, 0.3}, {4});
  Tensor y = tensor(D{0.5, -1.0, 1.0, 0.3}, {4});  // d = -0.5, 2, -3, 0
  expect_close(mse_loss(x, y, "none").to_vector<double>(), {0.25, 4, 9, 0});
  EXPECT_DOUBLE_EQ(mse_loss(x, y).item<double>(), 13.25 / 4);
  expect_close(l1_loss(x, y, "none").to_vector<double>(), {0.5, 2, 3, 0});
  EXPECT_DOUBLE_EQ(l1_loss(x, y, "sum").item<double>(), 5.5);
  expect_close(smooth_l1_loss(x, y, "none").to_vector<double>(), {0.125, 1.5, 2.5, 0});
  expect_close(smooth_l1_loss(x, y, "none", 2.5).to_vector<double>(), {0.05, 0.8, 3 - 1.25, 0});
  expect_close(smooth_l1_loss(x, y, "none", 0.0).to_vector<double>(),
               l1_loss(x, y, "none").to_vector<double>());
  expect_close(huber_loss(x, y, "none").to_vector<double>(), {0.125, 1.5, 2.5, 0});
  expect_close(huber_loss(x, y, "none", 2.5).to_vector<double>(), {0.125, 2, 2.5 * 1.75, 0});
  // huber(delta) = delta * smooth_l1(beta = delta), PyTorch's documented identity.
  expect_close(huber_loss(x, y, "none", 0.7).to_vector<double>(),
               (smooth_l1_loss(x, y, "none", 0.7) * 0.7).to_vector<double>());
}

TEST(RegressionLosses, PromoteAnIntegerTarget) {
  Tensor x = tensor({0.5f, 2.0f});
  Tensor y = tensor(std::vector<int64_t>{1, 1}, {2});
  Tensor l = mse_loss(x, y, "none");
  EXPECT_EQ(l.dtype(), DType::Float32);
  EXPECT_EQ(l.to_vector<float>(), (std::vector<float>{0.25f, 1.0f}));
}

// -- binary losses --------------------------------------------------------------------

TEST(BinaryCrossEntropy, ClampsTheLogAtMinus100WithFiniteGradients) {
  Tensor x = tensor(D{0.0, 1.0, 1.0, 0.0, 0.25}, {5}).requires_grad_();
  Tensor y = tensor(D{0.0, 1.0, 0.0, 1.0, 1.0}, {5});
  Tensor l = binary_cross_entropy(x, y, {}, "none");
  expect_close(l.to_vector<double>(), {0, 0, 100, 100, -std::log(0.25)});
  sum(l).backward();
  D g = x.grad().to_vector<double>();
  // Where the log was clamped the gradient is 0 (the clamp), never NaN; where
  // the target makes the clamped term vanish, the other term's -1/x remains.
  expect_close(g, {1, -1, 0, 0, -4});
}

TEST(BinaryCrossEntropy, WeightsBroadcastAlongTheBatch) {
  Tensor x = tensor({{0.2, 0.9}, {0.5, 0.6}}, DType::Float64);
  Tensor y = tensor({{0.0, 1.0}, {1.0, 0.5}}, DType::Float64);
  Tensor w = tensor(D{2.0, 3.0}, {2});
  D none = binary_cross_entropy(x, y, {}, "none").to_vector<double>();
  D weighted = binary_cross_entropy(x, y, w, "none").to_vector<double>();
  expect_close(weighted, {2 * none[0], 3 * none[1], 2 * none[2], 3 * none[3]});
  EXPECT_NEAR(binary_cross_entropy(x, y, w, "sum").item<double>(),
              2 * none[0] + 3 * none[1] + 2 * none[2] + 3 * none[3], 1e-12);
}

TEST(BinaryCrossEntropyWithLogits, IsBceOfTheSigmoidAndStable) {
  manual_seed(5);
  Tensor x = randn({3, 4}, DType::Float64) * 3.0;
  Tensor y = rand({3, 4}, DType::Float64);
  Tensor pw = tensor(D{0.5, 1.0, 2.0, 3.0}, {4});
  expect_close(binary_cross_entropy_with_logits(x, y, {.reduction = "none"}).to_vector<double>(),
               binary_cross_entropy(sigmoid(x), y, {}, "none").to_vector<double>(), 1e-9);
  // pos_weight scales the positive term: -(pw t log s + (1 - t) log(1 - s)).
  Tensor s = sigmoid(x);
  Tensor want = -(pw * y * log(s) + (1.0 - y) * log(1.0 - s));
  expect_close(binary_cross_entropy_with_logits(x, y, {.reduction = "none", .pos_weight = pw})
                   .to_vector<double>(),
               want.to_vector<double>(), 1e-9);
  // Logits of +-100 are exact where a sigmoid-then-log would give inf.
  Tensor big = tensor({-100.0f, 100.0f});
  Tensor one = tensor({1.0f, 0.0f});
  EXPECT_EQ(binary_cross_entropy_with_logits(big, one, {.reduction = "none"}).to_vector<float>(),
            (std::vector<float>{100.0f, 100.0f}));
}

TEST(BinaryCrossEntropyWithLogits, GradientAtZeroLogitIsSigmoidMinusTarget) {
  // A zero-initialised last layer puts every logit at exactly 0, where a
  // |x|-based stable form has two kinks whose subgradients do not cancel.
  Tensor x = zeros({3}, DType::Float64).requires_grad_();
  Tensor y = tensor(D{0.0, 1.0, 0.3}, {3});
  Tensor pw = tensor(D{2.0}, {1});
  binary_cross_entropy_with_logits(x, y, {.reduction = "sum"}).backward();
  expect_close(x.grad().to_vector<double>(), {0.5, -0.5, 0.2});
  Tensor x2 = zeros({3}, DType::Float64).requires_grad_();
  binary_cross_entropy_with_logits(x2, y, {.reduction = "sum", .pos_weight = pw}).backward();
  // d/dx at 0: (1 - t) - (1 + (pw - 1) t) / 2.
  expect_close(x2.grad().to_vector<double>(), {0.5, -1.0, 0.7 - 1.3 / 2});
}

TEST(KlDiv, ZeroTargetsContributeZeroAndBatchmeanDividesByN) {
  Tensor x = tensor({{-1.0, -0.5, -2.0}, {-0.2, -1.5, -3.0}}, DType::Float64).requires_grad_();
  Tensor y = tensor({{0.0, 0.5, 0.5}, {1.0, 0.0, 0.0}}, DType::Float64);
  Tensor l = kl_div(x, y, "none");
  const double a = 0.5 * (std::log(0.5) + 0.5), b = 0.5 * (std::log(0.5) + 2.0);
  expect_close(l.to_vector<double>(), {0, a, b, 0.2, 0, 0});
  EXPECT_NEAR(kl_div(x, y, "batchmean").item<double>(), (a + b + 0.2) / 2, 1e-15);
  EXPECT_NEAR(kl_div(x, y, "mean").item<double>(), (a + b + 0.2) / 6, 1e-15);
  sum(l).backward();
  expect_close(x.grad().to_vector<double>(), {0, -0.5, -0.5, -1, 0, 0});
  // log_target: the same divergence from log-probabilities.
  Tensor ly = log(tensor({{0.25, 0.75}}, DType::Float64));
  Tensor lx = tensor({{-1.0, -0.3}}, DType::Float64);
  EXPECT_NEAR(kl_div(lx, ly, "sum", true).item<double>(),
              0.25 * (std::log(0.25) + 1) + 0.75 * (std::log(0.75) + 0.3), 1e-15);
}

TEST(Losses, SameResultsForOneAndTwoThreads) {
  manual_seed(6);
  Tensor x = randn({257, 33});
  Tensor t = randint(0, 33, {257});
  Tensor p = rand({257, 33});
  auto run = [&] {
    return std::vector<Tensor>{cross_entropy(x, t, {.label_smoothing = 0.1}),
                               cross_entropy(x, softmax(p, 1)),
                               binary_cross_entropy_with_logits(x, p), kl_div(x, p, "batchmean")};
  };
  auto [one, two] = testing::on_one_and_two_threads(run);
  for (size_t i = 0; i < one.size(); ++i)
    EXPECT_EQ(one[i].item<float>(), two[i].item<float>()) << "loss " << i;
}

TEST(Losses, HalfInputsKeepTheirDtype) {
  manual_seed(7);
  Tensor x = randn({8, 5});
  Tensor t = randint(0, 5, {8});
  for (DType half : {DType::Float16, DType::BFloat16}) {
    Tensor l = cross_entropy(to(x, half), t, {.label_smoothing = 0.1});
    EXPECT_EQ(l.dtype(), half);
    EXPECT_NEAR(
        to(l, DType::Float32).item<float>(),
        cross_entropy(to(to(x, half), DType::Float32), t, {.label_smoothing = 0.1}).item<float>(),
        0.02);
    EXPECT_EQ(mse_loss(to(x, half), to(x * 0.5, half)).dtype(), half);
  }
}

// -- errors: the exact texts ---------------------------------------------------------------

TEST(LossErrors, ClassLosses) {
  Tensor x = randn({5, 4});
  Tensor t = tensor(std::vector<int64_t>{0, 1, 2, 3, 1}, {5});
  expect_error<DTypeError>([&] { cross_entropy(x, to(t, DType::Int32)); },
                           "[cross_entropy] target must be int64 class indices or floating class "
                           "probabilities; got int32");
  expect_error<DTypeError>([&] { nll_loss(x, to(t, DType::Bool)); },
                           "[nll_loss] target must be int64 class indices; got bool");
  expect_error<DTypeError>([&] { cross_entropy(t, t); },
                           "[cross_entropy] input must be floating; got int64");
  expect_error<ShapeError>([&] { cross_entropy(x, narrow(t, 0, 0, 4)); },
                           "[cross_entropy] class-index target must have shape (5) (input's "
                           "without dim 1); got input=(5, 4), target=(4)");
  expect_error<ShapeError>(
      [&] {
        cross_entropy(randn({2, 3, 4}), zeros({2, 5}, DType::Int64));
      },
      "[cross_entropy] class-index target must have shape (2, 4) (input's "
      "without dim 1); got input=(2, 3, 4), target=(2, 5)");
  expect_error<ShapeError>(
      [&] {
        cross_entropy(x, rand({5, 3}));
      },
      "[cross_entropy] class-probability target must have input's shape; "
      "got input=(5, 4), target=(5, 3)");
  expect_error<ShapeError>([&] { nll_loss(randn({}), scalar_tensor(0, DType::Int64)); },
                           "[nll_loss] input must be (C), (N, C) or (N, C, d1, ...); got input=()");
  expect_error<IndexError>(
      [&] {
        cross_entropy(x, tensor(std::vector<int64_t>{0, 1, 7, 3, 1}, {5}));
      },
      "[cross_entropy] target class index 7 is out of range for 4 classes (valid: 0..3 or "
      "ignore_index -100)");
  expect_error<IndexError>(
      [&] {
        nll_loss(x, tensor(std::vector<int64_t>{0, -1, 2, 3, 1}, {5}), {.ignore_index = 9});
      },
      "[nll_loss] target class index -1 is out of range for 4 classes (valid: 0..3 or "
      "ignore_index 9)");
  expect_error<ValueError>([&] { cross_entropy(x, t, {.reduction = "avg"}); },
                           "[cross_entropy] reduction must be 'none', 'mean' or 'sum'; got 'avg'");
  expect_error<ValueError>([&] { cross_entropy(x, t, {.label_smoothing = 1.5}); },
                           "[cross_entropy] label_smoothing must be in [0, 1]; got 1.5");
  expect_error<ValueError>([&] { cross_entropy(x, t, {.label_smoothing = -0.1}); },
                           "[cross_entropy] label_smoothing must be in [0, 1]; got -0.1");
  expect_error<ValueError>([&] { cross_entropy(x, softmax(x, 1), {.ignore_index = 1}); },
                           "[cross_entropy] ignore_index applies to class-index targets only; "
                           "got ignore_index=1 with a float32 target");
  expect_error<ShapeError>([&] { cross_entropy(x, t, {.weight = ones({3})}); },
                           "[cross_entropy] weight must hold one value per class, shape (4); got "
                           "input=(5, 4), weight=(3)");
  expect_error<DTypeError>([&] { nll_loss(x, t, {.weight = ones({4}, DType::Int64)}); },
                           "[nll_loss] weight must be floating; got int64");
  expect_error<ValueError>([&] { cross_entropy(x, Tensor()); },
                           "[cross_entropy] target is undefined");
}

TEST(LossErrors, RegressionAndBinaryLosses) {
  Tensor x = rand({5, 1});
  Tensor y = rand({5});
  // PyTorch broadcasts (5, 1) against (5) to (5, 5) with a warning; braid refuses.
  expect_error<ShapeError>([&] { mse_loss(x, y); },
                           "[mse_loss] target must have input's shape; got input=(5, 1), "
                           "target=(5)");
  expect_error<ShapeError>([&] { l1_loss(x, y); },
                           "[l1_loss] target must have input's shape; got input=(5, 1), "
                           "target=(5)");
  expect_error<DTypeError>([&] { mse_loss(ones({2}, DType::Int64), ones({2})); },
                           "[mse_loss] input must be floating; got int64");
  expect_error<ValueError>([&] { mse_loss(y, y, "batchmean"); },
                           "[mse_loss] reduction must be 'none', 'mean' or 'sum'; got 'batchmean'");
  expect_error<ValueError>([&] { smooth_l1_loss(y, y, "mean", -1.0); },
                           "[smooth_l1_loss] beta must be >= 0; got -1");
  expect_error<ValueError>([&] { huber_loss(y, y, "mean", 0.0); },
                           "[huber_loss] delta must be > 0; got 0");
  expect_error<ValueError>(
      [&] {
        binary_cross_entropy(tensor({0.5f, 1.5f}), tensor({1.0f, 0.0f}));
      },
      "[binary_cross_entropy] input must hold probabilities in [0, 1]; got 1.5 at flat index 1");
  expect_error<ValueError>(
      [&] { binary_cross_entropy(tensor({NAN}), tensor({1.0f})); },
      "[binary_cross_entropy] input must hold probabilities in [0, 1]; got nan at flat index 0");
  expect_error<ShapeError>([&] { binary_cross_entropy(rand({2}), rand({1})); },
                           "[binary_cross_entropy] target must have input's shape; got "
                           "input=(2), target=(1)");
  expect_error<ShapeError>(
      [&] {
        binary_cross_entropy(rand({5, 4}), rand({5, 4}), rand({3}));
      },
      "[binary_cross_entropy] weight must broadcast to input's shape; got "
      "input=(5, 4), weight=(3)");
  expect_error<ShapeError>(
      [&] {
        binary_cross_entropy_with_logits(rand({5, 4}), rand({5, 4}),
                                         {.pos_weight = rand({2, 1, 4})});
      },
      "[binary_cross_entropy_with_logits] pos_weight must broadcast to input's shape; got "
      "input=(5, 4), pos_weight=(2, 1, 4)");
  expect_error<ShapeError>(
      [&] {
        kl_div(rand({5, 4}), rand({3}));
      },
      "[kl_div] shapes (5, 4) and (3) cannot be broadcast: dim -1 is 4 vs 3");
  expect_error<ValueError>([&] { kl_div(y, y, "avg"); },
                           "[kl_div] reduction must be 'none', 'mean', 'sum' or 'batchmean'; got "
                           "'avg'");
}

TEST(LossErrors, BadInputRecordsNothing) {
  Tensor x = randn({3, 4}).requires_grad_();
  Tensor t = tensor(std::vector<int64_t>{0, 9, 1}, {3});
  EXPECT_THROW(cross_entropy(x, t), IndexError);
  EXPECT_FALSE(x.grad().defined());
  EXPECT_EQ(x.version(), 0u);
}

}  // namespace
}  // namespace braid
