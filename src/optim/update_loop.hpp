#pragma once
// What the fused per-parameter loops of the built-in optimizers share.
//
// Note [fused update loops]
// Each optimizer updates one parameter in one pass over contiguous buffers
// (parameter, gradient, state), in the element type (float or double), with
// PyTorch's operation order so results match it to rounding. The options
// that branch (weight decay on/off, amsgrad, centered, ...) are template
// flags, so every instantiation is a straight loop that g++ vectorises (the
// layer builds with -fno-math-errno for sqrt). Big parameters are split over
// the thread pool; each element's update reads and writes that element
// alone, so the split never changes a result (DESIGN rule 3).
#include <cstdint>
#include <type_traits>

#include "braid/core/error.hpp"
#include "braid/core/parallel.hpp"

namespace braid::optim::detail {

inline constexpr int64_t kUpdateGrain = int64_t{1} << 17;

template <class F>
void for_elements(int64_t n, const F& body) {
  parallel_for(n, kUpdateGrain, body);
}

/// Calls f(std::bool_constant<b>{}): turns a runtime option into a template flag.
template <class F>
void with_flag(bool b, const F& f) {
  if (b)
    f(std::true_type{});
  else
    f(std::false_type{});
}

/// Option checks: `what` must be >= 0 (NaN fails too).
inline void check_nonneg(const char* op, const char* what, double v) {
  BRAID_CHECK(v >= 0, ValueError, op, "{} must be >= 0; got {}", what, v);
}

}  // namespace braid::optim::detail
