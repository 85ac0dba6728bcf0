// ONNX translations of the elementwise ops: casts and copies, unary and
// binary ops, where and masked_fill. Inputs come promoted (Ctx::in) as the
// dispatcher promotes them; ops ONNX lacks are written as their formulas.
#include <cmath>

#include "onnx/export_ctx.hpp"

namespace braid::onnx::detail {
namespace {

template <const char* Op>
void unary(Ctx& c) {
  c.add(Op, {c.in(0)}, {c.out(0)});
}
template <const char* Op>
void binary(Ctx& c) {
  c.add(Op, {c.in(0), c.in(1)}, {c.out(0)});
}

#define BRAID_ONNX_NAME(var, text) constexpr char var[] = text;
BRAID_ONNX_NAME(kNeg, "Neg")
BRAID_ONNX_NAME(kAbs, "Abs")
BRAID_ONNX_NAME(kSign, "Sign")
BRAID_ONNX_NAME(kExp, "Exp")
BRAID_ONNX_NAME(kLog, "Log")
BRAID_ONNX_NAME(kSqrt, "Sqrt")
BRAID_ONNX_NAME(kSin, "Sin")
BRAID_ONNX_NAME(kCos, "Cos")
BRAID_ONNX_NAME(kTanh, "Tanh")
BRAID_ONNX_NAME(kSigmoid, "Sigmoid")
BRAID_ONNX_NAME(kRelu, "Relu")
BRAID_ONNX_NAME(kErf, "Erf")
BRAID_ONNX_NAME(kReciprocal, "Reciprocal")
BRAID_ONNX_NAME(kNot, "Not")
BRAID_ONNX_NAME(kIdentity, "Identity")
BRAID_ONNX_NAME(kMul, "Mul")
BRAID_ONNX_NAME(kDiv, "Div")
BRAID_ONNX_NAME(kPow, "Pow")
BRAID_ONNX_NAME(kMax, "Max")
BRAID_ONNX_NAME(kMin, "Min")
BRAID_ONNX_NAME(kEqual, "Equal")
BRAID_ONNX_NAME(kLess, "Less")
BRAID_ONNX_NAME(kLessOrEqual, "LessOrEqual")
BRAID_ONNX_NAME(kGreater, "Greater")
BRAID_ONNX_NAME(kGreaterOrEqual, "GreaterOrEqual")
#undef BRAID_ONNX_NAME

DType out_dtype(Ctx& c) { return c.out_value(0).dtype; }

void to(Ctx& c) {
  pb::NodeProto* n = c.add("Cast", {c.raw(0)}, {c.out(0)});
  set_attr(n, "to", static_cast<int64_t>(onnx_dtype(out_dtype(c))));
}

// x <op> 1, the formulas of log1p and expm1.
void log1p(Ctx& c) {
  DType t = c.dtype(0);
  c.add("Log", {c.emit("Add", {c.in(0), c.scalar(1, t)})}, {c.out(0)});
}
void expm1(Ctx& c) {
  DType t = c.dtype(0);
  c.add("Sub", {c.emit("Exp", {c.in(0)}), c.scalar(1, t)}, {c.out(0)});
}
void rsqrt(Ctx& c) { c.add("Reciprocal", {c.emit("Sqrt", {c.in(0)})}, {c.out(0)}); }
void square(Ctx& c) {
  std::string x = c.in(0);
  c.add("Mul", {x, x}, {c.out(0)});
}
void silu(Ctx& c) {
  std::string x = c.in(0);
  c.add("Mul", {x, c.emit("Sigmoid", {x})}, {c.out(0)});
}

void leaky_relu(Ctx& c) {
  set_attr(c.add("LeakyRelu", {c.in(0)}, {c.out(0)}), "alpha", c.f("negative_slope"));
}
void elu(Ctx& c) { set_attr(c.add("Elu", {c.in(0)}, {c.out(0)}), "alpha", c.f("alpha")); }

// Gelu is an ONNX operator from opset 20 only: opset 17 gets the formula,
// 0.5 x (1 + erf(x / sqrt 2)) or its tanh approximation.
void gelu(Ctx& c) {
  std::string x = c.in(0);
  DType t = c.dtype(0);
  std::string inner;
  if (c.attrs().s("gelu", "approximate") == "tanh") {
    std::string x3 = c.emit("Mul", {c.emit("Mul", {x, x}), x});
    std::string s = c.emit("Add", {x, c.emit("Mul", {x3, c.scalar(0.044715, t)})});
    inner = c.emit("Tanh", {c.emit("Mul", {s, c.scalar(std::sqrt(2.0 / M_PI), t)})});
  } else {
    inner = c.emit("Erf", {c.emit("Mul", {x, c.scalar(M_SQRT1_2, t)})});
  }
  std::string half_x = c.emit("Mul", {x, c.scalar(0.5, t)});
  c.add("Mul", {half_x, c.emit("Add", {inner, c.scalar(1, t)})}, {c.out(0)});
}

// PyTorch's softplus: x where beta x > threshold, else log(1 + exp(beta x)) / beta.
void softplus(Ctx& c) {
  std::string x = c.in(0);
  DType t = c.dtype(0);
  double beta = c.f("beta"), th = c.f("threshold");
  std::string bx = beta == 1 ? x : c.emit("Mul", {x, c.scalar(beta, t)});
  std::string sp = c.emit("Softplus", {bx});
  if (beta != 1) sp = c.emit("Div", {sp, c.scalar(beta, t)});
  std::string big = c.emit("Greater", {bx, c.scalar(th, t)});
  c.add("Where", {big, x, sp}, {c.out(0)});
}

// Clip takes its bounds as inputs of the data's dtype; a float bound makes
// an integer input float32 first (the op's infer says so).
void clamp(Ctx& c) {
  DType t = out_dtype(c);
  std::string x = c.dtype(0) == t ? c.in(0) : c.cast(c.in(0), t);
  std::string lo = c.attrs().has("min") ? c.scalar(c.f("min"), t) : "";
  std::string hi = c.attrs().has("max") ? c.scalar(c.f("max"), t) : "";
  c.add("Clip", {x, lo, hi}, {c.out(0)});
}

// rescale: Cast (integer x) then x * scale + offset, as its kernel.
void rescale(Ctx& c) {
  DType t = out_dtype(c);
  std::string x = c.dtype(0) == t ? c.in(0) : c.cast(c.in(0), t);
  x = c.emit("Mul", {x, c.scalar(c.f("scale"), t)});
  c.add("Add", {x, c.scalar(c.f("offset"), t)}, {c.out(0)});
}

// alpha scales b: a + alpha b.
template <bool Sub>
void add_sub(Ctx& c) {
  std::string b = c.in(1);
  if (c.attrs().has("alpha")) {
    double alpha = c.attrs().scalar(c.op(), "alpha").to_double();
    if (alpha != 1) b = c.emit("Mul", {b, c.scalar(alpha, c.dtype(1))});
  }
  c.add(Sub ? "Sub" : "Add", {c.in(0), b}, {c.out(0)});
}

void ne(Ctx& c) { c.add("Not", {c.emit("Equal", {c.in(0), c.in(1)})}, {c.out(0)}); }

// And/Or take bool: other dtypes count as true where nonzero, as braid's kernels do.
std::string as_bool(Ctx& c, size_t i) {
  return c.dtype(i) == DType::Bool ? c.in(i) : c.cast(c.in(i), DType::Bool);
}
void logical_and(Ctx& c) { c.add("And", {as_bool(c, 0), as_bool(c, 1)}, {c.out(0)}); }
void logical_or(Ctx& c) { c.add("Or", {as_bool(c, 0), as_bool(c, 1)}, {c.out(0)}); }
void logical_not(Ctx& c) { c.add("Not", {as_bool(c, 0)}, {c.out(0)}); }

void where(Ctx& c) { c.add("Where", {c.raw(0), c.in(1), c.in(2)}, {c.out(0)}); }
void masked_fill(Ctx& c) {
  double v = c.attrs().scalar("masked_fill", "value").to_double();
  c.add("Where", {c.raw(1), c.scalar(v, c.dtype(0)), c.in(0)}, {c.out(0)});
}

}  // namespace

void add_elementwise(Table& t) {
  auto set = [&](OpId id, TranslateFn fn) { t[static_cast<size_t>(id)] = fn; };
  set(OpId::to, to);
  set(OpId::clone, unary<kIdentity>);
  set(OpId::contiguous, unary<kIdentity>);
  set(OpId::neg, unary<kNeg>);
  set(OpId::abs, unary<kAbs>);
  set(OpId::sign, unary<kSign>);
  set(OpId::exp, unary<kExp>);
  set(OpId::log, unary<kLog>);
  set(OpId::log1p, log1p);
  set(OpId::expm1, expm1);
  set(OpId::sqrt, unary<kSqrt>);
  set(OpId::rsqrt, rsqrt);
  set(OpId::square, square);
  set(OpId::sin, unary<kSin>);
  set(OpId::cos, unary<kCos>);
  set(OpId::tanh, unary<kTanh>);
  set(OpId::sigmoid, unary<kSigmoid>);
  set(OpId::relu, unary<kRelu>);
  set(OpId::leaky_relu, leaky_relu);
  set(OpId::elu, elu);
  set(OpId::gelu, gelu);
  set(OpId::silu, silu);
  set(OpId::softplus, softplus);
  set(OpId::erf, unary<kErf>);
  set(OpId::reciprocal, unary<kReciprocal>);
  set(OpId::clamp, clamp);
  set(OpId::rescale, rescale);
  set(OpId::logical_not, logical_not);
  set(OpId::add, add_sub<false>);
  set(OpId::sub, add_sub<true>);
  set(OpId::mul, binary<kMul>);
  set(OpId::div, binary<kDiv>);
  set(OpId::pow, binary<kPow>);
  set(OpId::maximum, binary<kMax>);
  set(OpId::minimum, binary<kMin>);
  set(OpId::eq, binary<kEqual>);
  set(OpId::ne, ne);
  set(OpId::lt, binary<kLess>);
  set(OpId::le, binary<kLessOrEqual>);
  set(OpId::gt, binary<kGreater>);
  set(OpId::ge, binary<kGreaterOrEqual>);
  set(OpId::logical_and, logical_and);
  set(OpId::logical_or, logical_or);
  set(OpId::where, where);
  set(OpId::masked_fill, masked_fill);
}

}  // namespace braid::onnx::detail
