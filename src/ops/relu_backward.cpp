// relu_backward(grad, y): 0 where y <= 0, else grad - the gradient of relu,
// given its output. PyTorch's threshold_backward at 0.
//
// Note [relu backward]: written with ops, relu's gradient was G * (Y > 0) cast
// to float: three passes over the activation and a float temporary its size;
// a compare and a masked fill still took two. In the MNIST CNN's training
// step (W2) the ReLU gradients are 7.5M elements, and this one pass read of
// grad and y plus one write is what is left. A NaN or inf gradient where
// y <= 0 gives 0, as PyTorch's (a multiply by the mask would give NaN).
#include "kernels/portable/loops.hpp"
#include "ops/common.hpp"

namespace braid {
namespace detail {
void relu_backward_into(const Tensor& out, const Tensor& grad, const Tensor& y) {
  BRAID_DISPATCH_FLOAT(out.dtype(), "relu_backward", [&] {
    // 0 where y <= 0, else g: a NaN y keeps g, as PyTorch's.
    kernels::map<scalar_t, scalar_t, scalar_t>(
        [](scalar_t g, scalar_t y) {
          return kernels::branchless_select(y <= scalar_t(0), scalar_t(0), g);
        },
        out, grad, y);
  });
}

namespace {

TensorMetas infer_relu_backward(std::span<const Tensor> in, const Attrs&) {
  const Tensor &g = in[0], &y = in[1];
  BRAID_CHECK(g.shape() == y.shape(), ShapeError, "relu_backward",
              "grad and y must have the same shape; got grad={}, y={}", shape_str(g.shape()),
              shape_str(y.shape()));
  BRAID_CHECK(g.is_floating_point() && g.dtype() == y.dtype(), DTypeError, "relu_backward",
              "grad and y must have the same floating dtype; got grad={}, y={}",
              dtype_name(g.dtype()), dtype_name(y.dtype()));
  return one_meta(g.shape(), g.dtype());
}

void relu_backward_kernel(const KernelArgs& k) { relu_backward_into(k.out[0], k.in[0], k.in[1]); }

// Linear in grad with the same mask; y only picks the mask (no gradient
// almost everywhere), as PyTorch's threshold_backward.
std::vector<Tensor> relu_backward_vjp(const VjpCtx& c) {
  return {call1(OpId::relu_backward, {c.grads[0], c.inputs[1]}), Tensor()};
}
}  // namespace

OpDef make_def_relu_backward() {
  OpDef d;
  d.traits = kElementwise;
  d.num_inputs = 2;
  d.infer = infer_relu_backward;
  d.portable = relu_backward_kernel;
  d.vjp = relu_backward_vjp;
  d.save_inputs = 2;  // y
  d.onnx_note = "training only: the gradient of Relu has no ONNX operator";
  return d;
}
}  // namespace detail
}  // namespace braid
