// rescale: x * scale + offset in one pass, in floating point.
//
// Note [rescale]: every image model starts by normalising its input, and
// written as ops that is four passes over the batch, each with a new tensor:
// to float, / 255, - mean, / std. In the MNIST MLP's training step (W1) they
// cost 25 us of 250. rescale(x, 1 / (255 * std), -mean / std) is the same
// map as one pass straight from the bytes; Keras's Rescaling layer is this
// operation. An integer x computes in float32 and returns float32; a
// floating x keeps its dtype. The result differs from the four-op chain by
// rounding only.
#include <cmath>

#include "kernels/portable/loops.hpp"
#include "ops/common.hpp"

namespace braid {
namespace detail {
namespace {

TensorMetas infer_rescale(std::span<const Tensor> in, const Attrs& a) {
  const Tensor& x = in[0];
  BRAID_CHECK(x.dtype() != DType::Bool, DTypeError, "rescale", "bool input is not supported");
  const double scale = a.f("rescale", "scale"), offset = a.f("rescale", "offset");
  BRAID_CHECK(std::isfinite(scale) && std::isfinite(offset), ValueError, "rescale",
              "scale and offset must be finite; got scale={}, offset={}", scale, offset);
  return one_meta(x.shape(), x.is_floating_point() ? x.dtype() : DType::Float32);
}

template <class Out>
void rescale_into(const Tensor& y, const Tensor& x, double scale, double offset) {
  const Out s = static_cast<Out>(scale), o = static_cast<Out>(offset);
  BRAID_DISPATCH_NUMERIC(x.dtype(), "rescale", [&] {
    kernels::map<Out, scalar_t>([s, o](scalar_t v) { return static_cast<Out>(v) * s + o; }, y, x);
  });
}

void rescale_kernel(const KernelArgs& k) {
  const double scale = k.attrs.f("rescale", "scale"), offset = k.attrs.f("rescale", "offset");
  if (k.out[0].dtype() == DType::Float64)
    rescale_into<double>(k.out[0], k.in[0], scale, offset);
  else
    rescale_into<float>(k.out[0], k.in[0], scale, offset);
}

// d(x * scale + offset)/dx = scale; an integer x has no gradient.
std::vector<Tensor> rescale_vjp(const VjpCtx& c) {
  if (!is_floating(c.input_meta[0].dtype)) return {Tensor()};
  return {c.grads[0] * c.attrs.f("rescale", "scale")};
}
}  // namespace

OpDef make_def_rescale() {
  OpDef d;
  d.traits = kElementwise;
  d.infer = infer_rescale;
  d.portable = rescale_kernel;
  d.vjp = rescale_vjp;
  d.onnx = "Mul";
  return d;
}
}  // namespace detail

Tensor rescale(const Tensor& x, double scale, double offset) {
  return detail::call1(OpId::rescale, {x}, {{"scale", scale}, {"offset", offset}});
}

}  // namespace braid
