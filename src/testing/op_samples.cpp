#include "braid/testing/op_samples.hpp"

#include "braid/braid.hpp"

namespace braid::testing {

const SampleTable& sample_table() {
  static const SampleTable t = [] {
    SampleTable s;
    add_elementwise_samples(s);
    add_reduce_samples(s);
    add_linalg_samples(s);
    add_view_samples(s);
    add_index_samples(s);
    add_conv_samples(s);
    add_pool_samples(s);
    add_norm_samples(s);
    add_loss_samples(s);
    add_recurrent_samples(s);
    return s;
  }();
  return t;
}

bool has_samples(std::string_view op) { return sample_table().count(op) > 0; }

Tensor sample_randn(const Shape& shape, uint64_t seed, bool requires_grad) {
  manual_seed(seed);
  Tensor t = randn(shape, DType::Float64);
  if (requires_grad) t.requires_grad_();
  return t;
}

Tensor sample_uniform(const Shape& shape, double lo, double hi, uint64_t seed, bool requires_grad) {
  manual_seed(seed);
  Tensor t = (rand(shape, DType::Float64) * (hi - lo) + lo).detach();
  if (requires_grad) t.requires_grad_();
  return t;
}

Tensor sample_noncontiguous(const Shape& shape, uint64_t seed) {
  BRAID_CHECK(shape.size() >= 2, ValueError, "sample_noncontiguous", "needs at least 2 dims");
  Shape swapped = shape;
  std::swap(swapped[swapped.size() - 1], swapped[swapped.size() - 2]);
  manual_seed(seed);
  Tensor base = randn(swapped, DType::Float64);
  Tensor t = transpose(base, -1, -2);
  t.requires_grad_();
  return t;
}

}  // namespace braid::testing
