#pragma once
/// Convolution layers (PyTorch's Conv1d, Conv2d, ConvTranspose2d) over the
/// functional ops in braid/ops/conv.hpp. Weights start as PyTorch's do:
/// kaiming_uniform(a = sqrt(5)) and a bias uniform in +-1/sqrt(fan_in).
///
///     nn::Conv2d(1, 32, 3, {.stride = 1, .padding = 1})
///     nn::Conv2d(16, 16, {3, 5}, {.padding = "same", .groups = 4, .bias = false})
#include <string>

#include "braid/nn/layer_args.hpp"
#include "braid/nn/module.hpp"
#include "braid/ops/conv.hpp"

namespace braid::nn {

/// Conv1d / Conv2d settings, PyTorch's keyword arguments.
struct ConvNdOptions {
  SizeArg stride = 1;
  /// Sizes (both sides alike), or "same" / "valid".
  ConvPadding padding = 0;
  SizeArg dilation = 1;
  int64_t groups = 1;
  bool bias = true;
  /// "zeros", "reflect" or "replicate" (PyTorch's "circular" is not supported).
  std::string padding_mode = "zeros";
};
using Conv1dOptions = ConvNdOptions;
using Conv2dOptions = ConvNdOptions;

/// The shared part of Conv1d and Conv2d (PyTorch's _ConvNd).
class ConvNd : public Module {
 public:
  std::string extra_repr() const override;
  void reset_parameters();

  const int64_t in_channels, out_channels, groups;
  const std::vector<int64_t> kernel_size, stride, dilation;
  /// Per-dim sizes, or empty with padding_mode_string set ("same"/"valid").
  const std::vector<int64_t> padding;
  const std::string padding_string, padding_mode;
  Tensor& weight;  ///< (out_channels, in_channels / groups, *kernel_size)
  Tensor& bias;    ///< (out_channels), or undefined

 protected:
  ConvNd(int dims, const char* layer, int64_t in, int64_t out, const SizeArg& kernel,
         const ConvNdOptions& o);
  /// Checks x against (N, C_in, *spatial) / (C_in, *spatial), applies a
  /// non-zeros padding_mode, and returns the padded input and the op options.
  Tensor prepare(const Tensor& x, ConvOptions& opts) const;

 private:
  int dims_;
};

/// x: (N, C_in, L) or (C_in, L) -> (N, C_out, L_out).
class Conv1d : public ConvNd {
 public:
  Conv1d(int64_t in_channels, int64_t out_channels, SizeArg kernel_size,
         const Conv1dOptions& options = {});
  Tensor forward(const Tensor& x) override;
};

/// x: (N, C_in, H, W) or (C_in, H, W) -> (N, C_out, H_out, W_out).
class Conv2d : public ConvNd {
 public:
  Conv2d(int64_t in_channels, int64_t out_channels, SizeArg kernel_size,
         const Conv2dOptions& options = {});
  Tensor forward(const Tensor& x) override;
  /// relu(forward(x)) as one op, in this layer's error scope (what
  /// nn::Sequential runs for a Conv2d -> ReLU pair, Note [conv + relu]).
  Tensor forward_relu(const Tensor& x);
  /// max_pool2d(relu(forward(x)), 2) as one op (nn::Sequential's Conv2d ->
  /// ReLU -> MaxPool2d(2), Note [conv + relu + pool]); undefined when this
  /// layer's output is smaller than the 2x2 window, or x is float16/bfloat16.
  Tensor forward_relu_maxpool2x2(const Tensor& x);
};

struct ConvTranspose2dOptions {
  SizeArg stride = 1;
  SizeArg padding = 0;
  SizeArg output_padding = 0;
  int64_t groups = 1;
  bool bias = true;
  SizeArg dilation = 1;
};

/// The gradient of Conv2d with respect to its input, as a layer.
/// x: (N, C_in, H, W) or (C_in, H, W) -> (N, C_out, H_out, W_out) with
/// H_out = (H - 1) stride - 2 padding + dilation (kH - 1) + output_padding + 1.
class ConvTranspose2d : public Module {
 public:
  ConvTranspose2d(int64_t in_channels, int64_t out_channels, SizeArg kernel_size,
                  const ConvTranspose2dOptions& options = {});
  Tensor forward(const Tensor& x) override;
  std::string extra_repr() const override;
  void reset_parameters();

  const int64_t in_channels, out_channels, groups;
  const std::vector<int64_t> kernel_size, stride, padding, output_padding, dilation;
  Tensor& weight;  ///< (in_channels, out_channels / groups, kH, kW)
  Tensor& bias;    ///< (out_channels), or undefined
};

}  // namespace braid::nn
