#pragma once
// Reduction kernels: sum/mean, prod, max/min (values, indices), all/any, cumsum.
// `dims` are wrapped, sorted and unique; `out` is contiguous with `in`'s shape
// minus those dims (or with them kept as 1: the layout is the same). `in` may
// have any strides.
//
// Note [deterministic reductions]: every output element is computed by one
// fixed sequence of operations that does not depend on the thread count.
// Threads split the outputs; a single long contiguous row (a full sum) is cut
// into fixed chunks of kSumChunk elements whose partial sums are added in chunk
// order, whether one thread or several computed them.
//
// Note [sum accumulation]: float32 and float64 sums accumulate in double;
// a contiguous run is summed in 16 interleaved lanes (vectorisable, and each
// lane sees 1/16 of the terms), the lanes are combined pairwise, and the
// chunk partials sequentially. This is at least as accurate as PyTorch's
// cascade sum in float32. Integer sums accumulate in int64.
// max/min are exact, so their lanes and chunks change nothing but speed.
#include <cstdint>
#include <vector>

#include "braid/core/tensor.hpp"

namespace braid::kernels {

inline constexpr int64_t kSumChunk = 8192;

/// out = sum (or mean when `mean`) of in over dims. in and out have the same
/// dtype: float32, float64 or int64 (mean: float only). Mean of nothing is NaN.
void sum(const Tensor& out, const Tensor& in, const std::vector<int64_t>& dims, bool mean);

/// out = product over dims; same dtypes as sum. Float32 accumulates in double.
void prod(const Tensor& out, const Tensor& in, const std::vector<int64_t>& dims);

enum class Extreme { Max, Min };
/// amax/amin: out has in's dtype (any but float16/bfloat16). A NaN anywhere in
/// a reduced block makes that output NaN. The block must not be empty.
void extreme(Extreme op, const Tensor& out, const Tensor& in, const std::vector<int64_t>& dims);

/// max/min with the position of the first extreme inside the reduced block,
/// counted row-major over the reduced dims (so over all dims it is the index
/// into the flattened tensor). The first NaN wins. `values` may be undefined.
void arg_extreme(Extreme op, const Tensor& values, const Tensor& indices, const Tensor& in,
                 const std::vector<int64_t>& dims);

enum class Logical { All, Any };
/// all/any of (x != 0); out is bool; in any dtype but float16/bfloat16.
void logical(Logical op, const Tensor& out, const Tensor& in, const std::vector<int64_t>& dims);

/// Inclusive prefix sum along `dim`; in and out float32, float64 or int64.
/// Floats accumulate in double (as PyTorch's CPU kernel does).
void cumsum(const Tensor& out, const Tensor& in, int64_t dim);

}  // namespace braid::kernels
