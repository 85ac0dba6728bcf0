#pragma once
// Element copies: dst[i] = cast(src[i]), src broadcast to dst's shape, any strides.
#include "braid/core/tensor.hpp"

namespace braid::kernels {

/// dst and src may have any dtypes, strides and (broadcastable) shapes.
void copy(const Tensor& dst, const Tensor& src);
/// Fills every element of dst with v.
void fill(const Tensor& dst, Scalar v);

}  // namespace braid::kernels
