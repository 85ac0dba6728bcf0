// Philox4x32-10 for many consecutive counters at once (core's random
// streams; Note [counter-based random] in ops/factory.cpp).
#pragma once

#include <cstdint>

namespace braid::detail {

/// out[4 * c + k] = word k of philox4x32(seed, first + c), c in [0, n): the
/// same words as n calls of philox4x32, computed 16 counters at a time so
/// that the multiplies run in vector registers.
void philox4x32_many(uint64_t seed, uint64_t first, int64_t n, uint32_t* out);

}  // namespace braid::detail
