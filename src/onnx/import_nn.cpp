// ONNX import, network layers: Conv, ConvTranspose, pooling and the
// normalisations. ONNX pads may differ at the two ends of a dim (auto_pad
// SAME_*, TensorFlow exports); braid's conv and pool pad both ends alike, so
// the uneven part becomes an explicit pad op in front.
#include <cmath>
#include <limits>

#include "onnx/import_context.hpp"

namespace braid::onnx::detail {
namespace {
using V = std::vector<int>;
using Ints = std::vector<int64_t>;

// Begin/end padding of each spatial dim, from pads or auto_pad.
struct Pads {
  Ints begin, end;
  bool symmetric() const { return begin == end; }
};

Pads resolve_pads(Importer& c, const Shape& x, const Ints& kernel, const Ints& stride,
                  const Ints& dilation) {
  const size_t nd = kernel.size();
  Pads p{Ints(nd, 0), Ints(nd, 0)};
  const std::string mode = c.attr_s("auto_pad", "NOTSET");
  if (mode == "NOTSET") {
    const Ints pads = c.attr_ints("pads", Ints(2 * nd, 0));
    c.check(pads.size() == 2 * nd, "pads has {} entries; {} spatial dims need {}", pads.size(), nd,
            2 * nd);
    for (size_t d = 0; d < nd; ++d) {
      c.check(pads[d] >= 0 && pads[d + nd] >= 0, "pads must be >= 0; got [{}]",
              fmt::join(pads, ", "));
      p.begin[d] = pads[d], p.end[d] = pads[d + nd];
    }
  } else if (mode == "SAME_UPPER" || mode == "SAME_LOWER") {
    for (size_t d = 0; d < nd; ++d) {
      const int64_t in = x[x.size() - nd + d];
      const int64_t out = (in + stride[d] - 1) / stride[d];
      const int64_t total =
          std::max<int64_t>(0, (out - 1) * stride[d] + (kernel[d] - 1) * dilation[d] + 1 - in);
      const int64_t small = total / 2;
      p.begin[d] = mode == "SAME_UPPER" ? small : total - small;
      p.end[d] = total - p.begin[d];
    }
  } else {
    c.check(mode == "VALID", "auto_pad '{}' is unknown", mode);
  }
  return p;
}

Ints per_dim(Importer& c, const char* name, size_t nd, int64_t dflt) {
  Ints v = c.attr_ints(name, Ints(nd, dflt));
  c.check(v.size() == nd, "{} has {} entries; {} spatial dims need {}", name, v.size(), nd, nd);
  return v;
}

// Pads x (N, C, spatial...) explicitly: braid's pad lists the last dim first.
int pad_spatial(Importer& c, int x, const Pads& p, double value) {
  Ints pads;
  for (size_t d = p.begin.size(); d-- > 0;) pads.push_back(p.begin[d]), pads.push_back(p.end[d]);
  return c.op1(OpId::pad, {x},
               {{"pad", pads}, {"mode", std::string("constant")}, {"value", value}});
}

V conv(Importer& c) {
  int x = c.need(0);
  const int w = c.need(1), b = c.in(2);
  const size_t nd = static_cast<size_t>(c.rank(w)) - 2;
  c.check(c.rank(x) == 3 || c.rank(x) == 4, "only 1-D and 2-D convolutions are supported; x is {}",
          shape_str(c.shape(x)));
  c.check(c.rank(w) == c.rank(x), "W {} does not match X {}", shape_str(c.shape(w)),
          shape_str(c.shape(x)));
  const Ints kernel(c.shape(w).begin() + 2, c.shape(w).end());
  const Ints stride = per_dim(c, "strides", nd, 1), dilation = per_dim(c, "dilations", nd, 1);
  Pads p = resolve_pads(c, c.shape(x), kernel, stride, dilation);
  if (!p.symmetric()) {
    x = pad_spatial(c, x, p, 0.0);
    p = {Ints(nd, 0), Ints(nd, 0)};
  }
  const Attrs a{{"stride", stride},
                {"padding", p.begin},
                {"dilation", dilation},
                {"groups", c.attr_i("group", 1)}};
  return {c.op1(nd == 1 ? OpId::conv1d : OpId::conv2d, {x, w, b}, a)};
}

// ConvTranspose (2-D): braid pads both ends alike, so uneven pads are cropped
// from an unpadded result.
V conv_transpose(Importer& c) {
  const int x = c.need(0), w = c.need(1), b = c.in(2);
  c.check(c.rank(x) == 4 && c.rank(w) == 4, "only 2-D transposed convolutions are supported");
  c.check(c.attr_s("auto_pad", "NOTSET") == "NOTSET" && !c.has_attr("output_shape"),
          "auto_pad and output_shape are not supported; give pads");
  const Ints stride = per_dim(c, "strides", 2, 1), dilation = per_dim(c, "dilations", 2, 1);
  const Ints out_pad = per_dim(c, "output_padding", 2, 0);
  const Ints pads = c.attr_ints("pads", Ints(4, 0));
  c.check(pads.size() == 4, "pads must have 4 entries");
  const bool even = pads[0] == pads[2] && pads[1] == pads[3];
  const Attrs a{{"stride", stride},
                {"padding", even ? Ints{pads[0], pads[1]} : Ints{0, 0}},
                {"output_padding", out_pad},
                {"groups", c.attr_i("group", 1)},
                {"dilation", dilation}};
  int y = c.op1(OpId::conv_transpose2d, {x, w, b}, a);
  if (even) return {y};
  for (int64_t d = 0; d < 2; ++d) {
    const int64_t size = c.shape(y)[2 + d];
    y = c.op1(
        OpId::slice, {y},
        {{"dim", 2 + d}, {"start", pads[d]}, {"end", size - pads[d + 2]}, {"step", int64_t{1}}});
  }
  return {y};
}

// MaxPool / AveragePool over 2 spatial dims. ONNX's strides default to 1
// (PyTorch's to the kernel), so they are always passed.
template <bool Max>
V pool(Importer& c) {
  int x = c.need(0);
  c.check(c.rank(x) == 4, "only 2-D pooling (N, C, H, W) is supported; x is {}",
          shape_str(c.shape(x)));
  c.check(c.node().output_size() < 2 || c.node().output(1).empty(),
          "the Indices output is not supported");
  const Ints kernel = c.attr_ints("kernel_shape");
  c.check(kernel.size() == 2, "kernel_shape must have 2 entries; got [{}]",
          fmt::join(kernel, ", "));
  const Ints stride = per_dim(c, "strides", 2, 1);
  const Ints dilation = Max ? per_dim(c, "dilations", 2, 1) : Ints{1, 1};
  const bool ceil = c.attr_i("ceil_mode", 0) != 0;
  const bool include_pad = c.attr_i("count_include_pad", 0) != 0;
  Pads p = resolve_pads(c, c.shape(x), kernel, stride, dilation);
  const bool fits = p.begin[0] <= kernel[0] / 2 && p.begin[1] <= kernel[1] / 2;
  if (!p.symmetric() || !fits) {
    // Padding as an op: the lowest float never wins a max (-inf would, but
    // has no JSON form for the model file); zeros are what an average that
    // counts the padding sees.
    c.check(Max || include_pad || (p.begin == Ints{0, 0} && p.end == Ints{0, 0}),
            "uneven pads with count_include_pad=0 are not supported");
    x = pad_spatial(c, x, p, Max ? double{std::numeric_limits<float>::lowest()} : 0.0);
    p = {Ints{0, 0}, Ints{0, 0}};
  }
  Attrs a{{"kernel_size", kernel}, {"stride", stride}, {"padding", p.begin}, {"ceil_mode", ceil}};
  if (Max) {
    a.set("dilation", dilation);
    return {c.op(OpId::max_pool2d, {x}, a)[0]};
  }
  a.set("count_include_pad", include_pad);
  return {c.op1(OpId::avg_pool2d, {x}, a)};
}

template <OpId O>
V global_pool(Importer& c) {
  const int x = c.need(0);
  Ints dims;
  for (int64_t d = 2; d < c.rank(x); ++d) dims.push_back(d);
  return {c.op1(O, {x}, {{"dims", dims}, {"keepdim", true}})};
}

V batch_norm(Importer& c) {
  c.check(c.attr_i("training_mode", 0) == 0, "training_mode=1 is not supported (inference only)");
  c.check(c.attr_i("spatial", 1) == 1, "spatial=0 (opsets 7-8) is not supported");
  for (int k = 1; k < c.node().output_size(); ++k)
    c.check(c.node().output(k).empty(), "only the Y output is supported (inference)");
  const int x = c.need(0), scale = c.need(1), bias = c.need(2), mean = c.need(3), var = c.need(4);
  return {c.op1(OpId::batch_norm, {x, mean, var, scale, bias},
                {{"training", false}, {"momentum", 0.1}, {"eps", c.attr_f("epsilon", 1e-5)}})};
}

V instance_norm(Importer& c) {
  const int x = c.need(0), scale = c.need(1), bias = c.need(2);
  return {
      c.op1(OpId::instance_norm, {x, -1, -1, scale, bias},
            {{"use_input_stats", true}, {"momentum", 0.1}, {"eps", c.attr_f("epsilon", 1e-5)}})};
}

// LayerNormalization (opset 17): normalises shape[axis:]; Scale and B
// broadcast to that shape.
V layer_norm(Importer& c) {
  for (int k = 1; k < c.node().output_size(); ++k)
    c.check(c.node().output(k).empty(), "the Mean and InvStdDev outputs are not supported");
  const int x = c.need(0);
  int scale = c.need(1), bias = c.in(2);
  const int64_t axis = wrap_axis(c, c.attr_i("axis", -1), c.rank(x));
  const Shape& s = c.shape(x);
  const Ints norm(s.begin() + axis, s.end());
  if (Shape(norm) != c.shape(scale)) scale = c.op1(OpId::expand, {scale}, {{"shape", norm}});
  if (bias >= 0 && Shape(norm) != c.shape(bias))
    bias = c.op1(OpId::expand, {bias}, {{"shape", norm}});
  return {c.op1(OpId::layer_norm, {x, scale, bias},
                {{"normalized_shape", norm}, {"eps", c.attr_f("epsilon", 1e-5)}})};
}
}  // namespace

std::vector<HandlerEntry> nn_handlers() {
  return {
      {"Conv", conv},
      {"ConvTranspose", conv_transpose},
      {"MaxPool", pool<true>},
      {"AveragePool", pool<false>},
      {"GlobalAveragePool", global_pool<OpId::mean>},
      {"GlobalMaxPool", global_pool<OpId::amax>},
      {"BatchNormalization", batch_norm},
      {"InstanceNormalization", instance_norm},
      {"LayerNormalization", layer_norm},
  };
}

}  // namespace braid::onnx::detail
