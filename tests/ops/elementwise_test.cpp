// Elementwise ops: values against std:: references, int and bool dtypes,
// broadcasting and its errors (exact text), the scalar operators' result
// dtypes, where / masked_fill / clamp / comparisons / logical ops.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>

#include "braid/braid.hpp"
#include "core/test_util.hpp"

namespace braid {
namespace {

const std::vector<double> kXs = {-2.5, -1.5, -0.3, 0.2, 0.9, 1.7, 3.0};

// op(x) in float64 and float32 against ref(x) in double.
void expect_unary(const char* name, const std::function<Tensor(const Tensor&)>& op,
                  const std::function<double(double)>& ref, const std::vector<double>& xs = kXs) {
  SCOPED_TRACE(name);
  Tensor x = tensor(xs);
  std::vector<double> got64 = op(x.to(DType::Float64)).to_vector<double>();
  std::vector<float> got32 = op(x.to(DType::Float32)).to_vector<float>();
  EXPECT_EQ(op(x.to(DType::Float32)).dtype(), DType::Float32);
  for (size_t i = 0; i < xs.size(); ++i) {
    double want = ref(xs[i]);
    if (std::isnan(want)) {
      EXPECT_TRUE(std::isnan(got64[i])) << xs[i];
      continue;
    }
    EXPECT_NEAR(got64[i], want, 1e-12 * (1 + std::fabs(want))) << "x = " << xs[i];
    EXPECT_NEAR(got32[i], want, 2e-6 * (1 + std::fabs(want))) << "x = " << xs[i];
  }
}

TEST(Unary, FloatValues) {
  auto sig = [](double x) { return 1 / (1 + std::exp(-x)); };
  expect_unary(
      "neg", [](const Tensor& t) { return neg(t); }, [](double x) { return -x; });
  expect_unary(
      "abs", [](const Tensor& t) { return abs(t); }, [](double x) { return std::fabs(x); });
  expect_unary(
      "sign", [](const Tensor& t) { return sign(t); },
      [](double x) { return double((x > 0) - (x < 0)); });
  expect_unary(
      "exp", [](const Tensor& t) { return exp(t); }, [](double x) { return std::exp(x); });
  expect_unary(
      "log", [](const Tensor& t) { return log(t); }, [](double x) { return std::log(x); });
  expect_unary(
      "log1p", [](const Tensor& t) { return log1p(t); }, [](double x) { return std::log1p(x); });
  expect_unary(
      "expm1", [](const Tensor& t) { return expm1(t); }, [](double x) { return std::expm1(x); });
  expect_unary(
      "sqrt", [](const Tensor& t) { return sqrt(t); }, [](double x) { return std::sqrt(x); });
  expect_unary(
      "rsqrt", [](const Tensor& t) { return rsqrt(t); }, [](double x) { return 1 / std::sqrt(x); });
  expect_unary(
      "square", [](const Tensor& t) { return square(t); }, [](double x) { return x * x; });
  expect_unary(
      "sin", [](const Tensor& t) { return sin(t); }, [](double x) { return std::sin(x); });
  expect_unary(
      "cos", [](const Tensor& t) { return cos(t); }, [](double x) { return std::cos(x); });
  expect_unary(
      "tanh", [](const Tensor& t) { return tanh(t); }, [](double x) { return std::tanh(x); });
  expect_unary(
      "sigmoid", [](const Tensor& t) { return sigmoid(t); }, sig);
  expect_unary(
      "relu", [](const Tensor& t) { return relu(t); }, [](double x) { return x > 0 ? x : 0; });
  expect_unary(
      "leaky_relu", [](const Tensor& t) { return leaky_relu(t, 0.2); },
      [](double x) { return x > 0 ? x : 0.2 * x; });
  expect_unary(
      "elu", [](const Tensor& t) { return elu(t, 0.7); },
      [](double x) { return x > 0 ? x : 0.7 * std::expm1(x); });
  expect_unary(
      "gelu", [](const Tensor& t) { return gelu(t); },
      [](double x) { return 0.5 * x * (1 + std::erf(x / std::sqrt(2.0))); });
  expect_unary(
      "gelu_tanh", [](const Tensor& t) { return gelu(t, "tanh"); },
      [](double x) {
        return 0.5 * x * (1 + std::tanh(std::sqrt(2 / M_PI) * (x + 0.044715 * x * x * x)));
      });
  expect_unary(
      "silu", [](const Tensor& t) { return silu(t); }, [&](double x) { return x * sig(x); });
  expect_unary(
      "softplus", [](const Tensor& t) { return softplus(t, 2.0, 3.0); },
      [](double x) { return 2 * x > 3 ? x : std::log1p(std::exp(2 * x)) / 2; });
  expect_unary(
      "erf", [](const Tensor& t) { return erf(t); }, [](double x) { return std::erf(x); });
  expect_unary(
      "reciprocal", [](const Tensor& t) { return reciprocal(t); }, [](double x) { return 1 / x; });
  expect_unary(
      "clamp", [](const Tensor& t) { return clamp(t, -1.0, 1.0); },
      [](double x) { return std::min(1.0, std::max(-1.0, x)); });
  expect_unary(
      "clamp_min", [](const Tensor& t) { return clamp(t, 0.5, std::nullopt); },
      [](double x) { return std::max(0.5, x); });
  expect_unary(
      "clamp_max", [](const Tensor& t) { return clamp(t, std::nullopt, 0.5); },
      [](double x) { return std::min(0.5, x); });
  expect_unary(
      "pow_scalar", [](const Tensor& t) { return pow(abs(t), 1.5); },
      [](double x) { return std::pow(std::fabs(x), 1.5); });
}

TEST(Unary, SpecialValues) {
  Tensor x = tensor({NAN, INFINITY, -INFINITY, 0.0});
  std::vector<float> c = clamp(x, -1.0, 1.0).to_vector<float>();
  EXPECT_TRUE(std::isnan(c[0]));  // NaN stays NaN, as in PyTorch
  EXPECT_EQ(c[1], 1.0f);
  EXPECT_EQ(c[2], -1.0f);
  EXPECT_EQ(sigmoid(x).to_vector<float>()[1], 1.0f);
  EXPECT_EQ(sigmoid(x).to_vector<float>()[2], 0.0f);
  EXPECT_EQ(log(x).to_vector<float>()[3], -INFINITY);
  EXPECT_EQ(relu(x).to_vector<float>()[2], 0.0f);
  EXPECT_EQ(softplus(tensor({100.0})).item<float>(),
            100.0f);  // linear past the threshold, no overflow
}

TEST(Unary, IntegerAndBoolDtypes) {
  Tensor i = tensor({-3, 0, 2});
  // Numeric ops keep the integer dtype.
  EXPECT_EQ(neg(i).to_vector<int64_t>(), (std::vector<int64_t>{3, 0, -2}));
  EXPECT_EQ(abs(i).to_vector<int64_t>(), (std::vector<int64_t>{3, 0, 2}));
  EXPECT_EQ(sign(i).to_vector<int64_t>(), (std::vector<int64_t>{-1, 0, 1}));
  EXPECT_EQ(square(i).to_vector<int64_t>(), (std::vector<int64_t>{9, 0, 4}));
  EXPECT_EQ(relu(i).to_vector<int64_t>(), (std::vector<int64_t>{0, 0, 2}));
  EXPECT_EQ(clamp(i, -1, 1).to_vector<int64_t>(), (std::vector<int64_t>{-1, 0, 1}));
  EXPECT_EQ(clamp(i, -1, 1).dtype(), DType::Int64);
  EXPECT_EQ(abs(i.to(DType::Int8)).dtype(), DType::Int8);
  EXPECT_EQ(pow(i, 2).to_vector<int64_t>(), (std::vector<int64_t>{9, 0, 4}));
  EXPECT_EQ(pow(i, 2).dtype(), DType::Int64);
  // Float ops compute integers in float32.
  EXPECT_EQ(exp(i).dtype(), DType::Float32);
  EXPECT_EQ(sqrt(tensor({4, 9})).to_vector<float>(), (std::vector<float>{2, 3}));
  EXPECT_EQ(sigmoid(tensor({true})).dtype(), DType::Float32);
  EXPECT_EQ(pow(i, 0.5).dtype(), DType::Float32);
  // A float bound promotes, as in PyTorch.
  EXPECT_EQ(clamp(i, 0.5, 1.5).to_vector<float>(), (std::vector<float>{0.5f, 0.5f, 1.5f}));
  // 16-bit floats compute in float32 and keep their dtype.
  EXPECT_EQ(exp(tensor({0.0, 1.0}).to(DType::Float16)).dtype(), DType::Float16);
  EXPECT_EQ(exp(tensor({0.0, 1.0}).to(DType::BFloat16)).to_vector<float>()[1], 2.71875f);
  EXPECT_EQ(neg(tensor({1.5}).to(DType::Float16)).item<float>(), -1.5f);
  // logical_not takes any dtype.
  EXPECT_EQ(logical_not(tensor({0.0, 2.0})).to_vector<bool>(), (std::vector<bool>{true, false}));
  EXPECT_EQ((!tensor({true, false})).to_vector<bool>(), (std::vector<bool>{false, true}));
  EXPECT_EQ(logical_not(i).dtype(), DType::Bool);
}

TEST(Unary, Errors) {
  Tensor b = tensor({true, false});
  BRAID_EXPECT_THROW_MSG(neg(b), DTypeError, "[neg] bool input is not supported; got bool");
  BRAID_EXPECT_THROW_MSG(-b, DTypeError, "[neg] bool input is not supported; got bool");
  BRAID_EXPECT_THROW_MSG(abs(b), DTypeError, "[abs] bool input is not supported; got bool");
  BRAID_EXPECT_THROW_MSG(relu(b), DTypeError, "[relu] bool input is not supported; got bool");
  BRAID_EXPECT_THROW_MSG(clamp(b, 0, 1), DTypeError,
                         "[clamp] bool input is not supported; got bool");
  BRAID_EXPECT_THROW_MSG(clamp(ones({2}), std::nullopt, std::nullopt), ValueError,
                         "[clamp] at least one of min and max must be given");
  BRAID_EXPECT_THROW_MSG(gelu(ones({2}), "fast"), ValueError,
                         "[gelu] approximate must be 'none' or 'tanh'; got 'fast'");
  BRAID_EXPECT_THROW_MSG(
      pow(tensor({2, 3}), -1), ValueError,
      "[pow] integers to negative integer powers are not allowed; got int64 ** -1");
  BRAID_EXPECT_THROW_MSG(neg(Tensor()), ValueError, "[neg] input 0 is undefined");
}

// -- binary ----------------------------------------------------------------------

std::vector<double> v(const Tensor& t) { return t.to_vector<double>(); }

TEST(Binary, ArithmeticValues) {
  Tensor a = tensor({{1.0, -2.0, 3.0}, {4.0, 5.0, -6.0}});
  Tensor b = tensor({2.0, 4.0, -1.0});
  EXPECT_EQ(v(a + b), (std::vector<double>{3, 2, 2, 6, 9, -7}));
  EXPECT_EQ(v(a - b), (std::vector<double>{-1, -6, 4, 2, 1, -5}));
  EXPECT_EQ(v(a * b), (std::vector<double>{2, -8, -3, 8, 20, 6}));
  EXPECT_EQ(v(a / b), (std::vector<double>{0.5, -0.5, -3, 2, 1.25, 6}));
  EXPECT_EQ(v(add(a, b, 2)), (std::vector<double>{5, 6, 1, 8, 13, -8}));
  EXPECT_EQ(v(sub(a, b, 0.5)), (std::vector<double>{0, -4, 3.5, 3, 3, -5.5}));
  EXPECT_EQ(v(maximum(a, b)), (std::vector<double>{2, 4, 3, 4, 5, -1}));
  EXPECT_EQ(v(minimum(a, b)), (std::vector<double>{1, -2, -1, 2, 4, -6}));
  EXPECT_EQ(pow(abs(a), b).to_vector<float>(),
            (std::vector<float>{1, 16, 1.0f / 3, 16, 625, 1.0f / 6}));
  std::vector<double> mx = v(maximum(tensor({NAN, 1.0}), tensor({1.0, NAN})));
  EXPECT_TRUE(std::isnan(mx[0]) && std::isnan(mx[1]));  // NaN propagates, as in PyTorch
  // Non-contiguous operands.
  Tensor t = a.t();  // (3, 2)
  EXPECT_EQ(v(t * tensor({{1.0}, {10.0}, {100.0}})),
            (std::vector<double>{1, 4, -20, 50, 300, -600}));
  EXPECT_EQ(v(t + t.contiguous()), v(t * 2.0));
}

TEST(Binary, IntegerAndBoolDtypes) {
  Tensor i = tensor({7, -7, 2});
  Tensor j = tensor({2, 2, 3});
  EXPECT_EQ((i + j).dtype(), DType::Int64);
  EXPECT_EQ((i * j).to_vector<int64_t>(), (std::vector<int64_t>{14, -14, 6}));
  EXPECT_EQ((i / j).dtype(), DType::Float32);  // true division
  EXPECT_EQ((i / j).to_vector<float>(), (std::vector<float>{3.5f, -3.5f, 2.0f / 3}));
  EXPECT_EQ(pow(i, j).to_vector<int64_t>(), (std::vector<int64_t>{49, 49, 8}));
  EXPECT_EQ(maximum(i, j).to_vector<int64_t>(), (std::vector<int64_t>{7, 2, 3}));
  EXPECT_EQ((i.to(DType::Int32) + j).dtype(), DType::Int64);
  EXPECT_EQ((i.to(DType::UInt8) + i.to(DType::Int8)).dtype(), DType::Int32);
  // uint8 wraps around, as in C and PyTorch.
  Tensor u = tensor({1, 250}).to(DType::UInt8);
  EXPECT_EQ((u - tensor({2, 0}).to(DType::UInt8)).to_vector<int64_t>(),
            (std::vector<int64_t>{255, 250}));
  EXPECT_EQ((u + 10).to_vector<int64_t>(), (std::vector<int64_t>{11, 4}));
  // bool + bool is or, bool * bool is and; with a number they become int64.
  Tensor p = tensor({true, true, false}), q = tensor({true, false, false});
  EXPECT_EQ((p + q).to_vector<bool>(), (std::vector<bool>{true, true, false}));
  EXPECT_EQ((p * q).to_vector<bool>(), (std::vector<bool>{true, false, false}));
  EXPECT_EQ((p + q).dtype(), DType::Bool);
  EXPECT_EQ((p + 1).to_vector<int64_t>(), (std::vector<int64_t>{2, 2, 1}));
  EXPECT_EQ((p * 1.5).to_vector<float>(), (std::vector<float>{1.5f, 1.5f, 0}));
  // Mixed float16 / bfloat16 meet in float32.
  EXPECT_EQ((ones({1}, DType::Float16) + ones({1}, DType::BFloat16)).dtype(), DType::Float32);
  EXPECT_EQ((ones({1}, DType::Float16) * ones({1}, DType::Float16)).dtype(), DType::Float16);
}

TEST(Binary, ScalarOperatorResultDtypes) {
  Tensor i = tensor({1, 2});
  EXPECT_EQ((i * 2.5).dtype(), DType::Float32);
  EXPECT_EQ((i * 2.5).to_vector<float>(), (std::vector<float>{2.5f, 5.0f}));
  EXPECT_EQ((i * 2).dtype(), DType::Int64);
  EXPECT_EQ((i.to(DType::Int32) + 2).dtype(), DType::Int32);
  EXPECT_EQ((i.to(DType::Int8) * 2.0).dtype(), DType::Float32);
  EXPECT_EQ((2 - i).to_vector<int64_t>(), (std::vector<int64_t>{1, 0}));
  EXPECT_EQ((1 / i).dtype(), DType::Float32);
  EXPECT_EQ((1 / i).to_vector<float>(), (std::vector<float>{1.0f, 0.5f}));
  Tensor h = tensor({1.0, 2.0}).to(DType::Float16);
  EXPECT_EQ((h + 2.0).dtype(), DType::Float16);
  EXPECT_EQ((h + 2.0).to_vector<float>(), (std::vector<float>{3, 4}));
  EXPECT_EQ((2.0 * h).dtype(), DType::Float16);
  EXPECT_EQ((h + 1).dtype(), DType::Float16);
  EXPECT_EQ((tensor({1.0}).to(DType::BFloat16) / 3).dtype(), DType::BFloat16);
  EXPECT_EQ((ones({2}, DType::Float64) * 0.1).dtype(), DType::Float64);
  EXPECT_EQ((ones({2}) + true).to_vector<float>(), (std::vector<float>{2, 2}));
  EXPECT_EQ((i + scalar_tensor(1.5, DType::Float64)).dtype(),
            DType::Float64);  // a 0-dim tensor of a higher category
  EXPECT_EQ((ones({2}) + scalar_tensor(1.5, DType::Float64)).dtype(), DType::Float32);
  EXPECT_EQ((i == 1.5).to_vector<bool>(),
            (std::vector<bool>{false, false}));  // compared in float, not truncated
  EXPECT_EQ((i < 1.5).to_vector<bool>(), (std::vector<bool>{true, false}));
}

TEST(Binary, ComparisonsAndLogical) {
  Tensor a = tensor({1.0, 2.0, 3.0});
  Tensor b = tensor({3.0, 2.0, 1.0});
  auto bools = [](const Tensor& t) {
    EXPECT_EQ(t.dtype(), DType::Bool);
    return t.to_vector<bool>();
  };
  EXPECT_EQ(bools(a == b), (std::vector<bool>{false, true, false}));
  EXPECT_EQ(bools(a != b), (std::vector<bool>{true, false, true}));
  EXPECT_EQ(bools(a < b), (std::vector<bool>{true, false, false}));
  EXPECT_EQ(bools(a <= b), (std::vector<bool>{true, true, false}));
  EXPECT_EQ(bools(a > b), (std::vector<bool>{false, false, true}));
  EXPECT_EQ(bools(a >= b), (std::vector<bool>{false, true, true}));
  EXPECT_EQ(bools(a >= 2), (std::vector<bool>{false, true, true}));
  EXPECT_EQ(bools(a != 2), (std::vector<bool>{true, false, true}));
  EXPECT_EQ(bools(a <= 2.5), (std::vector<bool>{true, true, false}));
  EXPECT_EQ(bools(tensor({1, 2, 3}) == a), (std::vector<bool>{true, true, true}));
  EXPECT_EQ(bools(tensor({NAN}) == tensor({NAN})), (std::vector<bool>{false}));
  // Broadcasting comparisons.
  EXPECT_EQ(bools(a.unsqueeze(1) < b),
            (std::vector<bool>{true, true, false, true, false, false, false, false, false}));
  Tensor p = tensor({true, true, false, false}), q = tensor({true, false, true, false});
  EXPECT_EQ(bools(p && q), (std::vector<bool>{true, false, false, false}));
  EXPECT_EQ(bools(p || q), (std::vector<bool>{true, true, true, false}));
  // Logical ops read any dtype as nonzero / zero.
  EXPECT_EQ(bools(logical_and(tensor({0.0, 0.5, 2.0}), tensor({3, 0, 1}))),
            (std::vector<bool>{false, false, true}));
  EXPECT_EQ(bools(logical_or(tensor({0.0, 0.0}), tensor({false, true}))),
            (std::vector<bool>{false, true}));
  EXPECT_EQ(bools(logical_and(ones({2}, DType::Float16), zeros({2}, DType::Float16))),
            (std::vector<bool>{false, false}));
}

TEST(Binary, BroadcastingShapesAndErrors) {
  EXPECT_EQ((zeros({4, 1, 3}) + zeros({2, 1})).shape(), (Shape{4, 2, 3}));
  EXPECT_EQ((zeros({}) * zeros({2, 3})).shape(), (Shape{2, 3}));
  EXPECT_EQ((zeros({0, 3}) + zeros({3})).shape(), (Shape{0, 3}));
  EXPECT_EQ((zeros({1}) + zeros({0})).shape(), (Shape{0}));
  Tensor a = zeros({2, 3}), b = zeros({4});
  BRAID_EXPECT_THROW_MSG(a + b, ShapeError,
                         "[add] shapes (2, 3) and (4) cannot be broadcast: dim -1 is 3 vs 4");
  BRAID_EXPECT_THROW_MSG(a - b, ShapeError,
                         "[sub] shapes (2, 3) and (4) cannot be broadcast: dim -1 is 3 vs 4");
  BRAID_EXPECT_THROW_MSG(a * b, ShapeError,
                         "[mul] shapes (2, 3) and (4) cannot be broadcast: dim -1 is 3 vs 4");
  BRAID_EXPECT_THROW_MSG(a / b, ShapeError,
                         "[div] shapes (2, 3) and (4) cannot be broadcast: dim -1 is 3 vs 4");
  BRAID_EXPECT_THROW_MSG(pow(a, b), ShapeError,
                         "[pow] shapes (2, 3) and (4) cannot be broadcast: dim -1 is 3 vs 4");
  BRAID_EXPECT_THROW_MSG(maximum(a, b), ShapeError,
                         "[maximum] shapes (2, 3) and (4) cannot be broadcast: dim -1 is 3 vs 4");
  BRAID_EXPECT_THROW_MSG(a == b, ShapeError,
                         "[eq] shapes (2, 3) and (4) cannot be broadcast: dim -1 is 3 vs 4");
  BRAID_EXPECT_THROW_MSG(a >= b, ShapeError,
                         "[ge] shapes (2, 3) and (4) cannot be broadcast: dim -1 is 3 vs 4");
  BRAID_EXPECT_THROW_MSG(
      logical_or(a, b), ShapeError,
      "[logical_or] shapes (2, 3) and (4) cannot be broadcast: dim -1 is 3 vs 4");
  BRAID_EXPECT_THROW_MSG(
      zeros({5, 2, 3}) + zeros({4, 1, 3}), ShapeError,
      "[add] shapes (5, 2, 3) and (4, 1, 3) cannot be broadcast: dim -3 is 5 vs 4");
  // 16-bit operands take the float32 path; the error still names the op.
  BRAID_EXPECT_THROW_MSG(zeros({2}, DType::Float16) * zeros({3}, DType::Float16), ShapeError,
                         "[mul] shapes (2) and (3) cannot be broadcast: dim -1 is 2 vs 3");
}

TEST(Binary, DtypeErrors) {
  Tensor p = tensor({true, false});
  BRAID_EXPECT_THROW_MSG(p - p, DTypeError,
                         "[sub] bool tensors cannot be subtracted (use logical_not() to invert a "
                         "mask); got bool and bool");
  Tensor i = tensor({1, 2});
  BRAID_EXPECT_THROW_MSG(add(i, i, 2.5), DTypeError,
                         "[add] alpha must be an integer for int64 inputs; got alpha=2.5");
  BRAID_EXPECT_THROW_MSG(sub(i, i, 0.5), DTypeError,
                         "[sub] alpha must be an integer for int64 inputs; got alpha=0.5");
  EXPECT_EQ(add(i, i, 3).to_vector<int64_t>(), (std::vector<int64_t>{4, 8}));
  BRAID_EXPECT_THROW_MSG(add(i, Tensor()), ValueError, "[add] input 1 is undefined");
}

TEST(Binary, InPlaceRules) {
  Tensor i = tensor({1, 2});
  BRAID_EXPECT_THROW_MSG(i.add_(1.5), DTypeError,
                         "[add_] result type float32 cannot be cast to the tensor's dtype int64");
  BRAID_EXPECT_THROW_MSG(i.mul_(tensor({1.5, 2.0})), DTypeError,
                         "[mul_] result type float32 cannot be cast to the tensor's dtype int64");
  EXPECT_EQ(i.to_vector<int64_t>(), (std::vector<int64_t>{1, 2}));  // unchanged by the refused ops
  BRAID_EXPECT_THROW_MSG(
      zeros({1, 3}).add_(zeros({2, 3})), ShapeError,
      "[add_] result of shape (2, 3) does not fit the tensor of shape (1, 3) (in-place ops cannot "
      "broadcast self)");
  Tensor f = ones({2, 3});
  f.add_(tensor({1.0, 2.0, 3.0}), 2);  // the operand broadcasts
  EXPECT_EQ(f.to_vector<float>(), (std::vector<float>{3, 5, 7, 3, 5, 7}));
  f.mul_(tensor({2}));  // an int operand casts into the float tensor
  EXPECT_EQ(f.select(0, 0).to_vector<float>(), (std::vector<float>{6, 10, 14}));
  f.t().clamp_(7, 12);  // through a view
  EXPECT_EQ(f.to_vector<float>(), (std::vector<float>{7, 10, 12, 7, 10, 12}));
  f.div_(tensor({2.0}));
  f.sub_(ones({3}));
  EXPECT_EQ(f.select(0, 1).to_vector<float>(), (std::vector<float>{2.5f, 4, 5}));
  EXPECT_EQ(f.version(), 5u);
  i.add_(3).mul_(2);
  EXPECT_EQ(i.to_vector<int64_t>(), (std::vector<int64_t>{8, 10}));
  f.copy_(tensor({1, 2, 3}));
  EXPECT_EQ(f.to_vector<float>(), (std::vector<float>{1, 2, 3, 1, 2, 3}));
  f.zero_();
  EXPECT_EQ(f.to_vector<float>(), std::vector<float>(6, 0));
}

// -- where, masked_fill ------------------------------------------------------------

TEST(Where, ValuesBroadcastAndPromotion) {
  Tensor c = tensor({{true, false, true}, {false, true, false}});
  EXPECT_EQ(v(where(c, tensor({1.0, 2.0, 3.0}), tensor({{-1.0}, {-2.0}}))),
            (std::vector<double>{1, -1, 3, -2, 2, -2}));
  Tensor r = where(tensor({true, false}), tensor({1, 2}), tensor({0.5, 0.25}));
  EXPECT_EQ(r.dtype(), DType::Float32);
  EXPECT_EQ(v(r), (std::vector<double>{1, 0.25}));
  EXPECT_EQ(where(tensor({true, false}), tensor({1, 2}), tensor({3, 4})).dtype(), DType::Int64);
  EXPECT_EQ(where(tensor({false}), ones({2}, DType::Float16), zeros({2}, DType::Float16)).dtype(),
            DType::Float16);
  EXPECT_EQ(where(tensor({true}), ones({2}, DType::Float16), zeros({2})).dtype(), DType::Float32);
  BRAID_EXPECT_THROW_MSG(where(tensor({1}), ones({2}), ones({2})), DTypeError,
                         "[where] condition must be bool; got int64");
  BRAID_EXPECT_THROW_MSG(where(tensor({true, false, true}), ones({2}), ones({2})), ShapeError,
                         "[where] shapes (3) and (2) cannot be broadcast: dim -1 is 3 vs 2");
  BRAID_EXPECT_THROW_MSG(where(tensor({true, false}), ones({2}), ones({3})), ShapeError,
                         "[where] shapes (2) and (3) cannot be broadcast: dim -1 is 2 vs 3");
}

TEST(MaskedFill, ValuesAndErrors) {
  Tensor x = tensor({{1.0, 2.0}, {3.0, 4.0}});
  EXPECT_EQ(v(masked_fill(x, tensor({{true, false}, {false, true}}), -1.0)),
            (std::vector<double>{-1, 2, 3, -1}));
  EXPECT_EQ(v(masked_fill(x, tensor({false, true}), 9)),
            (std::vector<double>{1, 9, 3, 9}));  // mask broadcasts
  Tensor xi = tensor({1, 2});
  EXPECT_EQ(masked_fill(xi, tensor({true, false}), 7).to_vector<int64_t>(),
            (std::vector<int64_t>{7, 2}));
  EXPECT_EQ(masked_fill(xi, tensor({true, false}), 7).dtype(), DType::Int64);  // x's dtype is kept
  BRAID_EXPECT_THROW_MSG(masked_fill(x, tensor({1, 0}), 0), DTypeError,
                         "[masked_fill] mask must be bool; got int64");
  BRAID_EXPECT_THROW_MSG(masked_fill(x, zeros({3, 2, 2}, DType::Bool), 0), ShapeError,
                         "[masked_fill] mask (3, 2, 2) must broadcast to the input's shape (2, 2)");
  BRAID_EXPECT_THROW_MSG(
      masked_fill(x, zeros({3}, DType::Bool), 0), ShapeError,
      "[masked_fill] shapes (2, 2) and (3) cannot be broadcast: dim -1 is 2 vs 3");
}

// -- determinism ----------------------------------------------------------------------

TEST(Elementwise, LargeStridedBroadcastMatchesNaiveAndThreadCount) {
  const int64_t R = 300, C = 257;
  manual_seed(5);
  Tensor a = randn({C, R}).t();  // non-contiguous (R, C)
  Tensor b = randn({C});
  int saved = get_num_threads();
  set_num_threads(1);
  std::vector<float> one = (a * b + a.exp()).to_vector<float>();
  set_num_threads(2);
  std::vector<float> two = (a * b + a.exp()).to_vector<float>();
  set_num_threads(saved);
  EXPECT_EQ(one, two);
  std::vector<float> av = a.to_vector<float>(), bv = b.to_vector<float>();
  for (int64_t r = 0; r < R; ++r)
    for (int64_t c = 0; c < C; ++c) {
      float want = av[r * C + c] * bv[c] + std::exp(av[r * C + c]);
      ASSERT_NEAR(one[r * C + c], want, 1e-5f * (1 + std::fabs(want))) << r << ", " << c;
    }
}

}  // namespace
}  // namespace braid
