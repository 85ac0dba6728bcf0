// ONNX translations of the network ops: linear algebra, convolution,
// pooling, padding and resizing, normalisation, dropout and embedding.
// Graphs for inference only: training-mode batch norm and dropout are
// refused (trace in eval()).
#include "onnx/export_ctx.hpp"

namespace braid::onnx::detail {
namespace {

// -- linear algebra -------------------------------------------------------------------

void matmul(Ctx& c) { c.add("MatMul", {c.in(0), c.in(1)}, {c.out(0)}); }

// linear(x, w (out, in), b?): Gemm for 2-D x, else MatMul with w^T and Add.
void linear(Ctx& c) {
  if (c.rank(0) == 2) {
    std::vector<std::string> ins{c.in(0), c.in(1)};
    if (c.has(2)) ins.push_back(c.in(2));
    set_attr(c.add("Gemm", ins, {c.out(0)}), "transB", 1);
    return;
  }
  pb::NodeProto* t;
  std::string wt = c.emit("Transpose", {c.in(1)}, &t);
  set_attr(t, "perm", std::vector<int64_t>{1, 0});
  if (!c.has(2)) {
    c.add("MatMul", {c.in(0), wt}, {c.out(0)});
    return;
  }
  c.add("Add", {c.emit("MatMul", {c.in(0), wt}), c.in(2)}, {c.out(0)});
}

// linear_forward(x (N, in), w (out, in), b): Gemm as it stands.
void linear_forward(Ctx& c) {
  set_attr(c.add("Gemm", {c.in(0), c.in(1), c.in(2)}, {c.out(0)}), "transB", 1);
}

void outer(Ctx& c) {
  std::string a = c.emit("Unsqueeze", {c.in(0), c.ints({1})});
  std::string b = c.emit("Unsqueeze", {c.in(1), c.ints({0})});
  c.add("Mul", {a, b}, {c.out(0)});
}

// -- convolution ----------------------------------------------------------------------

// A per-dim size attribute (1 or nd values) as nd values; `dflt` when absent.
std::vector<int64_t> per_dim(Ctx& c, const char* name, int nd, int64_t dflt) {
  if (!c.attrs().has(name)) return std::vector<int64_t>(static_cast<size_t>(nd), dflt);
  const std::vector<int64_t>& v = c.ints_attr(name);
  if (v.empty()) return std::vector<int64_t>(static_cast<size_t>(nd), dflt);
  if (nd == 1) return {v.back()};
  return {v.front(), v.back()};
}

// Unbatched (C, ...) input: a batch of one in ONNX, squeezed after.
struct Batched {
  std::string x, out;
  bool unbatched;
};
Batched batched(Ctx& c, int nd) {
  bool ub = c.rank(0) == nd + 1;
  if (!ub) return {c.in(0), c.out(0), false};
  return {c.emit("Unsqueeze", {c.in(0), c.ints({0})}), c.writer().fresh(c.out(0) + "_batched"),
          true};
}
void unbatch(Ctx& c, const Batched& b) {
  if (b.unbatched) c.add("Squeeze", {b.out, c.ints({0})}, {c.out(0)});
}

template <int Nd>
void conv(Ctx& c) {
  std::vector<int64_t> stride = per_dim(c, "stride", Nd, 1), dil = per_dim(c, "dilation", Nd, 1);
  std::vector<int64_t> kernel(c.shape(1).end() - Nd, c.shape(1).end()), before, after;
  const AttrValue* pad = c.attrs().find("padding");
  if (const std::string* mode = pad ? std::get_if<std::string>(pad) : nullptr) {
    for (int d = 0; d < Nd; ++d) {
      int64_t total = *mode == "same" ? dil[d] * (kernel[d] - 1) : 0;
      before.push_back(total / 2);  // the odd one goes after, as in PyTorch
      after.push_back(total - total / 2);
    }
  } else {
    before = per_dim(c, "padding", Nd, 0);
    after = before;
  }
  before.insert(before.end(), after.begin(), after.end());
  Batched b = batched(c, Nd);
  std::vector<std::string> ins{b.x, c.in(1)};
  if (c.has(2)) ins.push_back(c.in(2));
  pb::NodeProto* n = c.add("Conv", ins, {b.out});
  set_attr(n, "kernel_shape", kernel);
  set_attr(n, "strides", stride);
  set_attr(n, "pads", before);
  set_attr(n, "dilations", dil);
  set_attr(n, "group", c.attrs().has("groups") ? c.i("groups") : 1);
  unbatch(c, b);
}

void conv_transpose2d(Ctx& c) {
  std::vector<int64_t> pads = per_dim(c, "padding", 2, 0);
  pads.insert(pads.end(), pads.begin(), pads.end());
  Batched b = batched(c, 2);
  std::vector<std::string> ins{b.x, c.in(1)};
  if (c.has(2)) ins.push_back(c.in(2));
  pb::NodeProto* n = c.add("ConvTranspose", ins, {b.out});
  set_attr(n, "kernel_shape", std::vector<int64_t>(c.shape(1).end() - 2, c.shape(1).end()));
  set_attr(n, "strides", per_dim(c, "stride", 2, 1));
  set_attr(n, "pads", pads);
  set_attr(n, "dilations", per_dim(c, "dilation", 2, 1));
  set_attr(n, "output_padding", per_dim(c, "output_padding", 2, 0));
  set_attr(n, "group", c.attrs().has("groups") ? c.i("groups") : 1);
  unbatch(c, b);
}

// The primitives conv2d is made of, attributes as pairs (H, W) and the
// output (or input) size, which fixes the far-side padding.
struct Primitive {
  std::vector<int64_t> stride, before, dil, kernel;
  int64_t groups;
};
Primitive primitive(Ctx& c) {
  const Shape& w = c.shape(1);
  return {c.ints_attr("stride"),
          c.ints_attr("padding"),
          c.ints_attr("dilation"),
          {w[2], w[3]},
          c.i("groups")};
}
void set_conv(pb::NodeProto* n, const Primitive& p, std::vector<int64_t> pads) {
  set_attr(n, "kernel_shape", p.kernel);
  set_attr(n, "strides", p.stride);
  set_attr(n, "pads", pads);
  set_attr(n, "dilations", p.dil);
  set_attr(n, "group", p.groups);
}

void conv2d_forward(Ctx& c) {
  Primitive p = primitive(c);
  const std::vector<int64_t>& out = c.ints_attr("output_size");
  std::vector<int64_t> pads = p.before;
  for (int d = 0; d < 2; ++d) {
    int64_t need = (out[d] - 1) * p.stride[d] + p.dil[d] * (p.kernel[d] - 1) + 1;
    pads.push_back(std::max<int64_t>(0, need - c.shape(0)[2 + d] - p.before[d]));
  }
  set_conv(c.add("Conv", {c.in(0), c.in(1), c.in(2)}, {c.out(0)}), p, pads);
}

// The input gradient is ConvTranspose of grad_y; the far-side padding and
// output_padding land it on input_size.
void conv2d_input_grad(Ctx& c) {
  Primitive p = primitive(c);
  const std::vector<int64_t>& target = c.ints_attr("input_size");
  std::vector<int64_t> pads = p.before, out_pad;
  for (int d = 0; d < 2; ++d) {
    int64_t base =
        p.stride[d] * (c.shape(0)[2 + d] - 1) + p.dil[d] * (p.kernel[d] - 1) + 1 - p.before[d];
    int64_t after = std::max<int64_t>(0, base - target[d]);
    pads.push_back(after);
    out_pad.push_back(target[d] - (base - after));
  }
  pb::NodeProto* n = c.add("ConvTranspose", {c.in(0), c.in(1)}, {c.out(0)});
  set_conv(n, p, pads);
  set_attr(n, "output_padding", out_pad);
}

// -- pooling --------------------------------------------------------------------------

void no_indices(Ctx& c) {
  if (c.node().outputs.size() > 1 && c.out_used(1))
    c.fail("the indices output is not exported (ONNX counts them over N*C*H*W)");
}

void pool_attrs(Ctx& c, pb::NodeProto* n) {
  std::vector<int64_t> kernel = per_dim(c, "kernel_size", 2, 1);
  std::vector<int64_t> stride = per_dim(c, "stride", 2, 0), pads = per_dim(c, "padding", 2, 0);
  if (stride[0] == 0) stride = kernel;  // empty stride: the kernel size
  pads.insert(pads.end(), pads.begin(), pads.end());
  set_attr(n, "kernel_shape", kernel);
  set_attr(n, "strides", stride);
  set_attr(n, "pads", pads);
  set_attr(n, "ceil_mode", c.attrs().has("ceil_mode") && c.b("ceil_mode") ? 1 : 0);
}

void max_pool2d(Ctx& c) {
  no_indices(c);
  Batched b = batched(c, 2);
  pb::NodeProto* n = c.add("MaxPool", {b.x}, {b.out});
  pool_attrs(c, n);
  set_attr(n, "dilations", per_dim(c, "dilation", 2, 1));
  unbatch(c, b);
}

void avg_pool2d(Ctx& c) {
  if (c.attrs().has("divisor_override")) c.fail("divisor_override has no ONNX form");
  Batched b = batched(c, 2);
  pb::NodeProto* n = c.add("AveragePool", {b.x}, {b.out});
  pool_attrs(c, n);
  bool include = !c.attrs().has("count_include_pad") || c.b("count_include_pad");
  set_attr(n, "count_include_pad", include ? 1 : 0);
  unbatch(c, b);
}

// Adaptive pooling: global for a (1, 1) output, a plain pool when the
// output size divides the input's, else no ONNX form.
template <bool Max>
void adaptive_pool(Ctx& c) {
  if (Max) no_indices(c);
  const Shape &in = c.shape(0), &out = c.out_value(0).shape;
  int64_t ih = in.end()[-2], iw = in.back(), oh = out.end()[-2], ow = out.back();
  Batched b = batched(c, 2);
  if (oh == 1 && ow == 1) {
    c.add(Max ? "GlobalMaxPool" : "GlobalAveragePool", {b.x}, {b.out});
  } else if (ih % oh == 0 && iw % ow == 0) {
    pb::NodeProto* n = c.add(Max ? "MaxPool" : "AveragePool", {b.x}, {b.out});
    set_attr(n, "kernel_shape", std::vector<int64_t>{ih / oh, iw / ow});
    set_attr(n, "strides", std::vector<int64_t>{ih / oh, iw / ow});
  } else {
    c.fail("output size ({}, {}) does not divide the input ({}, {}); ONNX has no adaptive pool", oh,
           ow, ih, iw);
  }
  unbatch(c, b);
}

// -- padding and resizing -------------------------------------------------------------

// braid's pads run from the last dim backwards, (left, right) each; ONNX
// wants every dim's begin, then every dim's end.
void pad(Ctx& c) {
  const std::vector<int64_t>& p = c.ints_attr("pad");
  int64_t r = c.rank(0);
  std::vector<int64_t> pads(static_cast<size_t>(2 * r), 0);
  for (size_t i = 0; 2 * i + 1 < p.size(); ++i) {
    int64_t d = r - 1 - static_cast<int64_t>(i);
    pads[d] = p[2 * i];
    pads[r + d] = p[2 * i + 1];
  }
  std::string mode = c.attrs().has("mode") ? c.attrs().s("pad", "mode") : "constant";
  std::vector<std::string> ins{c.in(0), c.ints(pads)};
  if (mode == "constant") {
    double v = c.attrs().has("value") ? c.attrs().scalar("pad", "value").to_double() : 0.0;
    ins.push_back(c.scalar(v, c.dtype(0)));
  }
  set_attr(c.add("Pad", ins, {c.out(0)}), "mode", mode == "replicate" ? "edge" : mode);
}

void interpolate(Ctx& c) {
  std::string mode = c.attrs().has("mode") ? c.attrs().s("interpolate", "mode") : "nearest";
  const Shape &in = c.shape(0), &out = c.out_value(0).shape;
  bool scales_given = (c.attrs().has("scales_h") || c.attrs().has("scales_w")) &&
                      !(c.attrs().has("recompute_scale_factor") && c.b("recompute_scale_factor"));
  std::string roi = c.initializer(empty({0}, DType::Float32), c.out(0) + "_roi");
  std::vector<std::string> ins{c.in(0), roi};
  if (scales_given) {
    Tensor s = ones({static_cast<int64_t>(in.size())}, DType::Float32);
    float* p = s.data_ptr<float>();
    p[in.size() - 1] = static_cast<float>(c.f("scales_w"));
    if (in.size() == 4) p[2] = static_cast<float>(c.f("scales_h"));
    ins.push_back(c.initializer(s, c.out(0) + "_scales"));
  } else {  // N and C from Shape at run time (a free batch stays free), then the sizes
    std::string nc = c.emit("Slice", {c.emit("Shape", {c.in(0)}), c.ints({0}), c.ints({2})});
    pb::NodeProto* cat;
    std::string sizes =
        c.emit("Concat", {nc, c.ints(std::vector<int64_t>(out.begin() + 2, out.end()))}, &cat);
    set_attr(cat, "axis", 0);
    ins.push_back("");
    ins.push_back(sizes);
  }
  pb::NodeProto* n = c.add("Resize", ins, {c.out(0)});
  if (mode == "nearest") {
    set_attr(n, "mode", "nearest");
    set_attr(n, "coordinate_transformation_mode", "asymmetric");
    set_attr(n, "nearest_mode", "floor");
  } else {
    bool align = c.attrs().has("align_corners") && c.b("align_corners");
    set_attr(n, "mode", "linear");
    set_attr(n, "coordinate_transformation_mode", align ? "align_corners" : "pytorch_half_pixel");
  }
}

// -- normalisation --------------------------------------------------------------------

// An optional per-channel input, or a constant of `v` of size n.
std::string or_fill(Ctx& c, size_t i, double v, const Shape& shape) {
  if (c.has(i)) return c.in(i);
  return c.initializer(full(shape, v, c.dtype(0)), c.out(0) + (v == 1 ? "_ones" : "_zeros"));
}

// batch_norm(x, running_mean, running_var, weight?, bias?) in eval.
void batch_norm(Ctx& c) {
  if (c.b("training"))
    c.fail("training-mode batch norm is not exported; trace the model in eval()");
  if (!c.has(1) || !c.has(2)) c.fail("batch norm without running statistics is not exported");
  Shape ch{c.shape(0).size() > 1 ? c.shape(0)[1] : 1};
  pb::NodeProto* n =
      c.add("BatchNormalization",
            {c.in(0), or_fill(c, 3, 1, ch), or_fill(c, 4, 0, ch), c.in(1), c.in(2)}, {c.out(0)});
  set_attr(n, "epsilon", c.f("eps"));
}

void layer_norm(Ctx& c) {
  const std::vector<int64_t>& ns = c.ints_attr("normalized_shape");
  std::vector<std::string> ins{c.in(0), or_fill(c, 1, 1, ns)};
  if (c.has(2)) ins.push_back(c.in(2));
  pb::NodeProto* n = c.add("LayerNormalization", ins, {c.out(0)});
  set_attr(n, "axis", -static_cast<int64_t>(ns.size()));
  set_attr(n, "epsilon", c.f("eps"));
}

// native_batch_norm(x, weight, bias, running_mean, running_var) in eval:
// its output, and the running statistics passed through; the saved batch
// statistics exist in training only.
void native_batch_norm(Ctx& c) {
  if (c.b("training"))
    c.fail("training-mode batch norm is not exported; trace the model in eval()");
  for (size_t k : {size_t{1}, size_t{2}})
    if (c.out_used(k)) c.fail("output {} (the saved batch statistics) is not exported", k);
  pb::NodeProto* n =
      c.add("BatchNormalization", {c.in(0), c.in(1), c.in(2), c.in(3), c.in(4)}, {c.out(0)});
  set_attr(n, "epsilon", c.f("eps"));
  for (size_t k : {size_t{3}, size_t{4}})
    if (c.out_used(k)) c.add("Identity", {c.in(k)}, {c.out(k)});
}

// instance_norm(x, running_mean?, running_var?, weight?, bias?).
void instance_norm(Ctx& c) {
  Shape ch{c.shape(0)[1]};
  if (!c.b("use_input_stats")) {
    pb::NodeProto* n =
        c.add("BatchNormalization",
              {c.in(0), or_fill(c, 3, 1, ch), or_fill(c, 4, 0, ch), c.in(1), c.in(2)}, {c.out(0)});
    set_attr(n, "epsilon", c.f("eps"));
    return;
  }
  pb::NodeProto* n = c.add("InstanceNormalization",
                           {c.in(0), or_fill(c, 3, 1, ch), or_fill(c, 4, 0, ch)}, {c.out(0)});
  set_attr(n, "epsilon", c.f("eps"));
}

// group_norm: InstanceNormalization over (N, G, rest), then the affine per channel.
void group_norm(Ctx& c) {
  int64_t g = c.i("num_groups"), ch = c.shape(0)[1];
  std::string x = c.emit("Reshape", {c.in(0), c.ints({0, g, -1})});
  pb::NodeProto* n;
  std::string y = c.emit("InstanceNormalization",
                         {x, c.initializer(ones({g}, c.dtype(0)), c.out(0) + "_gscale"),
                          c.initializer(zeros({g}, c.dtype(0)), c.out(0) + "_gbias")},
                         &n);
  set_attr(n, "epsilon", c.f("eps"));
  std::vector<int64_t> shape{0, ch}, per_channel{ch};
  for (size_t d = 2; d < c.shape(0).size(); ++d) {
    shape.push_back(c.shape(0)[d]);
    per_channel.push_back(1);
  }
  if (!c.has(1) && !c.has(2)) {
    c.add("Reshape", {y, c.ints(shape)}, {c.out(0)});
    return;
  }
  y = c.emit("Reshape", {y, c.ints(shape)});
  if (c.has(1)) y = c.emit("Mul", {y, c.emit("Reshape", {c.in(1), c.ints(per_channel)})});
  if (c.has(2)) y = c.emit("Add", {y, c.emit("Reshape", {c.in(2), c.ints(per_channel)})});
  c.add("Identity", {y}, {c.out(0)});
}

// -- dropout, embedding ---------------------------------------------------------------

void dropout(Ctx& c) {
  if (c.b("training") && c.f("p") > 0)
    c.fail("training-mode dropout (p={}) is random; trace the model in eval()", c.f("p"));
  c.add("Dropout", {c.in(0)}, {c.out(0)});  // inference mode: the identity
}

void embedding(Ctx& c) { set_attr(c.add("Gather", {c.in(0), c.raw(1)}, {c.out(0)}), "axis", 0); }

}  // namespace

void add_network_ops(Table& t) {
  auto set = [&](OpId id, TranslateFn fn) { t[static_cast<size_t>(id)] = fn; };
  set(OpId::matmul, matmul);
  set(OpId::bmm, matmul);
  set(OpId::linear, linear);
  set(OpId::linear_forward, linear_forward);
  set(OpId::outer, outer);
  set(OpId::conv1d, conv<1>);
  set(OpId::conv2d, conv<2>);
  set(OpId::conv_transpose2d, conv_transpose2d);
  set(OpId::conv2d_forward, conv2d_forward);
  set(OpId::conv2d_input_grad, conv2d_input_grad);
  set(OpId::max_pool2d, max_pool2d);
  set(OpId::avg_pool2d, avg_pool2d);
  set(OpId::adaptive_avg_pool2d, adaptive_pool<false>);
  set(OpId::adaptive_max_pool2d, adaptive_pool<true>);
  set(OpId::pad, pad);
  set(OpId::interpolate, interpolate);
  set(OpId::batch_norm, batch_norm);
  set(OpId::native_batch_norm, native_batch_norm);
  set(OpId::layer_norm, layer_norm);
  set(OpId::instance_norm, instance_norm);
  set(OpId::group_norm, group_norm);
  set(OpId::dropout, dropout);
  set(OpId::embedding, embedding);
}

}  // namespace braid::onnx::detail
