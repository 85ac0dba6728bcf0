// Float32 elementwise blocks for the fused steps (pointwise.hpp), with the
// eager kernels' formulas (kernels/portable/scalar_ops.hpp) in plain loops;
// tests/compile/ checks the bits op by op.
#include "compile/pointwise.hpp"

#include <cmath>

#include "braid/ops/registry.hpp"
#include "kernels/portable/scalar_ops.hpp"

namespace braid::compiler {

using kernels::Binary;
using kernels::Unary;

bool pointwise_of(const runtime::Node& n, UnaryOp* out) {
  UnaryOp u{};
  u.id = n.op;
  const Attrs& a = n.attrs;
  const auto arith = [&](Binary op) { u.binary = true, u.arith = op; };
  switch (n.op) {
    case OpId::neg: u.unary = Unary::Neg; break;
    case OpId::abs: u.unary = Unary::Abs; break;
    case OpId::exp: u.unary = Unary::Exp; break;
    case OpId::log: u.unary = Unary::Log; break;
    case OpId::log1p: u.unary = Unary::Log1p; break;
    case OpId::expm1: u.unary = Unary::Expm1; break;
    case OpId::sqrt: u.unary = Unary::Sqrt; break;
    case OpId::rsqrt: u.unary = Unary::Rsqrt; break;
    case OpId::square: u.unary = Unary::Square; break;
    case OpId::sin: u.unary = Unary::Sin; break;
    case OpId::cos: u.unary = Unary::Cos; break;
    case OpId::tanh: u.unary = Unary::Tanh; break;
    case OpId::sigmoid: u.unary = Unary::Sigmoid; break;
    case OpId::relu: u.unary = Unary::Relu; break;
    case OpId::silu: u.unary = Unary::Silu; break;
    case OpId::erf: u.unary = Unary::Erf; break;
    case OpId::reciprocal: u.unary = Unary::Reciprocal; break;
    case OpId::leaky_relu:
      u.unary = Unary::LeakyRelu, u.a = a.f("leaky_relu", "negative_slope");
      break;
    case OpId::elu: u.unary = Unary::Elu, u.a = a.f("elu", "alpha"); break;
    case OpId::softplus:
      u.unary = Unary::Softplus, u.a = a.f("softplus", "beta"), u.b = a.f("softplus", "threshold");
      break;
    case OpId::gelu:
      u.unary = a.s("gelu", "approximate") == "tanh" ? Unary::GeluTanh : Unary::GeluErf;
      break;
    case OpId::clamp:
      u.unary = Unary::Clamp;
      u.a = a.has("min") ? a.f("clamp", "min") : -INFINITY;
      u.b = a.has("max") ? a.f("clamp", "max") : INFINITY;
      break;
    case OpId::add:
    case OpId::sub:
      arith(n.op == OpId::add ? Binary::Add : Binary::Sub);
      u.a = a.has("alpha") ? a.scalar("binary", "alpha").to_double() : 1.0;
      break;
    case OpId::mul: arith(Binary::Mul); break;
    case OpId::div: arith(Binary::Div); break;
    case OpId::maximum: arith(Binary::Maximum); break;
    case OpId::minimum: arith(Binary::Minimum); break;
    default: return false;
  }
  *out = u;
  return true;
}

std::string pw_name(const UnaryOp& u) {
  std::string name(op_def(u.id).name);
  return !u.binary && u.unary == Unary::GeluTanh ? name + "_tanh" : name;
}

void apply_unary(const UnaryOp& u, float* y, int64_t n) {
  kernels::with_unary<float>(u.unary, u.a, u.b, [&](auto f) {
    for (int64_t i = 0; i < n; ++i) y[i] = f(y[i]);
  });
}

namespace {
// out[i] = op(x, y) with (x, y) = get(i), x the left operand.
template <class Get>
void binary_loop(const UnaryOp& u, float* out, int64_t n, Get get) {
  kernels::with_arith<float>(u.arith, static_cast<float>(u.a), u.a == 1, [&](auto f) {
    for (int64_t i = 0; i < n; ++i) {
      auto [x, y] = get(i);
      out[i] = f(x, y);
    }
  });
}

struct Pair {
  float x, y;
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
    for (int64_t i = 0; i < n; ++i) y[i] = static_cast<float>(y[i] + bias[i]);
  for (const UnaryOp& u : acts) apply_unary(u, y, n);
}

}  // namespace braid::compiler
