// Indexing ops: index_select, index_add, gather, scatter, scatter_add,
// take_along_dim, nonzero. PyTorch 1.13 rules, with two leniencies: every
// index op takes int32 as well as int64 indices, and a 0-dim tensor counts as
// rank 1 when ranks are compared (as PyTorch does for gather and scatter).
//
// Every index is range-checked in `infer`, before an output exists, so a bad
// index never leaves a half-written result (DESIGN rule 6).
#include "kernels/portable/index.hpp"
#include "kernels/portable/copy.hpp"
#include "ops/common.hpp"

namespace braid {
namespace detail {
namespace {
using V = std::vector<Tensor>;
using M = TensorMetas;

int64_t rank1(const Tensor& t) { return std::max<int64_t>(t.dim(), 1); }
// The shape a kernel sees: a 0-dim tensor as (1).
Shape shape1(const Tensor& t) { return t.dim() == 0 ? Shape{1} : t.shape(); }

void check_index_dtype(std::string_view op, const Tensor& index) {
  BRAID_CHECK(index.dtype() == DType::Int64 || index.dtype() == DType::Int32, DTypeError, op,
              "index must be int64 or int32; got {}", dtype_name(index.dtype()));
}

// Every value of `index` must lie in [0, size): checks all of them, first to last.
void check_index_range(std::string_view op, const Tensor& index, int64_t dim, int64_t size,
                       const Tensor& x) {
  auto bad = kernels::find_bad_index(index, size);
  if (!bad) return;
  std::string where =
      index.dim() > 0 ? fmt::format(" at index position {}", shape_str(bad->position)) : "";
  std::string valid =
      size > 0 ? fmt::format("valid: 0 to {}", size - 1) : "the dim is empty, so no index is valid";
  throw IndexError(
      fmt::format("[{}] index {}{} is out of range for dim {} of size {} ({}); x has shape {}", op,
                  bad->value, where, dim, size, valid, shape_str(x.shape())));
}

void check_same_dtype(std::string_view op, const Tensor& x, const Tensor& other,
                      std::string_view name) {
  BRAID_CHECK(x.dtype() == other.dtype(), DTypeError, op, "{} must have x's dtype; got x {}, {} {}",
              name, dtype_name(x.dtype()), name, dtype_name(other.dtype()));
}

// The gradient of src in scatter/scatter_add: gather(g) has index's shape;
// src elements beyond index's extent get zero.
Tensor pad_to(Tensor t, const Shape& shape) {
  if (t.dim() != static_cast<int64_t>(shape.size())) return reshape(t, shape);  // 0-dim src
  for (size_t d = 0; d < shape.size(); ++d) {
    if (t.shape()[d] == shape[d]) continue;
    Shape sh = t.shape();
    sh[d] = shape[d];
    t = slice_scatter(zeros(sh, t.dtype()), t, static_cast<int64_t>(d), 0, t.shape()[d]);
  }
  return t;
}

// -- index_select / index_add ---------------------------------------------------

int64_t index_dim(std::string_view op, const Tensor& x, const Tensor& index, const Attrs& a) {
  check_index_dtype(op, index);
  BRAID_CHECK(index.dim() <= 1, IndexError, op, "index must be 0-d or 1-d; got shape {}",
              shape_str(index.shape()));
  return wrap_dim(op, a.i(op, "dim"), x.dim());
}

M infer_index_select(std::span<const Tensor> in, const Attrs& a) {
  const Tensor &x = in[0], &index = in[1];
  int64_t dim = index_dim("index_select", x, index, a);
  BRAID_CHECK(x.dim() > 0 || index.numel() == 1, IndexError, "index_select",
              "a 0-dim x takes exactly one index; got index of shape {}", shape_str(index.shape()));
  check_index_range("index_select", index, dim, shape1(x)[dim], x);
  Shape out = x.shape();
  if (x.dim() > 0) out[dim] = index.numel();
  return {{out, x.dtype()}};
}

M infer_index_add(std::span<const Tensor> in, const Attrs& a) {
  const Tensor &x = in[0], &index = in[1], &src = in[2];
  int64_t dim = index_dim("index_add", x, index, a);
  check_same_dtype("index_add", x, src, "source");
  Shape want = shape1(x), got = shape1(src);
  want[dim] = index.numel();
  BRAID_CHECK(got == want, ShapeError, "index_add",
              "source must have x's shape with dim {} of size index.numel() = {}; got x {}, index "
              "{}, source {}",
              dim, index.numel(), shape_str(x.shape()), shape_str(index.shape()),
              shape_str(src.shape()));
  check_index_range("index_add", index, dim, shape1(x)[dim], x);
  return {{x.shape(), x.dtype()}};
}

// -- gather / scatter ---------------------------------------------------------

// PyTorch's rules: same rank; index no larger than x on the other dims and no
// larger than src anywhere.
int64_t check_gather_shapes(std::string_view op, const Tensor& x, const Tensor& index,
                            const Tensor* src, const Attrs& a) {
  check_index_dtype(op, index);
  int64_t dim = wrap_dim(op, a.i(op, "dim"), x.dim());
  std::string src_s = src ? fmt::format(", src {}", shape_str(src->shape())) : "";
  BRAID_CHECK(rank1(index) == rank1(x) && (!src || rank1(*src) == rank1(x)), ShapeError, op,
              "{} must have the same number of dims; got x {}, index {}{}",
              src ? "x, index and src" : "x and index", shape_str(x.shape()),
              shape_str(index.shape()), src_s);
  Shape xs = shape1(x), is = shape1(index), ss = src ? shape1(*src) : is;
  for (size_t d = 0; d < xs.size(); ++d) {
    bool ok = (static_cast<int64_t>(d) == dim || is[d] <= xs[d]) && is[d] <= ss[d];
    BRAID_CHECK(
        ok, ShapeError, op,
        "index.size(d) must be <= x.size(d) for every d != dim{}; got x {}, index {}{}, dim {}",
        src ? " and <= src.size(d) for every d" : "", shape_str(x.shape()),
        shape_str(index.shape()), src_s, dim);
  }
  check_index_range(op, index, dim, xs[dim], x);
  return dim;
}

M infer_gather(std::span<const Tensor> in, const Attrs& a) {
  check_gather_shapes("gather", in[0], in[1], nullptr, a);
  return {{in[1].shape(), in[0].dtype()}};
}

template <bool kAdd>
M infer_scatter(std::span<const Tensor> in, const Attrs& a) {
  std::string_view op = kAdd ? "scatter_add" : "scatter";
  check_same_dtype(op, in[0], in[2], "src");
  check_gather_shapes(op, in[0], in[1], &in[2], a);
  return {{in[0].shape(), in[0].dtype()}};
}

template <bool kAdd>
void run_scatter(const KernelArgs& a) {
  std::string_view op = kAdd ? "scatter_add" : "scatter";
  int64_t dim = wrap_dim(op, a.attrs.i(op, "dim"), a.in[0].dim());
  kernels::copy(a.out[0], a.in[0]);
  kernels::scatter(kernels::at_least_1d(a.out[0]), dim, kernels::at_least_1d(a.in[1]),
                   kernels::at_least_1d(a.in[2]), kAdd);
}

template <bool kAdd>
V scatter_vjp(const VjpCtx& c) {
  std::string_view op = kAdd ? "scatter_add" : "scatter";
  const Tensor &g = c.grads[0], &index = c.inputs[1];
  int64_t dim = wrap_dim(op, c.attrs.i(op, "dim"), g.dim());
  const Shape& src_shape = c.input_meta[2].shape;
  Tensor gx, gsrc;
  // scatter overwrites: the overwritten elements of x get no gradient.
  if (c.needs_grad[0]) gx = kAdd ? g : scatter(g, dim, index, zeros(src_shape, g.dtype()));
  if (c.needs_grad[2]) gsrc = pad_to(gather(g, dim, index), src_shape);
  return {gx, Tensor(), gsrc};
}

template <bool kAdd>
OpDef scatter_def() {
  OpDef d;
  d.traits = kHalfNative;
  d.num_inputs = 3;
  d.infer = infer_scatter<kAdd>;
  d.portable = run_scatter<kAdd>;
  d.vjp = scatter_vjp<kAdd>;
  d.save_inputs = 2;  // index
  d.onnx = "ScatterElements";
  if (kAdd) d.onnx_note = "ScatterElements with reduction='add' (opset 16)";
  return d;
}
}  // namespace

OpDef make_def_index_select() {
  OpDef d;
  d.traits = kHalfNative;
  d.num_inputs = 2;
  d.infer = infer_index_select;
  d.portable = [](const KernelArgs& a) {
    int64_t dim = wrap_dim("index_select", a.attrs.i("index_select", "dim"), a.in[0].dim());
    kernels::index_select(kernels::at_least_1d(a.out[0]), kernels::at_least_1d(a.in[0]), dim,
                          a.in[1]);
  };
  d.vjp = [](const VjpCtx& c) -> V {
    const GradMeta& xm = c.input_meta[0];
    int64_t dim = c.attrs.i("index_select", "dim");
    return {index_add(zeros(xm.shape, c.grads[0].dtype()), dim, c.inputs[1], c.grads[0]), Tensor()};
  };
  d.save_inputs = 2;
  d.onnx = "Gather";
  return d;
}

OpDef make_def_index_add() {
  OpDef d;
  d.traits = kHalfNative;
  d.num_inputs = 3;
  d.infer = infer_index_add;
  d.portable = [](const KernelArgs& a) {
    int64_t dim = wrap_dim("index_add", a.attrs.i("index_add", "dim"), a.in[0].dim());
    kernels::copy(a.out[0], a.in[0]);
    kernels::index_add(kernels::at_least_1d(a.out[0]), dim, a.in[1], kernels::at_least_1d(a.in[2]));
  };
  d.vjp = [](const VjpCtx& c) -> V {
    const Tensor& g = c.grads[0];
    Tensor gsrc;
    if (c.needs_grad[2]) {
      gsrc = index_select(g, c.attrs.i("index_add", "dim"), c.inputs[1]);
      if (gsrc.shape() != c.input_meta[2].shape) gsrc = reshape(gsrc, c.input_meta[2].shape);
    }
    return {c.needs_grad[0] ? g : Tensor(), Tensor(), gsrc};
  };
  d.save_inputs = 2;
  d.onnx = "ScatterElements";
  d.onnx_note = "reduction='add', the index spread over source's shape";
  return d;
}

OpDef make_def_gather() {
  OpDef d;
  d.traits = kHalfNative;
  d.num_inputs = 2;
  d.infer = infer_gather;
  d.portable = [](const KernelArgs& a) {
    int64_t dim = wrap_dim("gather", a.attrs.i("gather", "dim"), a.in[0].dim());
    kernels::gather(kernels::at_least_1d(a.out[0]), kernels::at_least_1d(a.in[0]), dim,
                    kernels::at_least_1d(a.in[1]));
  };
  d.vjp = [](const VjpCtx& c) -> V {
    const Tensor& g = c.grads[0];
    int64_t dim = c.attrs.i("gather", "dim");
    return {scatter_add(zeros(c.input_meta[0].shape, g.dtype()), dim, c.inputs[1], g), Tensor()};
  };
  d.save_inputs = 2;
  d.onnx = "GatherElements";
  return d;
}

OpDef make_def_scatter() { return scatter_def<false>(); }
OpDef make_def_scatter_add() { return scatter_def<true>(); }

OpDef make_def_take_along_dim() {
  OpDef d;
  d.kind = OpKind::Composite;
  d.num_inputs = 2;
  d.composite = [](std::span<const Tensor> in, const Attrs& a) -> V {
    const Tensor &x = in[0], &idx = in[1];
    check_index_dtype("take_along_dim", idx);
    if (!a.has("dim")) return {gather(reshape(x, {-1}), 0, reshape(idx, {-1}))};
    int64_t dim = wrap_dim("take_along_dim", a.i("take_along_dim", "dim"), x.dim());
    BRAID_CHECK(x.dim() == idx.dim(), ShapeError, "take_along_dim",
                "x and indices must have the same number of dims; got x {}, indices {}",
                shape_str(x.shape()), shape_str(idx.shape()));
    // Every dim but `dim` broadcasts between x and indices.
    Shape xs = x.shape(), is = idx.shape();
    for (int64_t d2 = 0; d2 < x.dim(); ++d2) {
      if (d2 == dim) continue;
      int64_t a1 = xs[d2], b1 = is[d2];
      BRAID_CHECK(a1 == b1 || a1 == 1 || b1 == 1, ShapeError, "take_along_dim",
                  "x and indices must broadcast on every dim but {}; got x {}, indices {} (dim {}: "
                  "{} vs {})",
                  dim, shape_str(x.shape()), shape_str(idx.shape()), d2, a1, b1);
      xs[d2] = is[d2] = std::max(a1, b1);
    }
    return {gather(expand(x, xs), dim, expand(idx, is))};
  };
  d.onnx = "GatherElements";
  return d;
}

OpDef make_def_nonzero() {
  OpDef d;
  d.traits = kDynamicShape | kHalfNative;
  d.infer = [](std::span<const Tensor> in, const Attrs&) -> M {
    return {{{0, in[0].dim()}, DType::Int64}};
  };
  d.portable = [](const KernelArgs& a) { a.out[0] = kernels::nonzero(a.in[0]); };
  d.nondiff_reason = "integer output";
  d.onnx = "NonZero";
  d.onnx_note = "ONNX NonZero returns the transpose, (rank, n)";
  return d;
}

}  // namespace detail

using detail::call1;
Tensor index_select(const Tensor& x, int64_t dim, const Tensor& index) {
  return call1(OpId::index_select, {x, index}, {{"dim", dim}});
}
Tensor index_add(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& source) {
  return call1(OpId::index_add, {x, index, source}, {{"dim", dim}});
}
Tensor gather(const Tensor& x, int64_t dim, const Tensor& index) {
  return call1(OpId::gather, {x, index}, {{"dim", dim}});
}
Tensor scatter(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& src) {
  return call1(OpId::scatter, {x, index, src}, {{"dim", dim}});
}
Tensor scatter_add(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& src) {
  return call1(OpId::scatter_add, {x, index, src}, {{"dim", dim}});
}
Tensor take_along_dim(const Tensor& x, const Tensor& indices, std::optional<int64_t> dim) {
  Attrs a;
  if (dim) a.set("dim", *dim);
  return call1(OpId::take_along_dim, {x, indices}, a);
}
Tensor nonzero(const Tensor& x) { return call1(OpId::nonzero, {x}); }

}  // namespace braid
