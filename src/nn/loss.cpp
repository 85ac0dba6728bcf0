#include "braid/nn/loss.hpp"

namespace braid::nn {

namespace {
std::string checked_reduction(std::string r, const char* name, bool batchmean) {
  BRAID_CHECK(r == "none" || r == "mean" || r == "sum" || (batchmean && r == "batchmean"),
              ValueError, name, "reduction must be 'none', 'mean', 'sum'{}; got '{}'",
              batchmean ? " or 'batchmean'" : "", r);
  return r;
}
// A weight given to a loss is kept as a buffer: detached, never trained.
Tensor as_buffer(const Tensor& w) { return w.defined() ? w.detach() : Tensor(); }
}  // namespace

Loss::Loss(std::string r, const char* name, bool batchmean)
    : reduction(checked_reduction(std::move(r), name, batchmean)) {}

CrossEntropyLoss::CrossEntropyLoss(const CrossEntropyOptions& o)
    : Loss(o.reduction, "CrossEntropyLoss"),
      ignore_index(o.ignore_index),
      label_smoothing(o.label_smoothing),
      weight(register_buffer("weight", as_buffer(o.weight))) {
  BRAID_CHECK(label_smoothing >= 0 && label_smoothing <= 1, ValueError, "CrossEntropyLoss",
              "label_smoothing must be in [0, 1]; got {}", label_smoothing);
}

Tensor CrossEntropyLoss::forward(const Tensor& input, const Tensor& target) {
  return cross_entropy(input, target,
                       {.weight = weight,
                        .ignore_index = ignore_index,
                        .reduction = reduction,
                        .label_smoothing = label_smoothing});
}

NLLLoss::NLLLoss(const NllLossOptions& o)
    : Loss(o.reduction, "NLLLoss"),
      ignore_index(o.ignore_index),
      weight(register_buffer("weight", as_buffer(o.weight))) {}

Tensor NLLLoss::forward(const Tensor& input, const Tensor& target) {
  return nll_loss(input, target,
                  {.weight = weight, .ignore_index = ignore_index, .reduction = reduction});
}

Tensor MSELoss::forward(const Tensor& input, const Tensor& target) {
  return mse_loss(input, target, reduction);
}

Tensor L1Loss::forward(const Tensor& input, const Tensor& target) {
  return l1_loss(input, target, reduction);
}

SmoothL1Loss::SmoothL1Loss(const SmoothL1LossOptions& o)
    : Loss(o.reduction, "SmoothL1Loss"), beta(o.beta) {
  BRAID_CHECK(beta >= 0, ValueError, "SmoothL1Loss", "beta must be >= 0; got {}", beta);
}

Tensor SmoothL1Loss::forward(const Tensor& input, const Tensor& target) {
  return smooth_l1_loss(input, target, reduction, beta);
}

HuberLoss::HuberLoss(const HuberLossOptions& o) : Loss(o.reduction, "HuberLoss"), delta(o.delta) {
  BRAID_CHECK(delta > 0, ValueError, "HuberLoss", "delta must be > 0; got {}", delta);
}

Tensor HuberLoss::forward(const Tensor& input, const Tensor& target) {
  return huber_loss(input, target, reduction, delta);
}

BCELoss::BCELoss(const BCELossOptions& o)
    : Loss(o.reduction, "BCELoss"), weight(register_buffer("weight", as_buffer(o.weight))) {}

Tensor BCELoss::forward(const Tensor& input, const Tensor& target) {
  return binary_cross_entropy(input, target, weight, reduction);
}

BCEWithLogitsLoss::BCEWithLogitsLoss(const BceWithLogitsOptions& o)
    : Loss(o.reduction, "BCEWithLogitsLoss"),
      weight(register_buffer("weight", as_buffer(o.weight))),
      pos_weight(register_buffer("pos_weight", as_buffer(o.pos_weight))) {}

Tensor BCEWithLogitsLoss::forward(const Tensor& input, const Tensor& target) {
  return binary_cross_entropy_with_logits(
      input, target, {.weight = weight, .reduction = reduction, .pos_weight = pos_weight});
}

KLDivLoss::KLDivLoss(const KLDivLossOptions& o)
    : Loss(o.reduction, "KLDivLoss", true), log_target(o.log_target) {}

Tensor KLDivLoss::forward(const Tensor& input, const Tensor& target) {
  return kl_div(input, target, reduction, log_target);
}

}  // namespace braid::nn
