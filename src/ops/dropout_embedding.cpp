// dropout and embedding (composites) and one_hot (a kernel, not
// differentiable), PyTorch 1.13 semantics. The norm family's other half; see
// src/ops/norm.cpp.
#include "braid/ops/norm.hpp"
#include "kernels/portable/index.hpp"
#include "kernels/portable/norm.hpp"
#include "ops/common.hpp"

namespace braid {
namespace detail {
namespace {
using V = std::vector<Tensor>;

// Inverted dropout, as PyTorch's: mask = bernoulli(1 - p) / (1 - p), y = x * mask.
// The mask is drawn from the default generator by the bernoulli factory (Note
// [counter-based random]), so a seed fixes it whatever the thread count. It is
// a constant, so the gradient is g * mask (mul's).
V dropout_composite(std::span<const Tensor> in, const Attrs& a) {
  const Tensor& x = in[0];
  BRAID_CHECK(x.defined(), ValueError, "dropout", "x is undefined");
  const double p = a.f("dropout", "p");
  BRAID_CHECK(p >= 0 && p <= 1, ValueError, "dropout", "p must be in [0, 1]; got {}", p);
  BRAID_CHECK(x.is_floating_point(), DTypeError, "dropout", "x must be floating; got {}",
              dtype_name(x.dtype()));
  if (!a.b("dropout", "training") || p == 0) return {x};
  if (p == 1) return {x * zeros({}, x.dtype())};  // x * 0, as PyTorch: NaN stays NaN
  // The scale is 1 / (1 - p) rounded as the divide by (1 - p) in x's dtype
  // rounds it, so the mask's bits are those of bernoulli(...) / (1 - p).
  const double keep = 1 - p;
  const double scale =
      x.dtype() == DType::Float64 ? 1 / keep : static_cast<double>(1.0f / static_cast<float>(keep));
  return {x * bernoulli_scaled(x.shape(), keep, scale, x.dtype())};
}

// The first index outside [0, rows), named with its position.
void check_rows(const Tensor& indices, int64_t rows) {
  auto bad = kernels::find_bad_index(indices, rows);
  if (!bad) return;
  std::string at =
      indices.dim() > 0 ? fmt::format(" at position {}", shape_str(bad->position)) : "";
  std::string valid = rows > 0 ? fmt::format("valid: 0 to {}", rows - 1) : "weight has no rows";
  throw IndexError(
      fmt::format("[embedding] index {}{} is out of range for weight with {} rows ({})", bad->value,
                  at, rows, valid));
}

// index_select of the rows (its gradient is index_add). Rows picked by
// padding_idx are the detached weight row: same value, no gradient.
V embedding_composite(std::span<const Tensor> in, const Attrs& a) {
  const Tensor &w = in[0], &indices = in[1];
  BRAID_CHECK(w.defined() && indices.defined(), ValueError, "embedding",
              "weight and indices must be defined");
  BRAID_CHECK(w.dim() == 2, ShapeError, "embedding",
              "weight must be 2-D (num_embeddings, embedding_dim); got weight={}",
              shape_str(w.shape()));
  BRAID_CHECK(indices.dtype() == DType::Int64 || indices.dtype() == DType::Int32, DTypeError,
              "embedding", "indices must be int64 or int32; got {}", dtype_name(indices.dtype()));
  const int64_t rows = w.size(0);
  std::optional<int64_t> pad;
  if (a.has("padding_idx")) {
    const int64_t p = a.i("embedding", "padding_idx");
    BRAID_CHECK(p >= -rows && p < rows, ValueError, "embedding",
                "padding_idx must be in [-{}, {}) (num_embeddings = {}); got {}", rows, rows, rows,
                p);
    pad = p < 0 ? p + rows : p;
  }
  check_rows(indices, rows);
  const Tensor flat = reshape(indices, {indices.numel()});
  Tensor picked = index_select(w, 0, flat);
  if (pad) {
    const Tensor is_pad = reshape(flat == Scalar(*pad), {flat.numel(), 1});
    picked = where(is_pad, picked.detach(), picked);
  }
  Shape out = indices.shape();
  out.push_back(w.size(1));
  return {reshape(picked, out)};
}

// num_classes = -1 reads the indices here, before anything runs, so the
// output shape depends on values (as nonzero's): a traced graph has to fix
// num_classes. Every index is range-checked here too (DESIGN rule 6).
TensorMetas infer_one_hot(std::span<const Tensor> in, const Attrs& a) {
  const Tensor& idx = in[0];
  BRAID_CHECK(idx.dtype() == DType::Int64 || idx.dtype() == DType::Int32, DTypeError, "one_hot",
              "indices must be int64 or int32; got {}", dtype_name(idx.dtype()));
  int64_t classes = a.i("one_hot", "num_classes");
  BRAID_CHECK(classes >= -1, ValueError, "one_hot",
              "num_classes must be -1 (max(indices) + 1) or >= 0; got {}", classes);
  if (classes == -1) {
    BRAID_CHECK(idx.numel() > 0, ValueError, "one_hot",
                "cannot infer num_classes from an empty tensor; pass num_classes");
    classes = std::max<int64_t>(kernels::int_range(idx).max + 1, 0);
  }
  if (auto bad = kernels::find_bad_index(idx, classes)) {
    std::string at = idx.dim() > 0 ? fmt::format(" at position {}", shape_str(bad->position)) : "";
    BRAID_CHECK(bad->value >= 0, IndexError, "one_hot",
                "class values must be non-negative; got {}{}", bad->value, at);
    throw IndexError(
        fmt::format("[one_hot] class values must be smaller than num_classes = {}; got {}{}",
                    classes, bad->value, at));
  }
  Shape out = idx.shape();
  out.push_back(classes);
  return one_meta(std::move(out), DType::Int64);
}
}  // namespace

OpDef make_def_dropout() {
  OpDef d;
  d.kind = OpKind::Composite;
  d.traits = kRandom;
  d.composite = dropout_composite;
  d.onnx = "Dropout";
  return d;
}

OpDef make_def_embedding() {
  OpDef d;
  d.kind = OpKind::Composite;
  d.num_inputs = 2;
  d.composite = embedding_composite;
  d.onnx = "Gather";
  return d;
}

OpDef make_def_one_hot() {
  OpDef d;
  d.infer = infer_one_hot;
  d.portable = [](const KernelArgs& k) { kernels::one_hot(k.out[0], k.in[0]); };
  d.nondiff_reason = "integer output";
  d.onnx = "OneHot";
  return d;
}
}  // namespace detail

using detail::call1;

Tensor dropout(const Tensor& x, double p, bool training) {
  return call1(OpId::dropout, {x}, {{"p", p}, {"training", training}});
}

Tensor embedding(const Tensor& weight, const Tensor& indices, std::optional<int64_t> padding_idx) {
  Attrs a;
  if (padding_idx) a.set("padding_idx", *padding_idx);
  return call1(OpId::embedding, {weight, indices}, a);
}

Tensor one_hot(const Tensor& indices, int64_t num_classes) {
  return call1(OpId::one_hot, {indices}, {{"num_classes", num_classes}});
}

}  // namespace braid
