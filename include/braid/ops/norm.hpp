#pragma once
/// Network ops: the norm family -- normalisation (src/ops/norm.cpp), dropout,
/// embedding and one_hot (src/ops/dropout_embedding.cpp). See op_list.def.
/// PyTorch 1.13 semantics (torch.nn.functional).
#include <optional>
#include <vector>

#include "braid/core/tensor.hpp"

namespace braid {

// -- normalisation ---------------------------------------------------------------

/// The statistics and outputs of one batch-norm step; see native_batch_norm.
struct BatchNormOutputs {
  Tensor output;        ///< x's shape
  Tensor save_mean;     ///< (C): the mean y was normalised with
  Tensor save_invstd;   ///< (C): 1 / sqrt(var + eps) y was normalised with
  Tensor running_mean;  ///< (C): the updated running mean (training), else the given one
  Tensor running_var;   ///< (C): the updated running var (training), else the given one
};

/// Batch norm as a pure function (Note [functional batch norm] in src/ops/norm.cpp):
/// nothing is written in place; the new running statistics are returned.
/// x: (N, C, *); weight, bias, running_mean, running_var: (C), all defined,
/// all of x's dtype. Training: batch mean and biased variance; running
/// statistics = (1 - momentum) * running + momentum * batch statistic (unbiased
/// variance). Eval: the running statistics. Throws ShapeError, DTypeError,
/// ValueError (running statistics that require grad).
BatchNormOutputs native_batch_norm(const Tensor& x, const Tensor& weight, const Tensor& bias,
                                   const Tensor& running_mean, const Tensor& running_var,
                                   bool training, double momentum, double eps);

struct BatchNormGrads {
  Tensor grad_input, grad_weight, grad_bias;
};

/// native_batch_norm's gradient as one fused kernel (Note [batch norm
/// backward] in src/ops/norm.cpp); its vjp calls this when no graph is
/// recorded. grad_out, x: (N, C, *); weight, save_mean, save_invstd (as
/// native_batch_norm returned them), grad_shift, grad_scale: (C), the
/// gradient's per-channel terms from native_batch_norm's (C) outputs
/// (training only; zeros when only the output has a gradient). Not
/// differentiable. Throws ShapeError, DTypeError.
BatchNormGrads native_batch_norm_backward(const Tensor& grad_out, const Tensor& x,
                                          const Tensor& weight, const Tensor& save_mean,
                                          const Tensor& save_invstd, const Tensor& grad_shift,
                                          const Tensor& grad_scale, bool training);

struct BatchNormOptions {
  bool training = false;
  double momentum = 0.1;
  double eps = 1e-5;
};

/// torch.nn.functional.batch_norm. x: (N, C, *); running_mean, running_var,
/// weight, bias: (C) or undefined. Training normalises with the batch mean and
/// biased variance and, where running statistics are given, updates them in
/// place (bumping their version counters, recording no autograd):
/// running = (1 - momentum) * running + momentum * batch statistic, with the
/// unbiased variance. Eval normalises with the running statistics.
/// Throws ShapeError (x not (N, C, *), a parameter not (C)), DTypeError,
/// ValueError (eval without running statistics; training with one value per
/// channel; running statistics that require grad).
Tensor batch_norm(const Tensor& x, const Tensor& running_mean, const Tensor& running_var,
                  const Tensor& weight = {}, const Tensor& bias = {},
                  BatchNormOptions options = {});

/// torch.nn.functional.layer_norm: normalises over the trailing dims given by
/// normalized_shape (mean and biased variance), then y * weight + bias.
/// x: (*, *normalized_shape); weight, bias: normalized_shape or undefined.
/// Throws ShapeError, DTypeError, ValueError (empty normalized_shape).
Tensor layer_norm(const Tensor& x, std::vector<int64_t> normalized_shape, const Tensor& weight = {},
                  const Tensor& bias = {}, double eps = 1e-5);

/// torch.nn.functional.group_norm: the C channels in num_groups groups, each
/// (sample, group) normalised over its channels and spatial positions; then a
/// per-channel weight and bias. x: (N, C, *); weight, bias: (C) or undefined.
/// Throws ShapeError, DTypeError, ValueError (C not divisible by num_groups).
Tensor group_norm(const Tensor& x, int64_t num_groups, const Tensor& weight = {},
                  const Tensor& bias = {}, double eps = 1e-5);

struct InstanceNormOptions {
  bool use_input_stats = true;
  double momentum = 0.1;
  double eps = 1e-5;
};

/// torch.nn.functional.instance_norm: each (sample, channel) normalised over
/// its spatial positions (use_input_stats), or with the running statistics.
/// With use_input_stats the running statistics, where given, are updated in
/// place with the mean over the samples of each sample's update.
/// x: (N, C, *); running_mean, running_var, weight, bias: (C) or undefined.
/// Throws ShapeError, DTypeError, ValueError (running statistics missing
/// without use_input_stats; one spatial element with use_input_stats).
Tensor instance_norm(const Tensor& x, const Tensor& running_mean = {},
                     const Tensor& running_var = {}, const Tensor& weight = {},
                     const Tensor& bias = {}, InstanceNormOptions options = {});

// -- dropout, embedding, one_hot ----------------------------------------------------

/// torch.nn.functional.dropout (inverted): in training, each element is zeroed
/// with probability p and the others scaled by 1 / (1 - p); the mask comes from
/// the default generator (same seed, same mask, whatever the thread count).
/// p = 0 or eval returns x itself; p = 1 returns x * 0. x: any floating shape.
/// Throws ValueError (p outside [0, 1]), DTypeError (x not floating).
Tensor dropout(const Tensor& x, double p = 0.5, bool training = true);

/// The rows of weight picked by indices (torch.embedding's argument order).
/// weight: (num_embeddings, embedding_dim); indices: int32/int64 of any shape
/// -> (*indices.shape, embedding_dim). The rows picked by padding_idx (may be
/// negative, counted from the end) get no gradient.
/// Throws ShapeError, DTypeError, IndexError (an index out of range, named
/// with its position), ValueError (padding_idx out of range).
Tensor embedding(const Tensor& weight, const Tensor& indices,
                 std::optional<int64_t> padding_idx = std::nullopt);

/// torch.nn.functional.one_hot: int64 (*indices.shape, num_classes) with a 1
/// at each index. num_classes = -1 takes max(indices) + 1. indices: int32/int64.
/// Not differentiable. Throws DTypeError, IndexError (an index negative or
/// >= num_classes), ValueError (num_classes = -1 on an empty tensor, < -1).
Tensor one_hot(const Tensor& indices, int64_t num_classes = -1);

}  // namespace braid
