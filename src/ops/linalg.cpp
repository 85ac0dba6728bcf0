// Linear algebra: matmul (the primitive, over GEMM kernels), and linear, bmm,
// outer written with it. Shapes follow NumPy's matmul (1-D operands promoted).
#include "braid/core/parallel.hpp"
#include "kernels/portable/matmul.hpp"
#include "ops/common.hpp"
#ifdef BRAID_HAVE_DNNL
#include "kernels/x86/matmul_x86.hpp"
#endif

namespace braid {
namespace detail {
namespace {
using V = std::vector<Tensor>;

Shape batch_of(const Tensor& t) {
  return t.dim() > 2 ? Shape(t.shape().begin(), t.shape().end() - 2) : Shape{};
}

// NumPy broadcasting of the batch dims, with an error naming both full shapes.
Shape broadcast_batch(const Tensor& a, const Tensor& b) {
  const Shape sa = batch_of(a), sb = batch_of(b);
  Shape out(std::max(sa.size(), sb.size()), 1);
  for (size_t i = 0; i < out.size(); ++i) {
    const int64_t x = i < sa.size() ? sa[sa.size() - 1 - i] : 1;
    const int64_t y = i < sb.size() ? sb[sb.size() - 1 - i] : 1;
    BRAID_CHECK(x == y || x == 1 || y == 1, ShapeError, "matmul",
                "batch dims (all but the last two) must broadcast; got a={}, b={}",
                shape_str(a.shape()), shape_str(b.shape()));
    out[out.size() - 1 - i] = x == 1 ? y : x;
  }
  return out;
}

TensorMetas infer_matmul(std::span<const Tensor> in, const Attrs&) {
  const Tensor &a = in[0], &b = in[1];
  BRAID_CHECK(a.dim() >= 1 && b.dim() >= 1, ShapeError, "matmul",
              "both operands must have at least 1 dim; got a={}, b={}", shape_str(a.shape()),
              shape_str(b.shape()));
  BRAID_CHECK(a.dtype() != DType::Bool, DTypeError, "matmul",
              "bool operands are not supported; got a={}, b={}", dtype_name(a.dtype()),
              dtype_name(b.dtype()));
  const int64_t kb = b.dim() == 1 ? b.size(0) : b.size(-2);
  BRAID_CHECK(a.size(-1) == kb, ShapeError, "matmul",
              "a.shape[-1] must equal b.shape[{}]; got a={}, b={}", b.dim() == 1 ? "0" : "-2",
              shape_str(a.shape()), shape_str(b.shape()));
  Shape out = broadcast_batch(a, b);
  if (a.dim() >= 2) out.push_back(a.size(-2));
  if (b.dim() >= 2) out.push_back(b.size(-1));
  return {{out, a.dtype()}};
}

Tensor reshaped(const Tensor& t, const Shape& s) { return t.shape() == s ? t : reshape(t, s); }

// Gradients of a @ b: ga = g @ b^T, gb = a^T @ g, each summed over the batch
// dims its operand was broadcast along. A 1-D operand is seen as a row (a) or
// a column (b), and g gets back the dims the product dropped for it.
V matmul_vjp(const VjpCtx& c) {
  const Tensor &a = c.inputs[0], &b = c.inputs[1];
  Tensor g = c.grads[0];
  const Tensor a2 = a.dim() == 1 ? unsqueeze(a, 0) : a;
  const Tensor b2 = b.dim() == 1 ? unsqueeze(b, 1) : b;
  if (b.dim() == 1) g = unsqueeze(g, g.dim());
  if (a.dim() == 1) g = unsqueeze(g, g.dim() - 1);
  Tensor ga, gb;
  if (c.needs_grad[0]) {
    ga = sum_to(matmul(g, transpose(b2, -1, -2)), a2.shape());
    ga = grad_for(reshaped(ga, a.shape()), c.input_meta[0]);
  }
  if (c.needs_grad[1]) {
    if (numel_of(batch_of(b2)) == 1 && (a2.dim() > 2 || b2.stride(-2) == 1)) {
      // b is one matrix shared by every batch (x @ W^T in a layer): fold the
      // batch into the rows, so that one product also does the batch sum.
      const int64_t rows = numel_of(batch_of(a2)) * a2.size(-2);
      const Tensor ar = reshape(a2, {rows, a2.size(-1)}), gr = reshape(g, {rows, g.size(-1)});
      // Note [gradient layout]: a transposed b (W^T of a Linear) gets its
      // gradient in the same transposed layout, (g^T a)^T, so that W's own
      // gradient comes out contiguous and the optimizer reads it in place
      // rather than copying a transpose every step.
      gb = b2.stride(-2) == 1 && b2.size(-2) > 1 ? transpose(matmul(transpose(gr, 0, 1), ar), 0, 1)
                                                 : matmul(transpose(ar, 0, 1), gr);
    } else {
      gb = sum_to(matmul(transpose(a2, -1, -2), g), b2.shape());
    }
    gb = grad_for(reshaped(gb, b.shape()), c.input_meta[1]);
  }
  return {ga, gb};
}

void matmul_portable(const KernelArgs& args) {
  kernels::matmul_portable(args.out[0], args.in[0], args.in[1]);
}

#ifdef BRAID_HAVE_DNNL
bool matmul_x86(const KernelArgs& args) {
  return kernels::matmul_x86(args.out[0], args.in[0], args.in[1]);
}
#endif

// Note [linear forward]: y = x W^T + b for 2-D floating x as one op: the
// GEMM writes y and the bias is added while y is still in cache, and autograd
// records one node whose backward is the three products a Linear needs (the
// composite records matmul, transpose and add, and sums the bias gradient in
// a fourth). Only floating dtypes: the composite keeps integer linear.
TensorMetas infer_linear_forward(std::span<const Tensor> in, const Attrs&) {
  const Tensor &x = in[0], &w = in[1], &b = in[2];
  BRAID_CHECK(x.dim() == 2 && w.dim() == 2 && b.dim() == 1 && x.size(1) == w.size(1) &&
                  b.size(0) == w.size(0),
              ShapeError, "linear_forward",
              "want x (N, in), weight (out, in), bias (out); got x={}, weight={}, bias={}",
              shape_str(x.shape()), shape_str(w.shape()), shape_str(b.shape()));
  BRAID_CHECK(x.is_floating_point(), DTypeError, "linear_forward", "x must be floating; got {}",
              dtype_name(x.dtype()));
  return one_meta({x.size(0), w.size(0)}, x.dtype());
}

void linear_forward_kernel(const KernelArgs& args) {
  const Tensor &x = args.in[0], &w = args.in[1], &b = args.in[2], &y = args.out[0];
  const Tensor wt = transpose(w, 0, 1);
#ifdef BRAID_HAVE_DNNL
  if (!kernels::matmul_x86(y, x, wt))
#endif
    kernels::matmul_portable(y, x, wt);
  const Tensor bc = b.contiguous();
  const int64_t n = y.size(0), m = y.size(1);
  BRAID_DISPATCH_FLOAT(y.dtype(), "linear_forward", [&] {
    scalar_t* yp = y.data_ptr<scalar_t>();
    const scalar_t* bp = bc.data_ptr<scalar_t>();
    parallel_for(n, std::max<int64_t>(1, 32768 / std::max<int64_t>(m, 1)),
                 [&](int64_t r0, int64_t r1) {
                   for (int64_t r = r0; r < r1; ++r)
                     for (int64_t j = 0; j < m; ++j) yp[r * m + j] += bp[j];
                 });
  });
}

V linear_forward_vjp(const VjpCtx& c) {
  const Tensor &x = c.inputs[0], &w = c.inputs[1], &g = c.grads[0];
  Tensor gx, gw, gb;
  if (c.needs_grad[0]) gx = matmul(g, w);
  if (c.needs_grad[1]) gw = matmul(transpose(g, 0, 1), x);  // (out, in), contiguous
  if (c.needs_grad[2]) gb = sum(g, {0});
  return {gx, gw, gb};
}

// Composite ops get their inputs before the dispatcher's checks run.
void check_defined(std::string_view op, const Tensor& t, std::string_view name) {
  BRAID_CHECK(t.defined(), ValueError, op, "{} is undefined", name);
}
}  // namespace

OpDef make_def_matmul() {
  OpDef d;
  d.num_inputs = 2;
  d.promote_mask = 3;
  d.infer = infer_matmul;
  d.portable = matmul_portable;
#ifdef BRAID_HAVE_DNNL
  d.x86 = matmul_x86;
#endif
  d.vjp = matmul_vjp;
  d.save_inputs = 3;
  d.onnx = "MatMul";
  return d;
}

OpDef make_def_linear() {
  OpDef d;
  d.kind = OpKind::Composite;
  d.num_inputs = 3;
  d.composite = [](std::span<const Tensor> in, const Attrs&) -> V {
    const Tensor &x = in[0], &w = in[1], &bias = in[2];
    check_defined("linear", x, "x");
    check_defined("linear", w, "weight");
    BRAID_CHECK(w.dim() == 2, ShapeError, "linear",
                "weight must be 2-D (out_features, in_features); got x={}, weight={}",
                shape_str(x.shape()), shape_str(w.shape()));
    BRAID_CHECK(x.dim() >= 1 && x.size(-1) == w.size(1), ShapeError, "linear",
                "x.shape[-1] must equal weight.shape[1] (in_features); got x={}, weight={}",
                shape_str(x.shape()), shape_str(w.shape()));
    if (bias.defined())
      BRAID_CHECK(bias.dim() == 1 && bias.size(0) == w.size(0), ShapeError, "linear",
                  "bias must have shape (out_features,) = ({}); got weight={}, bias={}", w.size(0),
                  shape_str(w.shape()), shape_str(bias.shape()));
    if (bias.defined() && x.dim() == 2 && x.is_floating_point())  // Note [linear forward]
      return {call1(OpId::linear_forward, {x, w, bias})};
    // W^T is a transposed view: the GEMM reads it in place.
    Tensor y = matmul(x, transpose(w, 0, 1));
    return {bias.defined() ? y + bias : y};
  };
  d.onnx_note =
      "composite: Gemm (transB) for 2-D x, else MatMul with the transposed weight and Add";
  return d;
}

OpDef make_def_linear_forward() {
  OpDef d;
  d.num_inputs = 3;
  d.promote_mask = 7;
  d.infer = infer_linear_forward;
  d.portable = linear_forward_kernel;
  d.vjp = linear_forward_vjp;
  d.save_inputs = 3;
  d.onnx = "Gemm";
  return d;
}

OpDef make_def_bmm() {
  OpDef d;
  d.kind = OpKind::Composite;
  d.num_inputs = 2;
  d.composite = [](std::span<const Tensor> in, const Attrs&) -> V {
    const Tensor &a = in[0], &b = in[1];
    check_defined("bmm", a, "a");
    check_defined("bmm", b, "b");
    BRAID_CHECK(a.dim() == 3 && b.dim() == 3, ShapeError, "bmm",
                "expects 3-D operands; got a={}, b={}", shape_str(a.shape()), shape_str(b.shape()));
    BRAID_CHECK(a.size(0) == b.size(0), ShapeError, "bmm",
                "a.shape[0] must equal b.shape[0] (no broadcasting); got a={}, b={}",
                shape_str(a.shape()), shape_str(b.shape()));
    BRAID_CHECK(a.size(2) == b.size(1), ShapeError, "bmm",
                "a.shape[2] must equal b.shape[1]; got a={}, b={}", shape_str(a.shape()),
                shape_str(b.shape()));
    return {matmul(a, b)};
  };
  d.onnx = "MatMul";
  return d;
}

OpDef make_def_outer() {
  OpDef d;
  d.kind = OpKind::Composite;
  d.num_inputs = 2;
  d.composite = [](std::span<const Tensor> in, const Attrs&) -> V {
    const Tensor &a = in[0], &b = in[1];
    check_defined("outer", a, "a");
    check_defined("outer", b, "b");
    BRAID_CHECK(a.dim() == 1 && b.dim() == 1, ShapeError, "outer",
                "expects 1-D operands; got a={}, b={}", shape_str(a.shape()), shape_str(b.shape()));
    // A broadcast product, as PyTorch does it: exact, and bool works too.
    return {unsqueeze(a, 1) * unsqueeze(b, 0)};
  };
  d.onnx_note = "composite: exported as Unsqueeze and Mul";
  return d;
}
}  // namespace detail

using detail::call1;
Tensor matmul(const Tensor& a, const Tensor& b) { return call1(OpId::matmul, {a, b}); }
Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias) {
  return call1(OpId::linear, {x, weight, bias});
}
Tensor bmm(const Tensor& a, const Tensor& b) { return call1(OpId::bmm, {a, b}); }
Tensor outer(const Tensor& a, const Tensor& b) { return call1(OpId::outer, {a, b}); }

}  // namespace braid
