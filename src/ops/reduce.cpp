// Reductions with kernels: sum, mean, prod, amax/amin, max/min (values and
// indices), argmax/argmin, cumsum, all/any. The composite ones (var, std,
// norm, logsumexp, softmax, log_softmax) are in reduce_composite.cpp.
//
// Attributes: dims (empty = all dims) and keepdim; max/min/argmax/argmin and
// cumsum take one `dim` (argmax/argmin without it reduce the flattened tensor).
#include "kernels/portable/reduce.hpp"
#include "kernels/portable/copy.hpp"
#include "ops/common.hpp"
#include "ops/reduce_common.hpp"

namespace braid {
namespace detail {

RedDims red_dims(std::string_view op, const Attrs& a, int64_t rank) {
  return {wrap_dims(op, a.ints(op, "dims"), rank), a.b(op, "keepdim")};
}

Tensor keep_shape(const Tensor& g, const Shape& in_shape, const std::vector<int64_t>& dims) {
  Shape ks = reduced_shape(in_shape, dims, true);
  return g.shape() == ks ? g : reshape(g, ks);
}

int64_t reduced_numel(const Shape& shape, const std::vector<int64_t>& dims) {
  int64_t n = 1;
  for (int64_t d : dims)
    if (d < static_cast<int64_t>(shape.size())) n *= shape[d];
  return n;
}

namespace {
using V = std::vector<Tensor>;
#define G c.grads[0]
#define IN_SHAPE c.input_meta[0].shape

// max/min/argmax have no value for an empty block (sum has 0, prod 1).
void check_nonempty(std::string_view op, const Tensor& x, const std::vector<int64_t>& dims) {
  for (int64_t d : dims)
    BRAID_CHECK(d >= x.dim() || x.shape()[d] != 0, IndexError, op,
                "cannot reduce over dim {} of size 0 (the result has no identity); got shape {}", d,
                shape_str(x.shape()));
}

// A copy of t in dtype dt, made inside a kernel (no autograd involved).
Tensor cast_raw(const Tensor& t, DType dt) {
  if (t.dtype() == dt) return t;
  Tensor r = empty(t.shape(), dt);
  kernels::copy(r, t);
  return r;
}

// The dtype the kernels compute an output of dtype `out` in.
DType compute_dtype(DType out) {
  return out == DType::Float64 ? DType::Float64 : is_floating(out) ? DType::Float32 : DType::Int64;
}

// Runs kernel(out, in) in the compute dtype of `out`, casting in and out as needed.
template <class K>
void in_compute_dtype(const KernelArgs& k, const K& kernel) {
  const Tensor& out = k.out[0];
  DType ct = compute_dtype(out.dtype());
  Tensor o = out.dtype() == ct ? out : empty(out.shape(), ct);
  kernel(o, cast_raw(k.in[0], ct));
  if (!o.is_same(out)) kernels::copy(out, o);
}

// Sums and products of bool and integer tensors are int64, as in PyTorch.
DType widened(DType t) { return is_floating(t) ? t : DType::Int64; }

TensorMetas infer_reduce(std::string_view op, std::span<const Tensor> in, const Attrs& a,
                         DType out_dtype) {
  RedDims r = red_dims(op, a, in[0].dim());
  return {{reduced_shape(in[0].shape(), r.dims, r.keepdim), out_dtype}};
}

OpDef reduce_def(InferFn infer, KernelFn kernel, VjpFn vjp, uint32_t save_in, uint32_t save_out,
                 std::string_view onnx) {
  OpDef d;
  d.traits = kReduction;
  d.infer = infer;
  d.portable = kernel;
  d.vjp = vjp;
  d.save_inputs = save_in;
  d.save_outputs = save_out;
  d.onnx = onnx;
  return d;
}

// amax/amin: ties share the gradient evenly (as torch.amax does).
V extreme_vjp(std::string_view op, const VjpCtx& c) {
  RedDims r = red_dims(op, c.attrs, static_cast<int64_t>(IN_SHAPE.size()));
  const Tensor& x = c.inputs[0];
  Tensor mask = (x == keep_shape(c.outputs[0], IN_SHAPE, r.dims)).to(G.dtype());
  Tensor count = sum(mask, r.dims, true);
  return {keep_shape(G, IN_SHAPE, r.dims) * mask / count};
}

TensorMetas infer_extreme(std::string_view op, std::span<const Tensor> in, const Attrs& a) {
  check_nonempty(op, in[0], red_dims(op, a, in[0].dim()).dims);
  return infer_reduce(op, in, a, in[0].dtype());
}

// max/min along one dim: values and the index of the first extreme. The
// gradient goes to that index only. The indices are recomputed from the
// saved input because the dispatcher keeps no integer outputs for backward.
TensorMetas infer_dim_extreme(std::string_view op, std::span<const Tensor> in, const Attrs& a) {
  const Tensor& x = in[0];
  int64_t d = wrap_dim(op, a.i(op, "dim"), x.dim());
  check_nonempty(op, x, {d});
  Shape s = reduced_shape(x.shape(), {d}, a.b(op, "keepdim"));
  return {{s, x.dtype()}, {s, DType::Int64}};
}

V dim_extreme_vjp(std::string_view op, const VjpCtx& c) {
  const Tensor& x = c.inputs[0];
  int64_t d = wrap_dim(op, c.attrs.i(op, "dim"), x.dim());
  Tensor idx = op == "max" ? argmax(x, d, true) : argmin(x, d, true);
  Shape along(x.shape().size(), 1);
  int64_t n = x.dim() == 0 ? 1 : x.shape()[d];
  if (x.dim() > 0) along[d] = n;
  Tensor one_hot = eq(idx, reshape(arange(n), along));
  return {where(one_hot, keep_shape(G, x.shape(), {d}), zeros({}, G.dtype()))};
}

OpDef dim_extreme_def(InferFn infer, kernels::Extreme which, std::string_view onnx_note) {
  OpDef d;
  d.traits = kReduction;
  d.num_outputs = 2;
  d.infer = infer;
  d.portable =
      which == kernels::Extreme::Max
          ? KernelFn([](const KernelArgs& k) {
              int64_t dim = wrap_dim("max", k.attrs.i("max", "dim"), k.in[0].dim());
              kernels::arg_extreme(kernels::Extreme::Max, k.out[0], k.out[1], k.in[0], {dim});
            })
          : KernelFn([](const KernelArgs& k) {
              int64_t dim = wrap_dim("min", k.attrs.i("min", "dim"), k.in[0].dim());
              kernels::arg_extreme(kernels::Extreme::Min, k.out[0], k.out[1], k.in[0], {dim});
            });
  d.save_inputs = 1;
  d.onnx_note = onnx_note;
  return d;
}

// argmax/argmin: without `dim`, the index into the flattened tensor.
std::vector<int64_t> arg_dims(std::string_view op, const Tensor& x, const Attrs& a) {
  if (a.has("dim")) return {wrap_dim(op, a.i(op, "dim"), x.dim())};
  return wrap_dims(op, {}, x.dim());
}

TensorMetas infer_arg(std::string_view op, std::span<const Tensor> in, const Attrs& a) {
  const Tensor& x = in[0];
  bool keep = a.b(op, "keepdim");
  if (!a.has("dim")) {
    BRAID_CHECK(
        x.numel() > 0, IndexError, op,
        "cannot reduce an empty tensor without a dim (the result has no identity); got shape {}",
        shape_str(x.shape()));
    return {{keep ? Shape(x.shape().size(), 1) : Shape{}, DType::Int64}};
  }
  std::vector<int64_t> dims = arg_dims(op, x, a);
  check_nonempty(op, x, dims);
  return {{reduced_shape(x.shape(), dims, keep), DType::Int64}};
}

OpDef arg_def(InferFn infer, KernelFn kernel, std::string_view onnx) {
  OpDef d = reduce_def(infer, kernel, nullptr, 0, 0, onnx);
  d.nondiff_reason = "integer output";
  return d;
}

OpDef logical_def(kernels::Logical which) {
  OpDef d;
  d.traits = kReduction | kBoolOutput;
  if (which == kernels::Logical::All) {
    d.infer = [](std::span<const Tensor> in, const Attrs& a) {
      return infer_reduce("all", in, a, DType::Bool);
    };
    d.portable = [](const KernelArgs& k) {
      kernels::logical(kernels::Logical::All, k.out[0], k.in[0],
                       red_dims("all", k.attrs, k.in[0].dim()).dims);
    };
  } else {
    d.infer = [](std::span<const Tensor> in, const Attrs& a) {
      return infer_reduce("any", in, a, DType::Bool);
    };
    d.portable = [](const KernelArgs& k) {
      kernels::logical(kernels::Logical::Any, k.out[0], k.in[0],
                       red_dims("any", k.attrs, k.in[0].dim()).dims);
    };
  }
  d.nondiff_reason = "bool output";
  d.onnx_note = "ONNX reductions take no bool input: export as Cast + ReduceMin/ReduceMax";
  return d;
}
}  // namespace

OpDef make_def_sum() {
  OpDef d = reduce_def(
      [](std::span<const Tensor> in, const Attrs& a) {
        DType dt = a.has("dtype") ? dtype_from_name(a.s("sum", "dtype")) : widened(in[0].dtype());
        return infer_reduce("sum", in, a, dt);
      },
      [](const KernelArgs& k) {
        auto dims = red_dims("sum", k.attrs, k.in[0].dim()).dims;
        in_compute_dtype(
            k, [&](const Tensor& o, const Tensor& x) { kernels::sum(o, x, dims, false); });
      },
      [](const VjpCtx& c) -> V {
        RedDims r = red_dims("sum", c.attrs, static_cast<int64_t>(IN_SHAPE.size()));
        Tensor g = expand(keep_shape(G, IN_SHAPE, r.dims), IN_SHAPE);
        return {g.dtype() == c.input_meta[0].dtype ? g : to(g, c.input_meta[0].dtype)};
      },
      0, 0, "ReduceSum");
  // float16/bfloat16 reach the kernel as they are: it widens them itself, so
  // that an explicit `dtype` (sum(half, dtype=float32)) is honoured.
  d.traits |= kHalfNative;
  return d;
}

OpDef make_def_mean() {
  return reduce_def(
      [](std::span<const Tensor> in, const Attrs& a) {
        check_floating("mean", in);
        return infer_reduce("mean", in, a, in[0].dtype());
      },
      [](const KernelArgs& k) {
        kernels::sum(k.out[0], k.in[0], red_dims("mean", k.attrs, k.in[0].dim()).dims, true);
      },
      [](const VjpCtx& c) -> V {
        RedDims r = red_dims("mean", c.attrs, static_cast<int64_t>(IN_SHAPE.size()));
        double n = static_cast<double>(reduced_numel(IN_SHAPE, r.dims));
        return {expand(keep_shape(G, IN_SHAPE, r.dims) / n, IN_SHAPE)};
      },
      0, 0, "ReduceMean");
}

OpDef make_def_prod() {
  return reduce_def(
      [](std::span<const Tensor> in, const Attrs& a) {
        return infer_reduce("prod", in, a, widened(in[0].dtype()));
      },
      [](const KernelArgs& k) {
        auto dims = red_dims("prod", k.attrs, k.in[0].dim()).dims;
        in_compute_dtype(k, [&](const Tensor& o, const Tensor& x) { kernels::prod(o, x, dims); });
      },
      [](const VjpCtx& c) -> V {
        RedDims r = red_dims("prod", c.attrs, static_cast<int64_t>(IN_SHAPE.size()));
        return {prod_backward(c.inputs[0], keep_shape(G, IN_SHAPE, r.dims), r.dims)};
      },
      1, 0, "ReduceProd");
}

OpDef make_def_amax() {
  return reduce_def(
      [](std::span<const Tensor> in, const Attrs& a) { return infer_extreme("amax", in, a); },
      [](const KernelArgs& k) {
        kernels::extreme(kernels::Extreme::Max, k.out[0], k.in[0],
                         red_dims("amax", k.attrs, k.in[0].dim()).dims);
      },
      [](const VjpCtx& c) { return extreme_vjp("amax", c); }, 1, 1, "ReduceMax");
}

OpDef make_def_amin() {
  return reduce_def(
      [](std::span<const Tensor> in, const Attrs& a) { return infer_extreme("amin", in, a); },
      [](const KernelArgs& k) {
        kernels::extreme(kernels::Extreme::Min, k.out[0], k.in[0],
                         red_dims("amin", k.attrs, k.in[0].dim()).dims);
      },
      [](const VjpCtx& c) { return extreme_vjp("amin", c); }, 1, 1, "ReduceMin");
}

OpDef make_def_max() {
  OpDef d = dim_extreme_def(
      [](std::span<const Tensor> in, const Attrs& a) { return infer_dim_extreme("max", in, a); },
      kernels::Extreme::Max, "two outputs: export as ReduceMax + ArgMax");
  d.vjp = [](const VjpCtx& c) { return dim_extreme_vjp("max", c); };
  return d;
}

OpDef make_def_min() {
  OpDef d = dim_extreme_def(
      [](std::span<const Tensor> in, const Attrs& a) { return infer_dim_extreme("min", in, a); },
      kernels::Extreme::Min, "two outputs: export as ReduceMin + ArgMin");
  d.vjp = [](const VjpCtx& c) { return dim_extreme_vjp("min", c); };
  return d;
}

OpDef make_def_argmax() {
  return arg_def(
      [](std::span<const Tensor> in, const Attrs& a) { return infer_arg("argmax", in, a); },
      [](const KernelArgs& k) {
        kernels::arg_extreme(kernels::Extreme::Max, Tensor(), k.out[0], k.in[0],
                             arg_dims("argmax", k.in[0], k.attrs));
      },
      "ArgMax");
}

OpDef make_def_argmin() {
  return arg_def(
      [](std::span<const Tensor> in, const Attrs& a) { return infer_arg("argmin", in, a); },
      [](const KernelArgs& k) {
        kernels::arg_extreme(kernels::Extreme::Min, Tensor(), k.out[0], k.in[0],
                             arg_dims("argmin", k.in[0], k.attrs));
      },
      "ArgMin");
}

OpDef make_def_cumsum() {
  return reduce_def(
      [](std::span<const Tensor> in, const Attrs& a) -> TensorMetas {
        wrap_dim("cumsum", a.i("cumsum", "dim"), in[0].dim());
        return {{in[0].shape(), widened(in[0].dtype())}};
      },
      [](const KernelArgs& k) {
        int64_t dim = wrap_dim("cumsum", k.attrs.i("cumsum", "dim"), k.in[0].dim());
        in_compute_dtype(k, [&](const Tensor& o, const Tensor& x) { kernels::cumsum(o, x, dim); });
      },
      [](const VjpCtx& c) -> V {
        // The reversed cumulative sum, written with sum and cumsum only.
        int64_t dim =
            wrap_dim("cumsum", c.attrs.i("cumsum", "dim"), static_cast<int64_t>(IN_SHAPE.size()));
        return {sum(G, {dim}, true) - cumsum(G, dim) + G};
      },
      0, 0, "CumSum");
}

OpDef make_def_all() { return logical_def(kernels::Logical::All); }
OpDef make_def_any() { return logical_def(kernels::Logical::Any); }
#undef G
#undef IN_SHAPE

// Note [prod backward]: d prod / d x_i is the product of the other elements.
// y / x_i is wrong where x_i == 0, so, per reduced block, with z = (x == 0),
// nz = number of zeros, p1 = product of the non-zero elements and xz = the
// (zero) value of the only zero: nz == 0: p1 / x_i; nz == 1: p1 at the zero
// and p1 / x_i * xz elsewhere (0, but with the right derivative for double
// backward); nz >= 2: 0. First derivatives are exact everywhere; second
// derivatives are exact except in blocks with two or more zeros.
Tensor prod_backward(const Tensor& x, const Tensor& g, const std::vector<int64_t>& dims) {
  Tensor zero = zeros({}, x.dtype()), one = ones({}, x.dtype());
  Tensor z = x == 0;
  Tensor nz = sum(z, dims, true);
  Tensor xs = where(z, one, x);
  Tensor p1 = prod(xs, dims, true);
  Tensor xz = sum(where(z, x, zero), dims, true);
  Tensor factor = where(logical_or(z, nz == 0), one, xz);
  return where(nz >= 2, zero, g * p1 / xs * factor);
}

}  // namespace detail

using detail::call1;
namespace {
Attrs red_attrs(std::vector<int64_t> dims, bool keepdim) {
  return {{"dims", std::move(dims)}, {"keepdim", keepdim}};
}
}  // namespace

Tensor sum(const Tensor& x, std::vector<int64_t> dims, bool keepdim, std::optional<DType> dtype) {
  Attrs a = red_attrs(std::move(dims), keepdim);
  if (dtype) a.set("dtype", std::string(dtype_name(*dtype)));
  return call1(OpId::sum, {x}, a);
}
Tensor mean(const Tensor& x, std::vector<int64_t> dims, bool keepdim) {
  return call1(OpId::mean, {x}, red_attrs(std::move(dims), keepdim));
}
Tensor prod(const Tensor& x, std::vector<int64_t> dims, bool keepdim) {
  return call1(OpId::prod, {x}, red_attrs(std::move(dims), keepdim));
}
Tensor amax(const Tensor& x, std::vector<int64_t> dims, bool keepdim) {
  return call1(OpId::amax, {x}, red_attrs(std::move(dims), keepdim));
}
Tensor amin(const Tensor& x, std::vector<int64_t> dims, bool keepdim) {
  return call1(OpId::amin, {x}, red_attrs(std::move(dims), keepdim));
}
Tensor max(const Tensor& x) {
  BRAID_CHECK(
      x.numel() > 0, IndexError, "max",
      "cannot reduce an empty tensor without a dim (the result has no identity); got shape {}",
      shape_str(x.shape()));
  return amax(x);
}
Tensor min(const Tensor& x) {
  BRAID_CHECK(
      x.numel() > 0, IndexError, "min",
      "cannot reduce an empty tensor without a dim (the result has no identity); got shape {}",
      shape_str(x.shape()));
  return amin(x);
}
ValuesIndices max(const Tensor& x, int64_t dim, bool keepdim) {
  auto r = detail::call(OpId::max, {x}, {{"dim", dim}, {"keepdim", keepdim}});
  return {r[0], r[1]};
}
ValuesIndices min(const Tensor& x, int64_t dim, bool keepdim) {
  auto r = detail::call(OpId::min, {x}, {{"dim", dim}, {"keepdim", keepdim}});
  return {r[0], r[1]};
}
Tensor argmax(const Tensor& x, std::optional<int64_t> dim, bool keepdim) {
  Attrs a{{"keepdim", keepdim}};
  if (dim) a.set("dim", *dim);
  return call1(OpId::argmax, {x}, a);
}
Tensor argmin(const Tensor& x, std::optional<int64_t> dim, bool keepdim) {
  Attrs a{{"keepdim", keepdim}};
  if (dim) a.set("dim", *dim);
  return call1(OpId::argmin, {x}, a);
}
Tensor cumsum(const Tensor& x, int64_t dim) { return call1(OpId::cumsum, {x}, {{"dim", dim}}); }
Tensor all(const Tensor& x, std::vector<int64_t> dims, bool keepdim) {
  return call1(OpId::all, {x}, red_attrs(std::move(dims), keepdim));
}
Tensor any(const Tensor& x, std::vector<int64_t> dims, bool keepdim) {
  return call1(OpId::any, {x}, red_attrs(std::move(dims), keepdim));
}

}  // namespace braid
