#pragma once
/// Sample inputs for every differentiable op: what the gradcheck suite runs
/// and what `braid ops` reports as "gradcheck sample present". Kept out of
/// the core libraries (braid_testing target), keyed by the registry's names.
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "braid/core/attrs.hpp"
#include "braid/core/tensor.hpp"

namespace braid::testing {

struct OpSample {
  std::string label;           ///< what the case covers: "broadcast", "noncontiguous", ...
  std::vector<Tensor> inputs;  ///< float64 where differentiated; those have requires_grad
  Attrs attrs;
  double atol = 1e-5, rtol = 1e-3;
  /// Also run gradgradcheck on this op (every sample of it but those labelled
  /// "(first order only)"): set it where the backward chains several ops.
  bool gradgrad = false;
};

/// Builds the samples (called fresh each time: tensors are not shared between tests).
using SampleFn = std::function<std::vector<OpSample>()>;
using SampleTable = std::map<std::string, SampleFn, std::less<>>;

/// Every op's sample builder, by op name.
const SampleTable& sample_table();
bool has_samples(std::string_view op);

/// Helpers for writing samples: deterministic float64 inputs (seeded per call).
Tensor sample_randn(const Shape& shape, uint64_t seed, bool requires_grad = true);
/// Values in [lo, hi): for ops with a restricted domain (log, sqrt) or kinks (abs at 0).
Tensor sample_uniform(const Shape& shape, double lo, double hi, uint64_t seed,
                      bool requires_grad = true);
/// A non-contiguous float64 input of `shape` (a transposed view of a larger buffer).
Tensor sample_noncontiguous(const Shape& shape, uint64_t seed);

// One registration function per op family (src/testing/op_samples_<family>.cpp).
void add_elementwise_samples(SampleTable& t);
void add_reduce_samples(SampleTable& t);
void add_linalg_samples(SampleTable& t);
void add_view_samples(SampleTable& t);
void add_index_samples(SampleTable& t);
void add_conv_samples(SampleTable& t);
void add_pool_samples(SampleTable& t);
void add_norm_samples(SampleTable& t);
void add_loss_samples(SampleTable& t);
void add_recurrent_samples(SampleTable& t);

}  // namespace braid::testing
