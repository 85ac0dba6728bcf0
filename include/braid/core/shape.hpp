#pragma once
/// Shapes, strides and the dimension helpers every op front function uses.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace braid {

using Shape = std::vector<int64_t>;

int64_t numel_of(const Shape& shape);
/// Row-major strides for `shape`, in elements.
Shape contiguous_strides(const Shape& shape);
/// "(2, 3)"; "()" for a scalar.
std::string shape_str(const Shape& shape);

/// NumPy broadcasting of two shapes. Throws ShapeError naming `op`.
Shape broadcast_shapes(std::string_view op, const Shape& a, const Shape& b);

/// Wraps a negative dim (-1 = last). Throws IndexError naming `op` and the valid range.
int64_t wrap_dim(std::string_view op, int64_t dim, int64_t rank);
/// Wraps and de-duplicates a list of dims; empty means "all dims" when `empty_is_all`.
std::vector<int64_t> wrap_dims(std::string_view op, const std::vector<int64_t>& dims, int64_t rank,
                               bool empty_is_all = true);

}  // namespace braid
