#pragma once
/// Network ops: the loss family (src/ops/loss.cpp). See op_list.def.
///
/// Every loss takes `reduction`: "none" (the per-element losses), "mean" or
/// "sum" (a 0-dim tensor); kl_div also takes "batchmean". Losses are
/// composites of braid ops, so their gradients (first and second) come from
/// those ops. Inputs must be floating; targets of another dtype are promoted
/// by the arithmetic, except class indices, which must be int64.
///
/// Shapes: unlike PyTorch (which broadcasts mismatched regression targets
/// with a warning, a frequent (N, 1) vs (N) bug), mse_loss, l1_loss,
/// smooth_l1_loss, huber_loss and both binary cross entropies require the
/// target to have the input's shape exactly. kl_div broadcasts, as PyTorch
/// does without a warning.
#include <string>

#include "braid/core/tensor.hpp"

namespace braid {

struct CrossEntropyOptions {
  /// (C) rescaling weight per class, or undefined.
  Tensor weight = {};
  /// Class-index targets equal to this are skipped (no loss, no weight).
  int64_t ignore_index = -100;
  std::string reduction = "mean";
  /// In [0, 1]: the target becomes (1 - s) * target + s / C. (PyTorch 1.13
  /// checks only s <= 1 and computes nonsense for s < 0; braid refuses it.)
  double label_smoothing = 0.0;
};

/// log_softmax over the class dim, then the negative log likelihood of the
/// target, as PyTorch 1.13's F.cross_entropy.
/// input: (N, C), (N, C, d1, ...) or (C). target: int64 class indices of shape
/// (N), (N, d1, ...) or (), or floating class probabilities of input's shape.
/// "mean" divides by the summed weights of the non-ignored targets (class
/// indices) or by the number of positions N * d1 * ... (probabilities).
/// Returns the reduced loss, or the (N, d1, ...) losses for "none".
/// Throws DTypeError (input not floating, target neither int64 nor floating),
/// ShapeError (target or weight shape), IndexError (a class index outside
/// [0, C) that is not ignore_index, naming it), ValueError (reduction,
/// label_smoothing outside [0, 1], ignore_index set with probabilities).
Tensor cross_entropy(const Tensor& input, const Tensor& target,
                     const CrossEntropyOptions& options = {});

struct NllLossOptions {
  Tensor weight = {};
  int64_t ignore_index = -100;
  std::string reduction = "mean";
};

/// Negative log likelihood: -weight[t] * input[n, t, ...] for class index t.
/// input: log-probabilities (N, C), (N, C, d1, ...) or (C); target: int64 of
/// shape (N), (N, d1, ...) or (). Errors as cross_entropy's.
Tensor nll_loss(const Tensor& input, const Tensor& target, const NllLossOptions& options = {});

/// (input - target)^2. input and target: same shape. Throws ShapeError,
/// DTypeError, ValueError (reduction).
Tensor mse_loss(const Tensor& input, const Tensor& target, const std::string& reduction = "mean");

/// |input - target|. Shapes and errors as mse_loss.
Tensor l1_loss(const Tensor& input, const Tensor& target, const std::string& reduction = "mean");

/// 0.5 d^2 / beta where |d| < beta, else |d| - 0.5 beta (d = input - target);
/// beta = 0 is l1_loss. Throws ValueError for beta < 0; else as mse_loss.
Tensor smooth_l1_loss(const Tensor& input, const Tensor& target,
                      const std::string& reduction = "mean", double beta = 1.0);

/// 0.5 d^2 where |d| < delta, else delta (|d| - 0.5 delta). Throws ValueError
/// for delta <= 0; else as mse_loss.
Tensor huber_loss(const Tensor& input, const Tensor& target, const std::string& reduction = "mean",
                  double delta = 1.0);

/// -weight (t log(x) + (1 - t) log(1 - x)), each log clamped at -100 as
/// PyTorch does (so x = 0 or 1 gives a finite loss and gradient).
/// input (probabilities in [0, 1]) and target: same shape; weight: undefined
/// or broadcastable to input's shape. Throws ValueError for an input value
/// outside [0, 1] (NaN included); else as mse_loss.
Tensor binary_cross_entropy(const Tensor& input, const Tensor& target, const Tensor& weight = {},
                            const std::string& reduction = "mean");

struct BceWithLogitsOptions {
  /// Broadcastable to input's shape, or undefined.
  Tensor weight = {};
  std::string reduction = "mean";
  /// Weight of the positive term, broadcastable to input's shape (usually (C)).
  Tensor pos_weight = {};
};

/// binary_cross_entropy(sigmoid(input), target), computed stably from the
/// logits: (1 - t) x + (1 + (pos_weight - 1) t) softplus(-x), times weight.
/// input and target: same shape. Errors as binary_cross_entropy's shape checks.
Tensor binary_cross_entropy_with_logits(const Tensor& input, const Tensor& target,
                                        const BceWithLogitsOptions& options = {});

/// Kullback-Leibler divergence, pointwise target (log target - input), with
/// 0 where target is 0; with log_target, exp(target) (target - input).
/// input: log-probabilities; target broadcasts with it. "batchmean" divides
/// the sum by input.shape[0] (by 1 for a 0-dim input), the true KL per batch
/// element. Throws ShapeError (not broadcastable), DTypeError, ValueError.
Tensor kl_div(const Tensor& input, const Tensor& target, const std::string& reduction = "mean",
              bool log_target = false);

}  // namespace braid
