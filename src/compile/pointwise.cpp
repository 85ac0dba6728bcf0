// Float32 elementwise blocks for the fused steps (pointwise.hpp). The
// formulas copy kernels/portable/unary.cpp and binary.cpp expression for
// expression: the same source compiled with the same flags gives the same
// bits, which tests/compile/ checks op by op.
#include "compile/pointwise.hpp"

#include <cmath>

namespace braid::compiler {

bool pointwise_of(const runtime::Node& n, UnaryOp* out) {
  UnaryOp u{};
  const Attrs& a = n.attrs;
  switch (n.op) {
    case OpId::neg: u.op = Pw::Neg; break;
    case OpId::abs: u.op = Pw::Abs; break;
    case OpId::exp: u.op = Pw::Exp; break;
    case OpId::log: u.op = Pw::Log; break;
    case OpId::log1p: u.op = Pw::Log1p; break;
    case OpId::expm1: u.op = Pw::Expm1; break;
    case OpId::sqrt: u.op = Pw::Sqrt; break;
    case OpId::rsqrt: u.op = Pw::Rsqrt; break;
    case OpId::square: u.op = Pw::Square; break;
    case OpId::sin: u.op = Pw::Sin; break;
    case OpId::cos: u.op = Pw::Cos; break;
    case OpId::tanh: u.op = Pw::Tanh; break;
    case OpId::sigmoid: u.op = Pw::Sigmoid; break;
    case OpId::relu: u.op = Pw::Relu; break;
    case OpId::silu: u.op = Pw::Silu; break;
    case OpId::erf: u.op = Pw::Erf; break;
    case OpId::reciprocal: u.op = Pw::Reciprocal; break;
    case OpId::leaky_relu: u.op = Pw::LeakyRelu, u.a = a.f("leaky_relu", "negative_slope"); break;
    case OpId::elu: u.op = Pw::Elu, u.a = a.f("elu", "alpha"); break;
    case OpId::softplus:
      u.op = Pw::Softplus, u.a = a.f("softplus", "beta"), u.b = a.f("softplus", "threshold");
      break;
    case OpId::gelu:
      u.op = a.s("gelu", "approximate") == "tanh" ? Pw::GeluTanh : Pw::GeluErf;
      break;
    case OpId::clamp:
      u.op = Pw::Clamp;
      u.a = a.has("min") ? a.f("clamp", "min") : -INFINITY;
      u.b = a.has("max") ? a.f("clamp", "max") : INFINITY;
      break;
    case OpId::add:
    case OpId::sub:
      u.op = n.op == OpId::add ? Pw::Add : Pw::Sub;
      u.a = a.has("alpha") ? a.scalar("binary", "alpha").to_double() : 1.0;
      break;
    case OpId::mul: u.op = Pw::Mul; break;
    case OpId::div: u.op = Pw::Div; break;
    case OpId::maximum: u.op = Pw::Maximum; break;
    case OpId::minimum: u.op = Pw::Minimum; break;
    default: return false;
  }
  *out = u;
  return true;
}

std::string pw_name(Pw op) {
  static const char* names[] = {
      "neg",    "abs",       "exp",  "log",      "log1p",   "expm1",      "sqrt",       "rsqrt",
      "square", "sin",       "cos",  "tanh",     "sigmoid", "relu",       "leaky_relu", "elu",
      "gelu",   "gelu_tanh", "silu", "softplus", "erf",     "reciprocal", "clamp",      "add",
      "sub",    "mul",       "div",  "maximum",  "minimum"};
  return names[static_cast<int>(op)];
}

namespace {
using T = float;
constexpr T kSqrt1_2 = static_cast<T>(0.70710678118654752440);
constexpr T kSqrt2OverPi = static_cast<T>(0.79788456080286535588);

template <class F>
void each(float* y, int64_t n, F f) {
  for (int64_t i = 0; i < n; ++i) y[i] = f(y[i]);
}
}  // namespace

void apply_unary(const UnaryOp& u, float* y, int64_t n) {
  const T a = static_cast<T>(u.a), b = static_cast<T>(u.b);
  switch (u.op) {
    case Pw::Neg: each(y, n, [](T x) { return static_cast<T>(-x); }); break;
    case Pw::Abs: each(y, n, [](T x) { return static_cast<T>(x < 0 ? -x : x); }); break;
    case Pw::Exp: each(y, n, [](T x) { return std::exp(x); }); break;
    case Pw::Log: each(y, n, [](T x) { return std::log(x); }); break;
    case Pw::Log1p: each(y, n, [](T x) { return std::log1p(x); }); break;
    case Pw::Expm1: each(y, n, [](T x) { return std::expm1(x); }); break;
    case Pw::Sqrt: each(y, n, [](T x) { return std::sqrt(x); }); break;
    case Pw::Rsqrt: each(y, n, [](T x) { return T(1) / std::sqrt(x); }); break;
    case Pw::Square: each(y, n, [](T x) { return static_cast<T>(x * x); }); break;
    case Pw::Sin: each(y, n, [](T x) { return std::sin(x); }); break;
    case Pw::Cos: each(y, n, [](T x) { return std::cos(x); }); break;
    case Pw::Tanh: each(y, n, [](T x) { return std::tanh(x); }); break;
    case Pw::Sigmoid: each(y, n, [](T x) { return T(1) / (T(1) + std::exp(-x)); }); break;
    // x != x keeps NaN, as PyTorch's relu does.
    case Pw::Relu: each(y, n, [](T x) { return (x > T(0) || x != x) ? x : T(0); }); break;
    case Pw::LeakyRelu: each(y, n, [a](T x) { return x > 0 ? x : x * a; }); break;
    case Pw::Elu: each(y, n, [a](T x) { return x > 0 ? x : a * std::expm1(x); }); break;
    case Pw::GeluErf:
      each(y, n, [](T x) { return T(0.5) * x * (T(1) + std::erf(x * kSqrt1_2)); });
      break;
    case Pw::GeluTanh:
      each(y, n, [](T x) {
        return T(0.5) * x * (T(1) + std::tanh(kSqrt2OverPi * (x + T(0.044715) * x * x * x)));
      });
      break;
    case Pw::Silu: each(y, n, [](T x) { return x / (T(1) + std::exp(-x)); }); break;
    case Pw::Softplus:
      each(y, n, [a, b](T x) { return x * a > b ? x : std::log1p(std::exp(x * a)) / a; });
      break;
    case Pw::Erf: each(y, n, [](T x) { return std::erf(x); }); break;
    case Pw::Reciprocal: each(y, n, [](T x) { return T(1) / x; }); break;
    case Pw::Clamp: {
      const double lo = u.a, hi = u.b;
      each(y, n, [lo, hi](T x) {
        T r = static_cast<double>(x) < lo ? static_cast<T>(lo) : x;
        return static_cast<double>(r) > hi ? static_cast<T>(hi) : r;
      });
      break;
    }
    default: break;
  }
}

namespace {
// r = op(x, y) with x the left operand, as binary.cpp's arith<float>.
template <class Get>
void binary_loop(const UnaryOp& u, float* out, int64_t n, Get get) {
  const T al = static_cast<T>(u.a);
  const bool unit = u.a == 1;
  switch (u.op) {
    case Pw::Add:
      if (unit)
        for (int64_t i = 0; i < n; ++i) {
          auto [x, y] = get(i);
          out[i] = static_cast<T>(x + y);
        }
      else
        for (int64_t i = 0; i < n; ++i) {
          auto [x, y] = get(i);
          out[i] = static_cast<T>(x + al * y);
        }
      break;
    case Pw::Sub:
      if (unit)
        for (int64_t i = 0; i < n; ++i) {
          auto [x, y] = get(i);
          out[i] = static_cast<T>(x - y);
        }
      else
        for (int64_t i = 0; i < n; ++i) {
          auto [x, y] = get(i);
          out[i] = static_cast<T>(x - al * y);
        }
      break;
    case Pw::Mul:
      for (int64_t i = 0; i < n; ++i) {
        auto [x, y] = get(i);
        out[i] = static_cast<T>(x * y);
      }
      break;
    case Pw::Div:
      for (int64_t i = 0; i < n; ++i) {
        auto [x, y] = get(i);
        out[i] = static_cast<T>(x / y);
      }
      break;
    // NaN propagates through maximum/minimum, as in PyTorch.
    case Pw::Maximum:
      for (int64_t i = 0; i < n; ++i) {
        auto [x, y] = get(i);
        out[i] = x != x ? x : y != y ? y : (x > y ? x : y);
      }
      break;
    case Pw::Minimum:
      for (int64_t i = 0; i < n; ++i) {
        auto [x, y] = get(i);
        out[i] = x != x ? x : y != y ? y : (x < y ? x : y);
      }
      break;
    default: break;
  }
}

struct Pair {
  T x, y;
};
}  // namespace

void apply_binary(const UnaryOp& u, float* y, const float* o, int64_t n, bool lhs) {
  if (lhs)
    binary_loop(u, y, n, [&](int64_t i) { return Pair{y[i], o[i]}; });
  else
    binary_loop(u, y, n, [&](int64_t i) { return Pair{o[i], y[i]}; });
}

void apply_binary_scalar(const UnaryOp& u, float* y, float o, int64_t n, bool lhs) {
  if (lhs)
    binary_loop(u, y, n, [&](int64_t i) { return Pair{y[i], o}; });
  else
    binary_loop(u, y, n, [&](int64_t i) { return Pair{o, y[i]}; });
}

void apply_epilogue(const std::vector<UnaryOp>& acts, const float* bias, float* y, int64_t n) {
  if (bias)
    for (int64_t i = 0; i < n; ++i) y[i] = static_cast<T>(y[i] + bias[i]);
  for (const UnaryOp& u : acts) apply_unary(u, y, n);
}

}  // namespace braid::compiler
