// Unary elementwise ops. Each entry: traits, kernel, vjp in braid ops.
#include <cmath>

#include "kernels/portable/copy.hpp"
#include "kernels/portable/elementwise.hpp"
#include "ops/common.hpp"

namespace braid {
namespace detail {
namespace {
using kernels::Unary;

// Numeric ops keep the input dtype (int stays int); float ops promote ints to float32.
enum class Domain { Numeric, Float };

template <Unary K>
void run_unary(const KernelArgs& a) {
  double p0 = 0, p1 = 0;
  switch (K) {
    case Unary::LeakyRelu: p0 = a.attrs.f("leaky_relu", "negative_slope"); break;
    case Unary::Elu: p0 = a.attrs.f("elu", "alpha"); break;
    case Unary::Softplus:
      p0 = a.attrs.f("softplus", "beta");
      p1 = a.attrs.f("softplus", "threshold");
      break;
    case Unary::Clamp:
      p0 = a.attrs.has("min") ? a.attrs.f("clamp", "min") : -INFINITY;
      p1 = a.attrs.has("max") ? a.attrs.f("clamp", "max") : INFINITY;
      break;
    default: break;
  }
  if (a.out[0].dtype() != a.in[0].dtype()) {  // clamp of an int tensor with float bounds
    kernels::copy(a.out[0], a.in[0]);
    kernels::unary(K, a.out[0], a.out[0], p0, p1);
    return;
  }
  kernels::unary(K, a.out[0], a.in[0], p0, p1);
}

template <OpId Id>
TensorMetas infer_numeric(std::span<const Tensor> in, const Attrs&) {
  BRAID_CHECK(in[0].dtype() != DType::Bool, DTypeError, op_def(Id).name,
              "bool input is not supported; got {}", dtype_name(in[0].dtype()));
  return {{in[0].shape(), in[0].dtype()}};
}

template <Unary K, OpId Id>
OpDef unary_def(Domain dom, VjpFn vjp, std::string_view onnx, uint32_t save_in, uint32_t save_out) {
  OpDef d;
  d.traits = kElementwise | (dom == Domain::Float ? kIntToFloat : 0u);
  d.promote_mask = 1;
  d.infer = infer_numeric<Id>;
  d.portable = run_unary<K>;
  d.vjp = vjp;
  d.save_inputs = save_in;
  d.save_outputs = save_out;
  d.onnx = onnx;
  return d;
}
// For ops ONNX has no operator for: says how the exporter composes them.
OpDef with_onnx_note(OpDef d, std::string_view note) {
  d.onnx_note = note;
  return d;
}
using V = std::vector<Tensor>;
constexpr uint32_t kIn = 1, kOut = 1;
// The input x and output y of a unary op, and the incoming gradient g.
#define X c.inputs[0]
#define Y c.outputs[0]
#define G c.grads[0]
}  // namespace

OpDef make_def_neg() {
  return unary_def<Unary::Neg, OpId::neg>(
      Domain::Numeric, [](const VjpCtx& c) -> V { return {neg(G)}; }, "Neg", 0, 0);
}
OpDef make_def_abs() {
  return unary_def<Unary::Abs, OpId::abs>(
      Domain::Numeric, [](const VjpCtx& c) -> V { return {G * sign(X)}; }, "Abs", kIn, 0);
}
OpDef make_def_sign() {
  return unary_def<Unary::Sign, OpId::sign>(
      Domain::Numeric, [](const VjpCtx& c) -> V { return {zeros_like(G)}; }, "Sign", 0, 0);
}
OpDef make_def_exp() {
  return unary_def<Unary::Exp, OpId::exp>(
      Domain::Float, [](const VjpCtx& c) -> V { return {G * Y}; }, "Exp", 0, kOut);
}
OpDef make_def_log() {
  return unary_def<Unary::Log, OpId::log>(
      Domain::Float, [](const VjpCtx& c) -> V { return {G / X}; }, "Log", kIn, 0);
}
OpDef make_def_log1p() {
  return with_onnx_note(
      unary_def<Unary::Log1p, OpId::log1p>(
          Domain::Float, [](const VjpCtx& c) -> V { return {G / (X + 1)}; }, "", kIn, 0),
      "no ONNX op; exported as Log(Add(x, 1))");
}
OpDef make_def_expm1() {
  return with_onnx_note(
      unary_def<Unary::Expm1, OpId::expm1>(
          Domain::Float, [](const VjpCtx& c) -> V { return {G * (Y + 1)}; }, "", 0, kOut),
      "no ONNX op; exported as Sub(Exp(x), 1)");
}
OpDef make_def_sqrt() {
  return unary_def<Unary::Sqrt, OpId::sqrt>(
      Domain::Float, [](const VjpCtx& c) -> V { return {G / (Y * 2)}; }, "Sqrt", 0, kOut);
}
OpDef make_def_rsqrt() {
  return with_onnx_note(
      unary_def<Unary::Rsqrt, OpId::rsqrt>(
          Domain::Float, [](const VjpCtx& c) -> V { return {G * Y * Y * Y * -0.5}; }, "", 0, kOut),
      "no ONNX op; exported as Reciprocal(Sqrt(x))");
}
OpDef make_def_square() {
  return with_onnx_note(
      unary_def<Unary::Square, OpId::square>(
          Domain::Numeric, [](const VjpCtx& c) -> V { return {G * X * 2}; }, "", kIn, 0),
      "no ONNX op; exported as Mul(x, x)");
}
OpDef make_def_sin() {
  return unary_def<Unary::Sin, OpId::sin>(
      Domain::Float, [](const VjpCtx& c) -> V { return {G * cos(X)}; }, "Sin", kIn, 0);
}
OpDef make_def_cos() {
  return unary_def<Unary::Cos, OpId::cos>(
      Domain::Float, [](const VjpCtx& c) -> V { return {-(G * sin(X))}; }, "Cos", kIn, 0);
}
OpDef make_def_tanh() {
  return unary_def<Unary::Tanh, OpId::tanh>(
      Domain::Float, [](const VjpCtx& c) -> V { return {G * (1 - Y * Y)}; }, "Tanh", 0, kOut);
}
OpDef make_def_sigmoid() {
  return unary_def<Unary::Sigmoid, OpId::sigmoid>(
      Domain::Float, [](const VjpCtx& c) -> V { return {G * Y * (1 - Y)}; }, "Sigmoid", 0, kOut);
}
OpDef make_def_relu() {
  // Gradient 0 where y <= 0 (at x = 0 too), as PyTorch (Note [relu backward]).
  // y is only the mask: detached, so a second derivative does not walk back
  // into this node for nothing.
  return unary_def<Unary::Relu, OpId::relu>(
      Domain::Numeric,
      [](const VjpCtx& c) -> V {
        return {call1(OpId::relu_backward, {G, Y.detach()})};
      },
      "Relu", 0, kOut);
}
OpDef make_def_leaky_relu() {
  return unary_def<Unary::LeakyRelu, OpId::leaky_relu>(
      Domain::Float,
      [](const VjpCtx& c) -> V {
        double s = c.attrs.f("leaky_relu", "negative_slope");
        return {where(X > 0, G, G * s)};
      },
      "LeakyRelu", kIn, 0);
}
OpDef make_def_elu() {
  return unary_def<Unary::Elu, OpId::elu>(
      Domain::Float,
      [](const VjpCtx& c) -> V {
        double alpha = c.attrs.f("elu", "alpha");
        return {where(X > 0, G, G * (Y + alpha))};
      },
      "Elu", kIn, kOut);
}
OpDef make_def_gelu() {
  OpDef d = unary_def<Unary::GeluErf, OpId::gelu>(
      Domain::Float,
      [](const VjpCtx& c) -> V {
        const Tensor& x = X;
        if (c.attrs.s("gelu", "approximate") == "tanh") {
          const double k = std::sqrt(2.0 / M_PI);
          Tensor t = tanh((x + x * x * x * 0.044715) * k);
          return {G * ((1 + t) * 0.5 + x * 0.5 * (1 - t * t) * k * (1 + x * x * (3 * 0.044715)))};
        }
        Tensor cdf = (1 + erf(x * M_SQRT1_2)) * 0.5;
        Tensor pdf = exp(x * x * -0.5) * (1.0 / std::sqrt(2 * M_PI));
        return {G * (cdf + x * pdf)};
      },
      "Gelu", kIn, 0);
  d.onnx_note = "Gelu is an operator from opset 20; opset 17 exports its erf (or tanh) formula";
  d.portable = [](const KernelArgs& a) {
    bool tanh_form = a.attrs.s("gelu", "approximate") == "tanh";
    kernels::unary(tanh_form ? Unary::GeluTanh : Unary::GeluErf, a.out[0], a.in[0]);
  };
  d.infer = [](std::span<const Tensor> in, const Attrs& a) -> TensorMetas {
    const std::string& ap = a.s("gelu", "approximate");
    BRAID_CHECK(ap == "none" || ap == "tanh", ValueError, "gelu",
                "approximate must be 'none' or 'tanh'; got '{}'", ap);
    return {{in[0].shape(), in[0].dtype()}};
  };
  return d;
}
OpDef make_def_silu() {
  return with_onnx_note(unary_def<Unary::Silu, OpId::silu>(
                            Domain::Float,
                            [](const VjpCtx& c) -> V {
                              Tensor s = sigmoid(X);
                              return {G * s * (1 + X * (1 - s))};
                            },
                            "", kIn, 0),
                        "no ONNX op; exported as Mul(x, Sigmoid(x))");
}
OpDef make_def_softplus() {
  return unary_def<Unary::Softplus, OpId::softplus>(
      Domain::Float,
      [](const VjpCtx& c) -> V {
        double beta = c.attrs.f("softplus", "beta"), th = c.attrs.f("softplus", "threshold");
        return {where(X * beta > th, G, G * sigmoid(X * beta))};
      },
      "Softplus", kIn, 0);
}
OpDef make_def_erf() {
  return unary_def<Unary::Erf, OpId::erf>(
      Domain::Float,
      [](const VjpCtx& c) -> V { return {G * exp(-(X * X)) * (2.0 / std::sqrt(M_PI))}; }, "Erf",
      kIn, 0);
}
OpDef make_def_reciprocal() {
  return unary_def<Unary::Reciprocal, OpId::reciprocal>(
      Domain::Float, [](const VjpCtx& c) -> V { return {-(G * Y * Y)}; }, "Reciprocal", 0, kOut);
}
OpDef make_def_clamp() {
  OpDef d = unary_def<Unary::Clamp, OpId::clamp>(
      Domain::Numeric,
      [](const VjpCtx& c) -> V {
        // Gradient flows where min <= x <= max (boundaries included, as in PyTorch).
        Tensor keep = ones_like(X, DType::Bool);
        if (c.attrs.has("min"))
          keep = logical_and(keep, X >= scalar_tensor(c.attrs.scalar("clamp", "min"), X.dtype()));
        if (c.attrs.has("max"))
          keep = logical_and(keep, X <= scalar_tensor(c.attrs.scalar("clamp", "max"), X.dtype()));
        return {G * keep.to(G.dtype())};
      },
      "Clip", kIn, 0);
  d.infer = [](std::span<const Tensor> in, const Attrs& a) -> TensorMetas {
    BRAID_CHECK(a.has("min") || a.has("max"), ValueError, "clamp",
                "at least one of min and max must be given");
    TensorMetas m = infer_numeric<OpId::clamp>(in, a);
    // A float bound makes an integer input's result float32, as in PyTorch
    // (clamp(int tensor, 0.5) must not truncate the bound); see run_unary.
    bool float_bound = (a.has("min") && a.scalar("clamp", "min").is_floating()) ||
                       (a.has("max") && a.scalar("clamp", "max").is_floating());
    if (float_bound && !is_floating(m[0].dtype)) m[0].dtype = DType::Float32;
    return m;
  };
  return d;
}
OpDef make_def_logical_not() {
  OpDef d;
  d.traits = kElementwise | kBoolOutput | kHalfNative;
  d.infer = [](std::span<const Tensor> in, const Attrs&) -> TensorMetas {
    return {{in[0].shape(), DType::Bool}};
  };
  d.portable = [](const KernelArgs& a) { kernels::unary(Unary::LogicalNot, a.out[0], a.in[0]); };
  d.nondiff_reason = "bool output";
  d.onnx = "Not";
  return d;
}
#undef X
#undef Y
#undef G
}  // namespace detail

using detail::call1;
Tensor neg(const Tensor& x) { return call1(OpId::neg, {x}); }
Tensor abs(const Tensor& x) { return call1(OpId::abs, {x}); }
Tensor sign(const Tensor& x) { return call1(OpId::sign, {x}); }
Tensor exp(const Tensor& x) { return call1(OpId::exp, {x}); }
Tensor log(const Tensor& x) { return call1(OpId::log, {x}); }
Tensor log1p(const Tensor& x) { return call1(OpId::log1p, {x}); }
Tensor expm1(const Tensor& x) { return call1(OpId::expm1, {x}); }
Tensor sqrt(const Tensor& x) { return call1(OpId::sqrt, {x}); }
Tensor rsqrt(const Tensor& x) { return call1(OpId::rsqrt, {x}); }
Tensor square(const Tensor& x) { return call1(OpId::square, {x}); }
Tensor sin(const Tensor& x) { return call1(OpId::sin, {x}); }
Tensor cos(const Tensor& x) { return call1(OpId::cos, {x}); }
Tensor tanh(const Tensor& x) { return call1(OpId::tanh, {x}); }
Tensor sigmoid(const Tensor& x) { return call1(OpId::sigmoid, {x}); }
Tensor relu(const Tensor& x) { return call1(OpId::relu, {x}); }
Tensor leaky_relu(const Tensor& x, double slope) {
  return call1(OpId::leaky_relu, {x}, {{"negative_slope", slope}});
}
Tensor elu(const Tensor& x, double alpha) { return call1(OpId::elu, {x}, {{"alpha", alpha}}); }
Tensor gelu(const Tensor& x, const std::string& approximate) {
  return call1(OpId::gelu, {x}, {{"approximate", approximate}});
}
Tensor silu(const Tensor& x) { return call1(OpId::silu, {x}); }
Tensor softplus(const Tensor& x, double beta, double threshold) {
  return call1(OpId::softplus, {x}, {{"beta", beta}, {"threshold", threshold}});
}
Tensor erf(const Tensor& x) { return call1(OpId::erf, {x}); }
Tensor reciprocal(const Tensor& x) { return call1(OpId::reciprocal, {x}); }
Tensor clamp(const Tensor& x, std::optional<Scalar> min, std::optional<Scalar> max) {
  Attrs a;
  if (min) a.set("min", *min);
  if (max) a.set("max", *max);
  return call1(OpId::clamp, {x}, a);
}
Tensor logical_not(const Tensor& x) { return call1(OpId::logical_not, {x}); }

}  // namespace braid
