// Pooling: max_pool2d, avg_pool2d, adaptive_avg_pool2d, adaptive_max_pool2d,
// with PyTorch 1.13's window rules, output sizes and checks, and the adjoint
// ops their gradients are made of.
//
// Backward choices (each backward is a braid op, so second derivatives work):
// * Max pooling's gradient is max_pool2d_backward, a scatter-add of the
//   gradient into zeroed planes at the saved indices; its own gradient is a
//   gather at the same indices. It is a kernel rather than the scatter_add op
//   because scatter_add would need a zero-filled full-size buffer, a copy of
//   it and a serial pass checking every index; per plane, the kernel zeroes
//   and adds while the plane is in cache. At the MNIST CNN's shape it takes
//   half the time (BM_max_pool2d_bwd vs BM_max_pool2d_bwd_scatter_add in
//   bench/pool_bench.cpp).
// * Average pooling (plain and adaptive) is linear: each is paired with its
//   adjoint op (the *_backward ops here), and the vjp of each of the pair is
//   the other one. Windows overlap, pad and divide unevenly, so neither is a
//   clean composition of existing ops.
#include "kernels/portable/pool.hpp"
#include "braid/ops/pool.hpp"
#include "kernels/portable/copy.hpp"
#include "kernels/portable/index.hpp"
#include "ops/common.hpp"
#ifdef BRAID_HAVE_DNNL
#include "kernels/x86/pool_x86.hpp"
#endif

namespace braid {
namespace detail {
namespace {
using V = std::vector<Tensor>;
using M = TensorMetas;
using Ints = std::vector<int64_t>;
using kernels::PoolAxis;

// -- parameters ------------------------------------------------------------------

// An int-or-pair argument as (H, W): one int stands for both dims.
std::array<int64_t, 2> pair_of(std::string_view op, std::string_view name, const Ints& v) {
  BRAID_CHECK(v.size() == 1 || v.size() == 2, ValueError, op,
              "{} must be one int or two ints (H, W); got {}", name, shape_str(v));
  return {v[0], v.back()};
}

std::string pair_str(const std::array<int64_t, 2>& p) { return shape_str({p[0], p[1]}); }

// The 3-D (C, H, W) or 4-D (N, C, H, W) input rank every 2-D pooling takes.
void check_rank(std::string_view op, const Shape& x) {
  BRAID_CHECK(x.size() == 3 || x.size() == 4, ShapeError, op,
              "x must be 3-D (C, H, W) or 4-D (N, C, H, W); got x={}", shape_str(x));
}

Shape with_spatial(Shape s, int64_t h, int64_t w) {
  s[s.size() - 2] = h;
  s[s.size() - 1] = w;
  return s;
}

// PyTorch's pooling_output_shape: floor (or ceil) division, and with
// ceil_mode the last window must start inside the input or the left padding.
int64_t pooled_size(int64_t in, int64_t k, int64_t s, int64_t p, int64_t d, bool ceil) {
  const int64_t num = in + 2 * p - d * (k - 1) - 1 + (ceil ? s - 1 : 0);
  int64_t out = (num >= 0 ? num / s : -((-num + s - 1) / s)) + 1;
  if (ceil && (out - 1) * s >= in + p) --out;
  return out;
}

// max_pool2d / avg_pool2d parameters, validated against input shape `x`.
struct Pool2d {
  std::array<int64_t, 2> kernel, stride, padding, dilation = {1, 1}, in, out;
  bool ceil_mode = false;

  PoolAxis axis(int i, bool count_include_pad) const {
    return kernels::window_axis(in[i], out[i], kernel[i], stride[i], padding[i], dilation[i],
                                count_include_pad);
  }
};

Pool2d parse_pool(std::string_view op, const Shape& x, const Attrs& a, bool has_dilation) {
  Pool2d p;
  p.kernel = pair_of(op, "kernel_size", a.ints(op, "kernel_size"));
  const Ints& stride = a.has("stride") ? a.ints(op, "stride") : Ints{};
  p.stride = stride.empty() ? p.kernel : pair_of(op, "stride", stride);
  p.padding = a.has("padding") ? pair_of(op, "padding", a.ints(op, "padding"))
                               : std::array<int64_t, 2>{0, 0};
  if (has_dilation && a.has("dilation"))
    p.dilation = pair_of(op, "dilation", a.ints(op, "dilation"));
  p.ceil_mode = a.has("ceil_mode") && a.b(op, "ceil_mode");
  BRAID_CHECK(p.kernel[0] > 0 && p.kernel[1] > 0, ValueError, op,
              "kernel_size must be greater than zero; got kernel_size={}", pair_str(p.kernel));
  BRAID_CHECK(p.stride[0] > 0 && p.stride[1] > 0, ValueError, op,
              "stride must be greater than zero; got stride={}", pair_str(p.stride));
  BRAID_CHECK(p.padding[0] >= 0 && p.padding[1] >= 0, ValueError, op,
              "padding must be non-negative; got padding={}", pair_str(p.padding));
  BRAID_CHECK(p.dilation[0] > 0 && p.dilation[1] > 0, ValueError, op,
              "dilation must be greater than zero; got dilation={}", pair_str(p.dilation));
  BRAID_CHECK(p.padding[0] <= p.kernel[0] / 2 && p.padding[1] <= p.kernel[1] / 2, ValueError, op,
              "padding must be at most half of kernel_size; got padding={}, kernel_size={}",
              pair_str(p.padding), pair_str(p.kernel));
  check_rank(op, x);
  const size_t r = x.size();
  BRAID_CHECK(x[r - 3] > 0 && x[r - 2] > 0 && x[r - 1] > 0, ShapeError, op,
              "x must have non-zero C, H and W (only N may be 0); got x={}", shape_str(x));
  p.in = {x[r - 2], x[r - 1]};
  for (int i = 0; i < 2; ++i)
    p.out[i] =
        pooled_size(p.in[i], p.kernel[i], p.stride[i], p.padding[i], p.dilation[i], p.ceil_mode);
  BRAID_CHECK(p.out[0] >= 1 && p.out[1] >= 1, ShapeError, op,
              "output size {} is too small; got x={}, kernel_size={}, stride={}, padding={}, "
              "dilation={}",
              pair_str(p.out), shape_str(x), pair_str(p.kernel), pair_str(p.stride),
              pair_str(p.padding), pair_str(p.dilation));
  return p;
}

// The input size (H, W) an adjoint op scatters back into.
std::array<int64_t, 2> input_size_of(std::string_view op, const Attrs& a) {
  const Ints& s = a.ints(op, "input_size");
  BRAID_CHECK(s.size() == 2 && s[0] > 0 && s[1] > 0, ValueError, op,
              "input_size must be two positive ints (H, W); got {}", shape_str(s));
  return {s[0], s[1]};
}

// The gradient an adjoint op takes must have the pooled shape.
void check_grad_shape(std::string_view op, const Tensor& g, const Shape& want) {
  BRAID_CHECK(g.shape() == want, ShapeError, op, "grad must have the pooled shape {}; got grad={}",
              shape_str(want), shape_str(g.shape()));
}

Shape grad_input_shape(std::string_view op, const Tensor& g, const Attrs& a) {
  check_rank(op, g.shape());
  const auto hw = input_size_of(op, a);
  return with_spatial(g.shape(), hw[0], hw[1]);
}

// The same attributes without `name` (an adjoint's extra input_size).
Attrs without(const Attrs& a, std::string_view name) {
  Attrs r;
  for (const auto& [k, v] : a.items())
    if (k != name) r.set(k, v);
  return r;
}

Ints spatial_of(const Shape& s) { return {s[s.size() - 2], s[s.size() - 1]}; }

void check_float(std::string_view op, const Tensor& x, std::string_view name) {
  BRAID_CHECK(x.is_floating_point(), DTypeError, op, "{} must be floating point; got {}", name,
              dtype_name(x.dtype()));
}

// -- max pooling -------------------------------------------------------------------

M max_meta(const Tensor& x, int64_t oh, int64_t ow) {
  Shape out = with_spatial(x.shape(), oh, ow);
  return {{out, x.dtype()}, {out, DType::Int64}};
}

M infer_max_pool2d(std::span<const Tensor> in, const Attrs& a) {
  check_float("max_pool2d", in[0], "x");
  const Pool2d p = parse_pool("max_pool2d", in[0].shape(), a, true);
  return max_meta(in[0], p.out[0], p.out[1]);
}

void run_max_pool2d(const KernelArgs& k) {
  const Pool2d p = parse_pool("max_pool2d", k.in[0].shape(), k.attrs, true);
  kernels::max_pool2d(k.out[0], k.out[1], contiguous_of(k.in[0]), p.axis(0, false),
                      p.axis(1, false));
}

#ifdef BRAID_HAVE_DNNL
bool run_max_pool2d_x86(const KernelArgs& k) {
  if (k.in[0].dtype() != DType::Float32) return false;
  const Pool2d p = parse_pool("max_pool2d", k.in[0].shape(), k.attrs, true);
  return kernels::max_pool2d_x86(k.out[0], k.out[1], contiguous_of(k.in[0]), p.axis(0, false),
                                 p.axis(1, false));
}
#endif

// The gradient of both max poolings: scatter g back at the saved indices.
V max_pool_vjp(const VjpCtx& c) {
  return {max_pool2d_backward(c.grads[0], c.outputs[1], spatial_of(c.input_meta[0].shape))};
}

M infer_max_pool2d_backward(std::span<const Tensor> in, const Attrs& a) {
  constexpr std::string_view op = "max_pool2d_backward";
  const Tensor &g = in[0], &idx = in[1];
  check_float(op, g, "grad");
  BRAID_CHECK(idx.dtype() == DType::Int64, DTypeError, op, "indices must be int64; got {}",
              dtype_name(idx.dtype()));
  BRAID_CHECK(idx.shape() == g.shape(), ShapeError, op,
              "indices must have grad's shape; got grad={}, indices={}", shape_str(g.shape()),
              shape_str(idx.shape()));
  Shape out = grad_input_shape(op, g, a);
  const int64_t plane = out[out.size() - 1] * out[out.size() - 2];
  if (!kernels::indices_in_range(contiguous_of(idx), plane)) {
    const auto bad = kernels::find_bad_index(idx, plane);
    BRAID_CHECK(false, IndexError, op,
                "indices must lie in [0, H * W) = [0, {}); got {} at position {}", plane,
                bad->value, shape_str(bad->position));
  }
  return {{out, g.dtype()}};
}

// Its gradient: the pooled gradient reads gg where the maxima were.
V max_pool2d_backward_vjp(const VjpCtx& c) {
  const Tensor &gg = c.grads[0], &idx = c.inputs[1];
  Tensor r = gather(flatten(gg, -2), -1, flatten(idx, -2));
  return {reshape(r, idx.shape()), Tensor()};
}

// -- average pooling -----------------------------------------------------------

kernels::AvgDivisor divisor_of(std::string_view op, const Attrs& a, bool count_axes) {
  kernels::AvgDivisor d;
  if (count_axes) d.kind = kernels::AvgDivisor::kEachAxis;
  if (a.has("divisor_override")) {
    d.kind = kernels::AvgDivisor::kFixed;
    d.fixed = a.i(op, "divisor_override");
    BRAID_CHECK(d.fixed != 0, ValueError, op, "divisor_override must not be zero; got 0");
  }
  return d;
}

bool count_include_pad(std::string_view op, const Attrs& a) {
  return !a.has("count_include_pad") || a.b(op, "count_include_pad");
}

M infer_avg_pool2d(std::span<const Tensor> in, const Attrs& a) {
  const Tensor& x = in[0];
  BRAID_CHECK(x.is_floating_point() || x.dtype() == DType::Int64, DTypeError, "avg_pool2d",
              "x must be floating point or int64; got {}", dtype_name(x.dtype()));
  const Pool2d p = parse_pool("avg_pool2d", x.shape(), a, false);
  divisor_of("avg_pool2d", a, false);
  return {{with_spatial(x.shape(), p.out[0], p.out[1]), x.dtype()}};
}

void run_avg_pool2d(const KernelArgs& k) {
  constexpr std::string_view op = "avg_pool2d";
  const Pool2d p = parse_pool(op, k.in[0].shape(), k.attrs, false);
  const bool incl = count_include_pad(op, k.attrs);
  kernels::avg_pool2d(k.out[0], contiguous_of(k.in[0]), p.axis(0, incl), p.axis(1, incl),
                      divisor_of(op, k.attrs, false));
}

V avg_pool2d_vjp(const VjpCtx& c) {
  Attrs a = c.attrs;
  a.set("input_size", spatial_of(c.input_meta[0].shape));
  return {call1(OpId::avg_pool2d_backward, {c.grads[0]}, a)};
}

M infer_avg_pool2d_backward(std::span<const Tensor> in, const Attrs& a) {
  constexpr std::string_view op = "avg_pool2d_backward";
  check_float(op, in[0], "grad");
  const Shape x = grad_input_shape(op, in[0], a);
  const Pool2d p = parse_pool(op, x, a, false);
  divisor_of(op, a, false);
  check_grad_shape(op, in[0], with_spatial(x, p.out[0], p.out[1]));
  return {{x, in[0].dtype()}};
}

void run_avg_pool2d_backward(const KernelArgs& k) {
  constexpr std::string_view op = "avg_pool2d_backward";
  const Pool2d p = parse_pool(op, k.out[0].shape(), k.attrs, false);
  const bool incl = count_include_pad(op, k.attrs);
  kernels::avg_pool2d_backward(k.out[0], contiguous_of(k.in[0]), p.axis(0, incl), p.axis(1, incl),
                               divisor_of(op, k.attrs, false));
}

V avg_pool2d_backward_vjp(const VjpCtx& c) {
  return {call1(OpId::avg_pool2d, {c.grads[0]}, without(c.attrs, "input_size"))};
}

// -- adaptive pooling -------------------------------------------------------------

// adaptive_*_pool2d's output size (OH, OW) for input shape x; PyTorch checks
// H and W for the average, every non-batch dim for the max.
std::array<int64_t, 2> adaptive_out(std::string_view op, const Shape& x, const Attrs& a,
                                    bool is_max) {
  const auto out = pair_of(op, "output_size", a.ints(op, "output_size"));
  check_rank(op, x);
  const size_t first = is_max ? 1 : x.size() - 2;
  for (size_t d = first; d < x.size(); ++d)
    BRAID_CHECK(x[d] > 0, ShapeError, op,
                "x must have non-zero size in dims {}..{}; got x={} (dim {} is empty)", first,
                x.size() - 1, shape_str(x), d);
  BRAID_CHECK(out[0] >= 0 && out[1] >= 0, ValueError, op,
              "output_size must be non-negative; got output_size={}", pair_str(out));
  return out;
}

std::array<PoolAxis, 2> adaptive_axes(const Shape& x, const std::array<int64_t, 2>& out) {
  const size_t r = x.size();
  return {kernels::adaptive_axis(x[r - 2], out[0]), kernels::adaptive_axis(x[r - 1], out[1])};
}

M infer_adaptive_avg_pool2d(std::span<const Tensor> in, const Attrs& a) {
  check_float("adaptive_avg_pool2d", in[0], "x");
  const auto out = adaptive_out("adaptive_avg_pool2d", in[0].shape(), a, false);
  return {{with_spatial(in[0].shape(), out[0], out[1]), in[0].dtype()}};
}

void run_adaptive_avg_pool2d(const KernelArgs& k) {
  const Shape& x = k.in[0].shape();
  const auto ax = adaptive_axes(x, {k.out[0].size(-2), k.out[0].size(-1)});
  kernels::avg_pool2d(k.out[0], contiguous_of(k.in[0]), ax[0], ax[1],
                      {kernels::AvgDivisor::kEachAxis});
}

M infer_adaptive_avg_pool2d_backward(std::span<const Tensor> in, const Attrs& a) {
  check_float("adaptive_avg_pool2d_backward", in[0], "grad");
  return {{grad_input_shape("adaptive_avg_pool2d_backward", in[0], a), in[0].dtype()}};
}

void run_adaptive_avg_pool2d_backward(const KernelArgs& k) {
  const Tensor& g = k.in[0];
  const auto ax = adaptive_axes(k.out[0].shape(), {g.size(-2), g.size(-1)});
  kernels::avg_pool2d_backward(k.out[0], contiguous_of(g), ax[0], ax[1],
                               {kernels::AvgDivisor::kEachAxis});
}

M infer_adaptive_max_pool2d(std::span<const Tensor> in, const Attrs& a) {
  check_float("adaptive_max_pool2d", in[0], "x");
  const auto out = adaptive_out("adaptive_max_pool2d", in[0].shape(), a, true);
  return max_meta(in[0], out[0], out[1]);
}

void run_adaptive_max_pool2d(const KernelArgs& k) {
  const auto ax = adaptive_axes(k.in[0].shape(), {k.out[0].size(-2), k.out[0].size(-1)});
  kernels::max_pool2d(k.out[0], k.out[1], contiguous_of(k.in[0]), ax[0], ax[1]);
}

OpDef kernel_def(InferFn infer, KernelFn run, VjpFn vjp, std::string_view onnx) {
  OpDef d;
  d.infer = infer;
  d.portable = run;
  d.vjp = vjp;
  d.onnx = onnx;
  return d;
}
}  // namespace

OpDef make_def_max_pool2d() {
  OpDef d = kernel_def(infer_max_pool2d, run_max_pool2d, max_pool_vjp, "MaxPool");
#ifdef BRAID_HAVE_DNNL
  d.x86 = run_max_pool2d_x86;
#endif
  d.num_outputs = 2;
  d.save_outputs = 2;  // indices
  d.onnx_note = "MaxPool; the indices output is not exported (ONNX counts them over N*C*H*W)";
  return d;
}

OpDef make_def_max_pool2d_backward() {
  OpDef d = kernel_def(
      infer_max_pool2d_backward,
      [](const KernelArgs& k) {
        kernels::max_pool2d_backward(k.out[0], contiguous_of(k.in[0]), contiguous_of(k.in[1]));
      },
      max_pool2d_backward_vjp, "");
#ifdef BRAID_HAVE_DNNL
  // A 2x2 pool's gradient in one pass; other indices decline to the scatter.
  d.x86 = [](const KernelArgs& k) {
    return kernels::max_pool2x2_backward_x86(k.out[0], contiguous_of(k.in[0]),
                                             contiguous_of(k.in[1]));
  };
#endif
  d.num_inputs = 2;
  d.save_inputs = 2;  // indices
  d.onnx_note = "a gradient op: training graphs are not exported";
  return d;
}

OpDef make_def_avg_pool2d() {
  OpDef d = kernel_def(infer_avg_pool2d, run_avg_pool2d, avg_pool2d_vjp, "AveragePool");
  d.onnx_note = "divisor_override has no ONNX form";
  return d;
}

OpDef make_def_avg_pool2d_backward() {
  OpDef d =
      kernel_def(infer_avg_pool2d_backward, run_avg_pool2d_backward, avg_pool2d_backward_vjp, "");
  d.onnx_note = "a gradient op: training graphs are not exported";
  return d;
}

OpDef make_def_adaptive_avg_pool2d() {
  OpDef d = kernel_def(
      infer_adaptive_avg_pool2d, run_adaptive_avg_pool2d,
      [](const VjpCtx& c) -> V {
        return {adaptive_avg_pool2d_backward(c.grads[0], spatial_of(c.input_meta[0].shape))};
      },
      "");
  d.onnx_note =
      "GlobalAveragePool for a (1, 1) output, AveragePool when the output size divides the "
      "input's; else no ONNX op";
  return d;
}

OpDef make_def_adaptive_avg_pool2d_backward() {
  OpDef d = kernel_def(
      infer_adaptive_avg_pool2d_backward, run_adaptive_avg_pool2d_backward,
      [](const VjpCtx& c) -> V {
        return {adaptive_avg_pool2d(c.grads[0], spatial_of(c.input_meta[0].shape))};
      },
      "");
  d.onnx_note = "a gradient op: training graphs are not exported";
  return d;
}

OpDef make_def_adaptive_max_pool2d() {
  OpDef d = kernel_def(infer_adaptive_max_pool2d, run_adaptive_max_pool2d, max_pool_vjp, "");
  d.num_outputs = 2;
  d.save_outputs = 2;  // indices
  d.onnx_note =
      "GlobalMaxPool for a (1, 1) output, MaxPool when the output size divides the input's; "
      "else no ONNX op; the indices output is not exported";
  return d;
}
}  // namespace detail

using detail::call;
using detail::call1;

namespace {
Attrs max_attrs(const std::vector<int64_t>& kernel_size, const MaxPool2dOptions& o) {
  return {{"kernel_size", kernel_size},
          {"stride", o.stride},
          {"padding", o.padding},
          {"dilation", o.dilation},
          {"ceil_mode", o.ceil_mode}};
}
Attrs avg_attrs(const std::vector<int64_t>& kernel_size, const AvgPool2dOptions& o) {
  Attrs a{{"kernel_size", kernel_size},
          {"stride", o.stride},
          {"padding", o.padding},
          {"ceil_mode", o.ceil_mode},
          {"count_include_pad", o.count_include_pad}};
  if (o.divisor_override) a.set("divisor_override", *o.divisor_override);
  return a;
}
}  // namespace

Tensor max_pool2d(const Tensor& x, const std::vector<int64_t>& kernel_size,
                  const MaxPool2dOptions& options) {
  return call1(OpId::max_pool2d, {x}, max_attrs(kernel_size, options));
}
ValuesIndices max_pool2d_with_indices(const Tensor& x, const std::vector<int64_t>& kernel_size,
                                      const MaxPool2dOptions& options) {
  auto r = call(OpId::max_pool2d, {x}, max_attrs(kernel_size, options));
  return {r[0], r[1]};
}
Tensor max_pool2d_backward(const Tensor& grad, const Tensor& indices,
                           const std::vector<int64_t>& input_size) {
  return call1(OpId::max_pool2d_backward, {grad, indices}, {{"input_size", input_size}});
}
Tensor avg_pool2d(const Tensor& x, const std::vector<int64_t>& kernel_size,
                  const AvgPool2dOptions& options) {
  return call1(OpId::avg_pool2d, {x}, avg_attrs(kernel_size, options));
}
Tensor avg_pool2d_backward(const Tensor& grad, const std::vector<int64_t>& input_size,
                           const std::vector<int64_t>& kernel_size,
                           const AvgPool2dOptions& options) {
  Attrs a = avg_attrs(kernel_size, options);
  a.set("input_size", input_size);
  return call1(OpId::avg_pool2d_backward, {grad}, a);
}
Tensor adaptive_avg_pool2d(const Tensor& x, const std::vector<int64_t>& output_size) {
  return call1(OpId::adaptive_avg_pool2d, {x}, {{"output_size", output_size}});
}
Tensor adaptive_avg_pool2d_backward(const Tensor& grad, const std::vector<int64_t>& input_size) {
  return call1(OpId::adaptive_avg_pool2d_backward, {grad}, {{"input_size", input_size}});
}
Tensor adaptive_max_pool2d(const Tensor& x, const std::vector<int64_t>& output_size) {
  return call1(OpId::adaptive_max_pool2d, {x}, {{"output_size", output_size}});
}
ValuesIndices adaptive_max_pool2d_with_indices(const Tensor& x,
                                               const std::vector<int64_t>& output_size) {
  auto r = call(OpId::adaptive_max_pool2d, {x}, {{"output_size", output_size}});
  return {r[0], r[1]};
}

}  // namespace braid
