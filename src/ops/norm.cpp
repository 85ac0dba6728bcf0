// Normalisation: native_batch_norm (the kernel), and batch_norm, layer_norm,
// group_norm, instance_norm written with it. PyTorch 1.13 semantics.
//
// Note [functional batch norm]: batch norm updates its running statistics in
// place, which no kernel op does here: an op's outputs are fresh tensors, and
// the dispatcher may cast the inputs it gets (float16), so a kernel writing
// into an input could write into a temporary. native_batch_norm is therefore
// functional, like PyTorch 2's _native_batch_norm_legit_functional and ONNX's
// BatchNormalization in training mode: it returns the normalised output, the
// statistics it normalised with (save_mean, save_invstd: what its backward
// reads) and the NEW running statistics. The public batch_norm (a composite)
// then copies the new running statistics into the caller's buffers with copy_
// under a NoGradGuard: their version counters are bumped, autograd records
// nothing, and the traced graph (later) sees the update as two outputs.
// Every output is differentiable and the vjp handles the gradient of each
// (the second derivative of y flows back through save_mean and save_invstd).
// The running statistics themselves are not differentiable (as in PyTorch):
// they may not require grad.
//
// Note [normalising through batch norm]: layer_norm, group_norm and
// instance_norm normalise blocks of x with their own mean and biased
// variance, which is batch norm's training mode on a reshaped x: a block is
// a "channel" of a (1, blocks, block size) tensor. They call
// native_batch_norm on that view (as PyTorch's instance_norm does), so all
// four share one kernel and one backward formula; the affine part of
// layer_norm and group_norm, whose parameters are per element or per channel
// rather than per block, is applied after, with mul and add.
#include "braid/ops/norm.hpp"

#include <array>
#include <optional>

#include "kernels/portable/norm.hpp"
#include "ops/common.hpp"

namespace braid {
namespace detail {
namespace {
using V = std::vector<Tensor>;

// (1, C, 1, ..., 1) for x of shape (N, C, *): a per-channel tensor that broadcasts.
Shape channel_shape(const Tensor& x) {
  Shape s(x.shape().size(), 1);
  s[1] = x.size(1);
  return s;
}

// Every dim but the channel dim 1.
std::vector<int64_t> non_channel_dims(int64_t rank) {
  std::vector<int64_t> dims{0};
  for (int64_t d = 2; d < rank; ++d) dims.push_back(d);
  return dims;
}

void check_defined(std::string_view op, const Tensor& t, std::string_view name) {
  BRAID_CHECK(t.defined(), ValueError, op, "{} is undefined", name);
}

// x is (N, C, *) and floating.
void check_nc(std::string_view op, const Tensor& x) {
  check_defined(op, x, "x");
  check_floating(op, std::span<const Tensor>(&x, 1));
  BRAID_CHECK(x.dim() >= 2, ShapeError, op, "x must have at least 2 dims (N, C, *); got x={}",
              shape_str(x.shape()));
}

// A defined per-channel tensor must be (C,) of x's dtype.
void check_param(std::string_view op, const Tensor& x, const Tensor& p, std::string_view name,
                 int64_t c) {
  if (!p.defined()) return;
  BRAID_CHECK(p.dim() == 1 && p.size(0) == c, ShapeError, op,
              "{} must have shape ({},) (one value per channel of x); got x={}, {}={}", name, c,
              shape_str(x.shape()), name, shape_str(p.shape()));
  BRAID_CHECK(p.dtype() == x.dtype(), DTypeError, op, "{} must have x's dtype; got x {}, {} {}",
              name, dtype_name(x.dtype()), name, dtype_name(p.dtype()));
}

void check_stat(std::string_view op, const Tensor& t, std::string_view name) {
  BRAID_CHECK(!(t.defined() && t.requires_grad() && is_grad_enabled()), ValueError, op,
              "{} is a statistic, not a parameter, and cannot require grad", name);
}

// weight, bias, running_mean, running_var: (C,) of x's dtype; the statistics
// do not require grad.
void check_bn_params(std::string_view op, const Tensor& x, const Tensor& w, const Tensor& b,
                     const Tensor& rm, const Tensor& rv) {
  const int64_t c = x.size(1);
  check_param(op, x, w, "weight", c);
  check_param(op, x, b, "bias", c);
  check_param(op, x, rm, "running_mean", c);
  check_param(op, x, rv, "running_var", c);
  check_stat(op, rm, "running_mean");
  check_stat(op, rv, "running_var");
}

TensorMetas infer_native_batch_norm(std::span<const Tensor> in, const Attrs& a) {
  const Tensor& x = in[0];
  check_nc("native_batch_norm", x);
  check_bn_params("native_batch_norm", x, in[1], in[2], in[3], in[4]);
  a.b("native_batch_norm", "training");
  a.f("native_batch_norm", "momentum");
  a.f("native_batch_norm", "eps");
  TensorMetas out;
  out.push_back({x.shape(), x.dtype()});
  for (int i = 0; i < 4; ++i) out.push_back({{x.size(1)}, x.dtype()});
  return out;
}

void native_batch_norm_portable(const KernelArgs& k) {
  const Attrs& a = k.attrs;
  kernels::batch_norm_forward({k.out[0], k.out[1], k.out[2], k.out[3], k.out[4], k.in[0], k.in[1],
                               k.in[2], k.in[3], k.in[4], a.b("native_batch_norm", "training"),
                               a.f("native_batch_norm", "momentum"),
                               a.f("native_batch_norm", "eps")});
}

// Note [batch norm backward]: native_batch_norm's vjp has two forms with the
// same values. Without graph recording (a plain backward: the engine turns
// grad mode off unless create_graph) it calls native_batch_norm_backward, a
// fused kernel that reads gy and x twice (a per-channel pass for the sums,
// one for gx); the braid-ops form below took about ten full-size passes and
// made a BatchNorm CNN's training step ~3x slower than PyTorch's. When a
// graph is recorded (create_graph: second derivatives) the vjp is the
// braid-ops form, which is differentiable; the kernel op therefore never
// needs a derivative of its own (PyTorch writes one by hand instead:
// batchnorm_double_backward). Both forms are checked: gradcheck runs the
// kernel, gradgradcheck the braid ops, and tests/ops/norm_test.cpp compares them.
//
// Training: with xhat = (x - mean) * invstd, n values per channel and
// gxhat = gy * weight, the gradient of y is the usual
//   invstd * (gxhat - mean(gxhat) - xhat * mean(gxhat * xhat)),
// where mean(gxhat) = weight * sum(gy) / n and mean(gxhat * xhat) =
// weight * sum(gy * xhat) / n reuse the sums that the weight and bias
// gradients need, so gx = gy * A + xhat * B + C with per-channel A, B, C.
// The (C) outputs add per-channel terms to B (grad_scale) and C (grad_shift):
//   mean = sum(x) / n                      -> C += g_mean / n
//   invstd = (var + eps)^-1/2              -> B -= g_invstd * invstd^2 / n
//   new running mean = ... + m * mean      -> C += g_rm * m / n
//   new running var = ... + m * var(x, unbiased) -> B += g_rv * 2m / ((n - 1) * invstd)
// Eval: y = x * invstd * weight + const; the (C) outputs do not depend on x.
struct StatGrads {
  Tensor shift, scale;  // (C)
};
StatGrads stat_grads(const VjpCtx& c, double n) {
  const double m = c.attrs.f("native_batch_norm", "momentum");
  const double inv_n = n > 0 ? 1.0 / n : 0.0, rv_coef = n > 1 ? 2.0 * m / (n - 1.0) : 0.0;
  const Tensor& invstd = c.outputs[2];
  return {(c.grads[1] + c.grads[3] * m) * inv_n,
          c.grads[4] * rv_coef / invstd - c.grads[2] * square(invstd) * inv_n};
}

V native_batch_norm_vjp(const VjpCtx& c) {
  const Tensor &x = c.inputs[0], &w = c.inputs[1], &gy = c.grads[0];
  const bool training = c.attrs.b("native_batch_norm", "training");
  const Shape cs{x.size(1)};
  const double n = x.size(1) > 0 ? static_cast<double>(x.numel() / x.size(1)) : 0.0;
  V out(5);
  if (!is_grad_enabled()) {  // Note [batch norm backward]: the fused kernel
    StatGrads e =
        training ? stat_grads(c, n) : StatGrads{zeros(cs, x.dtype()), zeros(cs, x.dtype())};
    V r = call(OpId::native_batch_norm_backward,
               {gy, x, w, c.outputs[1], c.outputs[2], e.shift, e.scale}, {{"training", training}});
    for (size_t i = 0; i < 3; ++i)
      if (c.needs_grad[i]) out[i] = r[i];
    return out;
  }
  const Shape bs = channel_shape(x);
  const std::vector<int64_t> dims = non_channel_dims(x.dim());
  const Tensor mu = reshape(c.outputs[1], bs), invstd = reshape(c.outputs[2], bs);
  const bool need_x = c.needs_grad[0], x_stats = need_x && training;
  const Tensor xhat = x_stats || c.needs_grad[1] ? (x - mu) * invstd : Tensor();
  const Tensor sum_gy = x_stats || c.needs_grad[2] ? sum(gy, dims, true) : Tensor();
  const Tensor sum_gy_xhat = x_stats || c.needs_grad[1] ? sum(gy * xhat, dims, true) : Tensor();
  if (c.needs_grad[1]) out[1] = reshape(sum_gy_xhat, cs);
  if (c.needs_grad[2]) out[2] = reshape(sum_gy, cs);
  if (!need_x) return out;
  const Tensor a = invstd * reshape(w, bs);
  if (!training) {
    out[0] = gy * a;
    return out;
  }
  const double inv_n = n > 0 ? 1.0 / n : 0.0;
  const StatGrads e = stat_grads(c, n);
  const Tensor coef0 = reshape(e.shift, bs) - a * sum_gy * inv_n;
  const Tensor coef1 = reshape(e.scale, bs) - a * sum_gy_xhat * inv_n;
  out[0] = gy * a + xhat * coef1 + coef0;
  return out;
}

TensorMetas infer_native_batch_norm_backward(std::span<const Tensor> in, const Attrs& a) {
  constexpr std::string_view op = "native_batch_norm_backward";
  const Tensor &gy = in[0], &x = in[1];
  check_nc(op, x);
  BRAID_CHECK(gy.shape() == x.shape() && gy.dtype() == x.dtype(), ShapeError, op,
              "grad_out must have x's shape and dtype; got x={} {}, grad_out={} {}",
              shape_str(x.shape()), dtype_name(x.dtype()), shape_str(gy.shape()),
              dtype_name(gy.dtype()));
  const char* names[] = {"weight", "save_mean", "save_invstd", "grad_shift", "grad_scale"};
  for (size_t i = 0; i < 5; ++i) check_param(op, x, in[i + 2], names[i], x.size(1));
  a.b(op, "training");
  TensorMetas out;
  out.push_back({x.shape(), x.dtype()});
  for (int i = 0; i < 2; ++i) out.push_back({{x.size(1)}, x.dtype()});
  return out;
}

void native_batch_norm_backward_portable(const KernelArgs& k) {
  kernels::batch_norm_backward({k.out[0], k.out[1], k.out[2], k.in[0], k.in[1], k.in[2], k.in[3],
                                k.in[4], k.in[5], k.in[6],
                                k.attrs.b("native_batch_norm_backward", "training")});
}

// native_batch_norm takes no undefined input (a kernel op): an absent weight
// is ones, an absent bias or running mean zeros, an absent running var ones.
V native_bn(const Tensor& x, const Tensor& w, const Tensor& b, const Tensor& rm, const Tensor& rv,
            bool training, double momentum, double eps) {
  const Shape c{x.size(1)};
  auto or_fill = [&](const Tensor& t, int v) { return t.defined() ? t : full(c, v, x.dtype()); };
  return call(OpId::native_batch_norm,
              {x, or_fill(w, 1), or_fill(b, 0), or_fill(rm, 0), or_fill(rv, 1)},
              {{"training", training}, {"momentum", momentum}, {"eps", eps}});
}

// Writes a new running statistic into the caller's buffer (Note [functional batch norm]).
void update_stat(const Tensor& stat, const Tensor& value) {
  if (!stat.defined()) return;
  NoGradGuard no_grad;
  Tensor s = stat;
  s.copy_(value);
}

// The product of the spatial sizes (dims 2 on) of x (N, C, *).
int64_t spatial_size(const Tensor& x) {
  int64_t s = 1;
  for (int64_t d = 2; d < x.dim(); ++d) s *= x.size(d);
  return s;
}

V batch_norm_composite(std::span<const Tensor> in, const Attrs& a) {
  const Tensor &x = in[0], &rm = in[1], &rv = in[2], &w = in[3], &b = in[4];
  check_nc("batch_norm", x);
  const bool training = a.b("batch_norm", "training");
  BRAID_CHECK(training || (rm.defined() && rv.defined()), ValueError, "batch_norm",
              "running_mean and running_var must be given in eval mode (training = false)");
  check_bn_params("batch_norm", x, w, b, rm, rv);
  BRAID_CHECK(!training || x.size(0) * spatial_size(x) != 1, ValueError, "batch_norm",
              "expected more than 1 value per channel when training; got x={}",
              shape_str(x.shape()));
  V r =
      native_bn(x, w, b, rm, rv, training, a.f("batch_norm", "momentum"), a.f("batch_norm", "eps"));
  if (training) {
    update_stat(rm, r[3]);
    update_stat(rv, r[4]);
  }
  return {r[0]};
}

// float16/bfloat16: fn runs on float32 copies, and the result is rounded
// once, as PyTorch does (rounding after the normalisation and again after
// the affine part was 2 bf16 ulp off).
template <class F>
std::optional<V> in_float32(const F& fn, std::span<const Tensor> in, const Attrs& a) {
  if (!has_half(in)) return std::nullopt;
  const DType half = in[0].dtype();
  std::array<Tensor, 3> wide;
  for (size_t i = 0; i < in.size(); ++i)
    wide[i] = in[i].defined() ? to(in[i], DType::Float32) : in[i];
  return V{to(fn(wide, a)[0], half)};
}

// Normalises x viewed as (1, blocks, block_size) over its last dim
// (Note [normalising through batch norm]); returns x's shape.
Tensor normalize_blocks(const Tensor& x, int64_t blocks, int64_t block_size, double eps) {
  Tensor xr = reshape(x, {1, blocks, block_size});
  return reshape(native_bn(xr, {}, {}, {}, {}, true, 0.0, eps)[0], x.shape());
}

V layer_norm_composite(std::span<const Tensor> in, const Attrs& a) {
  const Tensor &x = in[0], &w = in[1], &b = in[2];
  check_defined("layer_norm", x, "x");
  check_floating("layer_norm", std::span<const Tensor>(&x, 1));
  const std::vector<int64_t>& ns = a.ints("layer_norm", "normalized_shape");
  const Shape norm_shape(ns.begin(), ns.end());
  BRAID_CHECK(!ns.empty(), ValueError, "layer_norm",
              "normalized_shape must have at least one dim; got ()");
  const int64_t k = static_cast<int64_t>(ns.size());
  BRAID_CHECK(x.dim() >= k && Shape(x.shape().end() - k, x.shape().end()) == norm_shape, ShapeError,
              "layer_norm", "x must end with normalized_shape; got x={}, normalized_shape={}",
              shape_str(x.shape()), shape_str(norm_shape));
  for (auto [p, name] : {std::pair{&w, "weight"}, std::pair{&b, "bias"}}) {
    if (!p->defined()) continue;
    BRAID_CHECK(p->shape() == norm_shape, ShapeError, "layer_norm",
                "{} must have shape normalized_shape; got normalized_shape={}, {}={}", name,
                shape_str(norm_shape), name, shape_str(p->shape()));
    BRAID_CHECK(p->dtype() == x.dtype(), DTypeError, "layer_norm",
                "{} must have x's dtype; got x {}, {} {}", name, dtype_name(x.dtype()), name,
                dtype_name(p->dtype()));
  }
  if (auto r = in_float32(layer_norm_composite, in, a)) return *r;
  const int64_t block = numel_of(norm_shape);
  const int64_t blocks = numel_of(Shape(x.shape().begin(), x.shape().end() - k));
  Tensor y = normalize_blocks(x, blocks, block, a.f("layer_norm", "eps"));
  if (w.defined()) y = y * w;
  if (b.defined()) y = y + b;
  return {y};
}

V group_norm_composite(std::span<const Tensor> in, const Attrs& a) {
  const Tensor &x = in[0], &w = in[1], &b = in[2];
  check_nc("group_norm", x);
  const int64_t g = a.i("group_norm", "num_groups"), c = x.size(1);
  BRAID_CHECK(g > 0 && c % g == 0, ValueError, "group_norm",
              "the number of channels must be divisible by num_groups (> 0); got x={}, "
              "num_groups={}",
              shape_str(x.shape()), g);
  check_param("group_norm", x, w, "weight", c);
  check_param("group_norm", x, b, "bias", c);
  if (auto r = in_float32(group_norm_composite, in, a)) return *r;
  const int64_t n = x.size(0), block = n * c > 0 ? x.numel() / (n * g) : 0;
  Tensor y = normalize_blocks(x, n * g, block, a.f("group_norm", "eps"));
  if (w.defined()) y = y * reshape(w, channel_shape(x));
  if (b.defined()) y = y + reshape(b, channel_shape(x));
  return {y};
}

V instance_norm_composite(std::span<const Tensor> in, const Attrs& a) {
  const Tensor &x = in[0], &rm = in[1], &rv = in[2], &w = in[3], &b = in[4];
  check_nc("instance_norm", x);
  const bool use_input_stats = a.b("instance_norm", "use_input_stats");
  BRAID_CHECK(use_input_stats || (rm.defined() && rv.defined()), ValueError, "instance_norm",
              "running_mean and running_var must be given when use_input_stats is false");
  check_bn_params("instance_norm", x, w, b, rm, rv);
  const int64_t n = x.size(0), c = x.size(1), spatial = spatial_size(x);
  BRAID_CHECK(!use_input_stats || spatial != 1, ValueError, "instance_norm",
              "expected more than 1 spatial element when use_input_stats is true; got x={}",
              shape_str(x.shape()));
  // Each (sample, channel) pair is a channel of a batch of one (as PyTorch does
  // it); per-channel tensors repeat once per sample.
  auto rep = [&](const Tensor& t) { return t.defined() ? repeat(t, {n}) : Tensor(); };
  Tensor xr = reshape(x, {1, n * c, spatial});
  V r = native_bn(xr, rep(w), rep(b), rep(rm), rep(rv), use_input_stats,
                  a.f("instance_norm", "momentum"), a.f("instance_norm", "eps"));
  if (use_input_stats && n > 0) {
    NoGradGuard no_grad;  // the running statistics average over the samples
    if (rm.defined()) update_stat(rm, mean(reshape(r[3], {n, c}), {0}));
    if (rv.defined()) update_stat(rv, mean(reshape(r[4], {n, c}), {0}));
  }
  return {reshape(r[0], x.shape())};
}

}  // namespace

OpDef make_def_native_batch_norm() {
  OpDef d;
  d.num_inputs = 5;
  d.num_outputs = 5;
  d.infer = infer_native_batch_norm;
  d.portable = native_batch_norm_portable;
  d.vjp = native_batch_norm_vjp;
  d.save_inputs = 0b11;    // x, weight
  d.save_outputs = 0b110;  // save_mean, save_invstd
  d.onnx = "BatchNormalization";
  d.onnx_note =
      "eval only: BatchNormalization, the running statistics passed through (training graphs "
      "are not exported)";
  return d;
}
OpDef make_def_native_batch_norm_backward() {
  OpDef d;
  d.num_inputs = 7;
  d.num_outputs = 3;
  d.infer = infer_native_batch_norm_backward;
  d.portable = native_batch_norm_backward_portable;
  d.nondiff_reason =
      "runs only without graph recording; with create_graph native_batch_norm's vjp is written "
      "in braid ops (Note [batch norm backward])";
  d.onnx_note = "a gradient op: training graphs are not exported";
  return d;
}
OpDef make_def_batch_norm() { return composite_def(batch_norm_composite, 5, "BatchNormalization"); }
OpDef make_def_layer_norm() { return composite_def(layer_norm_composite, 3, "LayerNormalization"); }
OpDef make_def_group_norm() {
  return composite_def(group_norm_composite, 3, "",
                       "composite: exported as its parts (Reshape, InstanceNormalization-style "
                       "normalisation, Mul, Add); ONNX GroupNormalization needs opset 18");
}
OpDef make_def_instance_norm() {
  return composite_def(instance_norm_composite, 5, "InstanceNormalization");
}
}  // namespace detail

using detail::call;
using detail::call1;

BatchNormOutputs native_batch_norm(const Tensor& x, const Tensor& weight, const Tensor& bias,
                                   const Tensor& running_mean, const Tensor& running_var,
                                   bool training, double momentum, double eps) {
  std::vector<Tensor> r =
      call(OpId::native_batch_norm, {x, weight, bias, running_mean, running_var},
           {{"training", training}, {"momentum", momentum}, {"eps", eps}});
  return {r[0], r[1], r[2], r[3], r[4]};
}

BatchNormGrads native_batch_norm_backward(const Tensor& grad_out, const Tensor& x,
                                          const Tensor& weight, const Tensor& save_mean,
                                          const Tensor& save_invstd, const Tensor& grad_shift,
                                          const Tensor& grad_scale, bool training) {
  std::vector<Tensor> r =
      call(OpId::native_batch_norm_backward,
           {grad_out, x, weight, save_mean, save_invstd, grad_shift, grad_scale},
           {{"training", training}});
  return {r[0], r[1], r[2]};
}

Tensor batch_norm(const Tensor& x, const Tensor& running_mean, const Tensor& running_var,
                  const Tensor& weight, const Tensor& bias, BatchNormOptions o) {
  return call1(OpId::batch_norm, {x, running_mean, running_var, weight, bias},
               {{"training", o.training}, {"momentum", o.momentum}, {"eps", o.eps}});
}

Tensor layer_norm(const Tensor& x, std::vector<int64_t> normalized_shape, const Tensor& weight,
                  const Tensor& bias, double eps) {
  return call1(OpId::layer_norm, {x, weight, bias},
               {{"normalized_shape", std::move(normalized_shape)}, {"eps", eps}});
}

Tensor group_norm(const Tensor& x, int64_t num_groups, const Tensor& weight, const Tensor& bias,
                  double eps) {
  return call1(OpId::group_norm, {x, weight, bias}, {{"num_groups", num_groups}, {"eps", eps}});
}

Tensor instance_norm(const Tensor& x, const Tensor& running_mean, const Tensor& running_var,
                     const Tensor& weight, const Tensor& bias, InstanceNormOptions o) {
  return call1(OpId::instance_norm, {x, running_mean, running_var, weight, bias},
               {{"use_input_stats", o.use_input_stats}, {"momentum", o.momentum}, {"eps", o.eps}});
}

}  // namespace braid
