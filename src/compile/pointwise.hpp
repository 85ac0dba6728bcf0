#pragma once
// Elementwise float32 maths on raw blocks, for the fused steps: the
// activations a linear/conv2d step applies to its output, and the ops of a
// fused elementwise loop. The ops are the eager kernels' own (kernels::Unary
// and the arithmetic kernels::Binary), and so are the formulas
// (kernels/portable/scalar_ops.hpp), so a fused step gives the eager op's
// bits (Note [what compile changes in the numbers]).
#include <cstdint>
#include <string>
#include <vector>

#include "braid/runtime/graph.hpp"
#include "kernels/portable/elementwise.hpp"

namespace braid::compiler {

/// One op of a fused step: a unary op with its parameters (slope, alpha,
/// beta/threshold, min/max), or an arithmetic op between the value in flight
/// and an operand (alpha of add/sub in `a`, as float32 like the eager
/// kernel's).
struct UnaryOp {
  OpId id = OpId::relu;  ///< the graph's op, for reports
  bool binary = false;
  kernels::Unary unary = kernels::Unary::Relu;
  kernels::Binary arith = kernels::Binary::Add;
  double a = 0, b = 0;
};

inline bool is_binary(const UnaryOp& u) { return u.binary; }
inline bool is_relu(const UnaryOp& u) { return !u.binary && u.unary == kernels::Unary::Relu; }

/// The op of a graph node, or false when it is not a fusable float op.
bool pointwise_of(const runtime::Node& n, UnaryOp* out);
std::string pw_name(const UnaryOp& u);

/// y[i] = op(y[i]) for a unary op.
void apply_unary(const UnaryOp& op, float* y, int64_t n);
/// y[i] = op(y[i], o[i]) when `in_flight_lhs`, else op(o[i], y[i]).
void apply_binary(const UnaryOp& op, float* y, const float* o, int64_t n, bool in_flight_lhs);
/// As apply_binary with one operand value for every element.
void apply_binary_scalar(const UnaryOp& op, float* y, float o, int64_t n, bool in_flight_lhs);

/// y[i] = acts(y[i] + bias[i]) (bias may be null): a linear or conv epilogue.
void apply_epilogue(const std::vector<UnaryOp>& acts, const float* bias, float* y, int64_t n);

}  // namespace braid::compiler
