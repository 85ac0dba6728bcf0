#pragma once
/// The intra-op thread count. braid's kernels and oneDNN share one OpenMP
/// runtime (DESIGN rule 7), so this is the only pool.
#include <cstdint>

namespace braid {

void set_num_threads(int n);
int get_num_threads();

/// Runs fn(begin, end) over [0, n) in chunks of at least `grain`, in parallel
/// when n is large enough. Chunk boundaries do not depend on the thread count,
/// so a per-chunk computation is reproducible. See Note [deterministic reductions].
template <class F>
void parallel_for(int64_t n, int64_t grain, const F& fn) {
  if (n <= 0) return;
  if (grain < 1) grain = 1;
  int64_t chunks = (n + grain - 1) / grain;
  if (chunks <= 1) {
    fn(int64_t{0}, n);
    return;
  }
#pragma omp parallel for schedule(static)
  for (int64_t c = 0; c < chunks; ++c) {
    int64_t b = c * grain, e = b + grain < n ? b + grain : n;
    fn(b, e);
  }
}

}  // namespace braid
