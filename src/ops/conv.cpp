// The public convolutions: conv1d, conv2d, conv_transpose2d. Each checks the
// user's arguments (PyTorch's rules, every shape in the message), resolves
// padding and output size, and calls one primitive of ops/conv_common.hpp:
// conv1d is conv2d over a height of 1, conv_transpose2d is conv2d's input
// gradient. Autograd comes from the primitives.
//
// Attributes: stride, padding (sizes or the string "same"/"valid"), dilation
// (1 or one value per spatial dim each), groups; conv_transpose2d has
// output_padding and takes padding as sizes only. Absent ones take
// PyTorch's defaults.
#include "braid/ops/conv.hpp"

#include "ops/conv_common.hpp"

namespace braid {
namespace detail {
namespace {
using V = std::vector<Tensor>;

void check_defined(std::string_view op, const Tensor& t, std::string_view name) {
  BRAID_CHECK(t.defined(), ValueError, op, "{} is undefined", name);
}

void check_dtypes(std::string_view op, const Tensor& x, const Tensor& w, const Tensor& b) {
  const std::string bias = b.defined() ? fmt::format(", bias={}", dtype_name(b.dtype())) : "";
  const bool floating =
      x.is_floating_point() && w.is_floating_point() && (!b.defined() || b.is_floating_point());
  BRAID_CHECK(floating, DTypeError, op, "expects floating-point inputs; got x={}, weight={}{}",
              dtype_name(x.dtype()), dtype_name(w.dtype()), bias);
  BRAID_CHECK(x.dtype() == w.dtype() && (!b.defined() || b.dtype() == x.dtype()), DTypeError, op,
              "x, weight and bias must have the same dtype; got x={}, weight={}{}",
              dtype_name(x.dtype()), dtype_name(w.dtype()), bias);
}

// An attribute of one value per spatial dim (1 or nd given), as (height,
// width); conv1d's single dim is the width, its height gets `neutral`.
Pair per_dim(std::string_view op, const Attrs& a, std::string_view name, int nd, int64_t dflt,
             int64_t neutral) {
  if (!a.has(name)) return {nd == 2 ? dflt : neutral, dflt};
  const std::vector<int64_t>& v = a.ints(op, name);
  BRAID_CHECK(v.size() == 1 || static_cast<int>(v.size()) == nd, ValueError, op,
              "{} needs {}; got {}={}", name, nd == 2 ? "1 or 2 values" : "1 value", name,
              shape_str(v));
  const int64_t hi = v.front(), wi = v.back();
  BRAID_CHECK(hi >= dflt && wi >= dflt, ValueError, op, "{} must be >= {}; got {}={}", name, dflt,
              name, shape_str(v));
  return {nd == 2 ? hi : neutral, wi};
}

int64_t groups_attr(std::string_view op, const Attrs& a) {
  const int64_t groups = a.has("groups") ? a.i(op, "groups") : 1;
  BRAID_CHECK(groups >= 1, ValueError, op, "groups must be >= 1; got groups={}", groups);
  return groups;
}

// The last nd entries of a pair, for messages: "(3, 3)" in 2-D, "(3)" in 1-D.
std::string dims_str(Pair p, int nd) {
  return nd == 2 ? shape_str({p[0], p[1]}) : shape_str({p[1]});
}

Pair kernel_of(const Tensor& w, int nd) { return {nd == 2 ? w.size(-2) : 1, w.size(-1)}; }
Pair input_of(const Tensor& x, int nd) { return {nd == 2 ? x.size(-2) : 1, x.size(-1)}; }

// Top/left padding and the output size, after PyTorch's "same" and "valid";
// padded and span (the dilated kernel) for the error message.
struct Resolved {
  Pair padding, padded, span, out;
};

Resolved resolve_padding(std::string_view op, const Attrs& a, int nd, const ConvParams& p, Pair in,
                         Pair k) {
  Pair before{0, 0}, total{0, 0};
  const AttrValue* pad = a.find("padding");
  if (const std::string* mode = pad ? std::get_if<std::string>(pad) : nullptr) {
    BRAID_CHECK(*mode == "same" || *mode == "valid", ValueError, op,
                "padding must be 'same', 'valid' or sizes; got padding='{}'", *mode);
    if (*mode == "same") {
      BRAID_CHECK(p.stride[0] == 1 && p.stride[1] == 1, ValueError, op,
                  "padding='same' needs stride 1 (PyTorch's rule); got stride={}",
                  dims_str(p.stride, nd));
      // The odd row/column of an even kernel goes at the end, as in PyTorch.
      for (int d = 0; d < 2; ++d) {
        total[d] = p.dilation[d] * (k[d] - 1);
        before[d] = total[d] / 2;
      }
    }
  } else {
    before = per_dim(op, a, "padding", nd, 0, 0);
    total = {2 * before[0], 2 * before[1]};
  }
  Pair out{0, 0}, padded{0, 0}, span{0, 0};
  for (int d = 0; d < 2; ++d) {
    padded[d] = in[d] + total[d];
    span[d] = p.dilation[d] * (k[d] - 1) + 1;
    out[d] = padded[d] >= span[d] ? (padded[d] - span[d]) / p.stride[d] + 1 : 0;
  }
  return {before, padded, span, out};
}

// conv1d (nd = 1) and conv2d (nd = 2).
Tensor conv_nd(std::string_view op, int nd, std::span<const Tensor> in, const Attrs& a) {
  const Tensor &x = in[0], &w = in[1], &b = in[2];
  check_defined(op, x, "x");
  check_defined(op, w, "weight");
  check_dtypes(op, x, w, b);
  const char* x_dims =
      nd == 2 ? "(C_in, H, W) or 4-D (N, C_in, H, W)" : "(C_in, L) or 3-D (N, C_in, L)";
  BRAID_CHECK(x.dim() == nd + 1 || x.dim() == nd + 2, ShapeError, op, "x must be {}-D {}; got x={}",
              nd + 1, x_dims, shape_str(x.shape()));
  BRAID_CHECK(w.dim() == nd + 2, ShapeError, op, "weight must be {}-D {}; got weight={}", nd + 2,
              nd == 2 ? "(C_out, C_in/groups, kH, kW)" : "(C_out, C_in/groups, k)",
              shape_str(w.shape()));
  ConvParams p;
  p.groups = groups_attr(op, a);
  p.stride = per_dim(op, a, "stride", nd, 1, 1);
  p.dilation = per_dim(op, a, "dilation", nd, 1, 1);
  const int64_t c_in = x.size(-nd - 1);
  BRAID_CHECK(w.size(0) % p.groups == 0, ShapeError, op,
              "weight.shape[0] (C_out) must be divisible by groups; got weight={}, groups={}",
              shape_str(w.shape()), p.groups);
  BRAID_CHECK(c_in == w.size(1) * p.groups, ShapeError, op,
              "x's channels must equal weight.shape[1] * groups; got x={}, weight={}, groups={}",
              shape_str(x.shape()), shape_str(w.shape()), p.groups);
  if (b.defined())
    BRAID_CHECK(b.dim() == 1 && b.size(0) == w.size(0), ShapeError, op,
                "bias must have shape (C_out,) = ({},); got weight={}, bias={}", w.size(0),
                shape_str(w.shape()), shape_str(b.shape()));
  const Pair k = kernel_of(w, nd), size = input_of(x, nd);
  const Resolved r = resolve_padding(op, a, nd, p, size, k);
  p.padding = r.padding;
  BRAID_CHECK(r.out[0] >= 1 && r.out[1] >= 1, ShapeError, op,
              "the dilated kernel must fit in the padded input; got x={}, weight={}, padded input "
              "{}, dilated kernel {}",
              shape_str(x.shape()), shape_str(w.shape()), dims_str(r.padded, nd),
              dims_str(r.span, nd));
  const bool batched = x.dim() == nd + 2;
  Tensor x4 = batched ? x : unsqueeze(x, 0), w4 = w;
  if (nd == 1) x4 = unsqueeze(x4, 2), w4 = unsqueeze(w, 2);
  // "relu" (conv2d only, set by nn::Sequential, Note [conv + relu]): the
  // primitive that applies ReLU as it writes; "relu_maxpool2x2" (Note [conv +
  // relu + pool]) pools that 2x2 too. That gives nothing when the output is
  // smaller than the window (Sequential then runs the layers, so the pool's
  // own error names it) or x is float16/bfloat16: the layers round the
  // convolution's output to that type before pooling, so values that round
  // alike tie there, and the pool must choose among the rounded values.
  const bool relu = nd == 2 && a.has("relu") && a.b(op, "relu");
  const bool pool = nd == 2 && a.has("relu_maxpool2x2") && a.b(op, "relu_maxpool2x2");
  const bool half = x.dtype() == DType::Float16 || x.dtype() == DType::BFloat16;
  if (pool && (r.out[0] < 2 || r.out[1] < 2 || half)) return Tensor();
  Tensor y = pool   ? conv2d_relu_maxpool_forward_call(x4, w4, b, p, r.out)[0]
             : relu ? conv2d_relu_forward_call(x4, w4, b, p, r.out)
                    : conv2d_forward_call(x4, w4, b, p, r.out);
  if (nd == 1) y = squeeze(y, {2});
  return batched ? y : squeeze(y, {0});
}

Tensor conv_transpose_2d(std::span<const Tensor> in, const Attrs& a) {
  constexpr std::string_view op = "conv_transpose2d";
  const Tensor &x = in[0], &w = in[1], &b = in[2];
  check_defined(op, x, "x");
  check_defined(op, w, "weight");
  check_dtypes(op, x, w, b);
  BRAID_CHECK(x.dim() == 3 || x.dim() == 4, ShapeError, op,
              "x must be 3-D (C_in, H, W) or 4-D (N, C_in, H, W); got x={}", shape_str(x.shape()));
  BRAID_CHECK(w.dim() == 4, ShapeError, op,
              "weight must be 4-D (C_in, C_out/groups, kH, kW); got weight={}",
              shape_str(w.shape()));
  ConvParams p;
  p.groups = groups_attr(op, a);
  p.stride = per_dim(op, a, "stride", 2, 1, 1);
  p.padding = per_dim(op, a, "padding", 2, 0, 0);
  p.dilation = per_dim(op, a, "dilation", 2, 1, 1);
  const Pair out_pad = per_dim(op, a, "output_padding", 2, 0, 0);
  BRAID_CHECK(w.size(0) % p.groups == 0, ShapeError, op,
              "weight.shape[0] (C_in) must be divisible by groups; got weight={}, groups={}",
              shape_str(w.shape()), p.groups);
  BRAID_CHECK(x.size(-3) == w.size(0), ShapeError, op,
              "x's channels must equal weight.shape[0] (C_in); got x={}, weight={}",
              shape_str(x.shape()), shape_str(w.shape()));
  const int64_t c_out = w.size(1) * p.groups;
  if (b.defined())
    BRAID_CHECK(b.dim() == 1 && b.size(0) == c_out, ShapeError, op,
                "bias must have shape (C_out,) = ({},) (weight.shape[1] * groups); got weight={}, "
                "groups={}, bias={}",
                c_out, shape_str(w.shape()), p.groups, shape_str(b.shape()));
  for (int d = 0; d < 2; ++d)
    BRAID_CHECK(out_pad[d] < p.stride[d] || out_pad[d] < p.dilation[d], ValueError, op,
                "output_padding must be smaller than stride or dilation in each dim; got "
                "output_padding={}, stride={}, dilation={}",
                dims_str(out_pad, 2), dims_str(p.stride, 2), dims_str(p.dilation, 2));
  Pair out{0, 0};
  for (int d = 0; d < 2; ++d)
    out[d] = (x.size(d - 2) - 1) * p.stride[d] - 2 * p.padding[d] +
             p.dilation[d] * (w.size(d + 2) - 1) + out_pad[d] + 1;
  BRAID_CHECK(out[0] >= 1 && out[1] >= 1, ShapeError, op,
              "the output size must be >= 1; got x={}, weight={}, output size {}",
              shape_str(x.shape()), shape_str(w.shape()), dims_str(out, 2));
  const bool batched = x.dim() == 4;
  Tensor y = conv2d_input_grad_call(batched ? x : unsqueeze(x, 0), w, p, out);
  if (b.defined()) y = y + reshape(b, {1, c_out, 1, 1});
  return batched ? y : squeeze(y, {0});
}

}  // namespace

OpDef make_def_conv1d() {
  return composite_def(
      [](std::span<const Tensor> in, const Attrs& a) -> V { return {conv_nd("conv1d", 1, in, a)}; },
      3, "Conv");
}

OpDef make_def_conv2d() {
  return composite_def(
      [](std::span<const Tensor> in, const Attrs& a) -> V { return {conv_nd("conv2d", 2, in, a)}; },
      3, "Conv");
}

OpDef make_def_conv_transpose2d() {
  return composite_def(
      [](std::span<const Tensor> in, const Attrs& a) -> V { return {conv_transpose_2d(in, a)}; }, 3,
      "ConvTranspose");
}
}  // namespace detail

namespace {
std::vector<int64_t> sizes(const ConvSize& s) { return s.sizes; }

AttrValue padding_value(const ConvPadding& p) {
  if (!p.mode.empty()) return p.mode;
  return p.sizes;
}

Attrs conv_attrs(const ConvOptions& o) {
  return Attrs{{"stride", sizes(o.stride)},
               {"padding", padding_value(o.padding)},
               {"dilation", sizes(o.dilation)},
               {"groups", o.groups}};
}
}  // namespace

using detail::call1;
Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias,
              const ConvOptions& options) {
  return call1(OpId::conv2d, {x, weight, bias}, conv_attrs(options));
}

namespace detail {
Tensor conv2d_relu(const Tensor& x, const Tensor& weight, const Tensor& bias,
                   const ConvOptions& options) {
  return call1(OpId::conv2d, {x, weight, bias}, conv_attrs(options).set("relu", true));
}
Tensor conv2d_relu_maxpool2x2(const Tensor& x, const Tensor& weight, const Tensor& bias,
                              const ConvOptions& options) {
  return call1(OpId::conv2d, {x, weight, bias}, conv_attrs(options).set("relu_maxpool2x2", true));
}
}  // namespace detail

Tensor conv1d(const Tensor& x, const Tensor& weight, const Tensor& bias,
              const ConvOptions& options) {
  return call1(OpId::conv1d, {x, weight, bias}, conv_attrs(options));
}

Tensor conv_transpose2d(const Tensor& x, const Tensor& weight, const Tensor& bias,
                        const ConvTransposeOptions& o) {
  return call1(OpId::conv_transpose2d, {x, weight, bias},
               Attrs{{"stride", sizes(o.stride)},
                     {"padding", sizes(o.padding)},
                     {"output_padding", sizes(o.output_padding)},
                     {"groups", o.groups},
                     {"dilation", sizes(o.dilation)}});
}

}  // namespace braid
