#pragma once
/// Gradient clipping (torch.nn.utils.clip_grad_norm_ / clip_grad_value_).
/// Parameters without a gradient are skipped. Both run without recording.
#include <vector>

#include "braid/core/tensor.hpp"

namespace braid::optim {

/// Scales all gradients together so that their joint norm is at most
/// `max_norm` (by max_norm / (norm + 1e-6), as PyTorch) and returns the norm
/// before clipping. norm_type: any p > 0, or INFINITY for the largest |g|.
/// The norm is accumulated in double precision, in a fixed order.
/// Throws ValueError for norm_type <= 0, max_norm < 0, or a NaN/Inf norm
/// when error_if_nonfinite (then no gradient is changed).
double clip_grad_norm_(const std::vector<Tensor>& params, double max_norm, double norm_type = 2.0,
                       bool error_if_nonfinite = false);

/// Clamps every gradient element into [-clip_value, clip_value].
/// Throws ValueError for clip_value < 0.
void clip_grad_value_(const std::vector<Tensor>& params, double clip_value);

}  // namespace braid::optim
