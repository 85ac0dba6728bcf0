// Reductions: values on small hand-checked tensors (checked against PyTorch
// 1.13), dims handling, dtypes, NaN, thread-count independence, gradients,
// second derivatives and the error messages.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "braid/autograd/autograd.hpp"
#include "braid/braid.hpp"
#include "braid/testing/op_samples.hpp"

namespace braid {
namespace {

using Ints = std::vector<int64_t>;
using F = std::vector<float>;
using D = std::vector<double>;
using L = std::vector<int64_t>;

template <class T>
void expect_near(const std::vector<T>& got, const std::vector<T>& want, double tol = 1e-5) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    if (std::isnan(static_cast<double>(want[i]))) {
      EXPECT_TRUE(std::isnan(static_cast<double>(got[i]))) << "element " << i;
    } else {
      EXPECT_NEAR(got[i], want[i], tol * std::max(1.0, std::fabs(static_cast<double>(want[i]))))
          << "element " << i;
    }
  }
}

// Runs f, which must throw E with exactly `msg`.
template <class E, class Fn>
void expect_error(const Fn& f, const std::string& msg) {
  try {
    f();
    ADD_FAILURE() << "no error; expected: " << msg;
  } catch (const E& e) {
    EXPECT_EQ(std::string(e.what()), msg);
  } catch (const std::exception& e) {
    ADD_FAILURE() << "wrong error type: " << e.what() << "; expected: " << msg;
  }
}

Tensor m23() { return tensor({{1.0, 2.0, 3.0}, {4.0, 5.0, 6.0}}); }

// -- values ---------------------------------------------------------------------
TEST(Reduce, SumDims) {
  Tensor x = m23();
  EXPECT_EQ(sum(x).to_vector<float>(), F{21});
  EXPECT_EQ(sum(x).shape(), Shape{});
  EXPECT_EQ(sum(x, {0}).to_vector<float>(), (F{5, 7, 9}));
  Tensor k = sum(x, {1}, true);
  EXPECT_EQ(k.shape(), (Shape{2, 1}));
  EXPECT_EQ(k.to_vector<float>(), (F{6, 15}));
  EXPECT_EQ(sum(x, {-1}).to_vector<float>(), (F{6, 15}));
  EXPECT_EQ(sum(x, {-1, 0}).to_vector<float>(), F{21});
  EXPECT_EQ(sum(x, {}, true).shape(), (Shape{1, 1}));
  Tensor y = arange(24).reshape({2, 3, 4}).to(DType::Float64);
  Tensor s = sum(y, {0, 2}, true);
  EXPECT_EQ(s.shape(), (Shape{1, 3, 1}));
  EXPECT_EQ(s.to_vector<double>(), (D{60, 92, 124}));
  EXPECT_EQ(sum(transpose(y, 0, 2), {1}).to_vector<double>(),
            sum(y, {1}).t().contiguous().to_vector<double>());
}

TEST(Reduce, SumDTypes) {
  Tensor i = tensor({{1, 2}, {3, 4}}, DType::Int32);
  EXPECT_EQ(sum(i).dtype(), DType::Int64);
  EXPECT_EQ(sum(i, {0}).to_vector<int64_t>(), (L{4, 6}));
  Tensor u = tensor({200, 100}, DType::UInt8);
  EXPECT_EQ(sum(u).item<int64_t>(), 300);  // no uint8 wrap-around
  Tensor b = tensor({{true, false, true}, {true, true, false}});
  EXPECT_EQ(sum(b, {0}).dtype(), DType::Int64);
  EXPECT_EQ(sum(b, {0}).to_vector<int64_t>(), (L{2, 1, 1}));
  Tensor s = sum(m23(), {1}, false, DType::Float64);
  EXPECT_EQ(s.dtype(), DType::Float64);
  EXPECT_EQ(s.to_vector<double>(), (D{6, 15}));
  // As in PyTorch, dtype casts the input first: 1.7 + 2.6 -> 1 + 2.
  EXPECT_EQ(sum(tensor({1.7, 2.6}), {}, false, DType::Int64).item<int64_t>(), 3);
  Tensor h = tensor({1.5, 2.5, 3.0}).to(DType::Float16);
  EXPECT_EQ(sum(h).dtype(), DType::Float16);
  EXPECT_EQ(sum(h).item<double>(), 7.0);
  EXPECT_EQ(sum(h, {}, false, DType::Float32).dtype(), DType::Float32);
}

TEST(Reduce, EmptyBlocks) {
  Tensor e = zeros({0, 3});
  EXPECT_EQ(sum(e, {0}).to_vector<float>(), (F{0, 0, 0}));
  EXPECT_EQ(prod(e, {0}).to_vector<float>(), (F{1, 1, 1}));
  EXPECT_TRUE(std::isnan(mean(e).item<double>()));
  EXPECT_EQ(sum(e, {1}).shape(), Shape{0});
  EXPECT_EQ(all(e.to(DType::Bool), {0}).to_vector<bool>(), (std::vector<bool>{true, true, true}));
  EXPECT_EQ(any(e.to(DType::Bool), {0}).to_vector<bool>(),
            (std::vector<bool>{false, false, false}));
  EXPECT_EQ(logsumexp(e, {0}).to_vector<float>(), (F{-INFINITY, -INFINITY, -INFINITY}));
  EXPECT_EQ(softmax(e, 0).shape(), (Shape{0, 3}));
}

TEST(Reduce, MeanProd) {
  Tensor x = m23();
  EXPECT_EQ(mean(x).item<float>(), 3.5f);
  EXPECT_EQ(mean(x, {0}).to_vector<float>(), (F{2.5, 3.5, 4.5}));
  EXPECT_EQ(mean(x, {1}, true).shape(), (Shape{2, 1}));
  EXPECT_EQ(prod(x).item<float>(), 720.0f);
  EXPECT_EQ(prod(x, {1}).to_vector<float>(), (F{6, 120}));
  Tensor i = tensor({{2, 3}, {4, 5}}, DType::Int32);
  EXPECT_EQ(prod(i, {1}).dtype(), DType::Int64);
  EXPECT_EQ(prod(i, {1}).to_vector<int64_t>(), (L{6, 20}));
  EXPECT_EQ(prod(tensor({true, true})).dtype(), DType::Int64);
}

TEST(Reduce, AmaxAmin) {
  Tensor x = tensor({{3.0, -1.0, 7.0}, {2.0, 9.0, -4.0}});
  EXPECT_EQ(amax(x).item<float>(), 9.0f);
  EXPECT_EQ(amin(x).item<float>(), -4.0f);
  EXPECT_EQ(amax(x, {1}).to_vector<float>(), (F{7, 9}));
  EXPECT_EQ(amin(x, {0}, true).to_vector<float>(), (F{2, -1, -4}));
  EXPECT_EQ(amin(x, {0}, true).shape(), (Shape{1, 3}));
  Tensor i = tensor({{1, 5}, {7, 2}}, DType::Int32);
  EXPECT_EQ(amax(i, {1}).dtype(), DType::Int32);
  EXPECT_EQ(amax(i, {1}).to_vector<int64_t>(), (L{5, 7}));
  EXPECT_EQ(amax(tensor({false, true})).item<bool>(), true);
  EXPECT_EQ(max(x).item<float>(), 9.0f);
  EXPECT_EQ(min(x).item<float>(), -4.0f);
}

TEST(Reduce, MaxMinWithDim) {
  Tensor x = tensor({{3.0, 7.0, 7.0}, {9.0, 2.0, 9.0}});
  auto [v, i] = max(x, 1);
  EXPECT_EQ(v.to_vector<float>(), (F{7, 9}));
  EXPECT_EQ(i.dtype(), DType::Int64);
  EXPECT_EQ(i.to_vector<int64_t>(), (L{1, 0}));  // first occurrence of a tie
  auto [v0, i0] = min(x, 0, true);
  EXPECT_EQ(v0.shape(), (Shape{1, 3}));
  EXPECT_EQ(i0.to_vector<int64_t>(), (L{0, 1, 0}));
  auto [vn, in] = max(x, -2);
  EXPECT_EQ(in.to_vector<int64_t>(), (L{1, 0, 1}));
  auto [vs, is] = max(tensor(5.0).reshape({}), 0);
  EXPECT_EQ(vs.item<float>(), 5.0f);
  EXPECT_EQ(is.item<int64_t>(), 0);
}

TEST(Reduce, ArgmaxArgmin) {
  Tensor x = tensor({{3.0, 7.0, 1.0}, {9.0, 2.0, 9.0}});
  EXPECT_EQ(argmax(x).item<int64_t>(), 3);
  EXPECT_EQ(argmin(x).item<int64_t>(), 2);
  EXPECT_EQ(argmax(x, std::nullopt, true).shape(), (Shape{1, 1}));
  EXPECT_EQ(argmax(x, 1).to_vector<int64_t>(), (L{1, 0}));
  EXPECT_EQ(argmin(x, 0, true).to_vector<int64_t>(), (L{0, 1, 0}));
  // Flattened index follows the logical (row-major) order, whatever the strides.
  EXPECT_EQ(argmax(x.t()).item<int64_t>(), 1);
  EXPECT_EQ(argmax(tensor({{1, 5}, {7, 7}}), 1).to_vector<int64_t>(), (L{1, 0}));
}

TEST(Reduce, NaNPropagates) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  Tensor x = tensor(F{1, nan, 3, nan, 2, 0, 5, 4}, {2, 4});
  Tensor y = tensor(F{3, nan, 1}, {3});
  EXPECT_TRUE(std::isnan(amax(x, {1}).to_vector<float>()[0]));
  EXPECT_EQ(amax(x, {1}).to_vector<float>()[1], 5.0f);
  EXPECT_TRUE(std::isnan(amin(y).item<float>()));
  EXPECT_TRUE(std::isnan(max(y).item<float>()));
  auto [v, i] = max(x, 1);
  EXPECT_TRUE(std::isnan(v.to_vector<float>()[0]));
  EXPECT_EQ(i.to_vector<int64_t>(), (L{1, 2}));  // the first NaN
  EXPECT_EQ(argmin(y).item<int64_t>(), 1);
  EXPECT_EQ(min(y, 0).indices.item<int64_t>(), 1);
  EXPECT_TRUE(std::isnan(sum(y).item<float>()));
  EXPECT_TRUE(all(y).item<bool>());  // NaN != 0
  EXPECT_TRUE(std::isnan(logsumexp(y, {0}).item<float>()));
}

TEST(Reduce, VarStd) {
  Tensor x = tensor({1.0, 2.0, 3.0, 4.0});
  expect_near(var(x).to_vector<float>(), F{5.0f / 3});
  expect_near(var(x, {}, 0).to_vector<float>(), F{1.25});
  expect_near(std(x).to_vector<float>(), F{std::sqrt(5.0f / 3)});
  Tensor m = tensor({{1.0, 2.0, 3.0}, {2.0, 4.0, 9.0}});
  expect_near(var(m, {1}).to_vector<float>(), F{1, 13});
  EXPECT_EQ(var(m, {1}, 1, true).shape(), (Shape{2, 1}));
  // A divisor of max(0, n - correction) = 0 gives NaN (zero sum) or inf, as in PyTorch.
  EXPECT_TRUE(std::isnan(var(tensor({1.0, 1.0}), {0}, 2).item<float>()));
  EXPECT_TRUE(std::isinf(var(tensor({1.0, 2.0}), {0}, 3).item<float>()));
}

TEST(Reduce, Norm) {
  Tensor x = tensor({{3.0, -4.0}, {0.0, 1.0}});
  expect_near(norm(x, 2, {1}).to_vector<float>(), F{5, 1});
  expect_near(norm(x, 1, {1}).to_vector<float>(), F{7, 1});
  expect_near(norm(x, INFINITY, {1}).to_vector<float>(), F{4, 1});
  expect_near(norm(x, -INFINITY, {1}).to_vector<float>(), F{3, 0});
  expect_near(norm(x, 0, {1}).to_vector<float>(), F{2, 1});
  expect_near(norm(x, 3, {1}).to_vector<float>(), F{4.497941f, 1});
  expect_near(norm(x).to_vector<float>(), F{std::sqrt(26.0f)});
  EXPECT_EQ(norm(x, 2, {0}, true).shape(), (Shape{1, 2}));
}

TEST(Reduce, Logsumexp) {
  expect_near(logsumexp(tensor({1.0, 2.0, 3.0}), {0}).to_vector<float>(), F{3.4076059f});
  expect_near(logsumexp(tensor({1000.0, 1000.0}), {0}).to_vector<float>(), F{1000.6931472f});
  EXPECT_EQ(logsumexp(tensor(F{-INFINITY, -INFINITY}, {2}), {0}).item<float>(), -INFINITY);
  EXPECT_EQ(logsumexp(tensor(F{INFINITY, 1}, {2}), {0}).item<float>(), INFINITY);
  Tensor i = logsumexp(tensor({0, 1, 2}), {0});
  EXPECT_EQ(i.dtype(), DType::Float32);  // integers promote, as in PyTorch
  expect_near(i.to_vector<float>(), F{2.4076059f});
  EXPECT_EQ(logsumexp(m23(), {1}, true).shape(), (Shape{2, 1}));
  expect_near(logsumexp(m23(), {}).to_vector<float>(), F{6.4561934f});
}

TEST(Reduce, Softmax) {
  expect_near(softmax(tensor({1.0, 2.0, 3.0}), 0).to_vector<float>(),
              F{0.09003057f, 0.24472847f, 0.66524096f});
  expect_near(log_softmax(tensor({1.0, 2.0, 3.0}), 0).to_vector<float>(),
              F{-2.4076059f, -1.4076059f, -0.4076059f});
  // Stable where exp overflows.
  expect_near(softmax(tensor({1000.0, 1000.0}), 0).to_vector<float>(), F{0.5, 0.5});
  expect_near(log_softmax(tensor({1000.0, 0.0}), 0).to_vector<float>(), F{0, -1000});
  Tensor s = softmax(m23(), 0);
  expect_near(sum(s, {0}).to_vector<float>(), F{1, 1, 1});
  expect_near(softmax(m23().t(), -1).to_vector<float>(),
              softmax(m23(), 0).t().contiguous().to_vector<float>());
  EXPECT_EQ(softmax(tensor(2.0).reshape({}), 0).item<float>(), 1.0f);
}

TEST(Reduce, Cumsum) {
  EXPECT_EQ(cumsum(tensor({1.0, 2.0, 3.0}), 0).to_vector<float>(), (F{1, 3, 6}));
  EXPECT_EQ(cumsum(m23(), 0).to_vector<float>(), (F{1, 2, 3, 5, 7, 9}));
  EXPECT_EQ(cumsum(m23(), -1).to_vector<float>(), (F{1, 3, 6, 4, 9, 15}));
  EXPECT_EQ(cumsum(m23().t(), 1).to_vector<float>(), (F{1, 5, 2, 7, 3, 9}));
  Tensor b = cumsum(tensor({true, true, false, true}), 0);
  EXPECT_EQ(b.dtype(), DType::Int64);
  EXPECT_EQ(b.to_vector<int64_t>(), (L{1, 2, 2, 3}));
  EXPECT_EQ(cumsum(tensor({1, 2}, DType::Int32), 0).dtype(), DType::Int64);
}

TEST(Reduce, AllAny) {
  Tensor x = tensor({{1.0, 0.0, 2.0}, {3.0, 4.0, 5.0}});
  EXPECT_EQ(all(x).dtype(), DType::Bool);
  EXPECT_FALSE(all(x).item<bool>());
  EXPECT_TRUE(any(x).item<bool>());
  EXPECT_EQ(all(x, {1}).to_vector<bool>(), (std::vector<bool>{false, true}));
  EXPECT_EQ(any(x == 0, {0}, true).to_vector<bool>(), (std::vector<bool>{false, true, false}));
  EXPECT_EQ(any(x == 0, {0}, true).shape(), (Shape{1, 3}));
  EXPECT_TRUE(all(tensor({1, 2}, DType::UInt8)).item<bool>());
}

// -- determinism and the kernels' paths -------------------------------------------
// Note [deterministic reductions]: bit-identical results for any thread count.
TEST(Reduce, ThreadCountIndependent) {
  manual_seed(5);
  Tensor x = randn({3'000'017});
  Tensor m = randn({1000, 1201});
  auto run = [&] {
    return std::vector<std::vector<float>>{
        sum(x).to_vector<float>(),
        sum(m, {1}).to_vector<float>(),
        sum(m, {0}).to_vector<float>(),
        sum(m.t(), {0}).to_vector<float>(),
        mean(m).to_vector<float>(),
        cumsum(m, 0).to_vector<float>(),
        amax(m, {0}).to_vector<float>(),
        sum(reshape(x.slice(0, 0, 3'000'000), {3, -1}), {1}).to_vector<float>()};
  };
  int before = get_num_threads();
  set_num_threads(1);
  auto one = run();
  set_num_threads(2);
  auto two = run();
  set_num_threads(before);
  for (size_t k = 0; k < one.size(); ++k)
    EXPECT_TRUE(one[k] == two[k]) << "result " << k << " differs";
}

TEST(Reduce, SumPathsAgreeWithDouble) {
  manual_seed(6);
  Tensor m = randn({300, 517});
  Tensor m64 = m.to(DType::Float64);
  // Inner (rows), outer (columns), full, transposed, a strided slice, an expanded input.
  expect_near(sum(m, {1}).to_vector<float>(), sum(m64, {1}).to(DType::Float32).to_vector<float>(),
              1e-6);
  expect_near(sum(m, {0}).to_vector<float>(), sum(m64, {0}).to(DType::Float32).to_vector<float>(),
              1e-6);
  expect_near(sum(m.t(), {1}).to_vector<float>(),
              sum(m64, {0}).to(DType::Float32).to_vector<float>(), 1e-6);
  expect_near(sum(m).to_vector<float>(), sum(m64).to(DType::Float32).to_vector<float>(), 1e-6);
  Tensor sl = m.slice(1, 0, 517, 3);
  expect_near(sum(sl, {1}).to_vector<float>(), sum(sl.contiguous(), {1}).to_vector<float>(), 1e-6);
  Tensor ex = tensor({1.0, 2.0}).reshape({2, 1}).expand({2, 1000});
  EXPECT_EQ(sum(ex, {1}).to_vector<float>(), (F{1000, 2000}));
  EXPECT_EQ(sum(ex).item<float>(), 3000.0f);
  std::vector<double> ref(517, 0.0);
  auto v = m64.to_vector<double>();
  for (int64_t r = 0; r < 300; ++r)
    for (int64_t c = 0; c < 517; ++c) ref[c] += v[r * 517 + c];
  expect_near(sum(m64, {0}).to_vector<double>(), ref, 1e-12);
}

// A conv bias gradient's shape: (N, C, H, W) reduced over N, H, W, with more
// channels than one block of outputs and a last block that is partial
// (the blocked walk in kernels/portable/reduce.cpp's inner_rows).
TEST(Reduce, OuterAndInnerDimsAgreeWithDouble) {
  manual_seed(7);
  Tensor x = randn({5, 37, 9, 11});
  Tensor x64 = x.to(DType::Float64);
  expect_near(sum(x, {0, 2, 3}).to_vector<float>(),
              sum(x64, {0, 2, 3}).to(DType::Float32).to_vector<float>(), 1e-6);
  std::vector<float> ref(37, -INFINITY);
  auto v = x.to_vector<float>();
  for (int64_t i = 0; i < 5 * 37 * 99; ++i) ref[i / 99 % 37] = std::max(ref[i / 99 % 37], v[i]);
  EXPECT_EQ(amax(x, {0, 2, 3}).to_vector<float>(), ref);
  int before = get_num_threads();
  set_num_threads(1);
  auto one = sum(x, {0, 2, 3}).to_vector<float>();
  set_num_threads(2);
  auto two = sum(x, {0, 2, 3}).to_vector<float>();
  set_num_threads(before);
  EXPECT_EQ(one, two);
}

// -- gradients --------------------------------------------------------------------
TEST(ReduceGrad, HandChecked) {
  Tensor x = tensor(D{1, 3, 3, 2, 2, 0}, {2, 3}).requires_grad_();
  amax(x, {1}).sum().backward();
  EXPECT_EQ(x.grad().to_vector<double>(), (D{0, 0.5, 0.5, 0.5, 0.5, 0}));  // ties share
  x.set_grad(Tensor());
  max(x, 1).values.sum().backward();
  EXPECT_EQ(x.grad().to_vector<double>(), (D{0, 1, 0, 1, 0, 0}));  // the first index only
  x.set_grad(Tensor());
  prod(x, {1}).sum().backward();
  EXPECT_EQ(x.grad().to_vector<double>(), (D{9, 3, 3, 0, 0, 4}));  // exact at a zero
  x.set_grad(Tensor());
  cumsum(x, 1).sum().backward();
  EXPECT_EQ(x.grad().to_vector<double>(), (D{3, 2, 1, 3, 2, 1}));
  x.set_grad(Tensor());
  mean(x, {0}).sum().backward();
  EXPECT_EQ(x.grad().to_vector<double>(), (D{0.5, 0.5, 0.5, 0.5, 0.5, 0.5}));
  Tensor z = tensor(D{0, 2, 0}, {3}).requires_grad_();
  prod(z).backward();
  EXPECT_EQ(z.grad().to_vector<double>(), (D{0, 0, 0}));  // two zeros: all zero
  Tensor h = tensor({1.0, 2.0}).to(DType::Float16).requires_grad_();
  sum(h, {}, false, DType::Float32).backward();
  EXPECT_EQ(h.grad().dtype(), DType::Float16);
}

// Every reduction's samples through gradcheck here as well as in the suite,
// so a failure shows up next to the other reduction tests.
TEST(ReduceGrad, Samples) {
  for (const char* op : {"sum", "mean", "prod", "amax", "amin", "max", "min", "var", "std", "norm",
                         "logsumexp", "softmax", "log_softmax", "cumsum"}) {
    OpId id = op_id(op);
    for (testing::OpSample& s : testing::sample_table().at(op)()) {
      const Attrs& a = s.attrs;
      autograd::Fn fn = [id, &a](const std::vector<Tensor>& in) { return detail::call(id, in, a); };
      auto r = autograd::gradcheck(fn, s.inputs, 1e-6, s.atol, s.rtol);
      EXPECT_TRUE(r.ok) << op << " [" << s.label << "]: " << r.message;
    }
  }
}

TEST(ReduceGrad, SecondDerivatives) {
  Tensor x = testing::sample_randn({3, 4}, 31);
  Tensor p = tensor(D{0.7, 0.0, -1.2, 1.5, 0.9, 1.1}, {2, 3})
                 .requires_grad_();  // one zero per block at most
  std::vector<std::pair<std::string, autograd::Fn>> fns = {
      {"softmax",
       [](const std::vector<Tensor>& in) { return std::vector<Tensor>{softmax(in[0], 1)}; }},
      {"log_softmax",
       [](const std::vector<Tensor>& in) { return std::vector<Tensor>{log_softmax(in[0], 0)}; }},
      {"logsumexp",
       [](const std::vector<Tensor>& in) { return std::vector<Tensor>{logsumexp(in[0], {1})}; }},
      {"var", [](const std::vector<Tensor>& in) { return std::vector<Tensor>{var(in[0], {0})}; }},
      {"std",
       [](const std::vector<Tensor>& in) { return std::vector<Tensor>{std(in[0], {1}, 0, true)}; }},
      {"norm",
       [](const std::vector<Tensor>& in) { return std::vector<Tensor>{norm(in[0], 3, {1})}; }},
      {"amax",
       [](const std::vector<Tensor>& in) {
         return std::vector<Tensor>{amax(in[0], {1}) * amax(in[0], {1})};
       }},
      {"max",
       [](const std::vector<Tensor>& in) {
         return std::vector<Tensor>{square(max(in[0], 0).values)};
       }},
      {"cumsum",
       [](const std::vector<Tensor>& in) { return std::vector<Tensor>{square(cumsum(in[0], 1))}; }},
      {"mean",
       [](const std::vector<Tensor>& in) { return std::vector<Tensor>{square(mean(in[0], {0}))}; }},
  };
  for (auto& [name, fn] : fns) {
    auto r = autograd::gradgradcheck(fn, {x});
    EXPECT_TRUE(r.ok) << name << ": " << r.message;
  }
  autograd::Fn pr = [](const std::vector<Tensor>& in) {
    return std::vector<Tensor>{prod(in[0], {1})};
  };
  auto r = autograd::gradgradcheck(pr, {p});
  EXPECT_TRUE(r.ok) << "prod with a zero: " << r.message;
}

// -- bad input --------------------------------------------------------------------
TEST(ReduceErrors, Dims) {
  Tensor x = m23();
  expect_error<IndexError>([&] { sum(x, {2}); },
                           "[sum] dim 2 is out of range for a tensor of rank 2 (valid: -2 to 1)");
  expect_error<IndexError>([&] { amax(x, {-3}); },
                           "[amax] dim -3 is out of range for a tensor of rank 2 (valid: -2 to 1)");
  expect_error<IndexError>(
      [&] {
        sum(x, {0, -2});
      },
      "[sum] dim -2 appears more than once in dims (0, -2)");
  expect_error<IndexError>(
      [&] {
        var(x, {1, 1});
      },
      "[var] dim 1 appears more than once in dims (1, 1)");
  expect_error<IndexError>([&] { max(x, 2); },
                           "[max] dim 2 is out of range for a tensor of rank 2 (valid: -2 to 1)");
  expect_error<IndexError>(
      [&] { argmin(x, -3); },
      "[argmin] dim -3 is out of range for a tensor of rank 2 (valid: -2 to 1)");
  expect_error<IndexError>(
      [&] { cumsum(x, 2); },
      "[cumsum] dim 2 is out of range for a tensor of rank 2 (valid: -2 to 1)");
  expect_error<IndexError>(
      [&] { softmax(x, 5); },
      "[softmax] dim 5 is out of range for a tensor of rank 2 (valid: -2 to 1)");
  expect_error<IndexError>(
      [&] {
        logsumexp(x, {0, 0});
      },
      "[logsumexp] dim 0 appears more than once in dims (0, 0)");
}

TEST(ReduceErrors, DTypes) {
  Tensor i = tensor({1, 2, 3});
  expect_error<DTypeError>([&] { mean(i); }, "[mean] expects floating-point input; got int64");
  expect_error<DTypeError>([&] { softmax(i, 0); },
                           "[softmax] expects floating-point input; got int64");
  expect_error<DTypeError>([&] { log_softmax(i, 0); },
                           "[log_softmax] expects floating-point input; got int64");
  expect_error<DTypeError>([&] { var(i); }, "[var] expects floating-point input; got int64");
  expect_error<DTypeError>([&] { std(i); }, "[std] expects floating-point input; got int64");
  expect_error<DTypeError>([&] { norm(i); }, "[norm] expects floating-point input; got int64");
  expect_error<DTypeError>([&] { mean(tensor({true})); },
                           "[mean] expects floating-point input; got bool");
}

TEST(ReduceErrors, EmptyWithoutIdentity) {
  Tensor e = zeros({0, 3});
  expect_error<IndexError>(
      [&] { amax(e, {0}); },
      "[amax] cannot reduce over dim 0 of size 0 (the result has no identity); got shape (0, 3)");
  expect_error<IndexError>(
      [&] { max(e, 0); },
      "[max] cannot reduce over dim 0 of size 0 (the result has no identity); got shape (0, 3)");
  expect_error<IndexError>(
      [&] { max(e); },
      "[max] cannot reduce an empty tensor without a dim (the result has no identity); got "
      "shape (0, 3)");
  expect_error<IndexError>(
      [&] { argmax(e); },
      "[argmax] cannot reduce an empty tensor without a dim (the result has no identity); got "
      "shape (0, 3)");
  expect_error<IndexError>(
      [&] { norm(e, INFINITY, {0}); },
      "[norm] the inf norm over dim 0 of size 0 has no identity; got shape (0, 3)");
  EXPECT_EQ(amax(e, {1}).shape(), Shape{0});  // nothing to reduce per output: fine
}

}  // namespace
}  // namespace braid
