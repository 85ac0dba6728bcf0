// The convolution primitives (see ops/conv_common.hpp): conv2d_forward,
// conv2d_input_grad, conv2d_weight_grad. The public conv1d, conv2d and
// conv_transpose2d (src/ops/conv.cpp) check the user's arguments and call
// these; their checks here only guard the registry's generic entry.
#include "kernels/portable/conv.hpp"

#include <algorithm>
#include <type_traits>

#include "kernels/portable/copy.hpp"
#include "kernels/portable/reduce.hpp"
#include "kernels/portable/scalar_ops.hpp"
#include "ops/conv_common.hpp"
#ifdef BRAID_HAVE_DNNL
#include "kernels/x86/conv_dnnl.hpp"
#endif

namespace braid {
namespace detail {
namespace {
using V = std::vector<Tensor>;

Pair pair_attr(std::string_view op, const Attrs& a, std::string_view name) {
  const std::vector<int64_t>& v = a.ints(op, name);
  BRAID_CHECK(v.size() == 2, ValueError, op,
              "attribute '{}' must hold 2 values (height, width); got {}", name, shape_str(v));
  return {v[0], v[1]};
}

ConvParams read_params(std::string_view op, const Attrs& a) {
  ConvParams p{pair_attr(op, a, "stride"), pair_attr(op, a, "padding"),
               pair_attr(op, a, "dilation"), a.i(op, "groups")};
  BRAID_CHECK(p.stride[0] >= 1 && p.stride[1] >= 1 && p.dilation[0] >= 1 && p.dilation[1] >= 1 &&
                  p.padding[0] >= 0 && p.padding[1] >= 0 && p.groups >= 1,
              ValueError, op,
              "needs stride, dilation, groups >= 1 and padding >= 0; got stride=({}, {}), "
              "padding=({}, {}), dilation=({}, {}), groups={}",
              p.stride[0], p.stride[1], p.padding[0], p.padding[1], p.dilation[0], p.dilation[1],
              p.groups);
  return p;
}

// The params plus one more list: a size pair, or conv2d_backward's output_mask.
Attrs make_attrs(const ConvParams& p, const char* name, std::vector<int64_t> extra) {
  return Attrs{{"stride", std::vector<int64_t>{p.stride[0], p.stride[1]}},
               {"padding", std::vector<int64_t>{p.padding[0], p.padding[1]}},
               {"dilation", std::vector<int64_t>{p.dilation[0], p.dilation[1]}},
               {"groups", p.groups},
               {name, std::move(extra)}};
}
Attrs make_attrs(const ConvParams& p, const char* size_name, Pair size) {
  return make_attrs(p, size_name, std::vector<int64_t>{size[0], size[1]});
}

// The output size attribute: two sizes >= 0.
Pair size_attr(std::string_view op, const Attrs& a, std::string_view name) {
  const Pair s = pair_attr(op, a, name);
  BRAID_CHECK(s[0] >= 0 && s[1] >= 0, ValueError, op, "attribute '{}' must be >= 0; got ({}, {})",
              name, s[0], s[1]);
  return s;
}

// x-like (N, C, H, W) operands and weights are 4-D; `what` names them in errors.
void check_4d(std::string_view op, const Tensor& a, const char* an, const Tensor& b,
              const char* bn) {
  BRAID_CHECK(a.dim() == 4 && b.dim() == 4, ShapeError, op,
              "expects 4-D {} and {}; got {}={}, {}={}", an, bn, an, shape_str(a.shape()), bn,
              shape_str(b.shape()));
}

// `auto`: whatever one_meta returns is what InferFn wants.
TensorMetas infer_forward_of(std::string_view op, std::span<const Tensor> in, const Attrs& a) {
  check_floating(op, in);
  const ConvParams p = read_params(op, a);
  const Pair out = size_attr(op, a, "output_size");
  const Tensor &x = in[0], &w = in[1], &b = in[2];
  check_4d(op, x, "x", w, "weight");
  BRAID_CHECK(w.size(0) % p.groups == 0 && x.size(1) == w.size(1) * p.groups && b.dim() == 1 &&
                  b.size(0) == w.size(0),
              ShapeError, op,
              "needs weight (C_out, C_in/groups, kH, kW) and bias (C_out) matching x (N, C_in, H, "
              "W); got x={}, weight={}, bias={}, groups={}",
              shape_str(x.shape()), shape_str(w.shape()), shape_str(b.shape()), p.groups);
  return one_meta({x.size(0), w.size(0), out[0], out[1]}, x.dtype());
}
TensorMetas infer_forward(std::span<const Tensor> in, const Attrs& a) {
  return infer_forward_of("conv2d_forward", in, a);
}
TensorMetas infer_relu_forward(std::span<const Tensor> in, const Attrs& a) {
  return infer_forward_of("conv2d_relu_forward", in, a);
}

auto infer_input_grad(std::span<const Tensor> in, const Attrs& a) {
  constexpr std::string_view op = "conv2d_input_grad";
  check_floating(op, in);
  const ConvParams p = read_params(op, a);
  const Pair size = size_attr(op, a, "input_size");
  const Tensor &gy = in[0], &w = in[1];
  check_4d(op, gy, "grad_y", w, "weight");
  BRAID_CHECK(w.size(0) % p.groups == 0 && gy.size(1) == w.size(0), ShapeError, op,
              "needs grad_y (N, C_out, H_out, W_out) and weight (C_out, C_in/groups, kH, kW) "
              "with C_out divisible by groups; got grad_y={}, weight={}, groups={}",
              shape_str(gy.shape()), shape_str(w.shape()), p.groups);
  return one_meta({gy.size(0), w.size(1) * p.groups, size[0], size[1]}, gy.dtype());
}

auto infer_weight_grad(std::span<const Tensor> in, const Attrs& a) {
  constexpr std::string_view op = "conv2d_weight_grad";
  check_floating(op, in);
  const ConvParams p = read_params(op, a);
  const Pair k = size_attr(op, a, "kernel_size");
  const Tensor &x = in[0], &gy = in[1];
  check_4d(op, x, "x", gy, "grad_y");
  BRAID_CHECK(x.size(0) == gy.size(0) && x.size(1) % p.groups == 0 && gy.size(1) % p.groups == 0,
              ShapeError, op,
              "needs x (N, C_in, H, W) and grad_y (N, C_out, H_out, W_out) with channels "
              "divisible by groups; got x={}, grad_y={}, groups={}",
              shape_str(x.shape()), shape_str(gy.shape()), p.groups);
  return one_meta({gy.size(1), x.size(1) / p.groups, k[0], k[1]}, x.dtype());
}

// conv2d_backward(x, grad_y, weight[, y]) -> (gx, gw, gb); an output its
// output_mask leaves out is empty, shape (0). With y (the output of
// conv2d_relu_forward), grad_y is first masked as relu_backward does.
std::array<bool, 3> mask_attr(const Attrs& a, std::string_view op = "conv2d_backward") {
  const std::vector<int64_t>& m = a.ints(op, "output_mask");
  BRAID_CHECK(
      m.size() == 3 && std::all_of(m.begin(), m.end(), [](int64_t v) { return v == 0 || v == 1; }),
      ValueError, op, "output_mask must hold 3 values, each 0 or 1; got {}", shape_str(m));
  return {m[0] == 1, m[1] == 1, m[2] == 1};
}

TensorMetas infer_backward(std::span<const Tensor> in, const Attrs& a) {
  constexpr std::string_view op = "conv2d_backward";
  check_floating(op, in);
  const ConvParams p = read_params(op, a);
  const std::array<bool, 3> mask = mask_attr(a);
  BRAID_CHECK(in.size() == 3 || in.size() == 4, ValueError, op,
              "takes x, grad_y, weight and optionally y; got {} inputs", in.size());
  const Tensor &x = in[0], &gy = in[1], &w = in[2];
  check_4d(op, x, "x", w, "weight");
  BRAID_CHECK(in.size() == 3 || in[3].shape() == gy.shape(), ShapeError, op,
              "y must have grad_y's shape; got grad_y={}, y={}", shape_str(gy.shape()),
              shape_str(in[3].shape()));
  BRAID_CHECK(gy.dim() == 4 && gy.size(0) == x.size(0) && gy.size(1) == w.size(0) &&
                  w.size(0) % p.groups == 0 && x.size(1) == w.size(1) * p.groups,
              ShapeError, op,
              "needs x (N, C_in, H, W), grad_y (N, C_out, H_out, W_out) and weight (C_out, "
              "C_in/groups, kH, kW); got x={}, grad_y={}, weight={}, groups={}",
              shape_str(x.shape()), shape_str(gy.shape()), shape_str(w.shape()), p.groups);
  TensorMetas r;
  r.push_back({mask[0] ? x.shape() : Shape{0}, x.dtype()});
  r.push_back({mask[1] ? w.shape() : Shape{0}, x.dtype()});
  r.push_back({mask[2] ? Shape{w.size(0)} : Shape{0}, x.dtype()});
  return r;
}

// -- kernels ------------------------------------------------------------------
// The geometry of a call from the three full shapes: x (N, C_in, H, W),
// weight (C_out, C_in/groups, kH, kW) and y (N, C_out, H_out, W_out).
kernels::ConvGeom geom_of(const Attrs& a, const Shape& x, const Shape& w, const Shape& y) {
  const ConvParams p = read_params("conv2d", a);
  kernels::ConvGeom g;
  g.n = x[0], g.c_in = x[1], g.h = x[2], g.w = x[3];
  g.c_out = w[0], g.kh = w[2], g.kw = w[3];
  g.oh = y[2], g.ow = y[3];
  g.groups = p.groups;
  g.sh = p.stride[0], g.sw = p.stride[1];
  g.ph = p.padding[0], g.pw = p.padding[1];
  g.dh = p.dilation[0], g.dw = p.dilation[1];
  return g;
}

void forward_portable_impl(const KernelArgs& k, bool relu) {
  const Tensor x = contiguous_of(k.in[0]), w = contiguous_of(k.in[1]), b = contiguous_of(k.in[2]);
  const kernels::ConvGeom g = geom_of(k.attrs, x.shape(), w.shape(), k.out[0].shape());
  by_dtype(x.dtype(), [&]<class T>() {
    T* y = mut<T>(k.out[0]);
    kernels::conv2d_forward_portable<T>(g, ptr<T>(x), ptr<T>(w), ptr<T>(b), y);
    if (relu)
      for (int64_t i = 0, n = k.out[0].numel(); i < n; ++i) y[i] = kernels::relu_value(y[i]);
  });
}
void forward_portable(const KernelArgs& k) { forward_portable_impl(k, false); }
void relu_forward_portable(const KernelArgs& k) { forward_portable_impl(k, true); }

void input_grad_portable(const KernelArgs& k) {
  const Tensor gy = contiguous_of(k.in[0]), w = contiguous_of(k.in[1]);
  const kernels::ConvGeom g = geom_of(k.attrs, k.out[0].shape(), w.shape(), gy.shape());
  by_dtype(gy.dtype(), [&]<class T>() {
    kernels::conv2d_input_grad_portable<T>(g, ptr<T>(gy), ptr<T>(w), mut<T>(k.out[0]));
  });
}

void weight_grad_portable(const KernelArgs& k) {
  const Tensor x = contiguous_of(k.in[0]), gy = contiguous_of(k.in[1]);
  const kernels::ConvGeom g = geom_of(k.attrs, x.shape(), k.out[0].shape(), gy.shape());
  by_dtype(x.dtype(), [&]<class T>() {
    kernels::conv2d_weight_grad_portable<T>(g, ptr<T>(x), ptr<T>(gy), mut<T>(k.out[0]));
  });
}

#ifdef BRAID_HAVE_DNNL
bool forward_x86_impl(const KernelArgs& k, bool relu) {
  if (k.out[0].dtype() != DType::Float32) return false;
  const Tensor x = contiguous_of(k.in[0]), w = contiguous_of(k.in[1]), b = contiguous_of(k.in[2]);
  const kernels::ConvGeom g = geom_of(k.attrs, x.shape(), w.shape(), k.out[0].shape());
  // The weight tensor itself, when it is the caller's (not a copy), so its
  // reorder is cached per version (Note [cached weight reorders]).
  if (k.in[1].is_contiguous())
    return kernels::conv2d_forward_x86(g, ptr<float>(x), w, ptr<float>(b), mut<float>(k.out[0]),
                                       relu);
  return kernels::conv2d_forward_x86(g, ptr<float>(x), ptr<float>(w), ptr<float>(b),
                                     mut<float>(k.out[0]), relu);
}
bool forward_x86(const KernelArgs& k) { return forward_x86_impl(k, false); }
bool relu_forward_x86(const KernelArgs& k) { return forward_x86_impl(k, true); }

bool input_grad_x86(const KernelArgs& k) {
  if (k.out[0].dtype() != DType::Float32) return false;
  const Tensor gy = contiguous_of(k.in[0]), w = contiguous_of(k.in[1]);
  const kernels::ConvGeom g = geom_of(k.attrs, k.out[0].shape(), w.shape(), gy.shape());
  if (k.in[1].is_contiguous())
    return kernels::conv2d_input_grad_x86(g, ptr<float>(gy), w, mut<float>(k.out[0]));
  return kernels::conv2d_input_grad_x86(g, ptr<float>(gy), ptr<float>(w), mut<float>(k.out[0]));
}

bool weight_grad_x86(const KernelArgs& k) {
  if (k.out[0].dtype() != DType::Float32) return false;
  const Tensor x = contiguous_of(k.in[0]), gy = contiguous_of(k.in[1]);
  const kernels::ConvGeom g = geom_of(k.attrs, x.shape(), k.out[0].shape(), gy.shape());
  return kernels::conv2d_weight_grad_x86(g, ptr<float>(x), ptr<float>(gy), mut<float>(k.out[0]));
}
#else
constexpr FastKernelFn forward_x86 = nullptr, input_grad_x86 = nullptr, weight_grad_x86 = nullptr,
                       relu_forward_x86 = nullptr;
#endif

// Each output of conv2d_backward on its own through the single-output ops'
// kernels, the bias as the sum op does it; `fast` tries the x86 kernels first.
void backward_separately(const KernelArgs& k, bool fast) {
  const Tensor x = contiguous_of(k.in[0]), w = contiguous_of(k.in[2]);
  Tensor gy = contiguous_of(k.in[1]);
  if (k.in.size() == 4) {  // relu's y: grad_y masked first, into a copy
    const Tensor masked = empty(gy.shape(), gy.dtype());
    relu_backward_into(masked, gy, k.in[3]);
    gy = masked;
  }
  const std::array<bool, 3> mask = mask_attr(k.attrs);
  if (mask[2]) kernels::sum(k.out[2], gy, {0, 2, 3}, false);
  auto one = [&](FastKernelFn x86, KernelFn portable, std::initializer_list<Tensor> in, int out) {
    const std::vector<Tensor> ins(in);
    KernelArgs a{ins, k.out.subspan(static_cast<size_t>(out), 1), k.attrs};
    if (!(fast && x86 && x86(a))) portable(a);
  };
  if (mask[0]) one(input_grad_x86, input_grad_portable, {gy, w}, 0);
  if (mask[1]) one(weight_grad_x86, weight_grad_portable, {x, gy}, 1);
}

void backward_portable(const KernelArgs& k) { backward_separately(k, false); }

#ifdef BRAID_HAVE_DNNL
bool backward_x86(const KernelArgs& k) {
  if (k.out[0].dtype() != DType::Float32) return false;
  const Tensor x = contiguous_of(k.in[0]), gy = contiguous_of(k.in[1]), w = contiguous_of(k.in[2]);
  const std::array<bool, 3> mask = mask_attr(k.attrs);
  const kernels::ConvGeom g = geom_of(k.attrs, x.shape(), w.shape(), gy.shape());
  float* gx = mask[0] ? mut<float>(k.out[0]) : nullptr;
  float* gw = mask[1] ? mut<float>(k.out[1]) : nullptr;
  float* gb = mask[2] ? mut<float>(k.out[2]) : nullptr;
  const Tensor y = k.in.size() == 4 ? contiguous_of(k.in[3]) : Tensor();
  const float* relu_y = y.defined() ? ptr<float>(y) : nullptr;
  const bool fused =
      k.in[2].is_contiguous()
          ? kernels::conv2d_backward_x86(g, ptr<float>(x), ptr<float>(gy), w, gx, gw, gb, relu_y)
          : kernels::conv2d_backward_x86(g, ptr<float>(x), ptr<float>(gy), ptr<float>(w), gx, gw,
                                         gb, relu_y);
  if (!fused) backward_separately(k, true);
  return true;
}
#else
constexpr FastKernelFn backward_x86 = nullptr;
#endif

// -- vjps: each primitive is bilinear, so its adjoints are the other two ------
Pair spatial(const Shape& s) { return {s[2], s[3]}; }

// The gradients of conv2d_forward for the gradient g of its output; with
// relu_y, of conv2d_relu_forward (output relu_y) for the gradient g of its.
V conv_grads(const VjpCtx& c, Tensor g, const Tensor& relu_y = Tensor()) {
  const ConvParams p = read_params("conv2d_forward", c.attrs);
  const Tensor &x = c.inputs[0], &w = c.inputs[1];
  Tensor gx, gw, gb;
  // With no graph of the backward to build (no create_graph), the three in
  // one op that reads g once (Note [fused conv backward]).
  if (!is_grad_enabled() && (c.needs_grad[0] || c.needs_grad[1])) {
    TensorList in{x, g, w};
    if (relu_y.defined()) in = TensorList{x, g, w, relu_y};
    V r = call(
        OpId::conv2d_backward, std::move(in),
        make_attrs(p, "output_mask",
                   {c.needs_grad[0] ? 1 : 0, c.needs_grad[1] ? 1 : 0, c.needs_grad[2] ? 1 : 0}));
    r.resize(3);
    for (int i = 0; i < 3; ++i)
      if (c.needs_grad[i]) r[i] = grad_for(r[i], c.input_meta[i]);
    return r;
  }
  if (relu_y.defined()) g = call1(OpId::relu_backward, {g, relu_y}, {});
  if (c.needs_grad[0])
    gx = grad_for(conv2d_input_grad_call(g, w, p, spatial(x.shape())), c.input_meta[0]);
  if (c.needs_grad[1])
    gw = grad_for(conv2d_weight_grad_call(x, g, p, spatial(w.shape())), c.input_meta[1]);
  if (c.needs_grad[2]) gb = grad_for(sum(g, {0, 2, 3}), c.input_meta[2]);
  return {gx, gw, gb};
}

V forward_vjp(const VjpCtx& c) { return conv_grads(c, c.grads[0]); }

// y = relu(conv): relu's vjp (relu_backward of the saved y), then the
// convolution's; without a graph, one conv2d_backward does both.
V relu_forward_vjp(const VjpCtx& c) { return conv_grads(c, c.grads[0], c.outputs[0]); }

// gx = A(w)^T gy, so <ggx, gx> = <A(w) ggx, gy>: d/dgy is a forward
// convolution of ggx, d/dw the weight gradient of that convolution.
V input_grad_vjp(const VjpCtx& c) {
  const ConvParams p = read_params("conv2d_input_grad", c.attrs);
  const Tensor &gy = c.inputs[0], &w = c.inputs[1], &g = c.grads[0];
  Tensor ggy, gw;
  if (c.needs_grad[0])
    ggy = grad_for(conv2d_forward_call(g, w, Tensor(), p, spatial(gy.shape())), c.input_meta[0]);
  if (c.needs_grad[1])
    gw = grad_for(conv2d_weight_grad_call(g, gy, p, spatial(w.shape())), c.input_meta[1]);
  return {ggy, gw};
}

// gw = B(x)^T gy with B(x) w = A(w) x, so <ggw, gw> = <A(ggw) x, gy>.
V weight_grad_vjp(const VjpCtx& c) {
  const ConvParams p = read_params("conv2d_weight_grad", c.attrs);
  const Tensor &x = c.inputs[0], &gy = c.inputs[1], &g = c.grads[0];
  Tensor gx, ggy;
  if (c.needs_grad[0])
    gx = grad_for(conv2d_input_grad_call(gy, g, p, spatial(x.shape())), c.input_meta[0]);
  if (c.needs_grad[1])
    ggy = grad_for(conv2d_forward_call(x, g, Tensor(), p, spatial(gy.shape())), c.input_meta[1]);
  return {gx, ggy};
}

OpDef primitive(int num_inputs, InferFn infer, KernelFn portable, FastKernelFn x86, VjpFn vjp) {
  OpDef d;
  d.num_inputs = num_inputs;
  d.promote_mask = num_inputs == 3 ? 7u : 3u;
  d.infer = infer;
  d.portable = portable;
  d.x86 = x86;
  d.vjp = vjp;
  d.save_inputs = 3;  // the two convolved operands; never the bias
  return d;
}
}  // namespace

Tensor conv2d_forward_call(const Tensor& x, const Tensor& weight, const Tensor& bias,
                           const ConvParams& p, Pair output_size) {
  // The primitive always adds a bias (free in the kernels); "none" is zeros.
  const Tensor b = bias.defined() ? bias : zeros({weight.size(0)}, x.dtype());
  return call1(OpId::conv2d_forward, {x, weight, b}, make_attrs(p, "output_size", output_size));
}

Tensor conv2d_relu_forward_call(const Tensor& x, const Tensor& weight, const Tensor& bias,
                                const ConvParams& p, Pair output_size) {
  const Tensor b = bias.defined() ? bias : zeros({weight.size(0)}, x.dtype());
  return call1(OpId::conv2d_relu_forward, {x, weight, b},
               make_attrs(p, "output_size", output_size));
}

Tensor conv2d_input_grad_call(const Tensor& grad_y, const Tensor& weight, const ConvParams& p,
                              Pair input_size) {
  return call1(OpId::conv2d_input_grad, {grad_y, weight}, make_attrs(p, "input_size", input_size));
}

Tensor conv2d_weight_grad_call(const Tensor& x, const Tensor& grad_y, const ConvParams& p,
                               Pair kernel_size) {
  return call1(OpId::conv2d_weight_grad, {x, grad_y}, make_attrs(p, "kernel_size", kernel_size));
}

// -- for the fused Conv2d -> ReLU -> MaxPool2d ops (src/ops/conv_relu_pool.cpp) --
ConvParams conv_params(std::string_view op, const Attrs& a) { return read_params(op, a); }
Attrs conv_prim_attrs(const ConvParams& p, const char* size_name, Pair size) {
  return make_attrs(p, size_name, size);
}
Pair conv_size_attr(std::string_view op, const Attrs& a, std::string_view name) {
  return size_attr(op, a, name);
}
std::array<bool, 3> conv_output_mask(std::string_view op, const Attrs& a) {
  return mask_attr(a, op);
}
TensorMetas infer_conv2d_forward(std::string_view op, std::span<const Tensor> in, const Attrs& a) {
  return infer_forward_of(op, in, a);
}
kernels::ConvGeom conv_geom(const Attrs& a, const Shape& x, const Shape& w, const Shape& y) {
  return geom_of(a, x, w, y);
}
void run_conv2d_forward(const KernelArgs& k, bool fast) {
#ifdef BRAID_HAVE_DNNL
  if (fast && forward_x86(k)) return;
#endif
  forward_portable(k);
}
void run_conv2d_backward(const KernelArgs& k, bool fast) {
#ifdef BRAID_HAVE_DNNL
  if (fast && backward_x86(k)) return;
#endif
  backward_portable(k);
}
std::vector<Tensor> conv2d_vjp(const VjpCtx& c, const Tensor& g, const Tensor& relu_y) {
  return conv_grads(c, g, relu_y);
}

OpDef make_def_conv2d_forward() {
  OpDef d = primitive(3, infer_forward, forward_portable, forward_x86, forward_vjp);
  d.onnx = "Conv";
  return d;
}

// Note [conv + relu]: nn::Sequential runs a Conv2d followed by a ReLU (no
// hooks on either, not while tracing) as this op. The forward applies relu's
// formula as the primitive's output is reordered to NCHW (not oneDNN's
// post-op, which turns NaN into 0), so the conv's output is not written and
// read again; the vjp is relu's then the convolution's, relu's mask applied
// as conv2d_backward reads grad_y. Values and gradients are those of the two
// ops, bit for bit. With a MaxPool2d(2) after them: Note [conv + relu + pool].
OpDef make_def_conv2d_relu_forward() {
  OpDef d =
      primitive(3, infer_relu_forward, relu_forward_portable, relu_forward_x86, relu_forward_vjp);
  d.save_outputs = 1;  // relu_backward reads y
  d.onnx_note = "not traced: nn::Sequential does not fuse while tracing (Conv then Relu)";
  return d;
}

OpDef make_def_conv2d_input_grad() {
  OpDef d = primitive(2, infer_input_grad, input_grad_portable, input_grad_x86, input_grad_vjp);
  d.onnx = "ConvTranspose";  // weight (C_out, C_in/groups, kH, kW) is ConvTranspose's (C, M/g, ...)
  return d;
}

OpDef make_def_conv2d_backward() {
  OpDef d;
  d.num_inputs = -1;  // 3, or 4 with relu's y
  d.num_outputs = 3;
  d.promote_mask = 15u;
  d.infer = infer_backward;
  d.portable = backward_portable;
  d.x86 = backward_x86;
  d.nondiff_reason =
      "runs only without graph recording; with create_graph the vjps of conv2d_forward and "
      "conv2d_relu_forward use relu_backward, conv2d_input_grad, conv2d_weight_grad and sum, "
      "which are differentiable";
  d.onnx_note = "a gradient op: training graphs are not exported";
  return d;
}

OpDef make_def_conv2d_weight_grad() {
  OpDef d = primitive(2, infer_weight_grad, weight_grad_portable, weight_grad_x86, weight_grad_vjp);
  d.onnx_note = "training only: the weight gradient of Conv has no ONNX operator";
  return d;
}

}  // namespace detail
}  // namespace braid
