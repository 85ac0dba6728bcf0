#include "braid/nn/conv.hpp"

#include <cmath>

#include "braid/nn/init.hpp"
#include "braid/ops/ops.hpp"
#include "braid/ops/pool.hpp"

namespace braid::nn {

namespace {
std::vector<int64_t> positive(const SizeArg& a, int dims, const char* layer, const char* what) {
  std::vector<int64_t> v = a.expand(dims, layer, what);
  for (int64_t x : v)
    BRAID_CHECK(x > 0, ValueError, layer, "{} must be positive; got {}", what, a.repr());
  return v;
}
std::vector<int64_t> non_negative(const SizeArg& a, int dims, const char* layer, const char* what) {
  std::vector<int64_t> v = a.expand(dims, layer, what);
  for (int64_t x : v)
    BRAID_CHECK(x >= 0, ValueError, layer, "{} must be >= 0; got {}", what, a.repr());
  return v;
}
int64_t checked_channels(int64_t n, int64_t groups, const char* layer, const char* what) {
  BRAID_CHECK(n > 0, ValueError, layer, "{} must be positive; got {}", what, n);
  BRAID_CHECK(groups > 0, ValueError, layer, "groups must be positive; got {}", groups);
  BRAID_CHECK(n % groups == 0, ValueError, layer, "{}={} must be divisible by groups={}", what, n,
              groups);
  return n;
}
ConvSize conv_size(const std::vector<int64_t>& v) {
  ConvSize s = 0;
  s.sizes = v;
  return s;
}
std::vector<int64_t> padding_sizes(const ConvPadding& p, int dims, const char* layer) {
  if (!p.mode.empty()) {
    BRAID_CHECK(p.mode == "same" || p.mode == "valid", ValueError, layer,
                "padding must be sizes, 'same' or 'valid'; got '{}'", p.mode);
    return {};
  }
  SizeArg a(p.sizes);
  return non_negative(a, dims, layer, "padding");
}
// "(N, 1, H, W) or (1, H, W)" for error messages.
std::string expected_input(int dims, int64_t channels) {
  const char* spatial = dims == 1 ? "L" : "H, W";
  return fmt::format("(N, {0}, {1}) or ({0}, {1})", channels, spatial);
}
void check_input(const Tensor& x, int dims, int64_t channels, const char* layer) {
  const int64_t rank = x.dim();
  BRAID_CHECK((rank == dims + 1 || rank == dims + 2) && x.size(rank - dims - 1) == channels,
              ShapeError, layer, "expected input {} with in_channels={}; got input={}",
              expected_input(dims, channels), channels, shape_str(x.shape()));
}
// PyTorch's default for conv weights and biases.
void reset_conv(Tensor& weight, Tensor& bias) {
  init::kaiming_uniform_(weight, std::sqrt(5.0));
  if (bias.defined()) {
    const int64_t fan_in = init::calculate_fan_in_and_fan_out(weight).fan_in;
    const double bound = fan_in > 0 ? 1.0 / std::sqrt(double(fan_in)) : 0.0;
    init::uniform_(bias, -bound, bound);
  }
}
Shape weight_shape(int64_t a, int64_t b, const std::vector<int64_t>& kernel) {
  Shape s{a, b};
  for (int64_t k : kernel) s.push_back(k);
  return s;
}
}  // namespace

// -- Conv1d / Conv2d -----------------------------------------------------------------

ConvNd::ConvNd(int dims, const char* layer, int64_t in, int64_t out, const SizeArg& kernel,
               const ConvNdOptions& o)
    : in_channels(checked_channels(in, o.groups, layer, "in_channels")),
      out_channels(checked_channels(out, o.groups, layer, "out_channels")),
      groups(o.groups),
      kernel_size(positive(kernel, dims, layer, "kernel_size")),
      stride(positive(o.stride, dims, layer, "stride")),
      dilation(positive(o.dilation, dims, layer, "dilation")),
      padding(padding_sizes(o.padding, dims, layer)),
      padding_string(o.padding.mode),
      padding_mode(o.padding_mode),
      weight(register_parameter("weight", empty(weight_shape(out, in / o.groups, kernel_size)))),
      bias(register_parameter("bias", o.bias ? empty({out}) : Tensor())),
      dims_(dims) {
  BRAID_CHECK(padding_mode == "zeros" || padding_mode == "reflect" || padding_mode == "replicate",
              ValueError, layer, "padding_mode must be 'zeros', 'reflect' or 'replicate'; got '{}'",
              padding_mode);
  bool strided = false;
  for (int64_t s : stride) strided = strided || s != 1;
  BRAID_CHECK(!(padding_string == "same" && strided), ValueError, layer,
              "padding='same' needs stride 1; got stride={}", py_tuple(stride));
  reset_parameters();
}

void ConvNd::reset_parameters() { reset_conv(weight, bias); }

Tensor ConvNd::prepare(const Tensor& x, ConvOptions& opts) const {
  const char* layer = dims_ == 1 ? "Conv1d" : "Conv2d";
  check_input(x, dims_, in_channels, layer);
  opts.stride = conv_size(stride);
  opts.dilation = conv_size(dilation);
  opts.groups = groups;
  if (padding_string.empty()) {
    opts.padding = ConvPadding(0);
    opts.padding.sizes = padding;
  } else {
    opts.padding = ConvPadding(padding_string);
  }
  if (padding_mode == "zeros") return x;
  // Pad explicitly, last dim first, as PyTorch's _reversed_padding_repeated_twice.
  std::vector<int64_t> pads;
  for (int d = dims_ - 1; d >= 0; --d) {
    int64_t lo = 0, hi = 0;
    if (padding_string.empty()) {
      lo = hi = padding[size_t(d)];
    } else if (padding_string == "same") {
      const int64_t total = dilation[size_t(d)] * (kernel_size[size_t(d)] - 1);
      lo = total / 2;
      hi = total - lo;
    }
    pads.push_back(lo);
    pads.push_back(hi);
  }
  opts.padding = ConvPadding(0);
  return pad(x, pads, padding_mode);
}

std::string ConvNd::extra_repr() const {
  std::string s = fmt::format("{}, {}, kernel_size={}, stride={}", in_channels, out_channels,
                              py_tuple(kernel_size), py_tuple(stride));
  if (!padding_string.empty()) {
    s += ", padding=" + padding_string;
  } else if (padding != std::vector<int64_t>(padding.size(), 0)) {
    s += ", padding=" + py_tuple(padding);
  }
  if (dilation != std::vector<int64_t>(dilation.size(), 1)) s += ", dilation=" + py_tuple(dilation);
  if (groups != 1) s += fmt::format(", groups={}", groups);
  if (!bias.defined()) s += ", bias=False";
  if (padding_mode != "zeros") s += ", padding_mode=" + padding_mode;
  return s;
}

Conv1d::Conv1d(int64_t in, int64_t out, SizeArg kernel, const Conv1dOptions& o)
    : ConvNd(1, "Conv1d", in, out, kernel, o) {}

Tensor Conv1d::forward(const Tensor& x) {
  ConvOptions opts;
  Tensor in = prepare(x, opts);
  return conv1d(in, weight, bias, opts);
}

Conv2d::Conv2d(int64_t in, int64_t out, SizeArg kernel, const Conv2dOptions& o)
    : ConvNd(2, "Conv2d", in, out, kernel, o) {}

Tensor Conv2d::forward(const Tensor& x) {
  ConvOptions opts;
  Tensor in = prepare(x, opts);
  return conv2d(in, weight, bias, opts);
}

Tensor Conv2d::forward_relu(const Tensor& x) {
  return scoped([&] {
    ConvOptions opts;
    Tensor in = prepare(x, opts);
    return detail::conv2d_relu(in, weight, bias, opts);
  });
}

Tensor Conv2d::forward_relu_maxpool2x2(const Tensor& x) {
  return scoped([&] {
    ConvOptions opts;
    Tensor in = prepare(x, opts);
    return detail::conv2d_relu_maxpool2x2(in, weight, bias, opts);
  });
}

// -- ConvTranspose2d ------------------------------------------------------------------

ConvTranspose2d::ConvTranspose2d(int64_t in, int64_t out, SizeArg kernel,
                                 const ConvTranspose2dOptions& o)
    : in_channels(checked_channels(in, o.groups, "ConvTranspose2d", "in_channels")),
      out_channels(checked_channels(out, o.groups, "ConvTranspose2d", "out_channels")),
      groups(o.groups),
      kernel_size(positive(kernel, 2, "ConvTranspose2d", "kernel_size")),
      stride(positive(o.stride, 2, "ConvTranspose2d", "stride")),
      padding(non_negative(o.padding, 2, "ConvTranspose2d", "padding")),
      output_padding(non_negative(o.output_padding, 2, "ConvTranspose2d", "output_padding")),
      dilation(positive(o.dilation, 2, "ConvTranspose2d", "dilation")),
      weight(register_parameter("weight", empty(weight_shape(in, out / o.groups, kernel_size)))),
      bias(register_parameter("bias", o.bias ? empty({out}) : Tensor())) {
  for (size_t d = 0; d < 2; ++d)
    BRAID_CHECK(output_padding[d] < stride[d] || output_padding[d] < dilation[d], ValueError,
                "ConvTranspose2d",
                "output_padding must be smaller than stride or dilation; got output_padding={}, "
                "stride={}, dilation={}",
                py_tuple(output_padding), py_tuple(stride), py_tuple(dilation));
  reset_parameters();
}

void ConvTranspose2d::reset_parameters() { reset_conv(weight, bias); }

Tensor ConvTranspose2d::forward(const Tensor& x) {
  check_input(x, 2, in_channels, "ConvTranspose2d");
  ConvTransposeOptions opts;
  opts.stride = conv_size(stride);
  opts.padding = conv_size(padding);
  opts.output_padding = conv_size(output_padding);
  opts.groups = groups;
  opts.dilation = conv_size(dilation);
  return conv_transpose2d(x, weight, bias, opts);
}

std::string ConvTranspose2d::extra_repr() const {
  std::string s = fmt::format("{}, {}, kernel_size={}, stride={}", in_channels, out_channels,
                              py_tuple(kernel_size), py_tuple(stride));
  if (padding != std::vector<int64_t>{0, 0}) s += ", padding=" + py_tuple(padding);
  if (dilation != std::vector<int64_t>{1, 1}) s += ", dilation=" + py_tuple(dilation);
  if (output_padding != std::vector<int64_t>{0, 0})
    s += ", output_padding=" + py_tuple(output_padding);
  if (groups != 1) s += fmt::format(", groups={}", groups);
  if (!bias.defined()) s += ", bias=False";
  return s;
}

}  // namespace braid::nn
