// The scalar formula of each elementwise op, written once. The eager kernels
// (unary.cpp, binary.cpp) and compile's fused loops (compile/pointwise.cpp)
// both take their lambdas from here, so a fused step gives the eager op's
// bits by construction (Note [what compile changes in the numbers]).
//
// Each function calls `sink(f)` with the op's formula as a lambda of its own
// type, so the caller's loop is instantiated per op and vectorises as if the
// lambda were written inline.
#pragma once

#include <cmath>
#include <type_traits>

#include "kernels/portable/elementwise.hpp"

namespace braid::kernels {

template <class T>
T int_pow(T base, T exp) {
  if (exp < 0) return base == 1 ? T(1) : base == T(-1) ? (exp % 2 ? T(-1) : T(1)) : T(0);
  T r = 1;
  while (exp) {
    if (exp & 1) r = static_cast<T>(r * base);
    base = static_cast<T>(base * base);
    exp >>= 1;
  }
  return r;
}

/// relu's formula: x where x > 0, NaN kept (as PyTorch's relu), else +0.
template <class T>
T relu_value(T x) {
  return (x > T(0) || x != x) ? x : T(0);
}

/// sink(f) with f(x) the formula of `op` (not LogicalNot) on T; pa, pb are
/// its parameters (slope, alpha, beta/threshold, min/max). Returns false,
/// without calling sink, for an op T does not have (maths on integers).
template <class T, class Sink>
bool with_unary(Unary op, double pa, double pb, Sink&& sink) {
  const T a = static_cast<T>(pa), b = static_cast<T>(pb);
  switch (op) {
    case Unary::Neg: sink([](T x) { return static_cast<T>(-x); }); return true;
    case Unary::Abs: sink([](T x) { return static_cast<T>(x < 0 ? -x : x); }); return true;
    case Unary::Sign:
      sink([](T x) { return static_cast<T>((T(0) < x) - (x < T(0))); });
      return true;
    case Unary::Square: sink([](T x) { return static_cast<T>(x * x); }); return true;
    case Unary::Relu: sink([](T x) { return relu_value(x); }); return true;
    case Unary::Clamp:
      // min first, then max: with min > max every value becomes max, and NaN
      // stays NaN (comparisons with NaN are false), as in PyTorch.
      sink([pa, pb](T x) {
        T r = static_cast<double>(x) < pa ? static_cast<T>(pa) : x;
        return static_cast<double>(r) > pb ? static_cast<T>(pb) : r;
      });
      return true;
    default: break;
  }
  if constexpr (!std::is_floating_point_v<T>) {
    return false;
  } else {
    constexpr T kSqrt1_2 = static_cast<T>(0.70710678118654752440);
    constexpr T kSqrt2OverPi = static_cast<T>(0.79788456080286535588);
    switch (op) {
      case Unary::Exp: sink([](T x) { return std::exp(x); }); return true;
      case Unary::Log: sink([](T x) { return std::log(x); }); return true;
      case Unary::Log1p: sink([](T x) { return std::log1p(x); }); return true;
      case Unary::Expm1: sink([](T x) { return std::expm1(x); }); return true;
      case Unary::Sqrt: sink([](T x) { return std::sqrt(x); }); return true;
      case Unary::Rsqrt: sink([](T x) { return T(1) / std::sqrt(x); }); return true;
      case Unary::Sin: sink([](T x) { return std::sin(x); }); return true;
      case Unary::Cos: sink([](T x) { return std::cos(x); }); return true;
      case Unary::Tanh: sink([](T x) { return std::tanh(x); }); return true;
      case Unary::Sigmoid: sink([](T x) { return T(1) / (T(1) + std::exp(-x)); }); return true;
      case Unary::LeakyRelu: sink([a](T x) { return x > 0 ? x : x * a; }); return true;
      case Unary::Elu: sink([a](T x) { return x > 0 ? x : a * std::expm1(x); }); return true;
      case Unary::GeluErf:
        sink([](T x) { return T(0.5) * x * (T(1) + std::erf(x * kSqrt1_2)); });
        return true;
      case Unary::GeluTanh:
        sink([](T x) {
          return T(0.5) * x * (T(1) + std::tanh(kSqrt2OverPi * (x + T(0.044715) * x * x * x)));
        });
        return true;
      case Unary::Silu: sink([](T x) { return x / (T(1) + std::exp(-x)); }); return true;
      // softplus(x) = log(1 + exp(beta x)) / beta, linear past the threshold.
      case Unary::Softplus:
        sink([a, b](T x) { return x * a > b ? x : std::log1p(std::exp(x * a)) / a; });
        return true;
      case Unary::Erf: sink([](T x) { return std::erf(x); }); return true;
      case Unary::Reciprocal: sink([](T x) { return T(1) / x; }); return true;
      default: return false;
    }
  }
}

/// sink(f) with f(x, y) the formula of the arithmetic `op` (Add, Sub with
/// y scaled by `al`, which `unit` says is 1; Mul, Div, Pow, Maximum,
/// Minimum). Returns false for a comparison or logical op.
template <class T, class Sink>
bool with_arith(Binary op, T al, bool unit, Sink&& sink) {
  switch (op) {
    case Binary::Add:
      if (unit)
        sink([](T x, T y) { return static_cast<T>(x + y); });
      else
        sink([al](T x, T y) { return static_cast<T>(x + al * y); });
      return true;
    case Binary::Sub:
      if (unit)
        sink([](T x, T y) { return static_cast<T>(x - y); });
      else
        sink([al](T x, T y) { return static_cast<T>(x - al * y); });
      return true;
    case Binary::Mul: sink([](T x, T y) { return static_cast<T>(x * y); }); return true;
    case Binary::Div: sink([](T x, T y) { return static_cast<T>(x / y); }); return true;
    case Binary::Pow:
      if constexpr (std::is_floating_point_v<T>)
        sink([](T x, T y) { return std::pow(x, y); });
      else
        sink([](T x, T y) { return int_pow<T>(x, y); });
      return true;
    // NaN propagates through maximum/minimum, as in PyTorch.
    case Binary::Maximum:
      sink([](T x, T y) { return x != x ? x : y != y ? y : (x > y ? x : y); });
      return true;
    case Binary::Minimum:
      sink([](T x, T y) { return x != x ? x : y != y ? y : (x < y ? x : y); });
      return true;
    default: return false;
  }
}

}  // namespace braid::kernels
