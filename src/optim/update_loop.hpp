#pragma once
// The fused per-parameter loops of the built-in optimizers share this: run
// body(begin, end) over a parameter's elements, split over the thread pool
// only for big tensors. Each element's update reads and writes that element
// alone, so the split never changes a result (DESIGN rule 3).
#include <cstdint>

#include "braid/core/parallel.hpp"
#include "braid/core/tensor.hpp"

namespace braid::optim::detail {

inline constexpr int64_t kUpdateGrain = int64_t{1} << 15;

template <class F>
void for_elements(int64_t n, const F& body) {
  parallel_for(n, kUpdateGrain, body);
}

/// Option checks: `what` must be >= 0 (NaN fails too).
inline void check_nonneg(const char* op, const char* what, double v) {
  BRAID_CHECK(v >= 0, ValueError, op, "{} must be >= 0; got {}", what, v);
}

}  // namespace braid::optim::detail
