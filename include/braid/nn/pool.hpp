#pragma once
/// Pooling layers (PyTorch's MaxPool2d, AvgPool2d, AdaptiveAvg/MaxPool2d) over
/// braid/ops/pool.hpp. Sizes are printed as given, as PyTorch does:
/// `nn::MaxPool2d(2)` prints kernel_size=2, stride=2.
///
/// x: (N, C, H, W) or (C, H, W) -> (N, C, OH, OW).
#include <optional>

#include "braid/nn/layer_args.hpp"
#include "braid/nn/module.hpp"

namespace braid::nn {

struct MaxPool2dOptions {
  SizeArg stride = {};  ///< not given: kernel_size
  SizeArg padding = 0;
  SizeArg dilation = 1;
  bool ceil_mode = false;
};

class MaxPool2d : public Module {
 public:
  explicit MaxPool2d(SizeArg kernel_size, const MaxPool2dOptions& options = {});
  Tensor forward(const Tensor& x) override;
  std::string extra_repr() const override;

  const SizeArg kernel_size, stride, padding, dilation;
  const bool ceil_mode;
};

struct AvgPool2dOptions {
  SizeArg stride = {};  ///< not given: kernel_size
  SizeArg padding = 0;
  bool ceil_mode = false;
  bool count_include_pad = true;
  std::optional<int64_t> divisor_override = {};
};

class AvgPool2d : public Module {
 public:
  explicit AvgPool2d(SizeArg kernel_size, const AvgPool2dOptions& options = {});
  Tensor forward(const Tensor& x) override;
  std::string extra_repr() const override;

  const SizeArg kernel_size, stride, padding;
  const bool ceil_mode, count_include_pad;
  const std::optional<int64_t> divisor_override;
};

/// Averages over windows that tile the input into output_size (OH, OW).
class AdaptiveAvgPool2d : public Module {
 public:
  explicit AdaptiveAvgPool2d(SizeArg output_size);
  Tensor forward(const Tensor& x) override;
  std::string extra_repr() const override;

  const SizeArg output_size;
};

/// Max over windows that tile the input into output_size (OH, OW).
class AdaptiveMaxPool2d : public Module {
 public:
  explicit AdaptiveMaxPool2d(SizeArg output_size);
  Tensor forward(const Tensor& x) override;
  std::string extra_repr() const override;

  const SizeArg output_size;
};

}  // namespace braid::nn
