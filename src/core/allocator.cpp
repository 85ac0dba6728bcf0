#include "braid/core/allocator.hpp"

#include <cstdlib>
#include <map>
#include <mutex>
#include <new>
#include <vector>

namespace braid::allocator {

namespace {
// Blocks are cached by rounded size: 64-byte steps up to 4 KiB, then
// power-of-two quarter steps, so a freed block serves any request that rounds
// to the same size. Cached bytes are capped so a one-off peak does not pin memory.
constexpr size_t kMaxCached = size_t(2) << 30;

size_t round_size(size_t n) {
  if (n <= 4096) return (n + 63) & ~size_t(63);
  size_t p = 4096;
  while (p < n) p <<= 1;
  size_t q = p >> 2;  // quarter steps between p/2 and p
  size_t r = (n + q - 1) / q * q;
  return r;
}

struct Cache {
  std::mutex mu;
  std::map<size_t, std::vector<void*>> free;
  AllocatorStats st;
};
Cache& cache() {
  static auto* c = new Cache();  // never destroyed: tensors may die during static teardown
  return *c;
}
}  // namespace

void* allocate(size_t nbytes) {
  size_t sz = round_size(nbytes == 0 ? 1 : nbytes);
  Cache& c = cache();
  {
    std::lock_guard<std::mutex> lk(c.mu);
    auto it = c.free.find(sz);
    if (it != c.free.end() && !it->second.empty()) {
      void* p = it->second.back();
      it->second.pop_back();
      c.st.cached_bytes -= static_cast<int64_t>(sz);
      c.st.current_bytes += static_cast<int64_t>(sz);
      if (c.st.current_bytes > c.st.peak_bytes) c.st.peak_bytes = c.st.current_bytes;
      return p;
    }
  }
  void* p = std::aligned_alloc(kAlignment, sz);
  if (!p) {
    empty_cache();
    p = std::aligned_alloc(kAlignment, sz);
    if (!p) throw std::bad_alloc();
  }
  std::lock_guard<std::mutex> lk(c.mu);
  c.st.num_allocs++;
  c.st.current_bytes += static_cast<int64_t>(sz);
  if (c.st.current_bytes > c.st.peak_bytes) c.st.peak_bytes = c.st.current_bytes;
  return p;
}

void deallocate(void* p, size_t nbytes) {
  if (!p) return;
  size_t sz = round_size(nbytes == 0 ? 1 : nbytes);
  Cache& c = cache();
  std::lock_guard<std::mutex> lk(c.mu);
  c.st.current_bytes -= static_cast<int64_t>(sz);
  if (c.st.cached_bytes + static_cast<int64_t>(sz) > static_cast<int64_t>(kMaxCached)) {
    std::free(p);
    return;
  }
  c.free[sz].push_back(p);
  c.st.cached_bytes += static_cast<int64_t>(sz);
}

AllocatorStats stats() {
  Cache& c = cache();
  std::lock_guard<std::mutex> lk(c.mu);
  return c.st;
}

void reset_peak() {
  Cache& c = cache();
  std::lock_guard<std::mutex> lk(c.mu);
  c.st.peak_bytes = c.st.current_bytes;
}

void empty_cache() {
  Cache& c = cache();
  std::lock_guard<std::mutex> lk(c.mu);
  for (auto& [sz, v] : c.free)
    for (void* p : v) std::free(p);
  c.free.clear();
  c.st.cached_bytes = 0;
}

}  // namespace braid::allocator
