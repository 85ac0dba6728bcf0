// The norm family: the batch-norm kernel against its composite reference
// (forward and gradients), the in-place running statistics (values from
// PyTorch 1.13, version counters, no autograd), dropout's statistics and
// reproducibility, embedding's padding row, one_hot, thread-count
// independence and every error text.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "braid/autograd/autograd.hpp"
#include "braid/braid.hpp"
#include "braid/testing/op_samples.hpp"
#include "core/test_util.hpp"

namespace braid {
namespace {

using D = std::vector<double>;
using F = std::vector<float>;
using L = std::vector<int64_t>;

void expect_close(const Tensor& got, const Tensor& want, double tol) {
  ASSERT_EQ(got.shape(), want.shape());
  std::vector<double> g = to(got, DType::Float64).to_vector<double>();
  std::vector<double> w = to(want, DType::Float64).to_vector<double>();
  for (size_t i = 0; i < g.size(); ++i)
    EXPECT_NEAR(g[i], w[i], tol * std::max(1.0, std::fabs(w[i]))) << "element " << i;
}

void expect_same_bits(const Tensor& a, const Tensor& b) {
  ASSERT_EQ(a.shape(), b.shape());
  EXPECT_EQ(to(a, DType::Float64).to_vector<double>(), to(b, DType::Float64).to_vector<double>());
}

// x[i] = ((7 i) mod 11) / 3 - 1.5 in float32: exact, and easy to rebuild in Python.
Tensor pattern(const Shape& shape) {
  const int64_t n = numel_of(shape);
  std::vector<float> v(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) v[i] = static_cast<float>(((i * 7) % 11) / 3.0 - 1.5);
  Tensor t = empty({n}, DType::Float32);
  std::copy(v.begin(), v.end(), t.data_ptr<float>());
  return reshape(t, shape);
}

Tensor vec(const F& v) {
  Tensor t = empty({static_cast<int64_t>(v.size())}, DType::Float32);
  std::copy(v.begin(), v.end(), t.data_ptr<float>());
  return t;
}

Tensor ivec(const L& v, const Shape& shape) {
  Tensor t = empty({static_cast<int64_t>(v.size())}, DType::Int64);
  std::copy(v.begin(), v.end(), t.data_ptr<int64_t>());
  return reshape(t, shape);
}

// -- the composite reference -------------------------------------------------------
// Batch norm written with mean and var, as the kernel's oracle (STYLE "Small
// primitive set": the composition stays as the reference).
Tensor bn_reference(const Tensor& x, const Tensor& rm, const Tensor& rv, const Tensor& w,
                    const Tensor& b, bool training, double eps) {
  std::vector<int64_t> dims{0};
  for (int64_t d = 2; d < x.dim(); ++d) dims.push_back(d);
  Shape bs(x.shape().size(), 1);
  bs[1] = x.size(1);
  Tensor mu = training ? mean(x, dims, true) : reshape(rm, bs);
  Tensor v = training ? var(x, dims, 0, true) : reshape(rv, bs);
  Tensor y = (x - mu) / sqrt(v + eps);
  if (w.defined()) y = y * reshape(w, bs);
  if (b.defined()) y = y + reshape(b, bs);
  return y;
}

// Forward and the gradients of x, weight and bias against the reference.
void check_against_reference(const Tensor& x, bool training) {
  const int64_t c = x.size(1);
  Tensor w = testing::sample_randn({c}, 91), b = testing::sample_randn({c}, 92);
  Tensor rm = testing::sample_randn({c}, 93, false);
  Tensor rv = testing::sample_uniform({c}, 0.5, 2.0, 94, false);
  Tensor y = batch_norm(x, clone(rm), clone(rv), w, b, {.training = training});
  Tensor r = bn_reference(x, rm, rv, w, b, training, 1e-5);
  expect_close(y, r, 1e-12);
  Tensor g = testing::sample_randn(x.shape(), 95, false);
  auto gy = autograd::grad({y}, {x, w, b}, {g});
  auto gr = autograd::grad({r}, {x, w, b}, {g});
  for (size_t i = 0; i < 3; ++i) expect_close(gy[i], gr[i], 1e-10);
}

TEST(BatchNorm, KernelMatchesTheCompositeReference) {
  for (bool training : {true, false}) {
    SCOPED_TRACE(training ? "training" : "eval");
    check_against_reference(testing::sample_randn({6, 3}, 1), training);
    check_against_reference(testing::sample_randn({2, 3, 5}, 2), training);
    check_against_reference(testing::sample_noncontiguous({2, 4, 3, 3}, 3), training);
    check_against_reference(testing::sample_randn({2, 2, 3, 2, 2}, 4), training);
  }
}

// Note [batch norm backward]: the fused kernel (plain backward) and the
// braid-ops form (create_graph) give the same gradients, including those
// flowing in through the statistics outputs.
TEST(BatchNorm, FusedAndGraphBackwardAgree) {
  for (bool training : {true, false}) {
    SCOPED_TRACE(training ? "training" : "eval");
    Tensor x = testing::sample_noncontiguous({3, 4, 2, 5}, 21);
    Tensor w = testing::sample_randn({4}, 22), b = testing::sample_randn({4}, 23);
    Tensor rm = testing::sample_randn({4}, 24, false), rv = full({4}, 1.5, DType::Float64);
    BatchNormOutputs o = native_batch_norm(x, w, b, rm, rv, training, 0.3, 1e-5);
    std::vector<Tensor> outs{o.output, o.save_mean, o.save_invstd, o.running_mean, o.running_var};
    std::vector<Tensor> seeds;
    for (size_t i = 0; i < outs.size(); ++i)
      seeds.push_back(testing::sample_randn(outs[i].shape(), 30 + i, false));
    auto fused = autograd::grad(outs, {x, w, b}, seeds, true, false);
    auto graph = autograd::grad(outs, {x, w, b}, seeds, true, true);
    for (size_t i = 0; i < 3; ++i) expect_close(fused[i], graph[i], 1e-12);
    EXPECT_TRUE(graph[0].requires_grad());
    EXPECT_FALSE(fused[0].requires_grad());
  }
}

TEST(BatchNorm, Float32IsCloseToTheFloat64Reference) {
  Tensor x = testing::sample_randn({8, 4, 5, 5}, 5, false);
  Tensor y = batch_norm(to(x, DType::Float32), {}, {}, {}, {}, {.training = true});
  expect_close(y, bn_reference(x, {}, {}, {}, {}, true, 1e-5), 2e-6);
}

// Large mean, small spread: the two-pass statistics and y = (x - mean) * scale
// keep float32 accurate (Note [batch norm statistics]).
TEST(BatchNorm, ShiftedInputStaysAccurate) {
  Tensor x = testing::sample_randn({16, 2, 8}, 6, false) * 0.01 + 100.0;
  Tensor x32 = to(x, DType::Float32);
  Tensor exact = bn_reference(to(x32, DType::Float64), {}, {}, {}, {}, true, 1e-5);
  expect_close(batch_norm(x32, {}, {}, {}, {}, {.training = true}), exact, 1e-6);
  expect_close(layer_norm(x32, {8}), layer_norm(to(x32, DType::Float64), {8}), 1e-6);
}

TEST(BatchNorm, OutputMatchesTorch) {
  Tensor y = batch_norm(pattern({3, 2, 4}), {}, {}, {}, {}, {.training = true});
  // F.batch_norm(x, None, None, training=True).flatten()[:6] in PyTorch 1.13.
  expect_close(slice(flatten(y), 0, 0, 6),
               vec({-1.212673544883728f, 0.8246179819107056f, -0.33954858779907227f,
                    1.6977429389953613f, 0.14815136790275574f, -1.274101734161377f}),
               1e-6);
}

// -- running statistics --------------------------------------------------------------
TEST(BatchNorm, TrainingUpdatesRunningStatsInPlaceAsTorch) {
  Tensor x = pattern({3, 2, 4});
  x.requires_grad_();
  Tensor rm = vec({0.5f, -0.25f}), rv = vec({1.5f, 0.75f});
  const uint32_t vm = rm.version(), vv = rv.version();
  Tensor y = batch_norm(x, rm, rv, {}, {}, {.training = true, .momentum = 0.1});
  // Numbers from F.batch_norm in PyTorch 1.13 on the same inputs.
  expect_close(rm, vec({0.43888887763023376f, -0.18888887763023376f}), 1e-7);
  expect_close(rv, vec({1.4930975437164307f, 0.7708753943443298f}), 1e-7);
  EXPECT_GT(rm.version(), vm);
  EXPECT_GT(rv.version(), vv);
  EXPECT_FALSE(rm.requires_grad());  // the update records no autograd
  EXPECT_FALSE(rv.requires_grad());
  EXPECT_TRUE(y.requires_grad());
  batch_norm(x * 2.0, rm, rv, {}, {}, {.training = true, .momentum = 0.1});
  expect_close(rm, vec({0.3727777600288391f, -0.09777776151895523f}), 1e-7);
  expect_close(rv, vec({1.9161783456802368f, 1.0772895812988281f}), 1e-7);
}

TEST(BatchNorm, UpdateEqualsTheFunctionalKernelsOutputs) {
  Tensor x = testing::sample_randn({4, 3, 5}, 7, false);
  Tensor rm = testing::sample_randn({3}, 8, false), rv = full({3}, 2.0, DType::Float64);
  BatchNormOutputs o = native_batch_norm(x, ones({3}, DType::Float64), zeros({3}, DType::Float64),
                                         rm, rv, true, 0.2, 1e-5);
  Tensor rm2 = clone(rm), rv2 = clone(rv);
  batch_norm(x, rm2, rv2, {}, {}, {.training = true, .momentum = 0.2});
  expect_same_bits(rm2, o.running_mean);
  expect_same_bits(rv2, o.running_var);
  // The functional kernel leaves its inputs alone.
  expect_same_bits(rv, full({3}, 2.0, DType::Float64));
}

TEST(BatchNorm, EvalLeavesRunningStatsAlone) {
  Tensor rm = vec({0.5f, -0.25f}), rv = vec({1.5f, 0.75f});
  const uint32_t vm = rm.version();
  Tensor y = batch_norm(pattern({3, 2}), rm, rv);
  EXPECT_EQ(rm.version(), vm);
  expect_close(rm, vec({0.5f, -0.25f}), 0);
  expect_close(y, (pattern({3, 2}) - reshape(rm, {1, 2})) / sqrt(reshape(rv, {1, 2}) + 1e-5), 1e-6);
}

TEST(BatchNorm, EmptyBatchLeavesRunningStatsAlone) {
  Tensor rm = vec({0.5f, -0.25f}), rv = vec({1.5f, 0.75f});
  Tensor y = batch_norm(empty({0, 2, 3}), rm, rv, {}, {}, {.training = true});
  EXPECT_EQ(y.shape(), (Shape{0, 2, 3}));
  expect_close(rm, vec({0.5f, -0.25f}), 0);
  expect_close(rv, vec({1.5f, 0.75f}), 0);
}

TEST(BatchNorm, Bfloat16ComputesInFloat32) {
  Tensor x = to(pattern({4, 2, 3}), DType::BFloat16);
  Tensor rm = to(vec({0.5f, -0.25f}), DType::BFloat16), rv = ones({2}, DType::BFloat16);
  Tensor y = batch_norm(x, rm, rv, {}, {}, {.training = true});
  EXPECT_EQ(y.dtype(), DType::BFloat16);
  EXPECT_EQ(rm.dtype(), DType::BFloat16);
  expect_close(y, batch_norm(pattern({4, 2, 3}), {}, {}, {}, {}, {.training = true}), 1e-2);
}

TEST(InstanceNorm, EmptyBatch) {
  Tensor rm = vec({0.5f, -0.25f, 1.0f});
  EXPECT_EQ(instance_norm(empty({0, 3, 5}), rm, ones({3})).shape(), (Shape{0, 3, 5}));
  expect_close(rm, vec({0.5f, -0.25f, 1.0f}), 0);
}

TEST(InstanceNorm, RunningStatsAverageOverSamplesAsTorch) {
  Tensor rm = vec({0.5f, -0.25f}), rv = vec({1.5f, 0.75f});
  instance_norm(pattern({3, 2, 4}), rm, rv, {}, {}, {.momentum = 0.2});
  // F.instance_norm(x, rm, rv, momentum=0.2) in PyTorch 1.13.
  expect_close(rm, vec({0.3777777850627899f, -0.12777777016162872f}), 1e-7);
  expect_close(rv, vec({1.534567952156067f, 0.819135844707489f}), 1e-7);
}

// -- thread independence ----------------------------------------------------------------
TEST(NormOps, ResultsDoNotDependOnTheThreadCount) {
  const int before = get_num_threads();
  Tensor x = testing::sample_randn({16, 32, 12, 12}, 9, false);
  Tensor x32 = to(x, DType::Float32);
  Tensor g = to(testing::sample_randn({16, 32, 12, 12}, 10, false), DType::Float32);
  auto run = [&] {
    Tensor rm = zeros({32}), rv = ones({32}), xg = x32.detach().requires_grad_();
    Tensor w = ones({32}).requires_grad_();
    Tensor y = batch_norm(xg, rm, rv, w, {}, {.training = true});
    std::vector<Tensor> r = autograd::grad({y}, {xg, w}, {g});  // the fused backward
    for (Tensor t : {y, rm, rv, layer_norm(x32, {12, 12}), group_norm(x32, 4)}) r.push_back(t);
    manual_seed(3);
    r.push_back(dropout(x32, 0.3));
    return r;
  };
  set_num_threads(1);
  auto one = run();
  set_num_threads(2);
  auto two = run();
  set_num_threads(before);
  for (size_t i = 0; i < one.size(); ++i) expect_same_bits(one[i], two[i]);
}

// -- dropout -----------------------------------------------------------------------------
TEST(Dropout, KeepsAboutOneMinusPAndScales) {
  manual_seed(11);
  const double p = 0.3;
  Tensor x = ones({200000});
  std::vector<float> y = dropout(x, p).to_vector<float>();
  const float scaled = static_cast<float>(1.0f / static_cast<float>(1 - p));
  int64_t kept = 0;
  for (float v : y) {
    ASSERT_TRUE(v == 0.0f || std::fabs(v - scaled) <= 1e-6f) << v;
    kept += v != 0.0f;
  }
  // The kept fraction's standard deviation is sqrt(p (1 - p) / n) = 0.001.
  EXPECT_NEAR(static_cast<double>(kept) / 200000.0, 1 - p, 0.006);
}

TEST(Dropout, SameSeedSameMask) {
  Tensor x = testing::sample_randn({50, 40}, 12, false);
  manual_seed(5);
  Tensor a = dropout(x, 0.5);
  manual_seed(5);
  Tensor b = dropout(x, 0.5);
  Tensor c = dropout(x, 0.5);  // the generator moved on
  expect_same_bits(a, b);
  EXPECT_NE(a.to_vector<double>(), c.to_vector<double>());
}

TEST(Dropout, GradientIsTheMask) {
  Tensor x = testing::sample_uniform({30, 7}, 0.5, 1.5, 13);
  manual_seed(6);
  Tensor y = dropout(x, 0.4);
  Tensor g = autograd::grad({sum(y)}, {x})[0];
  expect_close(g, y.detach() / x.detach(), 1e-12);
}

TEST(Dropout, EvalAndP0ReturnXAndP1Zeros) {
  Tensor x = vec({1.0f, -2.0f, NAN});
  EXPECT_TRUE(dropout(x, 0.5, false).is_same(x));
  EXPECT_TRUE(dropout(x, 0.0).is_same(x));
  std::vector<float> z = dropout(x, 1.0).to_vector<float>();
  EXPECT_EQ(z[0], 0.0f);
  EXPECT_EQ(z[1], 0.0f);
  EXPECT_TRUE(std::isnan(z[2]));  // x * 0, as PyTorch
}

// -- embedding, one_hot ------------------------------------------------------------------
TEST(Embedding, PicksRowsAndAccumulatesRepeatedIndices) {
  Tensor w = testing::sample_randn({5, 3}, 14);
  Tensor idx = ivec({4, 0, 4, 2}, {2, 2});
  Tensor y = embedding(w, idx);
  EXPECT_EQ(y.shape(), (Shape{2, 2, 3}));
  expect_same_bits(select(select(y, 0, 1), 0, 0), select(w, 0, 4).detach());
  Tensor g = autograd::grad({sum(y)}, {w})[0];
  EXPECT_EQ(g.to_vector<double>(), (D{1, 1, 1, 0, 0, 0, 1, 1, 1, 0, 0, 0, 2, 2, 2}));
  expect_same_bits(embedding(w, to(idx, DType::Int32)), y);
}

TEST(Embedding, PaddingRowGetsNoGradient) {
  Tensor w = testing::sample_randn({4, 2}, 15);
  Tensor y = embedding(w, ivec({1, 3, 1, 0}, {4}), 1);
  expect_same_bits(select(y, 0, 0), select(w, 0, 1).detach());  // the value is still the row
  Tensor g = autograd::grad({sum(y * 3.0)}, {w})[0];
  EXPECT_EQ(g.to_vector<double>(), (D{3, 3, 0, 0, 0, 0, 3, 3}));
  Tensor g2 = autograd::grad({sum(embedding(w, ivec({3, 3}, {2}), -1))}, {w})[0];
  EXPECT_EQ(g2.to_vector<double>(), (D{0, 0, 0, 0, 0, 0, 0, 0}));
}

// Embedding's gradient is index_add over whole rows (the kernel's row path):
// the same bits as the element-wise path (a transposed gradient takes that
// one) and for any thread count.
TEST(Embedding, GradientIsTheSameForAnyLayoutAndThreadCount) {
  const int before = get_num_threads();
  Tensor idx = randint(0, 50, {3000});
  Tensor g = testing::sample_randn({3000, 40}, 16, false);
  Tensor gt = transpose(contiguous(transpose(g, 0, 1)), 0, 1);  // same values, column-major
  set_num_threads(1);
  Tensor one = index_add(zeros({50, 40}, DType::Float64), 0, idx, g);
  set_num_threads(2);
  Tensor two = index_add(zeros({50, 40}, DType::Float64), 0, idx, g);
  set_num_threads(before);
  expect_same_bits(one, two);
  expect_same_bits(one, index_add(zeros({50, 40}, DType::Float64), 0, idx, gt));
  Tensor w = testing::sample_randn({50, 40}, 17, false);
  expect_same_bits(embedding(w, idx),
                   index_select(transpose(contiguous(transpose(w, 0, 1)), 0, 1), 0, idx));
}

TEST(OneHot, ValuesAndInferredClasses) {
  Tensor y = one_hot(ivec({2, 0, 1}, {3}));
  EXPECT_EQ(y.dtype(), DType::Int64);
  EXPECT_EQ(y.shape(), (Shape{3, 3}));
  EXPECT_EQ(y.to_vector<int64_t>(), (L{0, 0, 1, 1, 0, 0, 0, 1, 0}));
  EXPECT_EQ(one_hot(to(ivec({1, 0}, {1, 2}), DType::Int32), 4).to_vector<int64_t>(),
            (L{0, 1, 0, 0, 1, 0, 0, 0}));
  EXPECT_EQ(one_hot(ivec({}, {0}), 3).shape(), (Shape{0, 3}));
}

// -- errors --------------------------------------------------------------------------------
TEST(NormErrors, BatchNorm) {
  Tensor x = pattern({4, 3}), c3 = ones({3});
  expect_error<ShapeError>([&] { batch_norm(ones({3}), c3, c3); },
                           "[batch_norm] x must have at least 2 dims (N, C, *); got x=(3)");
  expect_error<ValueError>(
      [&] { batch_norm(x, {}, {}); },
      "[batch_norm] running_mean and running_var must be given in eval mode (training = false)");
  expect_error<ShapeError>([&] { batch_norm(x, c3, c3, ones({4})); },
                           "[batch_norm] weight must have shape (3,) (one value per channel of "
                           "x); got x=(4, 3), weight=(4)");
  expect_error<DTypeError>([&] { batch_norm(x, ones({3}, DType::Float64), c3); },
                           "[batch_norm] running_mean must have x's dtype; got x float32, "
                           "running_mean float64");
  expect_error<ValueError>(
      [&] {
        batch_norm(pattern({1, 3}), c3, c3, {}, {}, {.training = true});
      },
      "[batch_norm] expected more than 1 value per channel when training; got x=(1, 3)");
  expect_error<DTypeError>(
      [&] {
        batch_norm(ones({2, 3}, DType::Int64), {}, {});
      },
      "[batch_norm] expects floating-point input; got int64");
  Tensor rm = zeros({3});
  rm.requires_grad_();
  expect_error<ValueError>(
      [&] { batch_norm(x, rm, c3, {}, {}, {.training = true}); },
      "[batch_norm] running_mean is a statistic, not a parameter, and cannot require grad");
}

TEST(NormErrors, BadInputChangesNothing) {
  Tensor rm = vec({0.5f, -0.25f}), rv = vec({1.5f, 0.75f});
  const uint32_t vm = rm.version();
  EXPECT_THROW(batch_norm(pattern({3, 2}), rm, rv, ones({3}), {}, {.training = true}), ShapeError);
  EXPECT_EQ(rm.version(), vm);
  expect_close(rm, vec({0.5f, -0.25f}), 0);
}

TEST(NormErrors, NativeBatchNorm) {
  Tensor c = ones({3});
  expect_error<ShapeError>(
      [&] {
        native_batch_norm(pattern({2, 3}), c, c, c, ones({2}), true, 0.1, 1e-5);
      },
      "[native_batch_norm] running_var must have shape (3,) (one value per "
      "channel of x); got x=(2, 3), running_var=(2)");
}

TEST(NormErrors, NativeBatchNormBackward) {
  Tensor c = ones({3});
  expect_error<ShapeError>(
      [&] {
        native_batch_norm_backward(ones({2, 2}), pattern({2, 3}), c, c, c, c, c, true);
      },
      "[native_batch_norm_backward] grad_out must have x's shape and dtype; got x=(2, 3) float32, "
      "grad_out=(2, 2) float32");
  expect_error<ShapeError>(
      [&] {
        native_batch_norm_backward(ones({2, 3}), pattern({2, 3}), c, c, c, c, ones({4}), true);
      },
      "[native_batch_norm_backward] grad_scale must have shape (3,) (one value per channel of x); "
      "got x=(2, 3), grad_scale=(4)");
}

TEST(NormErrors, LayerGroupInstanceNorm) {
  expect_error<ShapeError>(
      [&] {
        layer_norm(pattern({2, 3}), {4});
      },
      "[layer_norm] x must end with normalized_shape; got x=(2, 3), normalized_shape=(4)");
  expect_error<ValueError>(
      [&] {
        layer_norm(pattern({2, 3}), {});
      },
      "[layer_norm] normalized_shape must have at least one dim; got ()");
  expect_error<ShapeError>(
      [&] {
        layer_norm(pattern({2, 3}), {3}, ones({2, 3}));
      },
      "[layer_norm] weight must have shape normalized_shape; got "
      "normalized_shape=(3), weight=(2, 3)");
  expect_error<ValueError>(
      [&] {
        group_norm(pattern({2, 6, 4}), 4);
      },
      "[group_norm] the number of channels must be divisible by num_groups "
      "(> 0); got x=(2, 6, 4), num_groups=4");
  expect_error<ShapeError>(
      [&] {
        group_norm(pattern({2, 4, 3}), 2, ones({3}));
      },
      "[group_norm] weight must have shape (4,) (one value per channel of "
      "x); got x=(2, 4, 3), weight=(3)");
  expect_error<ValueError>(
      [&] {
        instance_norm(pattern({2, 3, 4}), {}, {}, {}, {}, {.use_input_stats = false});
      },
      "[instance_norm] running_mean and running_var must be given when use_input_stats is false");
  expect_error<ValueError>(
      [&] {
        instance_norm(pattern({1, 3, 1}));
      },
      "[instance_norm] expected more than 1 spatial element when "
      "use_input_stats is true; got x=(1, 3, 1)");
}

TEST(NormErrors, DropoutEmbeddingOneHot) {
  expect_error<ValueError>([&] { dropout(ones({3}), 1.5); },
                           "[dropout] p must be in [0, 1]; got 1.5");
  expect_error<DTypeError>([&] { dropout(ones({3}, DType::Int64), 0.5); },
                           "[dropout] x must be floating; got int64");
  Tensor w = ones({5, 2});
  expect_error<IndexError>(
      [&] {
        embedding(w, ivec({0, 1, 2, 7}, {2, 2}));
      },
      "[embedding] index 7 at position (1, 1) is out of range for weight "
      "with 5 rows (valid: 0 to 4)");
  expect_error<IndexError>([&] { embedding(w, ivec({-1}, {1})); },
                           "[embedding] index -1 at position (0) is out of range for weight with "
                           "5 rows (valid: 0 to 4)");
  expect_error<ShapeError>(
      [&] { embedding(ones({5}), ivec({0}, {1})); },
      "[embedding] weight must be 2-D (num_embeddings, embedding_dim); got weight=(5)");
  expect_error<DTypeError>([&] { embedding(w, ones({2})); },
                           "[embedding] indices must be int64 or int32; got float32");
  expect_error<ValueError>(
      [&] { embedding(w, ivec({0}, {1}), 5); },
      "[embedding] padding_idx must be in [-5, 5) (num_embeddings = 5); got 5");
  expect_error<IndexError>(
      [&] {
        one_hot(ivec({0, -1}, {2}));
      },
      "[one_hot] class values must be non-negative; got -1 at position (1)");
  expect_error<IndexError>(
      [&] {
        one_hot(ivec({0, 3}, {2}), 3);
      },
      "[one_hot] class values must be smaller than num_classes = 3; got 3 at position (1)");
  expect_error<ValueError>([&] { one_hot(ivec({}, {0})); },
                           "[one_hot] cannot infer num_classes from an empty tensor; pass "
                           "num_classes");
  expect_error<DTypeError>([&] { one_hot(ones({2}), 3); },
                           "[one_hot] indices must be int64 or int32; got float32");
}

}  // namespace
}  // namespace braid
