#pragma once
/// Randomness for the data layer: small counter-based streams on braid's
/// Philox generator (braid/core/rng.hpp), keyed by what they are for, so a
/// shuffle or a random crop depends only on (seed, epoch, index) and never on
/// which thread computes it. See Note [example randomness] in transforms.hpp.
#include <cstdint>
#include <initializer_list>
#include <vector>

namespace braid::data {

class DataRng {
 public:
  /// The stream named by `seed` and `stream` (e.g. {epoch, example index}).
  /// Different names give independent streams.
  DataRng(uint64_t seed, std::initializer_list<uint64_t> stream);
  uint64_t next_u64();
  /// Uniform in [0, 1), 53 random bits.
  double uniform();
  /// Uniform integer in [lo, hi); requires lo < hi.
  int64_t randint(int64_t lo, int64_t hi);

 private:
  uint64_t key_;
  uint64_t ctr_ = 0;
  uint32_t buf_[4] = {};
  int avail_ = 0;  // unused 32-bit words left in buf_
};

/// A uniformly random permutation of 0..n-1 (Fisher-Yates).
std::vector<int64_t> randperm(int64_t n, DataRng& rng);

}  // namespace braid::data
