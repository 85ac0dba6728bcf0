// Copy and cast: to, clone, contiguous.
#include "kernels/portable/copy.hpp"
#include "ops/common.hpp"

namespace braid {

namespace detail {

OpDef make_def_to() {
  OpDef d;
  d.traits = kElementwise | kHalfNative;
  d.infer = [](std::span<const Tensor> in, const Attrs& a) -> TensorMetas {
    return {{in[0].shape(), dtype_from_name(a.s("to", "dtype"))}};
  };
  d.portable = [](const KernelArgs& a) { kernels::copy(a.out[0], a.in[0]); };
  d.vjp = [](const VjpCtx& c) -> std::vector<Tensor> {
    if (!is_floating(c.input_meta[0].dtype)) return {Tensor()};
    return {to(c.grads[0], c.input_meta[0].dtype)};
  };
  d.onnx = "Cast";
  return d;
}

OpDef make_def_clone() {
  OpDef d;
  d.traits = kElementwise | kHalfNative;
  d.infer = infer_same;
  d.portable = [](const KernelArgs& a) { kernels::copy(a.out[0], a.in[0]); };
  d.vjp = [](const VjpCtx& c) -> std::vector<Tensor> { return {c.grads[0]}; };
  d.onnx = "Identity";
  return d;
}

OpDef make_def_contiguous() {
  OpDef d;
  d.kind = OpKind::Composite;
  d.composite = [](std::span<const Tensor> in, const Attrs&) -> std::vector<Tensor> {
    return {in[0].is_contiguous() ? in[0] : clone(in[0])};
  };
  d.onnx = "Identity";
  return d;
}

}  // namespace detail

Tensor to(const Tensor& x, DType dtype) {
  if (x.dtype() == dtype) return x;
  return detail::call1(OpId::to, {x}, {{"dtype", std::string(dtype_name(dtype))}});
}
Tensor clone(const Tensor& x) { return detail::call1(OpId::clone, {x}); }
Tensor contiguous(const Tensor& x) { return x.is_contiguous() ? x : clone(x); }

Tensor Tensor::to(DType dtype) const { return braid::to(*this, dtype); }
Tensor Tensor::clone() const { return braid::clone(*this); }
Tensor Tensor::contiguous() const { return braid::contiguous(*this); }

Tensor Tensor::detach() const {
  const auto& src = impl();
  auto im = std::make_shared<detail::TensorImpl>();
  im->storage = src.storage;  // shares data and version counter
  im->shape = src.shape;
  im->strides = src.strides;
  im->offset = src.offset;
  im->dtype = src.dtype;
  return Tensor(std::move(im));
}

}  // namespace braid
