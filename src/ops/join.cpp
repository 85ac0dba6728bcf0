// Joining, splitting and rearranging: cat, stack, split, chunk, repeat, tile,
// roll, flip, tril, triu. Only cat, flip and tril/triu have kernels; the rest
// are compositions of views and cat, so their gradients come for free.
#include <numeric>

#include "kernels/portable/index.hpp"
#include "ops/common.hpp"

namespace braid {
namespace detail {
namespace {
using V = std::vector<Tensor>;
using M = TensorMetas;

// -- cat --------------------------------------------------------------------------

// PyTorch still accepts a 1-d empty tensor, shape (0), in a cat of any rank and
// skips it. `rank` is the rank of the inputs that are not skipped.
bool is_legacy_empty(const Tensor& t, int64_t rank) {
  return rank != 1 && t.dim() == 1 && t.shape()[0] == 0;
}
bool is_legacy_empty(const GradMeta& m, int64_t rank) { return rank != 1 && m.shape == Shape{0}; }

struct CatPlan {
  int64_t ref = 0;  ///< the input whose shape the others must match
  int64_t rank = 1;
  int64_t dim = 0;
};

CatPlan cat_plan(std::span<const Tensor> in, const Attrs& a) {
  BRAID_CHECK(!in.empty(), ValueError, "cat", "needs at least one tensor; got an empty list");
  CatPlan p;
  for (size_t i = 0; i < in.size(); ++i) {
    BRAID_CHECK(in[i].defined(), ValueError, "cat", "input {} is undefined", i);
    BRAID_CHECK(in[i].dim() > 0, ShapeError, "cat",
                "a 0-dim tensor (input {}) cannot be concatenated; unsqueeze it first", i);
  }
  for (size_t i = 0; i < in.size(); ++i)
    if (!(in[i].dim() == 1 && in[i].shape()[0] == 0)) {
      p.ref = static_cast<int64_t>(i);
      p.rank = in[i].dim();
      break;
    }
  // All inputs (0)-shaped: any dim is accepted, as in PyTorch.
  p.dim = in[p.ref].shape() == Shape{0} ? 0 : wrap_dim("cat", a.i("cat", "dim"), p.rank);
  return p;
}

M infer_cat(std::span<const Tensor> in, const Attrs& a) {
  CatPlan p = cat_plan(in, a);
  const Shape& ref = in[p.ref].shape();
  Shape out = ref;
  out[p.dim] = 0;
  DType dt = in[0].dtype();
  for (size_t i = 0; i < in.size(); ++i) {
    dt = promote_types(dt, in[i].dtype());
    if (is_legacy_empty(in[i], p.rank)) continue;
    const Shape& s = in[i].shape();
    BRAID_CHECK(in[i].dim() == p.rank, ShapeError, "cat",
                "inputs must have the same number of dims; got input {} of shape {} and input {} "
                "of shape {}",
                p.ref, shape_str(ref), i, shape_str(s));
    for (int64_t d = 0; d < p.rank; ++d)
      BRAID_CHECK(
          d == p.dim || s[d] == ref[d], ShapeError, "cat",
          "sizes must match except in dim {}; got input {} of shape {} and input {} of shape {}",
          p.dim, p.ref, shape_str(ref), i, shape_str(s));
    out[p.dim] += s[p.dim];
  }
  return {{out, dt}};
}

V cat_vjp(const VjpCtx& c) {
  const Tensor& g = c.grads[0];
  // A rank-1 result can only have been joined on dim 0 (or made of (0) inputs only).
  int64_t dim = g.dim() == 1 ? 0 : wrap_dim("cat", c.attrs.i("cat", "dim"), g.dim());
  V grads(c.input_meta.size());
  int64_t pos = 0;
  for (size_t i = 0; i < grads.size(); ++i) {
    const GradMeta& m = c.input_meta[i];
    if (is_legacy_empty(m, g.dim())) {
      if (c.needs_grad[i]) grads[i] = zeros(m.shape, m.dtype);
      continue;
    }
    int64_t len = m.shape[dim];
    if (c.needs_grad[i]) grads[i] = grad_for(narrow(g, dim, pos, len), m);
    pos += len;
  }
  return grads;
}

// -- split / chunk ------------------------------------------------------------------

V split_sizes(const Tensor& x, int64_t dim, const std::vector<int64_t>& sizes) {
  V out;
  int64_t pos = 0;
  for (int64_t s : sizes) {
    out.push_back(narrow(x, dim, pos, s));
    pos += s;
  }
  return out;
}

std::vector<int64_t> even_sizes(const Tensor& x, int64_t dim, int64_t split_size) {
  int64_t n = x.shape()[dim];
  BRAID_CHECK(split_size >= 0, ValueError, "split", "split_size must be non-negative; got {}",
              split_size);
  BRAID_CHECK(split_size > 0 || n == 0, ValueError, "split",
              "split_size 0 is only valid for an empty dim; dim {} of {} has size {}", dim,
              shape_str(x.shape()), n);
  if (n == 0) return {0};
  std::vector<int64_t> sizes((n + split_size - 1) / split_size, split_size);
  sizes.back() = n - split_size * (static_cast<int64_t>(sizes.size()) - 1);
  return sizes;
}

// -- repeat / tile / roll --------------------------------------------------------------

Tensor repeat_impl(const Tensor& x, const std::vector<int64_t>& reps) {
  // x padded to (s0, s1, ...) is viewed as (1, s0, 1, s1, ...), expanded to
  // (r0, s0, r1, s1, ...) and copied, which lays the copies out as repeat does.
  size_t lead = reps.size() - static_cast<size_t>(x.dim());
  Shape inter, big, final_shape;
  for (size_t d = 0; d < reps.size(); ++d) {
    int64_t s = d < lead ? 1 : x.shape()[d - lead];
    inter.insert(inter.end(), {1, s});
    big.insert(big.end(), {reps[d], s});
    final_shape.push_back(reps[d] * s);
  }
  // clone, so the result never aliases x (repeat always copies, even by 1).
  return view(clone(expand(reshape(x, inter), big)), final_shape);
}

Tensor roll_one(const Tensor& x, int64_t shift, int64_t dim) {
  if (x.dim() == 0) return x;
  int64_t n = x.shape()[dim];
  if (n == 0) return x;
  int64_t s = ((shift % n) + n) % n;
  if (s == 0) return x;
  return cat({narrow(x, dim, n - s, s), narrow(x, dim, 0, n - s)}, dim);
}

// -- tril / triu ------------------------------------------------------------------------

template <bool kLower>
OpDef triangle_def() {
  OpDef d;
  d.traits = kHalfNative;
  d.infer = [](std::span<const Tensor> in, const Attrs&) -> M {
    BRAID_CHECK(in[0].dim() >= 2, ShapeError, kLower ? "tril" : "triu",
                "x must have at least 2 dims (the matrix is the last two); got shape {}",
                shape_str(in[0].shape()));
    return {{in[0].shape(), in[0].dtype()}};
  };
  d.portable = [](const KernelArgs& a) {
    kernels::triangle(a.out[0], a.in[0], a.attrs.i(kLower ? "tril" : "triu", "diagonal"), kLower);
  };
  d.vjp = [](const VjpCtx& c) -> V {
    int64_t k = c.attrs.i(kLower ? "tril" : "triu", "diagonal");
    return {kLower ? tril(c.grads[0], k) : triu(c.grads[0], k)};
  };
  d.onnx = "Trilu";
  return d;
}
}  // namespace

OpDef make_def_cat() {
  OpDef d;
  d.traits = kHalfNative;
  d.num_inputs = -1;
  // Note [cat promotion]: cat promotes its inputs itself: the kernel casts
  // while it copies, so no promoted temporaries are made, and promote_mask
  // (one bit per input, 32 bits) could not cover a longer list anyway. The vjp
  // casts each gradient back to its input's dtype.
  d.promote_mask = 0;
  d.infer = infer_cat;
  d.portable = [](const KernelArgs& a) {
    kernels::cat(a.out[0], a.in, cat_plan(a.in, a.attrs).dim);
  };
  d.vjp = cat_vjp;
  d.onnx = "Concat";
  return d;
}

OpDef make_def_stack() {
  OpDef d;
  d.kind = OpKind::Composite;
  d.num_inputs = -1;
  d.composite = [](std::span<const Tensor> in, const Attrs& a) -> V {
    BRAID_CHECK(!in.empty(), ValueError, "stack", "needs at least one tensor; got an empty list");
    for (size_t i = 0; i < in.size(); ++i) {
      BRAID_CHECK(in[i].defined(), ValueError, "stack", "input {} is undefined", i);
      BRAID_CHECK(
          in[i].shape() == in[0].shape(), ShapeError, "stack",
          "inputs must all have the same shape; got input 0 of shape {} and input {} of shape {}",
          shape_str(in[0].shape()), i, shape_str(in[i].shape()));
    }
    int64_t dim = wrap_dim("stack", a.i("stack", "dim"), in[0].dim() + 1);
    V parts;
    for (const Tensor& t : in) parts.push_back(unsqueeze(t, dim));
    return {cat(parts, dim)};
  };
  d.onnx_note = "composite: Unsqueeze each input, then Concat";
  return d;
}

OpDef make_def_split() {
  OpDef d;
  d.kind = OpKind::Composite;
  // num_outputs stays 1: the registry has no value for "as many as the attrs say".
  d.composite = [](std::span<const Tensor> in, const Attrs& a) -> V {
    const Tensor& x = in[0];
    BRAID_CHECK(x.dim() > 0, ShapeError, "split", "x must have at least 1 dim; got a 0-dim tensor");
    int64_t dim = wrap_dim("split", a.i("split", "dim"), x.dim());
    if (!a.has("sizes")) return split_sizes(x, dim, even_sizes(x, dim, a.i("split", "split_size")));
    const std::vector<int64_t>& sizes = a.ints("split", "sizes");
    int64_t total = 0;
    for (int64_t s : sizes) {
      BRAID_CHECK(s >= 0, ValueError, "split", "sizes must be non-negative; got ({})",
                  fmt::join(sizes, ", "));
      total += s;
    }
    BRAID_CHECK(total == x.shape()[dim], ValueError, "split",
                "sizes must sum to {} (the size of dim {} of {}); got ({}) summing to {}",
                x.shape()[dim], dim, shape_str(x.shape()), fmt::join(sizes, ", "), total);
    return split_sizes(x, dim, sizes);
  };
  d.onnx = "Split";
  return d;
}

OpDef make_def_chunk() {
  OpDef d;
  d.kind = OpKind::Composite;
  // num_outputs stays 1: the registry has no value for "as many as the attrs say".
  d.composite = [](std::span<const Tensor> in, const Attrs& a) -> V {
    const Tensor& x = in[0];
    int64_t chunks = a.i("chunk", "chunks");
    BRAID_CHECK(chunks > 0, ValueError, "chunk", "chunks must be positive; got {}", chunks);
    BRAID_CHECK(x.dim() > 0, ShapeError, "chunk", "x must have at least 1 dim; got a 0-dim tensor");
    int64_t dim = wrap_dim("chunk", a.i("chunk", "dim"), x.dim());
    int64_t n = x.shape()[dim];
    // As PyTorch: pieces of ceil(n / chunks), so there may be fewer than
    // `chunks` of them -- except that an empty dim gives `chunks` empty pieces.
    if (n == 0) return split_sizes(x, dim, std::vector<int64_t>(static_cast<size_t>(chunks), 0));
    return split(x, (n + chunks - 1) / chunks, dim);
  };
  d.onnx = "Split";
  return d;
}

OpDef make_def_repeat() {
  OpDef d;
  d.kind = OpKind::Composite;
  d.composite = [](std::span<const Tensor> in, const Attrs& a) -> V {
    const Tensor& x = in[0];
    const std::vector<int64_t>& reps = a.ints("repeat", "repeats");
    BRAID_CHECK(static_cast<int64_t>(reps.size()) >= x.dim(), ShapeError, "repeat",
                "needs a repeat count for each of the {} dims of x (shape {}); got ({})", x.dim(),
                shape_str(x.shape()), fmt::join(reps, ", "));
    for (int64_t r : reps)
      BRAID_CHECK(r >= 0, ValueError, "repeat", "repeats must be non-negative; got ({})",
                  fmt::join(reps, ", "));
    return {repeat_impl(x, reps)};
  };
  d.onnx = "Tile";
  return d;
}

OpDef make_def_tile() {
  OpDef d;
  d.kind = OpKind::Composite;
  d.composite = [](std::span<const Tensor> in, const Attrs& a) -> V {
    const Tensor& x = in[0];
    std::vector<int64_t> reps = a.ints("tile", "reps");
    for (int64_t r : reps)
      BRAID_CHECK(r >= 0, ValueError, "tile", "reps must be non-negative; got ({})",
                  fmt::join(reps, ", "));
    // Fewer reps than dims: the missing leading ones are 1.
    if (static_cast<int64_t>(reps.size()) < x.dim())
      reps.insert(reps.begin(), static_cast<size_t>(x.dim()) - reps.size(), 1);
    return {repeat_impl(x, reps)};
  };
  d.onnx = "Tile";
  return d;
}

OpDef make_def_roll() {
  OpDef d;
  d.kind = OpKind::Composite;
  d.composite = [](std::span<const Tensor> in, const Attrs& a) -> V {
    const Tensor& x = in[0];
    const std::vector<int64_t>& shifts = a.ints("roll", "shifts");
    const std::vector<int64_t>& dims = a.ints("roll", "dims");
    Tensor y = x;
    if (dims.empty()) {
      BRAID_CHECK(shifts.size() == 1, ValueError, "roll",
                  "without dims x is rolled flattened and takes exactly one shift; got shifts ({})",
                  fmt::join(shifts, ", "));
      y = reshape(roll_one(reshape(x, {-1}), shifts[0], 0), x.shape());
    } else {
      BRAID_CHECK(shifts.size() == dims.size(), ValueError, "roll",
                  "needs one shift per dim; got shifts ({}) and dims ({})", fmt::join(shifts, ", "),
                  fmt::join(dims, ", "));
      for (size_t i = 0; i < dims.size(); ++i)
        y = roll_one(y, shifts[i], wrap_dim("roll", dims[i], x.dim()));
    }
    // Never hand back x itself (or a view of it): roll makes a new tensor.
    return {y.storage() == x.storage() ? clone(y) : y};
  };
  d.onnx_note = "composite: Slice + Concat per rolled dim";
  return d;
}

OpDef make_def_flip() {
  OpDef d;
  d.traits = kHalfNative;
  d.infer = [](std::span<const Tensor> in, const Attrs& a) -> M {
    wrap_dims("flip", a.ints("flip", "dims"), in[0].dim(), false);  // range and duplicates
    return {{in[0].shape(), in[0].dtype()}};
  };
  d.portable = [](const KernelArgs& a) {
    const Tensor& x = a.in[0];
    std::vector<int64_t> dims;
    if (x.dim() > 0) dims = wrap_dims("flip", a.attrs.ints("flip", "dims"), x.dim(), false);
    kernels::flip(a.out[0], x, dims);
  };
  d.vjp = [](const VjpCtx& c) -> V { return {flip(c.grads[0], c.attrs.ints("flip", "dims"))}; };
  d.onnx_note = "no ONNX Flip; Slice with step -1 per dim";
  return d;
}

OpDef make_def_tril() { return triangle_def<true>(); }
OpDef make_def_triu() { return triangle_def<false>(); }

}  // namespace detail

using detail::call;
using detail::call1;
Tensor cat(const std::vector<Tensor>& xs, int64_t dim) {
  return call1(OpId::cat, xs, {{"dim", dim}});
}
Tensor stack(const std::vector<Tensor>& xs, int64_t dim) {
  return call1(OpId::stack, xs, {{"dim", dim}});
}
std::vector<Tensor> split(const Tensor& x, int64_t split_size, int64_t dim) {
  return call(OpId::split, {x}, {{"split_size", split_size}, {"dim", dim}});
}
std::vector<Tensor> split(const Tensor& x, const std::vector<int64_t>& sizes, int64_t dim) {
  return call(OpId::split, {x}, {{"sizes", sizes}, {"dim", dim}});
}
std::vector<Tensor> chunk(const Tensor& x, int64_t chunks, int64_t dim) {
  return call(OpId::chunk, {x}, {{"chunks", chunks}, {"dim", dim}});
}
Tensor repeat(const Tensor& x, const std::vector<int64_t>& repeats) {
  return call1(OpId::repeat, {x}, {{"repeats", repeats}});
}
Tensor tile(const Tensor& x, const std::vector<int64_t>& reps) {
  return call1(OpId::tile, {x}, {{"reps", reps}});
}
Tensor roll(const Tensor& x, const std::vector<int64_t>& shifts, const std::vector<int64_t>& dims) {
  return call1(OpId::roll, {x}, {{"shifts", shifts}, {"dims", dims}});
}
Tensor flip(const Tensor& x, const std::vector<int64_t>& dims) {
  return call1(OpId::flip, {x}, {{"dims", dims}});
}
Tensor tril(const Tensor& x, int64_t diagonal) {
  return call1(OpId::tril, {x}, {{"diagonal", diagonal}});
}
Tensor triu(const Tensor& x, int64_t diagonal) {
  return call1(OpId::triu, {x}, {{"diagonal", diagonal}});
}

}  // namespace braid
