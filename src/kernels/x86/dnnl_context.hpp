// What every oneDNN kernel of braid shares: one CPU engine, one stream per
// thread, and a scope that sets the OpenMP thread count oneDNN reads.
#pragma once

#include <dnnl.hpp>

namespace braid::kernels {

/// The CPU engine all of braid's oneDNN primitives and memories use.
dnnl::engine& dnnl_engine();
/// This thread's stream on dnnl_engine().
dnnl::stream& dnnl_stream();

/// oneDNN takes its thread count from omp_get_max_threads(): when a primitive
/// is created (its partition) and when sgemm runs. This sets it for the
/// calling thread until the scope ends.
class ScopedThreads {
 public:
  explicit ScopedThreads(int n);
  ~ScopedThreads();
  ScopedThreads(const ScopedThreads&) = delete;
  ScopedThreads& operator=(const ScopedThreads&) = delete;

 private:
  int saved_;
};

}  // namespace braid::kernels
