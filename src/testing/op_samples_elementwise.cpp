// Gradcheck samples for the unary, binary and copy ops (src/ops/unary.cpp,
// binary.cpp, copy.cpp). Inputs sit away from kinks (abs, relu, clamp bounds,
// softplus threshold) and inside domains (log, sqrt, pow base > 0), so central
// differences with eps = 1e-6 see a smooth function.
#include "braid/braid.hpp"
#include "braid/testing/op_samples.hpp"

namespace braid::testing {

namespace {
using Samples = std::vector<OpSample>;

// A fresh leaf (no history) that requires grad.
Tensor leaf(const Tensor& t) {
  Tensor r = t.detach();
  r.requires_grad_();
  return r;
}

// randn values pushed at least 0.25 away from zero: for ops with a kink or a
// pole at 0 (abs, relu, sign, reciprocal).
Tensor away_from_zero(const Shape& shape, uint64_t seed) {
  NoGradGuard ng;
  Tensor x = sample_randn(shape, seed, false);
  return leaf(x + sign(x) * 0.25);
}

// Non-contiguous (transposed) leaf with values in [lo, hi).
Tensor noncontiguous_uniform(const Shape& shape, double lo, double hi, uint64_t seed) {
  Shape swapped = shape;
  std::swap(swapped[swapped.size() - 1], swapped[swapped.size() - 2]);
  return leaf(transpose(sample_uniform(swapped, lo, hi, seed, false), -1, -2));
}

Tensor noncontiguous_away_from_zero(const Shape& shape, uint64_t seed) {
  Shape swapped = shape;
  std::swap(swapped[swapped.size() - 1], swapped[swapped.size() - 2]);
  return leaf(transpose(away_from_zero(swapped, seed), -1, -2));
}

// A number written in a call, as the scalar operators pass it.
Tensor wrapped(double v) { return scalar_tensor(v, DType::Float64, /*wrapped=*/true); }

// Unary samples over a value range [lo, hi): 1-D, 2-D, 0-dim and a
// non-contiguous input.
Samples unary_range(double lo, double hi, Attrs attrs = {}) {
  return {{"1d", {sample_uniform({7}, lo, hi, 1)}, attrs},
          {"2d", {sample_uniform({3, 4}, lo, hi, 2)}, attrs},
          {"0dim", {sample_uniform({}, lo, hi, 3)}, attrs},
          {"noncontiguous", {noncontiguous_uniform({3, 4}, lo, hi, 4)}, attrs}};
}

// Unary samples for ops with a kink or pole at zero.
Samples unary_away_from_zero(Attrs attrs = {}) {
  return {{"1d", {away_from_zero({7}, 11)}, attrs},
          {"2d", {away_from_zero({3, 4}, 12)}, attrs},
          {"0dim", {away_from_zero({}, 13)}, attrs},
          {"noncontiguous", {noncontiguous_away_from_zero({3, 4}, 14)}, attrs}};
}

// Binary samples: same shape, broadcasting both ways, a 0-dim operand, a
// non-contiguous operand, and a number written in the call.
Samples binary_samples(double lo_b = -2, double hi_b = 2, Attrs attrs = {}) {
  auto b = [&](const Shape& s, uint64_t seed) { return sample_uniform(s, lo_b, hi_b, seed); };
  return {
      {"same_shape", {sample_randn({2, 3}, 21), b({2, 3}, 22)}, attrs},
      {"broadcast_rhs_1d", {sample_randn({2, 3}, 23), b({3}, 24)}, attrs},
      {"broadcast_both", {sample_randn({4, 1, 3}, 25), b({2, 1}, 26)}, attrs},
      {"broadcast_lhs", {sample_randn({3, 1}, 27), b({2, 3, 4}, 28)}, attrs},
      {"0dim_rhs", {sample_randn({2, 3}, 29), b({}, 30)}, attrs},
      {"noncontiguous",
       {sample_noncontiguous({3, 4}, 31), noncontiguous_uniform({3, 4}, lo_b, hi_b, 32)},
       attrs},
      {"wrapped_number", {sample_randn({2, 3}, 33), wrapped(lo_b + 0.7 * (hi_b - lo_b))}, attrs}};
}

void add_unary(SampleTable& t) {
  t["neg"] = [] { return unary_range(-2, 2); };
  t["abs"] = [] { return unary_away_from_zero(); };
  t["sign"] = [] { return unary_away_from_zero(); };
  t["exp"] = [] { return unary_range(-2, 2); };
  t["log"] = [] { return unary_range(0.2, 3); };
  t["log1p"] = [] { return unary_range(-0.7, 3); };
  t["expm1"] = [] { return unary_range(-2, 2); };
  t["sqrt"] = [] { return unary_range(0.2, 3); };
  t["rsqrt"] = [] { return unary_range(0.3, 3); };
  t["square"] = [] { return unary_range(-2, 2); };
  t["sin"] = [] { return unary_range(-3, 3); };
  t["cos"] = [] { return unary_range(-3, 3); };
  t["tanh"] = [] { return unary_range(-2, 2); };
  t["sigmoid"] = [] { return unary_range(-3, 3); };
  t["relu"] = [] { return unary_away_from_zero(); };
  t["relu_backward"] = [] {
    // y is only a mask (no gradient of its own), away from its kink at 0.
    auto mask = [](const Shape& shape, uint64_t seed) {
      return away_from_zero(shape, seed).detach();
    };
    return Samples{
        {"2d", {sample_randn({3, 4}, 24), mask({3, 4}, 25)}, {}, 1e-5, 1e-3, true},
        {"0dim", {sample_randn({}, 26), mask({}, 27)}, {}, 1e-5, 1e-3, true},
        {"noncontiguous_grad", {noncontiguous_uniform({3, 4}, -2, 2, 28), mask({3, 4}, 29)}}};
  };
  t["leaky_relu"] = [] {
    Samples s = unary_away_from_zero({{"negative_slope", 0.01}});
    s.push_back({"slope_0.3", {away_from_zero({2, 5}, 15)}, {{"negative_slope", 0.3}}});
    return s;
  };
  t["elu"] = [] {
    Samples s = unary_away_from_zero({{"alpha", 1.0}});
    s.push_back({"alpha_0.5", {away_from_zero({2, 5}, 16)}, {{"alpha", 0.5}}});
    return s;
  };
  t["rescale"] = [] {
    Samples s = unary_range(-2, 2, {{"scale", 0.5}, {"offset", -1.5}});
    s.push_back({"negative_scale", {sample_randn({2, 3}, 19)}, {{"scale", -3.0}, {"offset", 0.0}}});
    return s;
  };
  t["gelu"] = [] {
    Samples s = unary_range(-3, 3, {{"approximate", std::string("none")}});
    s.push_back(
        {"tanh_form", {sample_uniform({3, 4}, -3, 3, 17)}, {{"approximate", std::string("tanh")}}});
    s.push_back({"tanh_form_noncontiguous",
                 {noncontiguous_uniform({3, 4}, -3, 3, 18)},
                 {{"approximate", std::string("tanh")}}});
    return s;
  };
  t["silu"] = [] { return unary_range(-3, 3); };
  t["softplus"] = [] {
    Samples s = unary_range(-3, 3, {{"beta", 1.0}, {"threshold", 20.0}});
    // Both sides of the threshold (beta * x = 1 at x = 0.5); none near it.
    s.push_back({"beta_2_threshold_1",
                 {leaf(tensor({-1.5, -0.2, 0.1, 0.3, 0.7, 1.2, 2.0}, DType::Float64))},
                 {{"beta", 2.0}, {"threshold", 1.0}}});
    return s;
  };
  t["erf"] = [] { return unary_range(-2, 2); };
  t["reciprocal"] = [] { return unary_away_from_zero(); };
  t["clamp"] = [] {
    // Values at least 0.05 from the bounds -0.5 and 0.5.
    auto x = [] {
      return leaf(tensor({-1.3, -0.7, -0.2, 0.1, 0.3, 0.8, 1.4, -0.05}, DType::Float64));
    };
    return Samples{{"min_max", {x()}, {{"min", -0.5}, {"max", 0.5}}},
                   {"min_only", {x()}, {{"min", -0.5}}},
                   {"max_only", {x()}, {{"max", 0.5}}},
                   {"int_bounds_noncontiguous",
                    {noncontiguous_uniform({3, 4}, -2.9, 2.9, 19)},
                    {{"min", Scalar(-1)}, {"max", Scalar(1)}}}};
  };
}

void add_binary(SampleTable& t) {
  t["add"] = [] {
    Samples s = binary_samples();
    s.push_back({"alpha", {sample_randn({2, 3}, 41), sample_randn({3}, 42)}, {{"alpha", 2.5}}});
    return s;
  };
  t["sub"] = [] {
    Samples s = binary_samples();
    s.push_back({"alpha", {sample_randn({2, 3}, 43), sample_randn({2, 1}, 44)}, {{"alpha", -1.5}}});
    return s;
  };
  t["mul"] = [] { return binary_samples(); };
  t["div"] = [] { return binary_samples(0.5, 2.0); };  // denominators away from 0
  t["pow"] = [] {
    // Bases in (0.5, 2): both a^b and log(a) are smooth there.
    auto base = [](const Shape& s, uint64_t seed) { return sample_uniform(s, 0.5, 2.0, seed); };
    return Samples{{"same_shape", {base({2, 3}, 51), sample_randn({2, 3}, 52)}, {}},
                   {"broadcast", {base({2, 3}, 53), sample_randn({3}, 54)}, {}},
                   {"broadcast_both", {base({4, 1}, 55), sample_randn({1, 3}, 56)}, {}},
                   {"0dim_exponent", {base({2, 3}, 57), sample_uniform({}, 1, 3, 58)}, {}},
                   {"noncontiguous",
                    {noncontiguous_uniform({3, 4}, 0.5, 2.0, 59), sample_randn({3, 4}, 60)},
                    {}},
                   {"scalar_exponent", {base({2, 3}, 61), wrapped(2.5)}, {}},
                   {"negative_base_int_exponent",
                    {leaf(tensor({-1.5, -0.7, 0.8, 1.3}, DType::Float64)), wrapped(3.0)},
                    {}}};
  };
  t["maximum"] = [] {
    Samples s = binary_samples();
    // Ties split the gradient 0.5 / 0.5, which central differences also see.
    // The gradient jumps at a tie, so this sample checks first order only.
    s.push_back({"ties (first order only)",
                 {leaf(tensor({1.0, -2.0, 0.5}, DType::Float64)),
                  leaf(tensor({1.0, 3.0, 0.5}, DType::Float64))},
                 {}});
    return s;
  };
  t["minimum"] = [] {
    Samples s = binary_samples();
    s.push_back({"ties (first order only)",
                 {leaf(tensor({1.0, -2.0, 0.5}, DType::Float64)),
                  leaf(tensor({1.0, 3.0, 0.5}, DType::Float64))},
                 {}});
    return s;
  };
  t["where"] = [] {
    Tensor c23 = tensor({{true, false, true}, {false, false, true}});
    Tensor c3 = tensor({false, true, true});
    return Samples{{"same_shape", {c23, sample_randn({2, 3}, 61), sample_randn({2, 3}, 62)}, {}},
                   {"broadcast_cond", {c3, sample_randn({2, 3}, 63), sample_randn({2, 3}, 64)}, {}},
                   {"broadcast_values", {c23, sample_randn({3}, 65), sample_randn({2, 1}, 66)}, {}},
                   {"0dim_value", {c23, sample_randn({2, 3}, 67), sample_randn({}, 68)}, {}},
                   {"noncontiguous",
                    {tensor({{true, false, true}, {false, true, true}, {true, true, false}}),
                     sample_noncontiguous({3, 3}, 69), sample_randn({3, 3}, 70)},
                    {}}};
  };
  t["masked_fill"] = [] {
    return Samples{{"same_shape",
                    {sample_randn({2, 3}, 71), tensor({{true, false, true}, {false, false, true}})},
                    {{"value", 1.5}}},
                   {"broadcast_mask",
                    {sample_randn({2, 3}, 72), tensor({false, true, false})},
                    {{"value", -2.0}}},
                   {"noncontiguous",
                    {sample_noncontiguous({3, 2}, 73), tensor({{true}, {false}, {true}})},
                    {{"value", Scalar(3)}}}};
  };
}

void add_copy(SampleTable& t) {
  t["to"] = [] {
    Attrs f64{{"dtype", std::string("float64")}};
    return Samples{{"float64", {sample_randn({2, 3}, 81)}, f64},
                   {"noncontiguous", {sample_noncontiguous({3, 4}, 82)}, f64}};
  };
  t["clone"] = [] {
    return Samples{{"2d", {sample_randn({2, 3}, 83)}, {}},
                   {"0dim", {sample_randn({}, 84)}, {}},
                   {"noncontiguous", {sample_noncontiguous({3, 4}, 85)}, {}}};
  };
  t["contiguous"] = [] {
    return Samples{{"already_contiguous", {sample_randn({2, 3}, 86)}, {}},
                   {"noncontiguous", {sample_noncontiguous({3, 4}, 87)}, {}}};
  };
}
}  // namespace

void add_elementwise_samples(SampleTable& t) {
  add_unary(t);
  add_binary(t);
  add_copy(t);
}

}  // namespace braid::testing
