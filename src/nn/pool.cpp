#include "braid/nn/pool.hpp"

#include "braid/ops/pool.hpp"

namespace braid::nn {

namespace {
// Validates a size at construction, so a bad layer fails where it is made.
SizeArg checked(const SizeArg& a, const char* layer, const char* what, int64_t min) {
  a.expand(2, layer, what);
  for (int64_t v : a.values)
    BRAID_CHECK(v >= min, ValueError, layer, "{} must be >= {}; got {}", what, min, a.repr());
  return a;
}
void check_input(const Tensor& x, const char* layer) {
  BRAID_CHECK(x.dim() == 3 || x.dim() == 4, ShapeError, layer,
              "expected input (N, C, H, W) or (C, H, W); got input={}", shape_str(x.shape()));
}
}  // namespace

MaxPool2d::MaxPool2d(SizeArg k, const MaxPool2dOptions& o)
    : kernel_size(checked(k, "MaxPool2d", "kernel_size", 1)),
      stride(o.stride.given() ? checked(o.stride, "MaxPool2d", "stride", 1) : kernel_size),
      padding(checked(o.padding, "MaxPool2d", "padding", 0)),
      dilation(checked(o.dilation, "MaxPool2d", "dilation", 1)),
      ceil_mode(o.ceil_mode) {}

Tensor MaxPool2d::forward(const Tensor& x) {
  check_input(x, "MaxPool2d");
  return max_pool2d(x, kernel_size.values,
                    {.stride = stride.values,
                     .padding = padding.values,
                     .dilation = dilation.values,
                     .ceil_mode = ceil_mode});
}

std::string MaxPool2d::extra_repr() const {
  return fmt::format("kernel_size={}, stride={}, padding={}, dilation={}, ceil_mode={}",
                     kernel_size.repr(), stride.repr(), padding.repr(), dilation.repr(),
                     py_bool(ceil_mode));
}

AvgPool2d::AvgPool2d(SizeArg k, const AvgPool2dOptions& o)
    : kernel_size(checked(k, "AvgPool2d", "kernel_size", 1)),
      stride(o.stride.given() ? checked(o.stride, "AvgPool2d", "stride", 1) : kernel_size),
      padding(checked(o.padding, "AvgPool2d", "padding", 0)),
      ceil_mode(o.ceil_mode),
      count_include_pad(o.count_include_pad),
      divisor_override(o.divisor_override) {
  BRAID_CHECK(!divisor_override || *divisor_override != 0, ValueError, "AvgPool2d",
              "divisor_override must not be 0");
}

Tensor AvgPool2d::forward(const Tensor& x) {
  check_input(x, "AvgPool2d");
  return avg_pool2d(x, kernel_size.values,
                    {.stride = stride.values,
                     .padding = padding.values,
                     .ceil_mode = ceil_mode,
                     .count_include_pad = count_include_pad,
                     .divisor_override = divisor_override});
}

std::string AvgPool2d::extra_repr() const {
  return fmt::format("kernel_size={}, stride={}, padding={}", kernel_size.repr(), stride.repr(),
                     padding.repr());
}

AdaptiveAvgPool2d::AdaptiveAvgPool2d(SizeArg s)
    : output_size(checked(s, "AdaptiveAvgPool2d", "output_size", 0)) {}

Tensor AdaptiveAvgPool2d::forward(const Tensor& x) {
  check_input(x, "AdaptiveAvgPool2d");
  return adaptive_avg_pool2d(x, output_size.values);
}

std::string AdaptiveAvgPool2d::extra_repr() const { return "output_size=" + output_size.repr(); }

AdaptiveMaxPool2d::AdaptiveMaxPool2d(SizeArg s)
    : output_size(checked(s, "AdaptiveMaxPool2d", "output_size", 1)) {}

Tensor AdaptiveMaxPool2d::forward(const Tensor& x) {
  check_input(x, "AdaptiveMaxPool2d");
  return adaptive_max_pool2d(x, output_size.values);
}

std::string AdaptiveMaxPool2d::extra_repr() const { return "output_size=" + output_size.repr(); }

}  // namespace braid::nn
