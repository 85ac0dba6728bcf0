#pragma once
// Internal helpers shared by reduce.cpp and reduce_composite.cpp.
#include <string_view>
#include <vector>

#include "braid/core/attrs.hpp"
#include "braid/core/tensor.hpp"

namespace braid::detail {

/// The `dims` (wrapped, sorted, checked for duplicates) and `keepdim` attributes.
struct RedDims {
  std::vector<int64_t> dims;
  bool keepdim = false;
};
RedDims red_dims(std::string_view op, const Attrs& a, int64_t rank);

/// `g` (a reduced result, keepdim or not) reshaped to `in_shape` with the
/// reduced dims as size 1, so it broadcasts against the input.
Tensor keep_shape(const Tensor& g, const Shape& in_shape, const std::vector<int64_t>& dims);

/// Number of elements in each reduced block.
int64_t reduced_numel(const Shape& shape, const std::vector<int64_t>& dims);

/// Gradient of prod over `dims` (g keep-shaped); see Note [prod backward].
Tensor prod_backward(const Tensor& x, const Tensor& g, const std::vector<int64_t>& dims);

}  // namespace braid::detail
