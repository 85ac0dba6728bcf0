#include "braid/data/random.hpp"

#include <numeric>

#include "braid/core/error.hpp"
#include "braid/core/rng.hpp"

namespace braid::data {
namespace {
// splitmix64's finaliser: a bijective mix, so distinct names give distinct keys.
uint64_t mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}
}  // namespace

DataRng::DataRng(uint64_t seed, std::initializer_list<uint64_t> stream) : key_(mix(seed)) {
  for (uint64_t s : stream) key_ = mix(key_ ^ mix(s));
}

uint64_t DataRng::next_u64() {
  if (avail_ < 2) {
    braid::detail::philox4x32(key_, ctr_++, buf_);
    avail_ = 4;
  }
  uint64_t hi = buf_[4 - avail_], lo = buf_[5 - avail_];
  avail_ -= 2;
  return (hi << 32) | lo;
}

double DataRng::uniform() { return braid::detail::u64_to_unit_double(next_u64()); }

int64_t DataRng::randint(int64_t lo, int64_t hi) {
  BRAID_ASSERT(lo < hi);
  // Lemire's multiply-shift: the bias is below range / 2^64, far below anything observable.
  auto range = static_cast<unsigned __int128>(static_cast<uint64_t>(hi - lo));
  return lo + static_cast<int64_t>((range * next_u64()) >> 64);
}

std::vector<int64_t> randperm(int64_t n, DataRng& rng) {
  std::vector<int64_t> p(static_cast<size_t>(n));
  std::iota(p.begin(), p.end(), int64_t{0});
  for (int64_t i = n - 1; i > 0; --i) std::swap(p[i], p[rng.randint(0, i + 1)]);
  return p;
}

}  // namespace braid::data
