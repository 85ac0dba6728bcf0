#include "ops/common.hpp"

#include "kernels/portable/copy.hpp"

namespace braid::detail {

TensorMetas infer_same(std::span<const Tensor> in, const Attrs&) {
  return one_meta(in[0].shape(), in[0].dtype());
}

Shape broadcast_all(std::string_view op, std::span<const Tensor> in) {
  bool same = true;  // the common case: no broadcasting, one copy
  for (size_t i = 1; i < in.size(); ++i) same = same && in[i].shape() == in[0].shape();
  if (same) return in[0].shape();
  Shape s = in[0].shape();
  for (size_t i = 1; i < in.size(); ++i) s = broadcast_shapes(op, s, in[i].shape());
  return s;
}

Shape reduced_shape(const Shape& shape, const std::vector<int64_t>& dims, bool keepdim) {
  Shape out;
  size_t di = 0;
  for (size_t d = 0; d < shape.size(); ++d) {
    bool red = di < dims.size() && dims[di] == static_cast<int64_t>(d);
    if (red) ++di;
    if (!red)
      out.push_back(shape[d]);
    else if (keepdim)
      out.push_back(1);
  }
  return out;
}

void check_floating(std::string_view op, std::span<const Tensor> in) {
  for (const Tensor& t : in)
    BRAID_CHECK(t.is_floating_point(), DTypeError, op, "expects floating-point input; got {}",
                dtype_name(t.dtype()));
}

Tensor contiguous_of(const Tensor& t) {
  if (t.is_contiguous()) return t;
  Tensor c = empty(t.shape(), t.dtype());
  kernels::copy(c, t);
  return c;
}

Tensor sum_to(const Tensor& g, const Shape& shape) {
  if (g.shape() == shape) return g;
  size_t lead = g.shape().size() - shape.size();
  std::vector<int64_t> dims;
  for (size_t d = 0; d < g.shape().size(); ++d)
    if (d < lead || (shape[d - lead] == 1 && g.shape()[d] != 1))
      dims.push_back(static_cast<int64_t>(d));
  Tensor s = dims.empty() ? g : sum(g, dims, /*keepdim=*/true);
  return s.shape() == shape ? s : reshape(s, shape);
}

Tensor grad_for(const Tensor& g, const GradMeta& meta) {
  Tensor r = sum_to(g, meta.shape);
  return r.dtype() == meta.dtype || !is_floating(meta.dtype) ? r : to(r, meta.dtype);
}

Tensor unsqueeze_dims(const Tensor& g, const std::vector<int64_t>& dims) {
  Tensor r = g;
  for (int64_t d : dims) r = unsqueeze(r, d);  // dims sorted ascending
  return r;
}

bool has_half(std::span<const Tensor> in) {
  for (const Tensor& t : in)
    if (t.defined() && (t.dtype() == DType::Float16 || t.dtype() == DType::BFloat16)) return true;
  return false;
}

OpDef composite_def(CompositeFn fn, int num_inputs, std::string_view onnx,
                    std::string_view onnx_note, int num_outputs) {
  OpDef d;
  d.kind = OpKind::Composite;
  d.num_inputs = num_inputs;
  d.num_outputs = num_outputs;
  d.composite = fn;
  d.onnx = onnx;
  d.onnx_note = onnx_note;
  return d;
}

}  // namespace braid::detail
