// Gradcheck samples for the pool family (src/ops/pool.cpp, resize.cpp).
// Max pooling is differentiable away from ties, so its inputs are
// permutations (values 0.1 apart, far more than the finite-difference step):
// every window has one clear maximum. Every op here chains several ops in its
// backward (the adjoint op and its own vjp, or a composite), so all of them
// also run gradgradcheck.
#include "braid/braid.hpp"
#include "braid/testing/op_samples.hpp"

namespace braid::testing {

namespace {
using Samples = std::vector<OpSample>;
using Ints = std::vector<int64_t>;

// 0.1 * a random permutation of 0..n-1, shaped `shape`: no ties.
Tensor permutation(const Shape& shape, uint64_t seed, bool requires_grad = true) {
  manual_seed(seed);
  Tensor order = argsort(randn({numel_of(shape)}, DType::Float64));
  Tensor t = reshape(to(order, DType::Float64) * 0.1, shape).detach();
  if (requires_grad) t.requires_grad_();
  return t;
}

Samples all_gradgrad(Samples s) {
  for (OpSample& x : s) x.gradgrad = true;
  return s;
}

Attrs max_attrs(Ints k, Ints s, Ints p, Ints d, bool ceil) {
  return {{"kernel_size", k}, {"stride", s}, {"padding", p}, {"dilation", d}, {"ceil_mode", ceil}};
}

Attrs avg_attrs(Ints k, Ints s, Ints p, bool ceil, bool incl) {
  return {{"kernel_size", k},
          {"stride", s},
          {"padding", p},
          {"ceil_mode", ceil},
          {"count_include_pad", incl}};
}

Attrs set(Attrs a, const std::string& name, AttrValue v) {
  a.set(name, std::move(v));
  return a;
}

// Indices of a real max pooling, for max_pool2d_backward's second input.
Tensor max_indices(const Shape& shape, uint64_t seed, const Attrs& a) {
  return detail::call(OpId::max_pool2d, {permutation(shape, seed, false)}, a)[1];
}

void add_max(SampleTable& t) {
  t["max_pool2d"] = [] {
    return all_gradgrad({
        {"k2", {permutation({2, 2, 4, 4}, 3001)}, max_attrs({2}, {}, {0}, {1}, false)},
        {"k3s2p1", {permutation({1, 2, 5, 5}, 3002)}, max_attrs({3}, {2}, {1}, {1}, false)},
        {"dilation_ceil", {permutation({1, 2, 7, 6}, 3003)}, max_attrs({3}, {2}, {1}, {2}, true)},
        {"overlap_unbatched",
         {permutation({2, 5, 5}, 3004)},
         max_attrs({3, 2}, {1, 1}, {1, 0}, {1}, false)},
        {"noncontiguous",
         {transpose(permutation({1, 2, 5, 4}, 3005).detach(), -1, -2).requires_grad_()},
         max_attrs({2}, {1}, {0}, {1}, false)},
    });
  };
  t["max_pool2d_backward"] = [] {
    const Attrs overlap = max_attrs({3}, {1}, {1}, {1}, false);
    const Attrs dil = max_attrs({3}, {2}, {1}, {2}, true);
    return all_gradgrad({
        {"k2",
         {sample_randn({2, 2, 2, 2}, 3011),
          max_indices({2, 2, 4, 4}, 3012, max_attrs({2}, {}, {0}, {1}, false))},
         {{"input_size", Ints{4, 4}}}},
        {"overlap_repeats_indices",
         {sample_randn({1, 2, 5, 5}, 3013), max_indices({1, 2, 5, 5}, 3014, overlap)},
         {{"input_size", Ints{5, 5}}}},
        {"dilation_ceil_unbatched",
         {sample_randn({2, 3, 3}, 3015), max_indices({2, 7, 6}, 3016, dil)},
         {{"input_size", Ints{7, 6}}}},
    });
  };
  t["adaptive_max_pool2d"] = [] {
    return all_gradgrad({
        {"down", {permutation({2, 2, 7, 5}, 3021)}, {{"output_size", Ints{3, 2}}}},
        {"up_overlap", {permutation({1, 2, 3, 4}, 3022)}, {{"output_size", Ints{5, 6}}}},
        {"global_unbatched", {permutation({3, 4, 4}, 3023)}, {{"output_size", Ints{1}}}},
    });
  };
}

void add_avg(SampleTable& t) {
  t["avg_pool2d"] = [] {
    return all_gradgrad({
        {"k2", {sample_randn({2, 2, 4, 4}, 3031)}, avg_attrs({2}, {}, {0}, false, true)},
        {"k3s2p1_excl", {sample_randn({1, 2, 5, 5}, 3032)}, avg_attrs({3}, {2}, {1}, false, false)},
        {"ceil_incl", {sample_randn({1, 2, 6, 6}, 3033)}, avg_attrs({3}, {2}, {1}, true, true)},
        {"divisor_unbatched",
         {sample_randn({2, 5, 4}, 3034)},
         set(avg_attrs({3, 2}, {1, 2}, {1, 1}, false, true), "divisor_override", int64_t{5})},
        {"noncontiguous",
         {sample_noncontiguous({1, 2, 5, 4}, 3035)},
         avg_attrs({2}, {1}, {0}, false, true)},
    });
  };
  t["avg_pool2d_backward"] = [] {
    const Attrs ceil = set(avg_attrs({3}, {2}, {1}, true, false), "input_size", Ints{6, 6});
    return all_gradgrad({
        {"k2",
         {sample_randn({2, 2, 2, 2}, 3041)},
         set(avg_attrs({2}, {}, {0}, false, true), "input_size", Ints{4, 4})},
        {"ceil_excl", {sample_randn({1, 2, 4, 4}, 3042)}, ceil},
        {"divisor_unbatched",
         {sample_randn({2, 5, 3}, 3043)},
         set(set(avg_attrs({3, 2}, {1, 2}, {1, 1}, false, true), "divisor_override", int64_t{5}),
             "input_size", Ints{5, 4})},
    });
  };
  t["adaptive_avg_pool2d"] = [] {
    return all_gradgrad({
        {"down", {sample_randn({2, 2, 7, 5}, 3051)}, {{"output_size", Ints{3, 2}}}},
        {"up", {sample_randn({1, 2, 3, 4}, 3052)}, {{"output_size", Ints{5, 6}}}},
        {"global_noncontiguous",
         {sample_noncontiguous({1, 3, 4, 5}, 3053)},
         {{"output_size", Ints{1}}}},
    });
  };
  t["adaptive_avg_pool2d_backward"] = [] {
    return all_gradgrad({
        {"down", {sample_randn({2, 2, 3, 2}, 3061)}, {{"input_size", Ints{7, 5}}}},
        {"up_unbatched", {sample_randn({2, 5, 6}, 3062)}, {{"input_size", Ints{3, 4}}}},
    });
  };
}

Attrs pad_attrs(Ints pads, std::string mode, double value = 0) {
  return {{"pad", pads}, {"mode", mode}, {"value", Scalar(value)}};
}

Attrs interp_attrs(std::string mode, Ints size, std::optional<double> scale = {},
                   std::optional<bool> align = {}) {
  Attrs a{{"mode", mode}};
  if (!size.empty()) a.set("size", size);
  if (scale) a.set("scales_h", *scale).set("scales_w", *scale);
  if (align) a.set("align_corners", *align);
  return a;
}

void add_resize(SampleTable& t) {
  t["pad"] = [] {
    return all_gradgrad({
        {"constant_value_crop",
         {sample_randn({2, 3, 4}, 3071)},
         pad_attrs({1, -2, 2, 1}, "constant", 1.5)},
        {"constant_all_dims", {sample_randn({2, 3}, 3072)}, pad_attrs({1, 1, 0, 2}, "constant")},
        {"reflect_2d", {sample_randn({1, 2, 4, 5}, 3073)}, pad_attrs({2, 1, 3, 1}, "reflect")},
        {"reflect_1d_noncontiguous",
         {sample_noncontiguous({3, 5}, 3074)},
         pad_attrs({2, -1}, "reflect")},
        {"replicate_3d",
         {sample_randn({1, 2, 3, 2, 3}, 3075)},
         pad_attrs({1, 2, 2, 0, -1, 1}, "replicate")},
    });
  };
  t["interpolate"] = [] {
    Attrs one_d{{"mode", std::string("nearest")}, {"scales_w", 1.7}};
    return all_gradgrad({
        {"nearest_size", {sample_randn({1, 2, 3, 4}, 3081)}, interp_attrs("nearest", {5, 3})},
        {"nearest_1d_scale", {sample_randn({2, 2, 4}, 3082)}, one_d},
        {"bilinear", {sample_randn({1, 2, 3, 4}, 3083)}, interp_attrs("bilinear", {5, 3})},
        {"bilinear_align_scale",
         {sample_randn({1, 2, 3, 4}, 3084)},
         interp_attrs("bilinear", {}, 1.5, true)},
        {"bilinear_noncontiguous",
         {sample_noncontiguous({1, 2, 4, 3}, 3085)},
         interp_attrs("bilinear", {}, 0.7)},
    });
  };
}
}  // namespace

void add_pool_samples(SampleTable& t) {
  add_max(t);
  add_avg(t);
  add_resize(t);
}

}  // namespace braid::testing
