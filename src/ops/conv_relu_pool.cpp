// Note [conv + relu + pool]: nn::Sequential runs Conv2d -> ReLU ->
// MaxPool2d(2) (stride 2, no padding, dilation 1, floor mode), none with
// hooks and not while tracing, as conv2d_relu_maxpool_forward:
//   (x, weight, bias) -> (y, codes)            attrs + output_size
// y = max_pool2d(relu(conv2d_forward(x, weight, bias)), 2), and codes, one
// byte per pooled value naming the window place of its maximum and whether
// relu passed it (kernels/portable/pool_codes.hpp). Its vjp without a graph
// is conv2d_relu_maxpool_backward:
//   (x, grad_y, weight, codes) -> (gx, gw, gb)  attrs + output_size, output_mask
// which is conv2d_backward of the unpooled, masked gradient.
//
// Why: in the MNIST CNN the second convolution's output (19 MB at batch 128)
// was written whole, read by the pool, its gradient written whole by the
// pool's backward and read again with relu's y by the convolution's
// backward, and the pool kept int64 indices (9.4 MB). On x86 the pool now
// runs on each chunk's blocked convolution output while it is in cache, and
// the backward writes each chunk's blocked gradient straight from the pooled
// one and the codes (Note [fused conv backward], kernels/x86/conv_dnnl.cpp).
// Values and gradients are the three layers' bit for bit
// (tests/nn/sequential_fusion_test.cpp).
#include "braid/ops/pool.hpp"
#include "kernels/portable/pool_codes.hpp"
#include "ops/conv_common.hpp"
#ifdef BRAID_HAVE_DNNL
#include "kernels/x86/conv_dnnl.hpp"
#endif

namespace braid::detail {
namespace {
using V = std::vector<Tensor>;
constexpr std::string_view kForward = "conv2d_relu_maxpool_forward",
                           kBackward = "conv2d_relu_maxpool_backward";

// The convolution's output size, which the 2x2 window must fit.
Pair conv_output(std::string_view op, const Attrs& a) {
  const Pair o = conv_size_attr(op, a, "output_size");
  BRAID_CHECK(o[0] >= 2 && o[1] >= 2, ShapeError, op,
              "the 2x2 pool needs a convolution output of at least 2x2; got output_size=({}, {})",
              o[0], o[1]);
  return o;
}

Shape codes_shape(int64_t n, int64_t c, Pair o) {
  return {n, (c + 15) / 16, o[0] / 2, o[1] / 2, 16};
}

TensorMetas infer_forward(std::span<const Tensor> in, const Attrs& a) {
  const TensorMetas conv = infer_conv2d_forward(kForward, in, a);
  const Pair o = conv_output(kForward, a);
  const Shape& y = conv[0].shape;
  TensorMetas r;
  r.push_back({{y[0], y[1], o[0] / 2, o[1] / 2}, conv[0].dtype});
  r.push_back({codes_shape(y[0], y[1], o), DType::UInt8});
  return r;
}

TensorMetas infer_backward(std::span<const Tensor> in, const Attrs& a) {
  constexpr std::string_view op = kBackward;
  const Tensor &x = in[0], &g = in[1], &w = in[2], &codes = in[3];
  check_floating(op, in.first(3));
  const ConvParams p = conv_params(op, a);
  const std::array<bool, 3> mask = conv_output_mask(op, a);
  const Pair o = conv_output(op, a);
  BRAID_CHECK(x.dim() == 4 && w.dim() == 4 && w.size(0) % p.groups == 0 &&
                  x.size(1) == w.size(1) * p.groups,
              ShapeError, op,
              "needs x (N, C_in, H, W) and weight (C_out, C_in/groups, kH, kW); got x={}, "
              "weight={}, groups={}",
              shape_str(x.shape()), shape_str(w.shape()), p.groups);
  const Shape pooled{x.size(0), w.size(0), o[0] / 2, o[1] / 2};
  BRAID_CHECK(g.shape() == pooled, ShapeError, op,
              "grad_y must be the pooled output (N, C_out, OH / 2, OW / 2) = {}; got {}",
              shape_str(pooled), shape_str(g.shape()));
  const Shape cs = codes_shape(x.size(0), w.size(0), o);
  BRAID_CHECK(codes.dtype() == DType::UInt8 && codes.shape() == cs, ShapeError, op,
              "codes must be uint8 {} (N, ceil(C_out / 16), OH / 2, OW / 2, 16); got {} {}",
              shape_str(cs), dtype_name(codes.dtype()), shape_str(codes.shape()));
  TensorMetas r;
  r.push_back({mask[0] ? x.shape() : Shape{0}, x.dtype()});
  r.push_back({mask[1] ? w.shape() : Shape{0}, x.dtype()});
  r.push_back({mask[2] ? Shape{w.size(0)} : Shape{0}, x.dtype()});
  return r;
}

// The convolution's whole output through conv2d_forward's kernels, then
// relu and the pool over it.
void forward_unfused(const KernelArgs& k, bool fast) {
  const Pair o = conv_output(kForward, k.attrs);
  const Tensor& y = k.out[0];
  std::vector<Tensor> z{empty({y.size(0), y.size(1), o[0], o[1]}, y.dtype())};
  run_conv2d_forward({k.in, z, k.attrs}, fast);
  by_dtype(y.dtype(), [&]<class T>() {
    kernels::relu_maxpool2x2<T>(ptr<T>(z[0]), mut<T>(y), mut<uint8_t>(k.out[1]), y.size(0),
                                y.size(1), o[0], o[1]);
  });
}

void forward_portable(const KernelArgs& k) { forward_unfused(k, false); }

bool forward_x86(const KernelArgs& k) {
#ifdef BRAID_HAVE_DNNL
  if (k.out[0].dtype() == DType::Float32) {
    const Tensor x = contiguous_of(k.in[0]), w = contiguous_of(k.in[1]), b = contiguous_of(k.in[2]);
    const Pair o = conv_output(kForward, k.attrs);
    const Tensor& y = k.out[0];
    const kernels::ConvGeom g =
        conv_geom(k.attrs, x.shape(), w.shape(), {y.size(0), y.size(1), o[0], o[1]});
    // The weight tensor itself when it is the caller's, so its reorder is
    // cached per version (Note [cached weight reorders]).
    const Tensor* owner = k.in[1].is_contiguous() ? &k.in[1] : nullptr;
    if (kernels::conv2d_relu_maxpool_x86(g, ptr<float>(x), ptr<float>(w), owner, ptr<float>(b),
                                         {mut<float>(y), mut<uint8_t>(k.out[1])}))
      return true;
  }
#endif
  forward_unfused(k, true);
  return true;
}

// The unpooled gradient through conv2d_backward's kernels.
void backward_unfused(const KernelArgs& k, bool fast) {
  const Pair o = conv_output(kBackward, k.attrs);
  const Tensor g = contiguous_of(k.in[1]), codes = contiguous_of(k.in[3]);
  const int64_t n = g.size(0), c = g.size(1);
  const Tensor dz = empty({n, c, o[0], o[1]}, g.dtype());
  by_dtype(g.dtype(), [&]<class T>() {
    kernels::relu_maxpool2x2_grad<T>(ptr<T>(g), ptr<uint8_t>(codes), mut<T>(dz), n, c, o[0], o[1]);
  });
  const std::vector<Tensor> in{k.in[0], dz, k.in[2]};
  run_conv2d_backward({in, k.out, k.attrs}, fast);
}

void backward_portable(const KernelArgs& k) { backward_unfused(k, false); }

bool backward_x86(const KernelArgs& k) {
#ifdef BRAID_HAVE_DNNL
  if (k.out[0].dtype() == DType::Float32) {
    const Tensor x = contiguous_of(k.in[0]), g = contiguous_of(k.in[1]), w = contiguous_of(k.in[2]),
                 codes = contiguous_of(k.in[3]);
    const Pair o = conv_output(kBackward, k.attrs);
    const std::array<bool, 3> mask = conv_output_mask(kBackward, k.attrs);
    const kernels::ConvGeom geom =
        conv_geom(k.attrs, x.shape(), w.shape(), {g.size(0), g.size(1), o[0], o[1]});
    const Tensor* owner = k.in[2].is_contiguous() ? &k.in[2] : nullptr;
    if (kernels::conv2d_relu_maxpool_backward_x86(
            geom, ptr<float>(x), {ptr<float>(g), ptr<uint8_t>(codes)}, ptr<float>(w), owner,
            mask[0] ? mut<float>(k.out[0]) : nullptr, mask[1] ? mut<float>(k.out[1]) : nullptr,
            mask[2] ? mut<float>(k.out[2]) : nullptr))
      return true;
  }
#endif
  backward_unfused(k, true);
  return true;
}

// Without a graph of the backward, one conv2d_relu_maxpool_backward. With
// create_graph, the layers' differentiable ops: the convolution and its pool
// are run again (create_graph is rare; the fused op keeps no indices), then
// max_pool2d_backward, relu_backward and the convolution's gradient ops.
V forward_vjp(const VjpCtx& c) {
  const Tensor &x = c.inputs[0], &w = c.inputs[1], &g = c.grads[0];
  if (!is_grad_enabled()) {
    Attrs a = c.attrs;
    std::vector<int64_t> mask;
    for (int i = 0; i < 3; ++i) mask.push_back(c.needs_grad[i] ? 1 : 0);
    a.set("output_mask", std::move(mask));
    V r = call(OpId::conv2d_relu_maxpool_backward, {x, g, w, c.outputs[1]}, a);
    r.resize(3);
    for (int i = 0; i < 3; ++i) r[i] = c.needs_grad[i] ? grad_for(r[i], c.input_meta[i]) : Tensor();
    return r;
  }
  const Pair o = conv_output(kForward, c.attrs);
  const Tensor y = conv2d_relu_forward_call(x, w, c.inputs[2], conv_params(kForward, c.attrs), o);
  const Tensor indices = max_pool2d_with_indices(y, {2, 2}).indices;
  return conv2d_vjp(c, max_pool2d_backward(g, indices, {o[0], o[1]}), y);
}
}  // namespace

std::vector<Tensor> conv2d_relu_maxpool_forward_call(const Tensor& x, const Tensor& weight,
                                                     const Tensor& bias, const ConvParams& p,
                                                     Pair output_size) {
  const Tensor b = bias.defined() ? bias : zeros({weight.size(0)}, x.dtype());
  return call(OpId::conv2d_relu_maxpool_forward, {x, weight, b},
              conv_prim_attrs(p, "output_size", output_size));
}

OpDef make_def_conv2d_relu_maxpool_forward() {
  OpDef d;
  d.num_inputs = 3;
  d.num_outputs = 2;
  d.promote_mask = 7u;
  d.infer = infer_forward;
  d.portable = forward_portable;
  d.x86 = forward_x86;
  d.vjp = forward_vjp;
  d.save_inputs = 7;   // x and weight; the bias for create_graph's rerun
  d.save_outputs = 2;  // the codes
  d.onnx_note = "not traced: nn::Sequential does not fuse while tracing (Conv, Relu, MaxPool)";
  return d;
}

OpDef make_def_conv2d_relu_maxpool_backward() {
  OpDef d;
  d.num_inputs = 4;
  d.num_outputs = 3;
  d.promote_mask = 7u;
  d.infer = infer_backward;
  d.portable = backward_portable;
  d.x86 = backward_x86;
  d.nondiff_reason =
      "runs only without graph recording; with create_graph conv2d_relu_maxpool_forward's vjp "
      "uses max_pool2d_backward, relu_backward and the convolution's gradient ops";
  d.onnx_note = "a gradient op: training graphs are not exported";
  return d;
}

}  // namespace braid::detail
