// View ops: new geometry over the same storage, never a copy.
#include "kernels/portable/copy.hpp"
#include "ops/common.hpp"

namespace braid {
namespace detail {
namespace {
using V = std::vector<Tensor>;

Tensor make_view(const Tensor& x, Shape shape, Shape strides, int64_t offset) {
  return as_strided(x, std::move(shape), std::move(strides), offset);
}

// Resolves one -1 and checks the element count.
Shape infer_size(std::string_view op, const Shape& want, int64_t numel, const Shape& from) {
  Shape out = want;
  int64_t known = 1, neg = -1;
  for (size_t i = 0; i < out.size(); ++i) {
    if (out[i] == -1) {
      BRAID_CHECK(neg < 0, ShapeError, op, "only one dim can be -1; got {}", shape_str(want));
      neg = static_cast<int64_t>(i);
    } else {
      BRAID_CHECK(out[i] >= 0, ShapeError, op, "invalid size {} in shape {}", out[i],
                  shape_str(want));
      known *= out[i];
    }
  }
  if (neg >= 0) {
    BRAID_CHECK(known != 0 && numel % known == 0, ShapeError, op,
                "shape {} is invalid for input of shape {}", shape_str(want), shape_str(from));
    out[neg] = numel / known;
  }
  BRAID_CHECK(numel_of(out) == numel, ShapeError, op,
              "shape {} is invalid for input of shape {} ({} elements)", shape_str(want),
              shape_str(from), numel);
  return out;
}

// Strides for viewing (shape, strides) as `target` without a copy, or empty
// when impossible: each run of old dims that is contiguous in memory may be
// split or merged freely; runs may not be mixed.
std::optional<Shape> view_strides(const Shape& shape, const Shape& strides, const Shape& target) {
  if (numel_of(shape) == 0 || shape.empty()) return contiguous_strides(target);
  Shape out(target.size());
  int64_t view_d = static_cast<int64_t>(target.size()) - 1;
  int64_t chunk_base = strides.back();
  int64_t tensor_numel = 1, view_numel = 1;
  for (int64_t d = static_cast<int64_t>(shape.size()) - 1; d >= 0; --d) {
    tensor_numel *= shape[d];
    if (d == 0 || (shape[d - 1] != 1 && strides[d - 1] != tensor_numel * chunk_base)) {
      while (view_d >= 0 && (view_numel < tensor_numel || target[view_d] == 1)) {
        out[view_d] = view_numel * chunk_base;
        view_numel *= target[view_d];
        --view_d;
      }
      if (view_numel != tensor_numel) return std::nullopt;
      if (d > 0) {
        chunk_base = strides[d - 1];
        tensor_numel = 1;
        view_numel = 1;
      }
    }
  }
  if (view_d != -1) return std::nullopt;
  return out;
}

struct SliceRange {
  int64_t dim, start, end, step, len;
};
SliceRange norm_slice(std::string_view op, const Shape& shape, const Attrs& a) {
  BRAID_CHECK(!shape.empty(), IndexError, op, "cannot slice a 0-dim tensor");
  int64_t dim = wrap_dim(op, a.i(op, "dim"), static_cast<int64_t>(shape.size()));
  int64_t n = shape[dim], step = a.i(op, "step");
  BRAID_CHECK(step > 0, ValueError, op, "step must be positive; got {}", step);
  auto clampi = [n](int64_t v) { return std::clamp<int64_t>(v < 0 ? v + n : v, 0, n); };
  int64_t start = clampi(a.i(op, "start")), end = std::max(clampi(a.i(op, "end")), int64_t{0});
  if (end < start) end = start;
  return {dim, start, end, step, (end - start + step - 1) / step};
}

OpDef view_def(ViewFn view, InferFn infer, VjpFn vjp, std::string_view onnx) {
  OpDef d;
  d.kind = OpKind::View;
  d.traits = kHalfNative;
  d.view = view;
  d.infer = infer;
  d.vjp = vjp;
  d.onnx = onnx;
  return d;
}
TensorMetas no_meta(std::span<const Tensor>, const Attrs&) { return {}; }
}  // namespace

OpDef make_def_view() {
  return view_def(
      [](std::span<const Tensor> in, const Attrs& a) -> V {
        const Tensor& x = in[0];
        Shape target = infer_size("view", a.ints("view", "shape"), x.numel(), x.shape());
        auto st = view_strides(x.shape(), x.strides(), target);
        BRAID_CHECK(
            st.has_value(), ShapeError, "view",
            "cannot view a tensor of shape {} strides {} as {} without a copy; use reshape()",
            shape_str(x.shape()), shape_str(x.strides()), shape_str(target));
        return {make_view(x, target, *st, x.storage_offset())};
      },
      no_meta, [](const VjpCtx& c) -> V { return {reshape(c.grads[0], c.input_meta[0].shape)}; },
      "Reshape");
}

OpDef make_def_reshape() {
  OpDef d;
  d.kind = OpKind::Composite;
  d.composite = [](std::span<const Tensor> in, const Attrs& a) -> V {
    const Tensor& x = in[0];
    Shape target = infer_size("reshape", a.ints("reshape", "shape"), x.numel(), x.shape());
    if (view_strides(x.shape(), x.strides(), target)) return {view(x, target)};
    return {view(clone(x), target)};
  };
  d.onnx = "Reshape";
  return d;
}

OpDef make_def_permute() {
  return view_def(
      [](std::span<const Tensor> in, const Attrs& a) -> V {
        const Tensor& x = in[0];
        auto dims = a.ints("permute", "dims");
        BRAID_CHECK(static_cast<int64_t>(dims.size()) == x.dim(), ShapeError, "permute",
                    "dims ({}) must name each of the {} dims once", fmt::join(dims, ", "), x.dim());
        auto sorted = wrap_dims("permute", dims, x.dim(), false);
        (void)sorted;  // checks range and duplicates
        Shape sh(dims.size()), st(dims.size());
        for (size_t i = 0; i < dims.size(); ++i) {
          int64_t d = wrap_dim("permute", dims[i], x.dim());
          sh[i] = x.shape()[d];
          st[i] = x.strides()[d];
        }
        return {make_view(x, sh, st, x.storage_offset())};
      },
      no_meta,
      [](const VjpCtx& c) -> V {
        auto dims = c.attrs.ints("permute", "dims");
        std::vector<int64_t> inv(dims.size());
        int64_t r = static_cast<int64_t>(dims.size());
        for (int64_t i = 0; i < r; ++i) inv[(dims[i] + r) % r] = i;
        return {permute(c.grads[0], inv)};
      },
      "Transpose");
}

OpDef make_def_transpose() {
  OpDef d;
  d.kind = OpKind::Composite;
  d.composite = [](std::span<const Tensor> in, const Attrs& a) -> V {
    const Tensor& x = in[0];
    int64_t r = std::max<int64_t>(x.dim(), 1);
    int64_t d0 = wrap_dim("transpose", a.i("transpose", "dim0"), r),
            d1 = wrap_dim("transpose", a.i("transpose", "dim1"), r);
    if (x.dim() == 0) return {x};
    std::vector<int64_t> p(static_cast<size_t>(x.dim()));
    for (int64_t i = 0; i < x.dim(); ++i) p[i] = i;
    std::swap(p[d0], p[d1]);
    return {permute(x, p)};
  };
  d.onnx = "Transpose";
  return d;
}

OpDef make_def_expand() {
  return view_def(
      [](std::span<const Tensor> in, const Attrs& a) -> V {
        const Tensor& x = in[0];
        Shape want = a.ints("expand", "shape");
        BRAID_CHECK(want.size() >= x.shape().size(), ShapeError, "expand",
                    "target shape {} has fewer dims than the input {}", shape_str(want),
                    shape_str(x.shape()));
        size_t lead = want.size() - x.shape().size();
        Shape sh(want.size()), st(want.size(), 0);
        for (size_t i = 0; i < want.size(); ++i) {
          if (i < lead) {
            BRAID_CHECK(want[i] >= 0, ShapeError, "expand", "new leading dim {} cannot be {}", i,
                        want[i]);
            sh[i] = want[i];
            continue;
          }
          int64_t have = x.shape()[i - lead];
          int64_t w = want[i] == -1 ? have : want[i];
          BRAID_CHECK(w == have || have == 1, ShapeError, "expand",
                      "cannot expand shape {} to {}: dim {} is {} (only size-1 dims expand)",
                      shape_str(x.shape()), shape_str(want), i, have);
          sh[i] = w;
          st[i] = w == have ? x.strides()[i - lead] : 0;
        }
        return {make_view(x, sh, st, x.storage_offset())};
      },
      no_meta, [](const VjpCtx& c) -> V { return {sum_to(c.grads[0], c.input_meta[0].shape)}; },
      "Expand");
}

OpDef make_def_slice() {
  return view_def(
      [](std::span<const Tensor> in, const Attrs& a) -> V {
        const Tensor& x = in[0];
        SliceRange r = norm_slice("slice", x.shape(), a);
        Shape sh = x.shape(), st = x.strides();
        sh[r.dim] = r.len;
        st[r.dim] *= r.step;
        return {make_view(x, sh, st, x.storage_offset() + r.start * x.strides()[r.dim])};
      },
      no_meta,
      [](const VjpCtx& c) -> V {
        SliceRange r = norm_slice("slice", c.input_meta[0].shape, c.attrs);
        return {slice_scatter(zeros(c.input_meta[0].shape, c.grads[0].dtype()), c.grads[0], r.dim,
                              r.start, r.end, r.step)};
      },
      "Slice");
}

OpDef make_def_narrow() {
  OpDef d;
  d.kind = OpKind::Composite;
  d.composite = [](std::span<const Tensor> in, const Attrs& a) -> V {
    const Tensor& x = in[0];
    BRAID_CHECK(x.dim() > 0, IndexError, "narrow", "cannot narrow a 0-dim tensor");
    int64_t dim = wrap_dim("narrow", a.i("narrow", "dim"), x.dim());
    int64_t start = a.i("narrow", "start"), len = a.i("narrow", "length"), n = x.shape()[dim];
    if (start < 0) start += n;
    BRAID_CHECK(start >= 0 && len >= 0 && start + len <= n, IndexError, "narrow",
                "start {} + length {} exceeds dim {} of size {} (shape {})", a.i("narrow", "start"),
                len, dim, n, shape_str(x.shape()));
    return {slice(x, dim, start, start + len)};
  };
  d.onnx = "Slice";
  return d;
}

OpDef make_def_select() {
  OpDef d = view_def(
      [](std::span<const Tensor> in, const Attrs& a) -> V {
        const Tensor& x = in[0];
        BRAID_CHECK(x.dim() > 0, IndexError, "select", "cannot select from a 0-dim tensor");
        int64_t dim = wrap_dim("select", a.i("select", "dim"), x.dim());
        int64_t idx = a.i("select", "index"), n = x.shape()[dim];
        BRAID_CHECK(idx >= -n && idx < n, IndexError, "select",
                    "index {} is out of range for dim {} of size {} (shape {})", idx, dim, n,
                    shape_str(x.shape()));
        if (idx < 0) idx += n;
        Shape sh = x.shape(), st = x.strides();
        sh.erase(sh.begin() + dim);
        st.erase(st.begin() + dim);
        return {make_view(x, sh, st, x.storage_offset() + idx * x.strides()[dim])};
      },
      no_meta,
      [](const VjpCtx& c) -> V {
        const Shape& s = c.input_meta[0].shape;
        int64_t dim =
            wrap_dim("select", c.attrs.i("select", "dim"), static_cast<int64_t>(s.size()));
        int64_t idx = c.attrs.i("select", "index");
        if (idx < 0) idx += s[dim];
        return {slice_scatter(zeros(s, c.grads[0].dtype()), unsqueeze(c.grads[0], dim), dim, idx,
                              idx + 1, 1)};
      },
      "Gather");
  return d;
}

OpDef make_def_squeeze() {
  return view_def(
      [](std::span<const Tensor> in, const Attrs& a) -> V {
        const Tensor& x = in[0];
        auto dims = wrap_dims("squeeze", a.ints("squeeze", "dims"), x.dim(), true);
        Shape sh, st;
        for (int64_t d = 0; d < x.dim(); ++d) {
          bool named = std::find(dims.begin(), dims.end(), d) != dims.end();
          if (named && x.shape()[d] == 1) continue;  // PyTorch leaves non-1 named dims alone
          sh.push_back(x.shape()[d]);
          st.push_back(x.strides()[d]);
        }
        return {make_view(x, sh, st, x.storage_offset())};
      },
      no_meta, [](const VjpCtx& c) -> V { return {reshape(c.grads[0], c.input_meta[0].shape)}; },
      "Squeeze");
}

OpDef make_def_unsqueeze() {
  return view_def(
      [](std::span<const Tensor> in, const Attrs& a) -> V {
        const Tensor& x = in[0];
        // The new dim may also go after the last one, so the valid range is
        // one wider than wrap_dim's (whose message would name the wrong rank).
        int64_t dim = a.i("unsqueeze", "dim"), r = x.dim() + 1;
        BRAID_CHECK(dim >= -r && dim < r, IndexError, "unsqueeze",
                    "dim {} is out of range for a tensor of rank {} (valid: {} to {})", dim,
                    x.dim(), -r, r - 1);
        if (dim < 0) dim += r;
        Shape sh = x.shape(), st = x.strides();
        int64_t s = dim < x.dim() ? x.strides()[dim] * x.shape()[dim] : 1;
        sh.insert(sh.begin() + dim, 1);
        st.insert(st.begin() + dim, s);
        return {make_view(x, sh, st, x.storage_offset())};
      },
      no_meta, [](const VjpCtx& c) -> V { return {reshape(c.grads[0], c.input_meta[0].shape)}; },
      "Unsqueeze");
}

OpDef make_def_flatten() {
  OpDef d;
  d.kind = OpKind::Composite;
  d.composite = [](std::span<const Tensor> in, const Attrs& a) -> V {
    const Tensor& x = in[0];
    if (x.dim() == 0) return {reshape(x, {1})};
    int64_t s = wrap_dim("flatten", a.i("flatten", "start_dim"), x.dim());
    int64_t e = wrap_dim("flatten", a.i("flatten", "end_dim"), x.dim());
    BRAID_CHECK(s <= e, IndexError, "flatten", "start_dim {} comes after end_dim {}", s, e);
    Shape sh(x.shape().begin(), x.shape().begin() + s);
    int64_t n = 1;
    for (int64_t i = s; i <= e; ++i) n *= x.shape()[i];
    sh.push_back(n);
    sh.insert(sh.end(), x.shape().begin() + e + 1, x.shape().end());
    return {reshape(x, sh)};
  };
  d.onnx = "Flatten";
  return d;
}

OpDef make_def_slice_scatter() {
  OpDef d;
  d.num_inputs = 2;
  d.promote_mask = 3;
  d.traits = kHalfNative;
  d.infer = [](std::span<const Tensor> in, const Attrs& a) -> TensorMetas {
    SliceRange r = norm_slice("slice_scatter", in[0].shape(), a);
    Shape want = in[0].shape();
    want[r.dim] = r.len;
    BRAID_CHECK(in[1].shape() == want, ShapeError, "slice_scatter",
                "src has shape {}; the slice has shape {}", shape_str(in[1].shape()),
                shape_str(want));
    return {{in[0].shape(), in[0].dtype()}};
  };
  d.portable = [](const KernelArgs& a) {
    kernels::copy(a.out[0], a.in[0]);
    SliceRange r = norm_slice("slice_scatter", a.in[0].shape(), a.attrs);
    Tensor part = slice(a.out[0].detach(), r.dim, r.start, r.end, r.step);
    kernels::copy(part, a.in[1]);
  };
  d.vjp = [](const VjpCtx& c) -> V {
    SliceRange r = norm_slice("slice_scatter", c.input_meta[0].shape, c.attrs);
    const Tensor& g = c.grads[0];
    Tensor gb = c.needs_grad[0] ? slice_scatter(g, zeros(c.input_meta[1].shape, g.dtype()), r.dim,
                                                r.start, r.end, r.step)
                                : Tensor();
    Tensor gs = c.needs_grad[1] ? slice(g, r.dim, r.start, r.end, r.step) : Tensor();
    return {gb, gs};
  };
  d.onnx = "ScatterElements";
  d.onnx_note = "the slice's positions spread over src's shape";
  return d;
}
}  // namespace detail

using detail::call1;
Tensor view(const Tensor& x, const Shape& shape) {
  return call1(OpId::view, {x}, {{"shape", shape}});
}
Tensor reshape(const Tensor& x, const Shape& shape) {
  return call1(OpId::reshape, {x}, {{"shape", shape}});
}
Tensor permute(const Tensor& x, const std::vector<int64_t>& dims) {
  return call1(OpId::permute, {x}, {{"dims", dims}});
}
Tensor transpose(const Tensor& x, int64_t d0, int64_t d1) {
  return call1(OpId::transpose, {x}, {{"dim0", d0}, {"dim1", d1}});
}
Tensor expand(const Tensor& x, const Shape& shape) {
  return call1(OpId::expand, {x}, {{"shape", shape}});
}
Tensor slice(const Tensor& x, int64_t dim, int64_t start, int64_t end, int64_t step) {
  return call1(OpId::slice, {x}, {{"dim", dim}, {"start", start}, {"end", end}, {"step", step}});
}
Tensor narrow(const Tensor& x, int64_t dim, int64_t start, int64_t length) {
  return call1(OpId::narrow, {x}, {{"dim", dim}, {"start", start}, {"length", length}});
}
Tensor select(const Tensor& x, int64_t dim, int64_t index) {
  return call1(OpId::select, {x}, {{"dim", dim}, {"index", index}});
}
Tensor squeeze(const Tensor& x, std::vector<int64_t> dims) {
  return call1(OpId::squeeze, {x}, {{"dims", dims}});
}
Tensor unsqueeze(const Tensor& x, int64_t dim) {
  return call1(OpId::unsqueeze, {x}, {{"dim", dim}});
}
Tensor flatten(const Tensor& x, int64_t start_dim, int64_t end_dim) {
  return call1(OpId::flatten, {x}, {{"start_dim", start_dim}, {"end_dim", end_dim}});
}
Tensor slice_scatter(const Tensor& base, const Tensor& src, int64_t dim, int64_t start, int64_t end,
                     int64_t step) {
  return call1(OpId::slice_scatter, {base, src},
               {{"dim", dim}, {"start", start}, {"end", end}, {"step", step}});
}

}  // namespace braid
