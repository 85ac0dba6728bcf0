#pragma once
// Elementwise kernels: unary maps, binary maps with broadcasting, where.
// out is allocated by the caller with the broadcast shape and result dtype;
// inputs already have the compute dtype (the dispatcher promoted them).
#include "braid/core/tensor.hpp"

namespace braid::kernels {

enum class Unary {
  Neg,
  Abs,
  Sign,
  Exp,
  Log,
  Log1p,
  Expm1,
  Sqrt,
  Rsqrt,
  Square,
  Sin,
  Cos,
  Tanh,
  Sigmoid,
  Relu,
  LeakyRelu,
  Elu,
  GeluErf,
  GeluTanh,
  Silu,
  Softplus,
  Erf,
  Reciprocal,
  Clamp,
  LogicalNot
};
/// a, b: the op's parameters (slope, alpha, beta/threshold, min/max).
void unary(Unary op, const Tensor& out, const Tensor& in, double a = 0, double b = 0);

enum class Binary {
  Add,
  Sub,
  Mul,
  Div,
  Pow,
  Maximum,
  Minimum,
  Eq,
  Ne,
  Lt,
  Le,
  Gt,
  Ge,
  LogicalAnd,
  LogicalOr
};
/// Add/Sub compute a + alpha * b / a - alpha * b.
void binary(Binary op, const Tensor& out, const Tensor& a, const Tensor& b, Scalar alpha = 1);

/// out = cond ? a : b (cond bool; a, b of out's dtype).
void where(const Tensor& out, const Tensor& cond, const Tensor& a, const Tensor& b);

}  // namespace braid::kernels
