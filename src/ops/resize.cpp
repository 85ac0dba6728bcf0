// Padding and resizing: pad and interpolate, PyTorch 1.13 rules.
//
// Both are composites (STYLE "Small primitive set"): each padded or resized
// dim is one gather of input positions along that dim (index_select, whose
// gradient index_add is itself differentiable) or, for constant padding, a
// crop (slice) and a cat with constant blocks. The position tables are
// computed here exactly as PyTorch's kernels compute them, so the values
// match, and autograd, second derivatives and every dtype come from those
// ops. Cost: one pass over the data per padded or resized dim (two gathers
// for bilinear), which is small next to the convolutions around them; a
// fused kernel would replace this only where a benchmark shows it pays.
#include <cmath>

#include "braid/ops/pool.hpp"
#include "ops/common.hpp"

namespace braid {
namespace detail {
namespace {
using V = std::vector<Tensor>;
using Ints = std::vector<int64_t>;

Tensor positions(const Ints& idx) { return tensor(idx, {static_cast<int64_t>(idx.size())}); }

// -- pad ------------------------------------------------------------------------

struct PadArgs {
  Tensor x;
  Ints pads;
  std::string mode;
  Scalar value;
};

std::string pads_str(const Ints& p) { return shape_str(p); }

void check_pad_args(const PadArgs& a) {
  const Tensor& x = a.x;
  const auto n = static_cast<int64_t>(a.pads.size());
  BRAID_CHECK(a.mode == "constant" || a.mode == "reflect" || a.mode == "replicate", ValueError,
              "pad", "mode must be \"constant\", \"reflect\" or \"replicate\"; got \"{}\"", a.mode);
  BRAID_CHECK(n % 2 == 0, ValueError, "pad",
              "pads must have an even length (a pair per dim, last dim first); got pads={}",
              pads_str(a.pads));
  BRAID_CHECK(n / 2 <= x.dim(), ValueError, "pad",
              "pads cover {} dims but x has {}; got x={}, pads={}", n / 2, x.dim(),
              shape_str(x.shape()), pads_str(a.pads));
  if (a.mode == "constant") return;
  BRAID_CHECK(a.value.to_double() == 0, ValueError, "pad",
              "mode \"{}\" takes no value; got value={}", a.mode, a.value.to_double());
  const int64_t k = n / 2;
  BRAID_CHECK(k >= 1 && k <= 3 && (x.dim() == k + 1 || x.dim() == k + 2), ShapeError, "pad",
              "mode \"{}\" pads 1, 2 or 3 dims of a tensor with 1 or 2 more dims; got x={}, "
              "pads={}",
              a.mode, shape_str(x.shape()), pads_str(a.pads));
  for (int64_t d = 1; d < x.dim(); ++d)
    BRAID_CHECK(x.size(d) > 0, ShapeError, "pad",
                "mode \"{}\" needs every dim but the first to be non-empty; got x={}", a.mode,
                shape_str(x.shape()));
}

// Which input position each output position of dim `d` reads (reflect or replicate).
Ints pad_positions(const PadArgs& a, int64_t d, int64_t l, int64_t r) {
  const int64_t n = a.x.size(d), m = n + l + r;
  const bool reflect = a.mode == "reflect";
  BRAID_CHECK(m >= 1, ShapeError, "pad",
              "mode \"{}\" must leave dim {} non-empty; padding its size {} by ({}, {}) gives {}",
              a.mode, d, n, l, r, m);
  BRAID_CHECK(!reflect || (l < n && r < n), ShapeError, "pad",
              "reflect pads must be smaller than the padded dim; got ({}, {}) for dim {} of x={}",
              l, r, d, shape_str(a.x.shape()));
  Ints idx(static_cast<size_t>(m));
  for (int64_t o = 0; o < m; ++o) {
    int64_t i = o - l;
    // i lies in (-n, 2n - 1) as l, r < n, so one mirror at each edge is enough.
    idx[static_cast<size_t>(o)] = !reflect ? std::clamp<int64_t>(i, 0, n - 1)
                                  : i < 0  ? -i
                                  : i >= n ? 2 * (n - 1) - i
                                           : i;
  }
  return idx;
}

void check_crop(const PadArgs& a, int64_t d, int64_t l, int64_t r) {
  const int64_t n = a.x.size(d);
  BRAID_CHECK(n - std::max<int64_t>(-l, 0) - std::max<int64_t>(-r, 0) >= 0, ShapeError, "pad",
              "negative pads ({}, {}) remove more than the size {} of dim {}; got x={}, pads={}", l,
              r, n, d, shape_str(a.x.shape()), pads_str(a.pads));
}

Tensor constant_pad_dim(const PadArgs& a, Tensor x, int64_t d, int64_t l, int64_t r) {
  const int64_t n = x.size(d), lo = std::max<int64_t>(-l, 0), hi = std::max<int64_t>(-r, 0);
  if (lo > 0 || hi > 0) x = slice(x, d, lo, n - hi);
  if (l <= 0 && r <= 0) return x;
  auto block = [&](int64_t len) {
    Shape s = x.shape();
    s[d] = len;
    return full(s, a.value, x.dtype());
  };
  std::vector<Tensor> parts;
  if (l > 0) parts.push_back(block(l));
  parts.push_back(x);
  if (r > 0) parts.push_back(block(r));
  return cat(parts, d);
}

V pad_composite(std::span<const Tensor> in, const Attrs& attrs) {
  BRAID_CHECK(in[0].defined(), ValueError, "pad", "x is undefined");
  PadArgs a{in[0], attrs.ints("pad", "pad"),
            attrs.has("mode") ? attrs.s("pad", "mode") : std::string("constant"),
            attrs.has("value") ? attrs.scalar("pad", "value") : Scalar(0)};
  check_pad_args(a);
  // Tables first: every check runs before any op does.
  const int64_t k = static_cast<int64_t>(a.pads.size()) / 2;
  std::vector<Ints> tables(static_cast<size_t>(k));
  for (int64_t i = 0; i < k; ++i) {
    const int64_t d = a.x.dim() - 1 - i, l = a.pads[2 * i], r = a.pads[2 * i + 1];
    if (a.mode == "constant") {
      check_crop(a, d, l, r);
    } else {
      tables[i] = pad_positions(a, d, l, r);
    }
  }
  Tensor y = a.x;
  for (int64_t i = 0; i < k; ++i) {
    const int64_t d = a.x.dim() - 1 - i, l = a.pads[2 * i], r = a.pads[2 * i + 1];
    if (a.mode == "constant") {
      y = constant_pad_dim(a, y, d, l, r);
    } else if (l != 0 || r != 0) {
      y = index_select(y, d, positions(tables[i]));
    }
  }
  // Like PyTorch, the result never aliases x (a crop alone is still a copy).
  return {y.storage() == a.x.storage() ? clone(y) : y};
}

// -- interpolate ----------------------------------------------------------------

// PyTorch's nearest_idx ("nearest", not "nearest-exact"): same size and
// doubling are special cases, else floor(o * scale) in float, scale = 1/s
// when a scale factor was given.
Ints nearest_positions(int64_t in, int64_t out, std::optional<double> scale) {
  Ints idx(static_cast<size_t>(out));
  const float ratio = scale && *scale > 0 ? static_cast<float>(1.0 / *scale)
                                          : static_cast<float>(in) / static_cast<float>(out);
  for (int64_t o = 0; o < out; ++o) {
    if (out == in) {
      idx[o] = o;
    } else if (out == 2 * in) {
      idx[o] = o >> 1;
    } else {
      idx[o] = std::min(static_cast<int64_t>(std::floor(static_cast<float>(o) * ratio)), in - 1);
    }
  }
  return idx;
}

// Bilinear's two taps and weights along one dim, in the kernel's math type
// Acc (float for float32, double for float64), as PyTorch's
// compute_source_index_and_lambda computes them.
struct LinearTaps {
  Ints i0, i1;
  std::vector<double> w0, w1;  // exact copies of the Acc values
};

template <class Acc>
LinearTaps linear_taps(int64_t in, int64_t out, bool align, std::optional<double> scale) {
  LinearTaps t;
  Acc ratio;
  if (align) {
    ratio = out > 1 ? static_cast<Acc>(in - 1) / static_cast<Acc>(out - 1) : Acc(0);
  } else {
    ratio = scale && *scale > 0 ? static_cast<Acc>(1.0 / *scale)
                                : static_cast<Acc>(in) / static_cast<Acc>(out);
  }
  for (int64_t o = 0; o < out; ++o) {
    if (out == in) {
      t.i0.push_back(o);
      t.i1.push_back(o);
      t.w0.push_back(1);
      t.w1.push_back(0);
      continue;
    }
    // As PyTorch: (o + 0.5) is a double, the product rounds to Acc.
    Acc real =
        align ? ratio * static_cast<Acc>(o)
              : static_cast<Acc>(static_cast<double>(ratio) * (static_cast<double>(o) + 0.5) - 0.5);
    if (!align && real < 0) real = 0;
    const auto i0 = static_cast<int64_t>(real);
    const Acc l1 = std::min(std::max(real - static_cast<Acc>(i0), Acc(0)), Acc(1));
    t.i0.push_back(i0);
    t.i1.push_back(i0 + (i0 < in - 1 ? 1 : 0));
    t.w0.push_back(static_cast<double>(Acc(1) - l1));
    t.w1.push_back(static_cast<double>(l1));
  }
  return t;
}

struct Resize {
  std::string mode;
  bool align = false;
  Ints out;                                  // per spatial dim
  std::vector<std::optional<double>> scale;  // per spatial dim, used for positions
};

// Output sizes and the scales the position rules see, after every check.
Resize parse_resize(const Tensor& x, const Attrs& a) {
  constexpr std::string_view op = "interpolate";
  Resize r;
  r.mode = a.has("mode") ? a.s(op, "mode") : "nearest";
  BRAID_CHECK(r.mode == "nearest" || r.mode == "bilinear", ValueError, op,
              "mode must be \"nearest\" or \"bilinear\"; got \"{}\"", r.mode);
  BRAID_CHECK(r.mode == "bilinear" || !a.has("align_corners"), ValueError, op,
              "align_corners can only be set with mode \"bilinear\"; got mode \"{}\"", r.mode);
  r.align = a.has("align_corners") && a.b(op, "align_corners");
  const bool bilinear = r.mode == "bilinear";
  BRAID_CHECK(bilinear ? x.dim() == 4 : x.dim() == 3 || x.dim() == 4, ShapeError, op,
              "mode \"{}\" takes {}; got x={}", r.mode,
              bilinear ? "a 4-D (N, C, H, W) x" : "a 3-D (N, C, L) or 4-D (N, C, H, W) x",
              shape_str(x.shape()));
  BRAID_CHECK(x.is_floating_point(), DTypeError, op, "x must be floating point; got {}",
              dtype_name(x.dtype()));
  const int64_t s = x.dim() - 2;
  const Ints size = a.has("size") ? a.ints(op, "size") : Ints{};
  const bool has_scale = a.has("scales_h") || a.has("scales_w");
  BRAID_CHECK(size.empty() != !has_scale, ValueError, op,
              "give exactly one of size and scale_factor; got {}",
              size.empty() ? "neither" : "both");
  BRAID_CHECK(s == 2 || !a.has("scales_h"), ValueError, op,
              "scales_h applies to a 4-D x only; got x={}", shape_str(x.shape()));
  const bool recompute = a.has("recompute_scale_factor") && a.b(op, "recompute_scale_factor");
  BRAID_CHECK(!recompute || has_scale, ValueError, op,
              "recompute_scale_factor is not meaningful with an explicit size");
  if (!size.empty()) {
    BRAID_CHECK(size.size() == 1 || static_cast<int64_t>(size.size()) == s, ValueError, op,
                "size must have one value or one per spatial dim ({}); got size={}", s,
                shape_str(size));
    for (int64_t i = 0; i < s; ++i) r.out.push_back(size.size() == 1 ? size[0] : size[i]);
    r.scale.assign(static_cast<size_t>(s), std::nullopt);
  } else {
    for (int64_t i = 0; i < s; ++i) {
      const char* name = i == s - 1 ? "scales_w" : "scales_h";
      const double f = a.f(op, name);
      BRAID_CHECK(std::isfinite(f), ValueError, op, "{} must be finite; got {}", name, f);
      r.out.push_back(static_cast<int64_t>(std::floor(static_cast<double>(x.size(2 + i)) * f)));
      r.scale.push_back(recompute ? std::nullopt : std::optional<double>(f));
    }
  }
  bool ok = x.size(1) > 0;
  for (int64_t i = 0; i < s; ++i) ok = ok && x.size(2 + i) > 0 && r.out[i] > 0;
  BRAID_CHECK(ok, ShapeError, op,
              "C, the input sizes and the output sizes must be greater than 0; got x={}, output "
              "size {}",
              shape_str(x.shape()), shape_str(r.out));
  return r;
}

// One spatial dim of bilinear: x0 * w0 + x1 * w1 along dim d, weights in x's dtype.
Tensor bilinear_dim(const Tensor& x, int64_t d, const LinearTaps& t) {
  Shape wshape(static_cast<size_t>(x.dim() - d), 1);
  wshape[0] = static_cast<int64_t>(t.w0.size());
  const Tensor w0 = to(reshape(tensor(t.w0), wshape), x.dtype());
  const Tensor w1 = to(reshape(tensor(t.w1), wshape), x.dtype());
  return index_select(x, d, positions(t.i0)) * w0 + index_select(x, d, positions(t.i1)) * w1;
}

V interpolate_composite(std::span<const Tensor> in, const Attrs& attrs) {
  BRAID_CHECK(in[0].defined(), ValueError, "interpolate", "x is undefined");
  const Resize r = parse_resize(in[0], attrs);
  // Half types resize in float32 (PyTorch 1.13 has no half kernel here).
  const bool half = in[0].dtype() == DType::Float16 || in[0].dtype() == DType::BFloat16;
  Tensor y = half && r.mode == "bilinear" ? to(in[0], DType::Float32) : in[0];
  // Last dim first: bilinear then sums in PyTorch's order (W taps, then H).
  for (int64_t i = static_cast<int64_t>(r.out.size()) - 1; i >= 0; --i) {
    const int64_t d = 2 + i, n = y.size(d), m = r.out[i];
    if (r.mode == "nearest") {
      if (m != n) y = index_select(y, d, positions(nearest_positions(n, m, r.scale[i])));
    } else if (m != n) {
      y = bilinear_dim(y, d,
                       y.dtype() == DType::Float64 ? linear_taps<double>(n, m, r.align, r.scale[i])
                                                   : linear_taps<float>(n, m, r.align, r.scale[i]));
    }
  }
  if (half && r.mode == "bilinear") y = to(y, in[0].dtype());
  return {y.storage() == in[0].storage() ? clone(y) : y};
}
}  // namespace

OpDef make_def_pad() {
  OpDef d;
  d.kind = OpKind::Composite;
  d.composite = pad_composite;
  d.onnx = "Pad";
  d.onnx_note = "modes constant, reflect, edge (= replicate); negative pads crop";
  return d;
}

OpDef make_def_interpolate() {
  OpDef d;
  d.kind = OpKind::Composite;
  d.composite = interpolate_composite;
  d.onnx = "Resize";
  d.onnx_note =
      "nearest: nearest_mode floor, asymmetric coordinates; bilinear: linear with "
      "pytorch_half_pixel (align_corners: align_corners) coordinates";
  return d;
}
}  // namespace detail

Tensor pad(const Tensor& x, const std::vector<int64_t>& pads, const std::string& mode,
           Scalar value) {
  return detail::call1(OpId::pad, {x}, {{"pad", pads}, {"mode", mode}, {"value", value}});
}

Tensor interpolate(const Tensor& x, const InterpolateOptions& o) {
  Attrs a{{"mode", o.mode}};
  if (!o.size.empty()) a.set("size", o.size);
  if (!o.scale_factor.empty()) {
    // One scale per spatial dim as attributes scales_h, scales_w (ATen's names).
    const int64_t s = x.dim() - 2;
    BRAID_CHECK(o.scale_factor.size() == 1 || static_cast<int64_t>(o.scale_factor.size()) == s,
                ValueError, "interpolate",
                "scale_factor must have one value or one per spatial dim ({}); got {} values", s,
                o.scale_factor.size());
    a.set("scales_w", o.scale_factor.back());
    if (s == 2) a.set("scales_h", o.scale_factor.front());
  }
  if (o.align_corners) a.set("align_corners", *o.align_corners);
  if (o.recompute_scale_factor) a.set("recompute_scale_factor", *o.recompute_scale_factor);
  return detail::call1(OpId::interpolate, {x}, a);
}

}  // namespace braid
