#pragma once
/// The caching allocator: 64-byte aligned blocks, reused by size class so a
/// training step does not call malloc once it is warm.
#include <cstddef>
#include <cstdint>

namespace braid {

struct AllocatorStats {
  int64_t current_bytes = 0;  ///< bytes held by live tensors
  int64_t peak_bytes = 0;     ///< max of current_bytes since start or reset_peak
  int64_t cached_bytes = 0;   ///< bytes kept for reuse, not handed out
  int64_t num_allocs = 0;     ///< calls that reached the system allocator
};

namespace allocator {
void* allocate(size_t nbytes);
void deallocate(void* p, size_t nbytes);
AllocatorStats stats();
void reset_peak();
/// Returns every cached block to the system.
void empty_cache();
inline constexpr size_t kAlignment = 64;
}  // namespace allocator

}  // namespace braid
