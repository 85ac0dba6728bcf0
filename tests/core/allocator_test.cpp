// The caching allocator: 64-byte alignment, current/peak bytes that follow
// tensors as they are made and freed, and reuse of freed blocks.
#include <gtest/gtest.h>

#include <cstdint>

#include "braid/braid.hpp"

namespace braid {
namespace {

TEST(Allocator, BuffersAre64ByteAligned) {
  for (int64_t n : {1, 3, 17, 100, 1000, 5000, 100000}) {
    Tensor t = empty({n}, DType::UInt8);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(t.raw_data()) % allocator::kAlignment, 0u) << n;
    void* p = allocator::allocate(static_cast<size_t>(n));
    EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % 64, 0u) << n;
    allocator::deallocate(p, static_cast<size_t>(n));
  }
}

TEST(Allocator, CurrentAndPeakFollowTensors) {
  allocator::reset_peak();
  AllocatorStats s0 = allocator::stats();
  EXPECT_EQ(s0.peak_bytes, s0.current_bytes);
  {
    Tensor a = empty({1024}, DType::Float32);  // 4 KiB
    AllocatorStats s1 = allocator::stats();
    EXPECT_EQ(s1.current_bytes - s0.current_bytes, 4096);
    {
      Tensor b = empty({2048}, DType::Float64);  // 16 KiB
      Tensor view = b.reshape({2, 1024}).t();    // views add nothing
      AllocatorStats s2 = allocator::stats();
      EXPECT_EQ(s2.current_bytes - s0.current_bytes, 4096 + 16384);
      EXPECT_EQ(s2.peak_bytes, s2.current_bytes);
    }
    AllocatorStats s3 = allocator::stats();
    EXPECT_EQ(s3.current_bytes - s0.current_bytes, 4096);
    EXPECT_EQ(s3.peak_bytes - s0.current_bytes, 4096 + 16384);  // the peak stays
  }
  AllocatorStats s4 = allocator::stats();
  EXPECT_EQ(s4.current_bytes, s0.current_bytes);
  allocator::reset_peak();
  EXPECT_EQ(allocator::stats().peak_bytes, s4.current_bytes);
}

TEST(Allocator, FreedBlocksAreReused) {
  allocator::empty_cache();
  EXPECT_EQ(allocator::stats().cached_bytes, 0);
  void* first = nullptr;
  {
    Tensor t = empty({3000}, DType::Float32);
    first = t.raw_data();
  }
  AllocatorStats after_free = allocator::stats();
  EXPECT_GE(after_free.cached_bytes, 12000);
  Tensor again = empty({3000}, DType::Float32);  // same size class: served from the cache
  EXPECT_EQ(again.raw_data(), first);
  EXPECT_EQ(allocator::stats().num_allocs, after_free.num_allocs);
  allocator::empty_cache();
  EXPECT_EQ(allocator::stats().cached_bytes, 0);
}

TEST(Allocator, BorrowedBuffersAreNotCounted) {
  float buf[16] = {};
  int64_t before = allocator::stats().current_bytes;
  Tensor t = from_blob(buf, {16}, DType::Float32);
  EXPECT_EQ(allocator::stats().current_bytes, before);
}

}  // namespace
}  // namespace braid
