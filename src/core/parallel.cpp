#include "braid/core/parallel.hpp"

#include <omp.h>

#include "braid/core/error.hpp"

namespace braid {

void set_num_threads(int n) {
  BRAID_CHECK(n >= 1, ValueError, "set_num_threads", "thread count must be >= 1; got {}", n);
  omp_set_num_threads(n);
}

int get_num_threads() { return omp_get_max_threads(); }

}  // namespace braid
