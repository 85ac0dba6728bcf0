#pragma once
// Elementwise float32 maths on raw blocks, for the fused steps: the
// activations a linear/conv2d step applies to its output, and the ops of a
// fused elementwise loop. Each formula is the one the eager kernel uses
// (kernels/portable/unary.cpp, binary.cpp), written the same way, so a fused
// step gives the eager op's bits (Note [what compile changes in the numbers]).
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "braid/runtime/graph.hpp"

namespace braid::compiler {

enum class Pw : uint8_t {
  // unary
  Neg,
  Abs,
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
  // binary: the value in flight and an operand
  Add,
  Sub,
  Mul,
  Div,
  Maximum,
  Minimum,
};

inline bool is_binary(Pw op) { return op >= Pw::Add; }

/// One unary op with its parameters (slope, alpha, beta/threshold, min/max;
/// alpha of add/sub in `a`, as float32 like the eager kernel's).
struct UnaryOp {
  Pw op;
  double a = 0, b = 0;
};

/// The op of a graph node, or false when it is not a fusable float op.
bool pointwise_of(const runtime::Node& n, UnaryOp* out);
std::string pw_name(Pw op);

/// y[i] = op(y[i]) for a unary op.
void apply_unary(const UnaryOp& op, float* y, int64_t n);
/// y[i] = op(y[i], o[i]) when `in_flight_lhs`, else op(o[i], y[i]).
void apply_binary(const UnaryOp& op, float* y, const float* o, int64_t n, bool in_flight_lhs);
/// As apply_binary with one operand value for every element.
void apply_binary_scalar(const UnaryOp& op, float* y, float o, int64_t n, bool in_flight_lhs);

/// y[i] = acts(y[i] + bias[i]) (bias may be null): a linear or conv epilogue.
void apply_epilogue(const std::vector<UnaryOp>& acts, const float* bias, float* y, int64_t n);

}  // namespace braid::compiler
