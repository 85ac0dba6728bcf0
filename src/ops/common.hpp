#pragma once
// Internal helpers for writing op definitions: shared infer functions,
// attribute builders and the gradient helpers vjps use.
#include <span>

#include "braid/core/grad_mode.hpp"
#include "braid/ops/ops.hpp"
#include "braid/ops/registry.hpp"
#include "ops/defs.hpp"

namespace braid::detail {

// -- infer helpers --------------------------------------------------------------
/// One output, same shape and dtype as input 0.
TensorMetas infer_same(std::span<const Tensor> in, const Attrs&);
/// The broadcast shape of all inputs. Throws ShapeError naming `op`.
Shape broadcast_all(std::string_view op, std::span<const Tensor> in);
/// One output, the broadcast shape of all inputs, dtype of input 0 (inputs are
/// promoted). Errors name op `Id` (an infer function is not told its op).
/// A single output's meta, moved in (an initializer list would copy the shape;
/// this runs on every op call).
inline TensorMetas one_meta(Shape shape, DType dtype) {
  TensorMetas r;
  r.push_back(TensorMeta{std::move(shape), dtype});
  return r;
}
template <OpId Id>
TensorMetas infer_broadcast(std::span<const Tensor> in, const Attrs&) {
  return one_meta(broadcast_all(op_def(Id).name, in), in[0].dtype());
}
/// As infer_broadcast, but a bool output (comparisons, logical ops).
template <OpId Id>
TensorMetas infer_broadcast_bool(std::span<const Tensor> in, const Attrs&) {
  return one_meta(broadcast_all(op_def(Id).name, in), DType::Bool);
}
/// The reduced shape of `shape` over `dims` (already wrapped and sorted).
Shape reduced_shape(const Shape& shape, const std::vector<int64_t>& dims, bool keepdim);

/// The entry of a composite op: its autograd comes from the ops `fn` calls.
OpDef composite_def(CompositeFn fn, int num_inputs, std::string_view onnx,
                    std::string_view onnx_note = {}, int num_outputs = 1);

/// Checks every input is defined and floating; names the op.
void check_floating(std::string_view op, std::span<const Tensor> in);
/// t, or a contiguous copy of it made by the copy kernel (inside a kernel:
/// no autograd, nothing traced).
Tensor contiguous_of(const Tensor& t);

// -- vjp helpers (written with braid ops, so they are differentiable) ------------
/// Sums `g` down to `shape` (undoes broadcasting).
Tensor sum_to(const Tensor& g, const Shape& shape);
/// Casts `g` to the dtype of the input it flows into (for promoted inputs).
Tensor grad_for(const Tensor& g, const GradMeta& meta);
/// Re-inserts reduced dims (size 1) so a reduced gradient broadcasts back.
Tensor unsqueeze_dims(const Tensor& g, const std::vector<int64_t>& dims);

/// Whether any defined input is float16/bfloat16 (the dispatcher then computes
/// in float32 for kernels without kHalfNative).
bool has_half(std::span<const Tensor> in);

/// relu_backward's kernel into `out` (conv2d_backward masks grad_y with it).
void relu_backward_into(const Tensor& out, const Tensor& grad, const Tensor& y);

/// bernoulli(shape, p, dtype) with `value` where it draws 1: dropout's
/// scaled mask in one pass instead of a draw and a divide (same draws).
Tensor bernoulli_scaled(const Shape& shape, double p, double value, DType dtype);

}  // namespace braid::detail
