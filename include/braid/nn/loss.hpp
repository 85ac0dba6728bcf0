#pragma once
/// Loss modules (PyTorch's), called with two tensors: `loss(input, target)`.
/// Each wraps the function of the same name in braid/ops/loss.hpp, which
/// documents shapes, reductions and errors; errors gain the module's path as
/// any module's do. Class weights (and BCEWithLogitsLoss's pos_weight) are
/// buffers, as in PyTorch, so they appear in state_dict and follow to().
///
///     nn::CrossEntropyLoss ce({.label_smoothing = 0.1});
///     Tensor l = ce(logits, labels);
#include <string>

#include "braid/nn/module.hpp"
#include "braid/ops/loss.hpp"

namespace braid::nn {

/// The two-argument call; subclasses implement forward(input, target).
class Loss : public Module {
 public:
  Tensor operator()(const Tensor& input, const Tensor& target) {
    return scoped([&] { return forward(input, target); });
  }
  using Module::forward;  // the one-tensor form throws: a loss needs a target
  virtual Tensor forward(const Tensor& input, const Tensor& target) = 0;
  const std::string reduction;

 protected:
  Loss(std::string reduction, const char* name, bool batchmean = false);
};

/// reduction: "none", "mean" or "sum".
struct LossOptions {
  std::string reduction = "mean";
};

class CrossEntropyLoss : public Loss {
 public:
  explicit CrossEntropyLoss(const CrossEntropyOptions& options = {});
  Tensor forward(const Tensor& input, const Tensor& target) override;
  const int64_t ignore_index;
  const double label_smoothing;
  Tensor& weight;  ///< buffer (C), or undefined
};

class NLLLoss : public Loss {
 public:
  explicit NLLLoss(const NllLossOptions& options = {});
  Tensor forward(const Tensor& input, const Tensor& target) override;
  const int64_t ignore_index;
  Tensor& weight;  ///< buffer (C), or undefined
};

class MSELoss : public Loss {
 public:
  explicit MSELoss(const LossOptions& options = {}) : Loss(options.reduction, "MSELoss") {}
  Tensor forward(const Tensor& input, const Tensor& target) override;
};

class L1Loss : public Loss {
 public:
  explicit L1Loss(const LossOptions& options = {}) : Loss(options.reduction, "L1Loss") {}
  Tensor forward(const Tensor& input, const Tensor& target) override;
};

struct SmoothL1LossOptions {
  std::string reduction = "mean";
  double beta = 1.0;
};
class SmoothL1Loss : public Loss {
 public:
  explicit SmoothL1Loss(const SmoothL1LossOptions& options = {});
  Tensor forward(const Tensor& input, const Tensor& target) override;
  const double beta;
};

struct HuberLossOptions {
  std::string reduction = "mean";
  double delta = 1.0;
};
class HuberLoss : public Loss {
 public:
  explicit HuberLoss(const HuberLossOptions& options = {});
  Tensor forward(const Tensor& input, const Tensor& target) override;
  const double delta;
};

struct BCELossOptions {
  Tensor weight = {};
  std::string reduction = "mean";
};
class BCELoss : public Loss {
 public:
  explicit BCELoss(const BCELossOptions& options = {});
  Tensor forward(const Tensor& input, const Tensor& target) override;
  Tensor& weight;  ///< buffer, broadcastable to the input, or undefined
};

class BCEWithLogitsLoss : public Loss {
 public:
  explicit BCEWithLogitsLoss(const BceWithLogitsOptions& options = {});
  Tensor forward(const Tensor& input, const Tensor& target) override;
  Tensor& weight;      ///< buffer, or undefined
  Tensor& pos_weight;  ///< buffer, or undefined
};

struct KLDivLossOptions {
  std::string reduction = "mean";  ///< also "batchmean"
  bool log_target = false;
};
class KLDivLoss : public Loss {
 public:
  explicit KLDivLoss(const KLDivLossOptions& options = {});
  Tensor forward(const Tensor& input, const Tensor& target) override;
  const bool log_target;
};

}  // namespace braid::nn
