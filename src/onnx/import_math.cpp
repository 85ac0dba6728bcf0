// ONNX import, arithmetic: elementwise unary and binary operators (numpy
// broadcasting is braid's own), comparisons and logic, Cast, Clip, MatMul,
// Gemm, Softmax and the reductions.
#include <cmath>

#include "onnx/import_context.hpp"

namespace braid::onnx::detail {
namespace {
using V = std::vector<int>;

int scalar(Importer& c, double v, DType dt) { return c.constant(full({}, v, dt)); }

template <OpId O>
V unary(Importer& c) {
  return {c.op1(O, {c.need(0)})};
}

template <OpId O>
V binary(Importer& c) {
  return {c.op1(O, {c.need(0), c.need(1)})};
}

// Integer Div divides and truncates in ONNX; braid's div is true division.
V div_op(Importer& c) {
  const int a = c.need(0), b = c.need(1);
  const int q = c.op1(OpId::div, {a, b});
  if (is_integral(c.dtype(a)) && is_integral(c.dtype(b)))
    return {c.op1(OpId::to, {q}, {{"dtype", std::string(dtype_name(c.dtype(a)))}})};
  return {q};
}

// Pow's exponent may have another type (opset 12+); the result has the base's.
V pow_op(Importer& c) {
  const int a = c.need(0);
  const int y = c.op1(OpId::pow, {a, c.need(1)});
  if (c.dtype(y) == c.dtype(a)) return {y};
  return {c.op1(OpId::to, {y}, {{"dtype", std::string(dtype_name(c.dtype(a)))}})};
}

// Max, Min, Sum, Mean take any number of inputs.
template <OpId O>
V variadic(Importer& c) {
  int acc = c.need(0);
  for (int i = 1; i < c.num_inputs(); ++i) acc = c.op1(O, {acc, c.need(i)});
  return {acc};
}
V mean_op(Importer& c) {
  const int s = variadic<OpId::add>(c)[0];
  return {c.op1(OpId::div, {s, scalar(c, c.num_inputs(), c.dtype(s))})};
}

V xor_op(Importer& c) { return {c.op1(OpId::ne, {c.need(0), c.need(1)})}; }

V leaky_relu(Importer& c) {
  return {c.op1(OpId::leaky_relu, {c.need(0)}, {{"negative_slope", c.attr_f("alpha", 0.01)}})};
}
V elu(Importer& c) { return {c.op1(OpId::elu, {c.need(0)}, {{"alpha", c.attr_f("alpha", 1.0)}})}; }
V selu(Importer& c) {
  const int x = c.need(0);
  const int e = c.op1(OpId::elu, {x}, {{"alpha", c.attr_f("alpha", 1.67326319217681884765625)}});
  return {
      c.op1(OpId::mul, {e, scalar(c, c.attr_f("gamma", 1.05070102214813232421875), c.dtype(x))})};
}
V softplus(Importer& c) {
  return {c.op1(OpId::softplus, {c.need(0)}, {{"beta", 1.0}, {"threshold", 20.0}})};
}
V hard_sigmoid(Importer& c) {
  const int x = c.need(0);
  const DType dt = c.dtype(x);
  const int ax = c.op1(OpId::mul, {x, scalar(c, c.attr_f("alpha", 0.2), dt)});
  const int y = c.op1(OpId::add, {ax, scalar(c, c.attr_f("beta", 0.5), dt)});
  return {c.op1(OpId::clamp, {y}, {{"min", 0.0}, {"max", 1.0}})};
}
V prelu(Importer& c) {
  const int x = c.need(0), slope = c.need(1);
  const int neg = c.op1(OpId::lt, {x, scalar(c, 0, c.dtype(x))});
  return {c.op1(OpId::where, {neg, c.op1(OpId::mul, {x, slope}), x})};
}

// Clip: bounds are attributes before opset 11, optional inputs from 11.
V clip(Importer& c) {
  const int x = c.need(0);
  if (c.opset() < 11) {
    Attrs a;
    if (c.has_attr("min")) a.set("min", c.attr_f("min", 0));
    if (c.has_attr("max")) a.set("max", c.attr_f("max", 0));
    return {c.op1(OpId::clamp, {x}, a)};
  }
  int y = x;
  const int lo = c.in(1), hi = c.in(2);
  if (lo >= 0) y = c.op1(OpId::maximum, {y, lo});
  if (hi >= 0) y = c.op1(OpId::minimum, {y, hi});
  return {y};
}

V cast(Importer& c) {
  const int64_t to = c.attr_i("to", 0);
  const DType dt = dtype_from_onnx(static_cast<int32_t>(to), "Cast's 'to'");
  return {c.op1(OpId::to, {c.need(0)}, {{"dtype", std::string(dtype_name(dt))}})};
}

V where(Importer& c) { return {c.op1(OpId::where, {c.need(0), c.need(1), c.need(2)})}; }

// Gemm: Y = alpha A' B' + beta C. The common case (a Linear layer: transB = 1,
// alpha = beta = 1, C a vector) is one linear op.
V gemm(Importer& c) {
  int a = c.need(0), b = c.need(1);
  const int cc = c.in(2);
  const double alpha = c.attr_f("alpha", 1.0), beta = c.attr_f("beta", 1.0);
  const bool ta = c.attr_i("transA", 0) != 0, tb = c.attr_i("transB", 0) != 0;
  c.check(c.rank(a) == 2 && c.rank(b) == 2, "A and B must be 2-D; got A={}, B={}",
          shape_str(c.shape(a)), shape_str(c.shape(b)));
  if (ta) a = c.op1(OpId::transpose, {a}, {{"dim0", int64_t{0}}, {"dim1", int64_t{1}}});
  // linear takes B as (N, K); a constant B is transposed once, at import.
  const int w = tb ? b : c.op1(OpId::transpose, {b}, {{"dim0", int64_t{0}}, {"dim1", int64_t{1}}});
  const int64_t n = c.shape(w)[0];
  const bool vec_bias = cc < 0 || (c.rank(cc) == 1 && c.shape(cc)[0] == n);
  if (alpha == 1.0 && beta == 1.0 && vec_bias) return {c.op1(OpId::linear, {a, w, cc})};
  int y = c.op1(OpId::linear, {a, w, -1});
  if (alpha != 1.0) y = c.op1(OpId::mul, {y, scalar(c, alpha, c.dtype(y))});
  if (cc >= 0) {
    const int bc = beta == 1.0 ? cc : c.op1(OpId::mul, {cc, scalar(c, beta, c.dtype(cc))});
    y = c.op1(OpId::add, {y, bc});
  }
  return {y};
}

// Softmax and LogSoftmax: from opset 13 over one axis (default -1); before,
// over the 2-D flattening [prod(shape[:axis]), prod(shape[axis:])] (default
// axis 1), which is one axis only when axis is the last.
template <OpId O>
V softmax(Importer& c) {
  const int x = c.need(0);
  const int64_t r = c.rank(x);
  if (c.opset() >= 13) {
    const int64_t axis = wrap_axis(c, c.attr_i("axis", -1), r);
    return {c.op1(O, {x}, {{"dim", axis}})};
  }
  const int64_t axis = r == 0 ? 0 : wrap_axis(c, c.attr_i("axis", 1), r);
  if (axis == r - 1) return {c.op1(O, {x}, {{"dim", int64_t{-1}}})};
  const Shape& s = c.shape(x);
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < r; ++d) (d < axis ? outer : inner) *= s[d];
  const int flat = c.op1(OpId::reshape, {x}, {{"shape", std::vector<int64_t>{outer, inner}}});
  const int y = c.op1(O, {flat}, {{"dim", int64_t{1}}});
  return {c.op1(OpId::reshape, {y}, {{"shape", std::vector<int64_t>(s.begin(), s.end())}})};
}

// Reduce*: axes are an attribute until opset 18 (ReduceSum: until 13), an
// optional input after. No axes: all of them (unless noop_with_empty_axes).
std::vector<int64_t> reduce_axes(Importer& c, int64_t input_from, bool& noop) {
  std::vector<int64_t> axes;
  if (c.opset() >= input_from) {
    if (c.in(1) >= 0) axes = c.const_ints(c.in(1), "axes");
  } else {
    axes = c.attr_ints("axes");
  }
  noop = axes.empty() && c.attr_i("noop_with_empty_axes", 0) != 0;
  const int64_t r = c.rank(c.need(0));
  for (int64_t& a : axes) a = wrap_axis(c, a, r, "axis");
  if (axes.empty())
    for (int64_t d = 0; d < r; ++d) axes.push_back(d);
  return axes;
}

template <OpId O, int64_t InputFrom = 18>
V reduce(Importer& c) {
  bool noop = false;
  const std::vector<int64_t> axes = reduce_axes(c, InputFrom, noop);
  const int x = c.need(0);
  if (noop || axes.empty()) return {x};
  const bool keep = c.attr_i("keepdims", 1) != 0;
  return {c.op1(O, {x}, {{"dims", axes}, {"keepdim", keep}})};
}

V reduce_l2(Importer& c) {
  bool noop = false;
  const std::vector<int64_t> axes = reduce_axes(c, 18, noop);
  const int x = c.need(0);
  const bool keep = c.attr_i("keepdims", 1) != 0;
  const int sq = c.op1(OpId::mul, {x, x});
  return {c.op1(OpId::sqrt, {c.op1(OpId::sum, {sq}, {{"dims", axes}, {"keepdim", keep}})})};
}

V reduce_sum_square(Importer& c) {
  bool noop = false;
  const std::vector<int64_t> axes = reduce_axes(c, 18, noop);
  const int x = c.need(0);
  const bool keep = c.attr_i("keepdims", 1) != 0;
  return {c.op1(OpId::sum, {c.op1(OpId::mul, {x, x})}, {{"dims", axes}, {"keepdim", keep}})};
}

V reduce_log_sum_exp(Importer& c) {
  bool noop = false;
  const std::vector<int64_t> axes = reduce_axes(c, 18, noop);
  const bool keep = c.attr_i("keepdims", 1) != 0;
  return {c.op1(OpId::logsumexp, {c.need(0)}, {{"dims", axes}, {"keepdim", keep}})};
}

template <OpId O>
V arg_reduce(Importer& c) {
  const int x = c.need(0);
  c.check(c.attr_i("select_last_index", 0) == 0, "select_last_index=1 is not supported");
  const int64_t axis = wrap_axis(c, c.attr_i("axis", 0), c.rank(x));
  return {c.op1(O, {x}, {{"dim", axis}, {"keepdim", c.attr_i("keepdims", 1) != 0}})};
}
}  // namespace

std::vector<HandlerEntry> math_handlers() {
  return {
      {"Relu", unary<OpId::relu>},
      {"Sigmoid", unary<OpId::sigmoid>},
      {"Tanh", unary<OpId::tanh>},
      {"Exp", unary<OpId::exp>},
      {"Log", unary<OpId::log>},
      {"Sqrt", unary<OpId::sqrt>},
      {"Neg", unary<OpId::neg>},
      {"Abs", unary<OpId::abs>},
      {"Sign", unary<OpId::sign>},
      {"Reciprocal", unary<OpId::reciprocal>},
      {"Erf", unary<OpId::erf>},
      {"Sin", unary<OpId::sin>},
      {"Cos", unary<OpId::cos>},
      {"Not", unary<OpId::logical_not>},
      {"LeakyRelu", leaky_relu},
      {"Elu", elu},
      {"Selu", selu},
      {"Softplus", softplus},
      {"HardSigmoid", hard_sigmoid},
      {"PRelu", prelu},
      {"Clip", clip},
      {"Cast", cast},
      {"Add", binary<OpId::add>},
      {"Sub", binary<OpId::sub>},
      {"Mul", binary<OpId::mul>},
      {"Div", div_op},
      {"Pow", pow_op},
      {"Max", variadic<OpId::maximum>},
      {"Min", variadic<OpId::minimum>},
      {"Sum", variadic<OpId::add>},
      {"Mean", mean_op},
      {"Equal", binary<OpId::eq>},
      {"Less", binary<OpId::lt>},
      {"LessOrEqual", binary<OpId::le>},
      {"Greater", binary<OpId::gt>},
      {"GreaterOrEqual", binary<OpId::ge>},
      {"And", binary<OpId::logical_and>},
      {"Or", binary<OpId::logical_or>},
      {"Xor", xor_op},
      {"Where", where},
      {"MatMul", binary<OpId::matmul>},
      {"Gemm", gemm},
      {"Softmax", softmax<OpId::softmax>},
      {"LogSoftmax", softmax<OpId::log_softmax>},
      {"ReduceMean", reduce<OpId::mean>},
      {"ReduceSum", reduce<OpId::sum, 13>},
      {"ReduceMax", reduce<OpId::amax>},
      {"ReduceMin", reduce<OpId::amin>},
      {"ReduceProd", reduce<OpId::prod>},
      {"ReduceL2", reduce_l2},
      {"ReduceSumSquare", reduce_sum_square},
      {"ReduceLogSumExp", reduce_log_sum_exp},
      {"ArgMax", arg_reduce<OpId::argmax>},
      {"ArgMin", arg_reduce<OpId::argmin>},
  };
}

}  // namespace braid::onnx::detail
