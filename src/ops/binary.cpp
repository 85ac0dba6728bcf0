// Binary elementwise ops with broadcasting, where, masked_fill, and the C++ operators.
#include "kernels/portable/elementwise.hpp"
#include "ops/common.hpp"

namespace braid {
namespace detail {
namespace {
using kernels::Binary;
using V = std::vector<Tensor>;

template <Binary K>
void run_binary(const KernelArgs& a) {
  Scalar alpha = a.attrs.has("alpha") ? a.attrs.scalar("binary", "alpha") : Scalar(1);
  kernels::binary(K, a.out[0], a.in[0], a.in[1], alpha);
}

template <Binary K, OpId Id>
OpDef binary_def(uint32_t traits, VjpFn vjp, std::string_view onnx, uint32_t save_in,
                 uint32_t save_out = 0) {
  OpDef d;
  d.traits = kElementwise | kBroadcast | traits;
  d.num_inputs = 2;
  d.promote_mask = 3;
  d.infer = (traits & kBoolOutput) ? infer_broadcast_bool<Id> : infer_broadcast<Id>;
  d.portable = run_binary<K>;
  d.vjp = vjp;
  d.save_inputs = save_in;
  d.save_outputs = save_out;
  d.onnx = onnx;
  if (!vjp) d.nondiff_reason = "bool output";
  return d;
}

// add and sub also check PyTorch's operand rules: bool tensors do not
// subtract, and a float alpha with integer operands would be truncated.
template <OpId Id>
TensorMetas infer_add_sub(std::span<const Tensor> in, const Attrs& a) {
  std::string_view op = op_def(Id).name;
  DType dt = in[0].dtype();  // both operands are already promoted to it
  BRAID_CHECK(
      Id != OpId::sub || dt != DType::Bool, DTypeError, op,
      "bool tensors cannot be subtracted (use logical_not() to invert a mask); got bool and bool");
  if (a.has("alpha")) {
    Scalar al = a.scalar(op, "alpha");
    BRAID_CHECK(!al.is_floating() || is_floating(dt), DTypeError, op,
                "alpha must be an integer for {} inputs; got alpha={}", dtype_name(dt),
                al.to_double());
  }
  return infer_broadcast<Id>(in, a);
}

// Gradients of a broadcasting op flow back summed to each input's shape.
#define A c.inputs[0]
#define B c.inputs[1]
#define G c.grads[0]
#define GA(expr) (c.needs_grad[0] ? grad_for(expr, c.input_meta[0]) : Tensor())
#define GB(expr) (c.needs_grad[1] ? grad_for(expr, c.input_meta[1]) : Tensor())
}  // namespace

OpDef make_def_add() {
  OpDef d = binary_def<Binary::Add, OpId::add>(
      0,
      [](const VjpCtx& c) -> V {
        Scalar al = c.attrs.has("alpha") ? c.attrs.scalar("add", "alpha") : Scalar(1);
        return {GA(G), GB(al.to_double() == 1 ? G : G * al)};
      },
      "Add", 0);
  d.infer = infer_add_sub<OpId::add>;
  return d;
}
OpDef make_def_sub() {
  OpDef d = binary_def<Binary::Sub, OpId::sub>(
      0,
      [](const VjpCtx& c) -> V {
        Scalar al = c.attrs.has("alpha") ? c.attrs.scalar("sub", "alpha") : Scalar(1);
        return {GA(G), GB(al.to_double() == 1 ? -G : G * -al.to_double())};
      },
      "Sub", 0);
  d.infer = infer_add_sub<OpId::sub>;
  return d;
}
OpDef make_def_mul() {
  return binary_def<Binary::Mul, OpId::mul>(
      0,
      [](const VjpCtx& c) -> V {
        return {GA(G * B), GB(G * A)};
      },
      "Mul", 3);
}
OpDef make_def_div() {
  return binary_def<Binary::Div, OpId::div>(
      kIntToFloat,
      [](const VjpCtx& c) -> V {
        return {GA(G / B), GB(-(G * A) / (B * B))};
      },
      "Div", 3);
}
OpDef make_def_pow() {
  return binary_def<Binary::Pow, OpId::pow>(
      0,
      [](const VjpCtx& c) -> V {
        const Tensor& y = c.outputs[0];
        Tensor ga, gb;
        // d/da a^b = b a^(b-1), taken as 0 where b == 0 (so 0^0 has no NaN gradient).
        if (c.needs_grad[0]) ga = GA(where(B == 0, zeros_like(G), G * B * pow(A, B - 1)));
        // d/db a^b = a^b log a, taken as 0 where a == 0 and b >= 0.
        if (c.needs_grad[1])
          gb = GB(where(logical_and(A == 0, B >= 0), zeros_like(G), G * y * log(A)));
        return {ga, gb};
      },
      "Pow", 3, 1);
}
OpDef make_def_maximum() {
  // Ties split the gradient evenly, as in PyTorch.
  return binary_def<Binary::Maximum, OpId::maximum>(
      0,
      [](const VjpCtx& c) -> V {
        Tensor w = where(A == B, full({}, 0.5, G.dtype()), (A > B).to(G.dtype()));
        return {GA(G * w), GB(G * (1 - w))};
      },
      "Max", 3);
}
OpDef make_def_minimum() {
  return binary_def<Binary::Minimum, OpId::minimum>(
      0,
      [](const VjpCtx& c) -> V {
        Tensor w = where(A == B, full({}, 0.5, G.dtype()), (A < B).to(G.dtype()));
        return {GA(G * w), GB(G * (1 - w))};
      },
      "Min", 3);
}
OpDef make_def_eq() { return binary_def<Binary::Eq, OpId::eq>(kBoolOutput, nullptr, "Equal", 0); }
OpDef make_def_ne() {
  OpDef d = binary_def<Binary::Ne, OpId::ne>(kBoolOutput, nullptr, "", 0);
  d.onnx_note = "no ONNX op; exported as Not(Equal(a, b))";
  return d;
}
OpDef make_def_lt() { return binary_def<Binary::Lt, OpId::lt>(kBoolOutput, nullptr, "Less", 0); }
OpDef make_def_le() {
  return binary_def<Binary::Le, OpId::le>(kBoolOutput, nullptr, "LessOrEqual", 0);
}
OpDef make_def_gt() { return binary_def<Binary::Gt, OpId::gt>(kBoolOutput, nullptr, "Greater", 0); }
OpDef make_def_ge() {
  return binary_def<Binary::Ge, OpId::ge>(kBoolOutput, nullptr, "GreaterOrEqual", 0);
}
OpDef make_def_logical_and() {
  return binary_def<Binary::LogicalAnd, OpId::logical_and>(kBoolOutput, nullptr, "And", 0);
}
OpDef make_def_logical_or() {
  return binary_def<Binary::LogicalOr, OpId::logical_or>(kBoolOutput, nullptr, "Or", 0);
}

OpDef make_def_where() {
  OpDef d;
  d.traits = kElementwise | kBroadcast | kHalfNative;
  d.num_inputs = 3;
  d.promote_mask = 6;  // a and b promote; cond stays bool
  d.infer = [](std::span<const Tensor> in, const Attrs&) -> TensorMetas {
    BRAID_CHECK(in[0].dtype() == DType::Bool, DTypeError, "where", "condition must be bool; got {}",
                dtype_name(in[0].dtype()));
    Shape s = broadcast_shapes("where", broadcast_shapes("where", in[0].shape(), in[1].shape()),
                               in[2].shape());
    return {{s, in[1].dtype()}};
  };
  d.portable = [](const KernelArgs& a) { kernels::where(a.out[0], a.in[0], a.in[1], a.in[2]); };
  d.vjp = [](const VjpCtx& c) -> V {
    const Tensor& cond = c.inputs[0];
    Tensor z = zeros({}, G.dtype());
    Tensor ga = c.needs_grad[1] ? grad_for(where(cond, G, z), c.input_meta[1]) : Tensor();
    Tensor gb = c.needs_grad[2] ? grad_for(where(cond, z, G), c.input_meta[2]) : Tensor();
    return {Tensor(), ga, gb};
  };
  d.save_inputs = 1;
  d.onnx = "Where";
  return d;
}

OpDef make_def_masked_fill() {
  OpDef d;
  d.kind = OpKind::Composite;
  d.num_inputs = 2;
  d.composite = [](std::span<const Tensor> in, const Attrs& a) -> V {
    BRAID_CHECK(in[1].dtype() == DType::Bool, DTypeError, "masked_fill",
                "mask must be bool; got {}", dtype_name(in[1].dtype()));
    Shape s = broadcast_shapes("masked_fill", in[0].shape(), in[1].shape());
    BRAID_CHECK(s == in[0].shape(), ShapeError, "masked_fill",
                "mask {} must broadcast to the input's shape {}", shape_str(in[1].shape()),
                shape_str(in[0].shape()));
    return {where(in[1], scalar_tensor(a.scalar("masked_fill", "value"), in[0].dtype()), in[0])};
  };
  d.onnx = "Where";
  return d;
}
#undef A
#undef B
#undef G
#undef GA
#undef GB
}  // namespace detail

using detail::call1;
namespace {
// A number written in a call becomes a 0-dim "wrapped" tensor already in the
// dtype promotion will give, so no cast op runs (see result_type).
Tensor wrap(Scalar s, const Tensor& like) {
  DType lt = like.dtype();
  DType dt = s.is_floating() ? (is_floating(lt) ? lt : DType::Float32)
                             : (lt == DType::Bool ? s.dtype() : lt);
  if (s.kind() == Scalar::Kind::Bool) dt = lt;
  return scalar_tensor(s, dt, /*wrapped=*/true);
}
}  // namespace

Tensor add(const Tensor& a, const Tensor& b, Scalar alpha) {
  if (alpha.to_double() == 1 && !alpha.is_floating()) return call1(OpId::add, {a, b});
  return call1(OpId::add, {a, b}, {{"alpha", alpha}});
}
Tensor sub(const Tensor& a, const Tensor& b, Scalar alpha) {
  if (alpha.to_double() == 1 && !alpha.is_floating()) return call1(OpId::sub, {a, b});
  return call1(OpId::sub, {a, b}, {{"alpha", alpha}});
}
Tensor mul(const Tensor& a, const Tensor& b) { return call1(OpId::mul, {a, b}); }
Tensor div(const Tensor& a, const Tensor& b) { return call1(OpId::div, {a, b}); }
Tensor pow(const Tensor& a, const Tensor& b) { return call1(OpId::pow, {a, b}); }
Tensor pow(const Tensor& a, Scalar e) {
  // As PyTorch: an integer result cannot hold x^-n (it would silently be 0).
  BRAID_CHECK(a.is_floating_point() || e.is_floating() || e.to_int() >= 0, ValueError, "pow",
              "integers to negative integer powers are not allowed; got {} ** {}",
              dtype_name(a.dtype()), e.to_int());
  return call1(OpId::pow, {a, wrap(e, a)});
}
Tensor maximum(const Tensor& a, const Tensor& b) { return call1(OpId::maximum, {a, b}); }
Tensor minimum(const Tensor& a, const Tensor& b) { return call1(OpId::minimum, {a, b}); }
Tensor eq(const Tensor& a, const Tensor& b) { return call1(OpId::eq, {a, b}); }
Tensor ne(const Tensor& a, const Tensor& b) { return call1(OpId::ne, {a, b}); }
Tensor lt(const Tensor& a, const Tensor& b) { return call1(OpId::lt, {a, b}); }
Tensor le(const Tensor& a, const Tensor& b) { return call1(OpId::le, {a, b}); }
Tensor gt(const Tensor& a, const Tensor& b) { return call1(OpId::gt, {a, b}); }
Tensor ge(const Tensor& a, const Tensor& b) { return call1(OpId::ge, {a, b}); }
Tensor logical_and(const Tensor& a, const Tensor& b) { return call1(OpId::logical_and, {a, b}); }
Tensor logical_or(const Tensor& a, const Tensor& b) { return call1(OpId::logical_or, {a, b}); }
Tensor where(const Tensor& c, const Tensor& a, const Tensor& b) {
  return call1(OpId::where, {c, a, b});
}
Tensor masked_fill(const Tensor& x, const Tensor& mask, Scalar value) {
  return call1(OpId::masked_fill, {x, mask}, {{"value", value}});
}

Tensor operator-(const Tensor& x) { return neg(x); }
Tensor operator+(const Tensor& a, const Tensor& b) { return add(a, b); }
Tensor operator-(const Tensor& a, const Tensor& b) { return sub(a, b); }
Tensor operator*(const Tensor& a, const Tensor& b) { return mul(a, b); }
Tensor operator/(const Tensor& a, const Tensor& b) { return div(a, b); }
Tensor operator+(const Tensor& a, Scalar b) { return add(a, wrap(b, a)); }
Tensor operator-(const Tensor& a, Scalar b) { return sub(a, wrap(b, a)); }
Tensor operator*(const Tensor& a, Scalar b) { return mul(a, wrap(b, a)); }
Tensor operator/(const Tensor& a, Scalar b) { return div(a, wrap(b, a)); }
Tensor operator+(Scalar a, const Tensor& b) { return add(wrap(a, b), b); }
Tensor operator-(Scalar a, const Tensor& b) { return sub(wrap(a, b), b); }
Tensor operator*(Scalar a, const Tensor& b) { return mul(wrap(a, b), b); }
Tensor operator/(Scalar a, const Tensor& b) { return div(wrap(a, b), b); }
Tensor operator==(const Tensor& a, const Tensor& b) { return eq(a, b); }
Tensor operator!=(const Tensor& a, const Tensor& b) { return ne(a, b); }
Tensor operator<(const Tensor& a, const Tensor& b) { return lt(a, b); }
Tensor operator<=(const Tensor& a, const Tensor& b) { return le(a, b); }
Tensor operator>(const Tensor& a, const Tensor& b) { return gt(a, b); }
Tensor operator>=(const Tensor& a, const Tensor& b) { return ge(a, b); }
Tensor operator==(const Tensor& a, Scalar b) { return eq(a, wrap(b, a)); }
Tensor operator<(const Tensor& a, Scalar b) { return lt(a, wrap(b, a)); }
Tensor operator>(const Tensor& a, Scalar b) { return gt(a, wrap(b, a)); }
Tensor operator!=(const Tensor& a, Scalar b) { return ne(a, wrap(b, a)); }
Tensor operator<=(const Tensor& a, Scalar b) { return le(a, wrap(b, a)); }
Tensor operator>=(const Tensor& a, Scalar b) { return ge(a, wrap(b, a)); }
Tensor operator&&(const Tensor& a, const Tensor& b) { return logical_and(a, b); }
Tensor operator||(const Tensor& a, const Tensor& b) { return logical_or(a, b); }
Tensor operator!(const Tensor& a) { return logical_not(a); }

}  // namespace braid
