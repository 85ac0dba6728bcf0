// Sorting: sort (stable), argsort, topk. NaN orders as the greatest value, as
// in PyTorch. The gradient of the values flows back to the positions the
// indices name (a scatter into zeros).
#include "kernels/portable/index.hpp"
#include "ops/common.hpp"

namespace braid {
namespace detail {
namespace {
using V = std::vector<Tensor>;
using M = TensorMetas;

// Gradient of values picked from x at `indices` along dim. Each index appears
// once per line, so adding into zeros places each gradient exactly.
Tensor picked_grad(const VjpCtx& c, const Tensor& indices, int64_t dim) {
  const Tensor& g = c.grads[0];
  return scatter_add(zeros(c.input_meta[0].shape, g.dtype()), dim, indices, g);
}

// Note [saved index outputs]: the dispatcher currently saves floating outputs
// only, so when the int64 indices were not kept they are recomputed from the
// saved input (detached: indices carry no gradient).
Tensor sort_indices(const VjpCtx& c) {
  if (c.outputs.size() > 1 && c.outputs[1].defined()) return c.outputs[1];
  return sort(c.inputs[0].detach(), c.attrs.i("sort", "dim"), c.attrs.b("sort", "descending"))
      .indices;
}

Tensor topk_indices(const VjpCtx& c) {
  if (c.outputs.size() > 1 && c.outputs[1].defined()) return c.outputs[1];
  const Attrs& a = c.attrs;
  return topk(c.inputs[0].detach(), a.i("topk", "k"), a.i("topk", "dim"), a.b("topk", "largest"),
              a.b("topk", "sorted"))
      .indices;
}
}  // namespace

OpDef make_def_sort() {
  OpDef d;
  d.traits = kHalfNative;
  d.num_outputs = 2;
  d.infer = [](std::span<const Tensor> in, const Attrs& a) -> M {
    wrap_dim("sort", a.i("sort", "dim"), in[0].dim());
    return {{in[0].shape(), in[0].dtype()}, {in[0].shape(), DType::Int64}};
  };
  d.portable = [](const KernelArgs& a) {
    int64_t dim = wrap_dim("sort", a.attrs.i("sort", "dim"), a.in[0].dim());
    kernels::sort(a.out[0], a.out[1], a.in[0], dim, a.attrs.b("sort", "descending"));
  };
  d.vjp = [](const VjpCtx& c) -> V {
    return {picked_grad(c, sort_indices(c), c.attrs.i("sort", "dim"))};
  };
  d.save_inputs = 1;  // only for Note [saved index outputs]
  d.save_outputs = 2;
  d.onnx_note = "TopK with k = the dim's size (ONNX TopK is not stable for ties)";
  return d;
}

OpDef make_def_argsort() {
  OpDef d;
  d.kind = OpKind::Composite;
  d.composite = [](std::span<const Tensor> in, const Attrs& a) -> V {
    int64_t dim = wrap_dim("argsort", a.i("argsort", "dim"), in[0].dim());
    return {sort(in[0], dim, a.b("argsort", "descending")).indices};
  };
  d.nondiff_reason = "integer output";
  d.onnx_note = "TopK with k = the dim's size, indices output";
  return d;
}

OpDef make_def_topk() {
  OpDef d;
  d.traits = kHalfNative;
  d.num_outputs = 2;
  d.infer = [](std::span<const Tensor> in, const Attrs& a) -> M {
    const Tensor& x = in[0];
    int64_t dim = wrap_dim("topk", a.i("topk", "dim"), x.dim());
    int64_t k = a.i("topk", "k"), n = x.dim() == 0 ? 1 : x.shape()[dim];
    BRAID_CHECK(k >= 0 && k <= n, IndexError, "topk",
                "k must be in [0, {}] (the size of dim {} of {}); got k = {}", n, dim,
                shape_str(x.shape()), k);
    Shape out = x.shape();
    if (x.dim() > 0) out[dim] = k;
    return {{out, x.dtype()}, {out, DType::Int64}};
  };
  d.portable = [](const KernelArgs& a) {
    const Tensor& x = a.in[0];
    int64_t dim = wrap_dim("topk", a.attrs.i("topk", "dim"), x.dim());
    // A 0-dim x gives itself for k = 0 as well as 1, as in PyTorch.
    int64_t k = x.dim() == 0 ? 1 : a.attrs.i("topk", "k");
    kernels::topk(a.out[0], a.out[1], x, k, dim, a.attrs.b("topk", "largest"));
  };
  d.vjp = [](const VjpCtx& c) -> V {
    return {picked_grad(c, topk_indices(c), c.attrs.i("topk", "dim"))};
  };
  d.save_inputs = 1;  // only for Note [saved index outputs]
  d.save_outputs = 2;
  d.onnx = "TopK";
  return d;
}

}  // namespace detail

using detail::call;
ValuesIndices sort(const Tensor& x, int64_t dim, bool descending) {
  auto out = call(OpId::sort, {x}, {{"dim", dim}, {"descending", descending}});
  return {std::move(out[0]), std::move(out[1])};
}
Tensor argsort(const Tensor& x, int64_t dim, bool descending) {
  return detail::call1(OpId::argsort, {x}, {{"dim", dim}, {"descending", descending}});
}
ValuesIndices topk(const Tensor& x, int64_t k, int64_t dim, bool largest, bool sorted) {
  auto out =
      call(OpId::topk, {x}, {{"k", k}, {"dim", dim}, {"largest", largest}, {"sorted", sorted}});
  return {std::move(out[0]), std::move(out[1])};
}

}  // namespace braid
