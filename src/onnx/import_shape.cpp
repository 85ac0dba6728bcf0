// ONNX import, shapes and data movement: Constant, Shape, Reshape, Flatten,
// Transpose, (Un)Squeeze, Concat, Slice, Gather, Expand, Range, Split, Pad...
// Shapes are resolved against the probe shapes (Note [import by probing]), so
// every emitted view op gets explicit sizes.
#include <algorithm>
#include <cmath>

#include "onnx/import_context.hpp"

namespace braid::onnx::detail {
namespace {
using V = std::vector<int>;
using Ints = std::vector<int64_t>;

int64_t numel(const Ints& s) {
  int64_t n = 1;
  for (int64_t d : s) n *= d;
  return n;
}

// Element count as a double, for size checks that must not overflow.
double volume(const Ints& s) {
  double n = 1;
  for (int64_t d : s) n *= static_cast<double>(d);
  return n;
}

Tensor int_tensor(const Ints& v) { return tensor(v, Shape{static_cast<int64_t>(v.size())}); }

V identity(Importer& c) { return {c.need(0)}; }

V constant(Importer& c) {
  const pb::NodeProto& n = c.node();
  c.check(n.attribute_size() == 1, "needs exactly one value attribute; got {}", n.attribute_size());
  const pb::AttributeProto& a = n.attribute(0);
  const std::string& k = a.name();
  if (k == "value") return {c.constant(tensor_from_proto(a.t(), "Constant '" + n.name() + "'"))};
  if (k == "value_float") return {c.constant(full({}, a.f(), DType::Float32))};
  if (k == "value_int") return {c.constant(full({}, a.i(), DType::Int64))};
  if (k == "value_floats") {
    std::vector<float> v(a.floats().begin(), a.floats().end());
    return {c.constant(tensor(v, Shape{static_cast<int64_t>(v.size())}))};
  }
  if (k == "value_ints") return {c.constant(int_tensor({a.ints().begin(), a.ints().end()}))};
  c.fail(
      fmt::format("attribute '{}' is not supported (value, value_float(s), value_int(s) are)", k));
}

V shape_op(Importer& c) {
  const Shape& s = c.shape(c.need(0));
  const int64_t r = static_cast<int64_t>(s.size());
  int64_t start = c.attr_i("start", 0), end = c.attr_i("end", r);
  start = std::clamp(start < 0 ? start + r : start, int64_t{0}, r);
  end = std::clamp(end < 0 ? end + r : end, int64_t{0}, r);
  return {c.constant(int_tensor(Ints(s.begin() + start, s.begin() + std::max(start, end))))};
}

V size_op(Importer& c) { return {c.constant(full({}, c.probe(c.need(0)).numel(), DType::Int64))}; }

V constant_of_shape(Importer& c) {
  const Ints shape = c.const_ints(c.need(0), "shape");
  for (int64_t d : shape) c.check(d >= 0, "shape has a negative dim: [{}]", fmt::join(shape, ", "));
  c.check(volume(shape) <= static_cast<double>(kMaxElements) && shape.size() <= 16,
          "shape [{}] is too large", fmt::join(shape, ", "));
  Tensor value = full({}, 0.0, DType::Float32);
  if (const pb::AttributeProto* a = c.attr("value")) {
    value = tensor_from_proto(a->t(), "ConstantOfShape's value");
    c.check(value.numel() == 1, "value must hold one element");
  }
  return {c.constant(full(shape, value.reshape({}).item(), value.dtype()))};
}

V reshape(Importer& c) {
  const int x = c.need(0);
  Ints shape = c.opset() < 5 ? c.attr_ints("shape") : c.const_ints(c.need(1), "shape");
  const bool allowzero = c.attr_i("allowzero", 0) != 0;
  const Shape& in = c.shape(x);
  int infer = -1;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == 0 && !allowzero) {
      c.check(i < in.size(), "shape[{}] = 0 copies a dim the input (rank {}) lacks", i, in.size());
      shape[i] = in[i];
    } else if (shape[i] == -1) {
      c.check(infer < 0, "shape has two -1 entries: [{}]", fmt::join(shape, ", "));
      infer = static_cast<int>(i);
    } else {
      c.check(shape[i] >= 0, "shape has a negative entry: [{}]", fmt::join(shape, ", "));
    }
  }
  if (infer >= 0) {
    shape[infer] = 1;
    const int64_t rest = numel(shape), total = c.probe(x).numel();
    c.check(rest > 0 && total % rest == 0, "cannot reshape {} to [{}]", shape_str(in),
            fmt::join(shape, ", "));
    shape[infer] = total / rest;
  }
  return {c.op1(OpId::reshape, {x}, {{"shape", shape}})};
}

V flatten(Importer& c) {
  const int x = c.need(0);
  const Shape& s = c.shape(x);
  const int64_t r = static_cast<int64_t>(s.size());
  int64_t axis = c.attr_i("axis", 1);
  c.check(axis >= -r && axis <= r, "axis {} is out of range for rank {}", axis, r);
  if (axis < 0) axis += r;
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < r; ++d) (d < axis ? outer : inner) *= s[d];
  return {c.op1(OpId::reshape, {x}, {{"shape", Ints{outer, inner}}})};
}

V transpose(Importer& c) {
  const int x = c.need(0);
  const int64_t r = c.rank(x);
  Ints perm = c.attr_ints("perm");
  if (perm.empty())
    for (int64_t d = r - 1; d >= 0; --d) perm.push_back(d);
  c.check(static_cast<int64_t>(perm.size()) == r, "perm [{}] does not match rank {}",
          fmt::join(perm, ", "), r);
  return {c.op1(OpId::permute, {x}, {{"dims", perm}})};
}

Ints axes_of(Importer& c, int64_t input_from_opset) {
  if (c.opset() >= input_from_opset) return c.in(1) >= 0 ? c.const_ints(c.in(1), "axes") : Ints{};
  return c.attr_ints("axes");
}

V squeeze(Importer& c) {
  const int x = c.need(0);
  const Shape& s = c.shape(x);
  Ints axes = axes_of(c, 13);
  for (int64_t& a : axes) a = wrap_axis(c, a, c.rank(x));
  if (axes.empty())
    for (size_t d = 0; d < s.size(); ++d)
      if (s[d] == 1) axes.push_back(static_cast<int64_t>(d));
  for (int64_t a : axes) c.check(s[a] == 1, "axis {} has size {}, not 1", a, s[a]);
  if (axes.empty()) return {x};
  return {c.op1(OpId::squeeze, {x}, {{"dims", axes}})};
}

V unsqueeze(Importer& c) {
  int x = c.need(0);
  Ints axes = axes_of(c, 13);
  const int64_t out_rank = c.rank(x) + static_cast<int64_t>(axes.size());
  for (int64_t& a : axes) a = wrap_axis(c, a, out_rank);
  std::sort(axes.begin(), axes.end());
  c.check(std::adjacent_find(axes.begin(), axes.end()) == axes.end(), "axes repeat");
  for (int64_t a : axes) x = c.op1(OpId::unsqueeze, {x}, {{"dim", a}});
  return {x};
}

V concat(Importer& c) {
  std::vector<int> xs;
  for (int i = 0; i < c.num_inputs(); ++i)
    if (c.in(i) >= 0) xs.push_back(c.in(i));
  c.check(!xs.empty(), "needs at least one input");
  const int64_t axis = wrap_axis(c, c.attr_i("axis", 0), c.rank(xs[0]));
  if (xs.size() == 1) return {xs[0]};
  return {c.op1(OpId::cat, xs, {{"dim", axis}})};
}

// A negative-step slice: start clamps to [0, dim - 1], end to [-1, dim - 1];
// taken as a positive-step slice of the flipped tensor.
int reverse_slice(Importer& c, int x, int64_t axis, int64_t start, int64_t end, int64_t step) {
  const int64_t dim = c.shape(x)[axis];
  if (dim == 0) return x;
  int64_t s = start < 0 ? start + dim : start;
  int64_t e = end < 0 ? end + dim : end;
  s = std::clamp(s, int64_t{0}, dim - 1);
  e = std::clamp(e, int64_t{-1}, dim - 1);
  const int64_t n = s > e ? (s - e - 1) / -step + 1 : 0;
  const int flipped = c.op1(OpId::flip, {x}, {{"dims", Ints{axis}}});
  const int64_t from = dim - 1 - s;
  const int64_t to = n == 0 ? from : from + (n - 1) * -step + 1;
  return c.op1(OpId::slice, {flipped},
               {{"dim", axis},
                {"start", std::max<int64_t>(from, 0)},
                {"end", std::max<int64_t>(to, 0)},
                {"step", -step}});
}

// Slice: starts/ends/axes are attributes before opset 10, inputs (with
// steps) after. Indices clamp as in numpy.
V slice(Importer& c) {
  int x = c.need(0);
  Ints starts, ends, axes, steps;
  if (c.opset() < 10) {
    starts = c.attr_ints("starts"), ends = c.attr_ints("ends"), axes = c.attr_ints("axes");
  } else {
    starts = c.const_ints(c.need(1), "starts");
    ends = c.const_ints(c.need(2), "ends");
    if (c.in(3) >= 0) axes = c.const_ints(c.in(3), "axes");
    if (c.in(4) >= 0) steps = c.const_ints(c.in(4), "steps");
  }
  const size_t n = starts.size();
  if (axes.empty())
    for (size_t i = 0; i < n; ++i) axes.push_back(static_cast<int64_t>(i));
  if (steps.empty()) steps.assign(n, 1);
  c.check(ends.size() == n && axes.size() == n && steps.size() == n,
          "starts, ends, axes and steps must have the same length");
  for (size_t i = 0; i < n; ++i) {
    const int64_t axis = wrap_axis(c, axes[i], c.rank(x));
    const int64_t dim = c.shape(x)[axis];
    c.check(steps[i] != 0, "step 0 on axis {}", axis);
    if (steps[i] < 0) {
      x = reverse_slice(c, x, axis, starts[i], ends[i], steps[i]);
      continue;
    }
    int64_t s = starts[i] < 0 ? starts[i] + dim : starts[i];
    int64_t e = ends[i] < 0 ? ends[i] + dim : ends[i];
    s = std::clamp(s, int64_t{0}, dim);
    e = std::clamp(e, s, dim);
    if (s == 0 && e == dim && steps[i] == 1) continue;
    x = c.op1(OpId::slice, {x}, {{"dim", axis}, {"start", s}, {"end", e}, {"step", steps[i]}});
  }
  return {x};
}

// Gather (numpy take): out = data.shape[:axis] + indices.shape + data.shape[axis+1:].
V gather(Importer& c) {
  const int x = c.need(0);
  int idx = c.need(1);
  const int64_t axis = wrap_axis(c, c.attr_i("axis", 0), c.rank(x));
  const int64_t dim = c.shape(x)[axis];
  if (c.is_const(idx)) {
    Ints v = c.const_ints(idx, "indices");
    for (int64_t& i : v) {
      c.check(i >= -dim && i < dim, "index {} is out of range for axis {} of size {}", i, axis,
              dim);
      if (i < 0) i += dim;
    }
    if (c.rank(idx) == 0) return {c.op1(OpId::select, {x}, {{"dim", axis}, {"index", v[0]}})};
    const Shape& is = c.shape(idx);
    idx = c.constant(tensor(v, is));
  }
  const Shape is = c.shape(idx);
  const int flat =
      c.rank(idx) == 1 ? idx : c.op1(OpId::reshape, {idx}, {{"shape", Ints{c.probe(idx).numel()}}});
  const int y = c.op1(OpId::index_select, {x, flat}, {{"dim", axis}});
  if (c.rank(idx) == 1) return {y};
  const Shape& s = c.shape(x);
  Ints out(s.begin(), s.begin() + axis);
  out.insert(out.end(), is.begin(), is.end());
  out.insert(out.end(), s.begin() + axis + 1, s.end());
  return {c.op1(OpId::reshape, {y}, {{"shape", out}})};
}

V expand(Importer& c) {
  const int x = c.need(0);
  const Ints want = c.const_ints(c.need(1), "shape");
  const Shape& s = c.shape(x);
  const size_t r = std::max(want.size(), s.size());
  Ints out(r);
  for (size_t i = 0; i < r; ++i) {
    const int64_t a = i + s.size() >= r ? s[i + s.size() - r] : 1;
    const int64_t b = i + want.size() >= r ? want[i + want.size() - r] : 1;
    c.check(a == b || a == 1 || b == 1, "cannot broadcast {} to [{}]", shape_str(s),
            fmt::join(want, ", "));
    out[i] = a == 1 ? b : a;
  }
  c.check(volume(out) <= static_cast<double>(kMaxElements), "expanding to [{}] is too large",
          fmt::join(out, ", "));
  if (Shape(out) == s) return {x};
  return {c.op1(OpId::expand, {x}, {{"shape", out}})};
}

V range(Importer& c) {
  const int s = c.need(0), l = c.need(1), d = c.need(2);
  const double start = c.const_double(s, "start"), limit = c.const_double(l, "limit"),
               delta = c.const_double(d, "delta");
  c.check(delta != 0, "delta is 0");
  const double steps = std::ceil((limit - start) / delta);
  c.check(steps <= static_cast<double>(kMaxElements), "the range has {} elements", steps);
  const int64_t n = std::max<int64_t>(0, static_cast<int64_t>(steps));
  std::vector<double> v(n);
  for (int64_t i = 0; i < n; ++i) v[i] = start + static_cast<double>(i) * delta;
  return {c.constant(tensor(v, Shape{n}).to(c.dtype(s)))};
}

V tile(Importer& c) {
  const int x = c.need(0);
  const Ints reps = c.const_ints(c.need(1), "repeats");
  double total = static_cast<double>(c.probe(x).numel());
  for (int64_t r : reps) total *= static_cast<double>(std::max<int64_t>(r, 0));
  c.check(total <= static_cast<double>(kMaxElements), "tiling by [{}] is too large",
          fmt::join(reps, ", "));
  return {c.op1(OpId::tile, {x}, {{"reps", reps}})};
}

V split(Importer& c) {
  const int x = c.need(0);
  const int64_t axis = wrap_axis(c, c.attr_i("axis", 0), c.rank(x));
  const int64_t dim = c.shape(x)[axis];
  Ints sizes = c.opset() >= 13 ? (c.in(1) >= 0 ? c.const_ints(c.in(1), "split") : Ints{})
                               : c.attr_ints("split");
  if (sizes.empty()) {
    const int64_t parts = c.opset() >= 18 && c.has_attr("num_outputs") ? c.attr_i("num_outputs", 1)
                                                                       : c.node().output_size();
    c.check(parts > 0, "splits into {} parts", parts);
    const int64_t each = (dim + parts - 1) / parts;
    for (int64_t k = 0, left = dim; k < parts; ++k, left -= each)
      sizes.push_back(std::max<int64_t>(0, std::min(each, left)));
  }
  int64_t total = 0;
  for (int64_t v : sizes) total += v;
  c.check(total == dim, "split sizes [{}] do not add up to {}", fmt::join(sizes, ", "), dim);
  return c.op(OpId::split, {x}, {{"sizes", sizes}, {"dim", axis}});
}

// Pad: ONNX lists [x1_begin, x2_begin, ..., x1_end, x2_end]; braid's pad
// lists the last dim first, (begin, end) pairs.
V pad(Importer& c) {
  const int x = c.need(0);
  const int64_t r = c.rank(x);
  Ints pads;
  double value = 0;
  if (c.opset() < 11) {
    pads = c.attr_ints("pads");
    value = c.attr_f("value", 0.0);
  } else {
    pads = c.const_ints(c.need(1), "pads");
    if (c.in(2) >= 0) value = c.const_double(c.in(2), "constant_value");
    c.check(c.in(3) < 0, "the axes input (opset 18) is not supported");
  }
  c.check(static_cast<int64_t>(pads.size()) == 2 * r, "pads has {} entries; rank {} needs {}",
          pads.size(), r, 2 * r);
  std::string mode = c.attr_s("mode", "constant");
  if (mode == "edge") mode = "replicate";
  c.check(mode == "constant" || mode == "reflect" || mode == "replicate", "mode '{}' is unknown",
          mode);
  int64_t first = 0;  // leading dims without padding are left out
  while (first < r && pads[first] == 0 && pads[first + r] == 0) ++first;
  if (first == r) return {x};
  Ints p;
  for (int64_t d = r - 1; d >= first; --d) p.push_back(pads[d]), p.push_back(pads[d + r]);
  Attrs a{{"pad", p}, {"mode", mode}};
  if (mode == "constant") a.set("value", value);
  return {c.op1(OpId::pad, {x}, a)};
}
}  // namespace

std::vector<HandlerEntry> shape_handlers() {
  return {
      {"Identity", identity}, {"Dropout", identity},    {"Constant", constant},
      {"Shape", shape_op},    {"Size", size_op},        {"ConstantOfShape", constant_of_shape},
      {"Reshape", reshape},   {"Flatten", flatten},     {"Transpose", transpose},
      {"Squeeze", squeeze},   {"Unsqueeze", unsqueeze}, {"Concat", concat},
      {"Slice", slice},       {"Gather", gather},       {"Expand", expand},
      {"Range", range},       {"Tile", tile},           {"Split", split},
      {"Pad", pad},
  };
}

}  // namespace braid::onnx::detail
