#pragma once
/// The default generator: counter-based (Philox4x32-10), so element i of a
/// random tensor depends only on (seed, offset, i) and never on the thread
/// count. Each call advances the offset by the number of values it drew.
#include <cstdint>

namespace braid {

/// Everything that determines a Generator's future draws.
struct GeneratorState {
  uint64_t seed = 0;
  uint64_t offset = 0;
  bool operator==(const GeneratorState&) const = default;
};

class Generator {
 public:
  explicit Generator(uint64_t seed = 0) : seed_(seed) {}
  void manual_seed(uint64_t seed) {
    seed_ = seed;
    offset_ = 0;
  }
  uint64_t seed() const { return seed_; }
  uint64_t offset() const { return offset_; }
  void set_offset(uint64_t offset) { offset_ = offset; }
  /// The state to save (checkpoints); set_state(get_state()) changes nothing.
  GeneratorState get_state() const { return {seed_, offset_}; }
  void set_state(const GeneratorState& s) {
    seed_ = s.seed;
    offset_ = s.offset;
  }
  /// Reserves `n` 128-bit counters and returns the first.
  uint64_t advance(uint64_t n) {
    uint64_t first = offset_;
    offset_ += n;
    return first;
  }

 private:
  uint64_t seed_;
  uint64_t offset_ = 0;
};

/// The one default generator (see DESIGN rule 4).
Generator& default_generator();
/// torch.manual_seed.
void manual_seed(uint64_t seed);

namespace detail {
/// Four 32-bit random words for counter `ctr` under key `seed`.
void philox4x32(uint64_t seed, uint64_t ctr, uint32_t out[4]);
/// Uniform in [0, 1) from 24 (float) or 53 (double) random bits.
inline float u32_to_unit_float(uint32_t x) { return float(x >> 8) * (1.0f / 16777216.0f); }
inline double u64_to_unit_double(uint64_t x) {
  return double(x >> 11) * (1.0 / 9007199254740992.0);
}
}  // namespace detail

}  // namespace braid
