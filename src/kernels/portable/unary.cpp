#include <cmath>

#include "kernels/portable/elementwise.hpp"
#include "kernels/portable/loops.hpp"

namespace braid::kernels {

namespace {
template <class T>
void unary_float(Unary op, const Tensor& out, const Tensor& in, double pa, double pb) {
  const T a = static_cast<T>(pa), b = static_cast<T>(pb);
  auto m = [&](auto f) { map<T, T>(f, out, in); };
  constexpr T kSqrt1_2 = static_cast<T>(0.70710678118654752440);
  constexpr T kSqrt2OverPi = static_cast<T>(0.79788456080286535588);
  switch (op) {
    case Unary::Exp: m([](T x) { return std::exp(x); }); break;
    case Unary::Log: m([](T x) { return std::log(x); }); break;
    case Unary::Log1p: m([](T x) { return std::log1p(x); }); break;
    case Unary::Expm1: m([](T x) { return std::expm1(x); }); break;
    case Unary::Sqrt: m([](T x) { return std::sqrt(x); }); break;
    case Unary::Rsqrt: m([](T x) { return T(1) / std::sqrt(x); }); break;
    case Unary::Sin: m([](T x) { return std::sin(x); }); break;
    case Unary::Cos: m([](T x) { return std::cos(x); }); break;
    case Unary::Tanh: m([](T x) { return std::tanh(x); }); break;
    case Unary::Sigmoid: m([](T x) { return T(1) / (T(1) + std::exp(-x)); }); break;
    case Unary::LeakyRelu: m([a](T x) { return x > 0 ? x : x * a; }); break;
    case Unary::Elu: m([a](T x) { return x > 0 ? x : a * std::expm1(x); }); break;
    case Unary::GeluErf:
      m([=](T x) { return T(0.5) * x * (T(1) + std::erf(x * kSqrt1_2)); });
      break;
    case Unary::GeluTanh:
      m([=](T x) {
        return T(0.5) * x * (T(1) + std::tanh(kSqrt2OverPi * (x + T(0.044715) * x * x * x)));
      });
      break;
    case Unary::Silu: m([](T x) { return x / (T(1) + std::exp(-x)); }); break;
    // softplus(x) = log(1 + exp(beta x)) / beta, linear past the threshold.
    case Unary::Softplus:
      m([a, b](T x) { return x * a > b ? x : std::log1p(std::exp(x * a)) / a; });
      break;
    case Unary::Erf: m([](T x) { return std::erf(x); }); break;
    case Unary::Reciprocal: m([](T x) { return T(1) / x; }); break;
    default: BRAID_ASSERT(false);
  }
}

template <class T>
void unary_numeric(Unary op, const Tensor& out, const Tensor& in, double pa, double pb) {
  auto m = [&](auto f) { map<T, T>(f, out, in); };
  switch (op) {
    case Unary::Neg: m([](T x) { return static_cast<T>(-x); }); break;
    case Unary::Abs: m([](T x) { return static_cast<T>(x < 0 ? -x : x); }); break;
    case Unary::Sign: m([](T x) { return static_cast<T>((T(0) < x) - (x < T(0))); }); break;
    case Unary::Square: m([](T x) { return static_cast<T>(x * x); }); break;
    // x != x keeps NaN, as PyTorch's relu does.
    case Unary::Relu: m([](T x) { return (x > T(0) || x != x) ? x : T(0); }); break;
    case Unary::Clamp: {
      // min first, then max: with min > max every value becomes max, and NaN
      // stays NaN (comparisons with NaN are false), as in PyTorch.
      double lo = pa, hi = pb;
      m([lo, hi](T x) {
        T r = static_cast<double>(x) < lo ? static_cast<T>(lo) : x;
        return static_cast<double>(r) > hi ? static_cast<T>(hi) : r;
      });
      break;
    }
    default:
      if constexpr (std::is_floating_point_v<T>)
        unary_float<T>(op, out, in, pa, pb);
      else
        BRAID_ASSERT(false);
  }
}
}  // namespace

void unary(Unary op, const Tensor& out, const Tensor& in, double a, double b) {
  if (op == Unary::LogicalNot) {
    BRAID_DISPATCH_ALL(in.dtype(), "logical_not", [&] {
      map<bool, scalar_t>([](scalar_t x) { return !(static_cast<float>(x) != 0); }, out, in);
    });
    return;
  }
  BRAID_DISPATCH_NUMERIC(in.dtype(), "unary", [&] { unary_numeric<scalar_t>(op, out, in, a, b); });
}

}  // namespace braid::kernels
