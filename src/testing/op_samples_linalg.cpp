// Gradcheck samples for matmul, linear, bmm and outer: plain, batched,
// broadcast batch dims, the 1-D promotions, and non-contiguous operands.
#include "braid/braid.hpp"
#include "braid/testing/op_samples.hpp"

namespace braid::testing {
namespace {

OpSample two(std::string label, Tensor a, Tensor b) {
  return OpSample{std::move(label), {std::move(a), std::move(b)}, {}};
}

// A 1-D input read with stride 2 (every other element of a larger buffer).
Tensor strided_vector(int64_t n, uint64_t seed) {
  Tensor t = sample_randn({2 * n}, seed, false).slice(0, 0, 2 * n, 2).detach();
  t.requires_grad_();
  return t;
}

std::vector<OpSample> matmul_samples() {
  return {
      two("2d", sample_randn({3, 4}, 1), sample_randn({4, 5}, 2)),
      two("batched", sample_randn({2, 3, 4}, 3), sample_randn({2, 4, 5}, 4)),
      two("broadcast_batch_a", sample_randn({1, 3, 4}, 5), sample_randn({2, 4, 2}, 6)),
      two("broadcast_batch_4d", sample_randn({2, 1, 3, 4}, 7), sample_randn({3, 4, 2}, 8)),
      two("batched_times_matrix", sample_randn({2, 3, 4}, 9), sample_randn({4, 2}, 10)),
      two("dot", sample_randn({4}, 11), sample_randn({4}, 12)),
      two("vector_left", sample_randn({4}, 13), sample_randn({2, 4, 3}, 14)),
      two("vector_right", sample_randn({2, 3, 4}, 15), sample_randn({4}, 16)),
      two("noncontiguous", sample_noncontiguous({3, 4}, 17), sample_noncontiguous({2, 4, 5}, 18)),
      two("strided_vector", strided_vector(4, 19), sample_noncontiguous({4, 3}, 20)),
  };
}

std::vector<OpSample> linear_samples() {
  return {
      OpSample{
          "bias", {sample_randn({3, 4}, 21), sample_randn({5, 4}, 22), sample_randn({5}, 23)}, {}},
      OpSample{"no_bias", {sample_randn({3, 4}, 24), sample_randn({5, 4}, 25), Tensor()}, {}},
      OpSample{"3d_input",
               {sample_randn({2, 3, 4}, 26), sample_randn({5, 4}, 27), sample_randn({5}, 28)},
               {}},
      OpSample{
          "1d_input", {sample_randn({4}, 29), sample_randn({5, 4}, 30), sample_randn({5}, 31)}, {}},
      OpSample{"noncontiguous",
               {sample_noncontiguous({3, 4}, 32), sample_noncontiguous({5, 4}, 33), Tensor()},
               {}},
  };
}

std::vector<OpSample> linear_forward_samples() {
  return {
      OpSample{
          "plain", {sample_randn({3, 4}, 61), sample_randn({5, 4}, 62), sample_randn({5}, 63)}, {}},
      OpSample{"noncontiguous",
               {sample_noncontiguous({3, 4}, 64), sample_noncontiguous({5, 4}, 65),
                sample_randn({5}, 66)},
               {}},
  };
}

std::vector<OpSample> bmm_samples() {
  return {
      two("plain", sample_randn({2, 3, 4}, 41), sample_randn({2, 4, 5}, 42)),
      two("noncontiguous", sample_noncontiguous({3, 2, 4}, 43), sample_randn({3, 4, 2}, 44)),
  };
}

std::vector<OpSample> outer_samples() {
  return {
      two("plain", sample_randn({3}, 51), sample_randn({4}, 52)),
      two("strided", strided_vector(3, 53), sample_randn({2}, 54)),
  };
}

}  // namespace

void add_linalg_samples(SampleTable& t) {
  t["matmul"] = matmul_samples;
  t["linear"] = linear_samples;
  t["linear_forward"] = linear_forward_samples;
  t["bmm"] = bmm_samples;
  t["outer"] = outer_samples;
}

}  // namespace braid::testing
