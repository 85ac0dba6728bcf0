#pragma once
/// Walking the elements of a strided tensor in row-major order.
#include <cstdint>

#include "braid/core/dtype.hpp"
#include "braid/core/shape.hpp"

namespace braid::detail {

/// Calls fn(element_offset) for every index of `shape`, row-major.
template <class F>
void for_each_offset(const Shape& shape, const Shape& strides, int64_t base, const F& fn) {
  int64_t n = numel_of(shape);
  if (n == 0) return;
  size_t rank = shape.size();
  if (rank == 0) {
    fn(base);
    return;
  }
  int64_t idx[16] = {0};
  int64_t off = base;
  int64_t inner = shape[rank - 1], inner_st = strides[rank - 1];
  for (int64_t done = 0; done < n; done += inner) {
    for (int64_t i = 0; i < inner; ++i) fn(off + i * inner_st);
    for (size_t d = rank - 1; d-- > 0;) {  // carry into the outer dims
      if (++idx[d] < shape[d]) {
        off += strides[d];
        break;
      }
      off -= (shape[d] - 1) * strides[d];
      idx[d] = 0;
    }
  }
}

/// One element of dtype `dt` at `p`, as double.
double load_as_double(const void* p, DType dt);
/// Stores `v` converted to dtype `dt` at `p`.
void store_from_double(void* p, DType dt, double v);

}  // namespace braid::detail
