// Gradcheck samples for the norm family: batch norm in training and eval
// (ranks 2 to 5, with and without weight/bias and running statistics,
// non-contiguous x), layer/group/instance norm, dropout, embedding.
// Running statistics never require grad (they are not differentiable).
#include "braid/braid.hpp"
#include "braid/testing/op_samples.hpp"

namespace braid::testing {
namespace {

Attrs bn_attrs(bool training, double momentum = 0.1, double eps = 1e-5) {
  return {{"training", training}, {"momentum", momentum}, {"eps", eps}};
}

// Running statistics: a mean around 0 and a variance in [0.5, 2).
Tensor stat_mean(int64_t c, uint64_t seed) { return sample_randn({c}, seed, false); }
Tensor stat_var(int64_t c, uint64_t seed) { return sample_uniform({c}, 0.5, 2.0, seed, false); }

std::vector<OpSample> native_batch_norm_samples() {
  auto s = [](std::string label, Tensor x, bool training, uint64_t seed) {
    const int64_t c = x.size(1);
    return OpSample{std::move(label),
                    {std::move(x), sample_randn({c}, seed), sample_randn({c}, seed + 1),
                     stat_mean(c, seed + 2), stat_var(c, seed + 3)},
                    bn_attrs(training),
                    1e-5,
                    1e-3,
                    true};
  };
  return {
      s("train_2d", sample_randn({5, 3}, 1), true, 10),
      s("train_3d", sample_randn({2, 3, 4}, 2), true, 20),
      s("train_4d_noncontiguous", sample_noncontiguous({2, 3, 2, 3}, 3), true, 30),
      s("train_5d", sample_randn({2, 2, 2, 2, 2}, 4), true, 40),
      s("eval_3d", sample_randn({2, 3, 4}, 5), false, 50),
      s("eval_2d_noncontiguous", sample_noncontiguous({4, 3}, 6), false, 60),
  };
}

std::vector<OpSample> batch_norm_samples() {
  // Inputs in F.batch_norm's order: x, running_mean, running_var, weight, bias.
  auto s = [](std::string label, Tensor x, bool training, bool stats, bool affine, uint64_t seed) {
    const int64_t c = x.size(1);
    return OpSample{
        std::move(label),
        {std::move(x), stats ? stat_mean(c, seed) : Tensor(),
         stats ? stat_var(c, seed + 1) : Tensor(), affine ? sample_randn({c}, seed + 2) : Tensor(),
         affine ? sample_randn({c}, seed + 3) : Tensor()},
        bn_attrs(training),
        1e-5,
        1e-3,
        true};
  };
  return {
      s("train_2d", sample_randn({4, 3}, 101), true, true, true, 110),
      s("train_3d_no_stats", sample_randn({3, 2, 3}, 102), true, false, true, 120),
      s("train_4d_no_affine", sample_randn({2, 3, 2, 2}, 103), true, true, false, 130),
      s("train_5d", sample_randn({2, 2, 2, 1, 2}, 104), true, true, true, 140),
      s("train_noncontiguous", sample_noncontiguous({2, 3, 3}, 105), true, false, false, 150),
      s("eval_2d", sample_randn({4, 3}, 106), false, true, true, 160),
      s("eval_4d_no_affine", sample_randn({2, 3, 2, 2}, 107), false, true, false, 170),
      s("eval_noncontiguous", sample_noncontiguous({3, 2, 3}, 108), false, true, true, 180),
  };
}

std::vector<OpSample> layer_norm_samples() {
  auto s = [](std::string label, Tensor x, std::vector<int64_t> ns, bool affine, uint64_t seed) {
    Shape shape(ns.begin(), ns.end());
    return OpSample{std::move(label),
                    {std::move(x), affine ? sample_randn(shape, seed) : Tensor(),
                     affine ? sample_randn(shape, seed + 1) : Tensor()},
                    {{"normalized_shape", std::move(ns)}, {"eps", 1e-5}},
                    1e-5,
                    1e-3,
                    true};
  };
  return {
      s("last_dim", sample_randn({3, 5}, 201), {5}, true, 210),
      s("two_dims_3d", sample_randn({2, 3, 4}, 202), {3, 4}, true, 220),
      s("no_affine", sample_randn({2, 2, 3}, 203), {3}, false, 230),
      s("noncontiguous", sample_noncontiguous({4, 3}, 204), {3}, true, 240),
      s("1d", sample_randn({6}, 205), {6}, true, 250),
  };
}

std::vector<OpSample> group_norm_samples() {
  auto s = [](std::string label, Tensor x, int64_t groups, bool affine, uint64_t seed) {
    const int64_t c = x.size(1);
    return OpSample{std::move(label),
                    {std::move(x), affine ? sample_randn({c}, seed) : Tensor(),
                     affine ? sample_randn({c}, seed + 1) : Tensor()},
                    {{"num_groups", groups}, {"eps", 1e-5}},
                    1e-5,
                    1e-3,
                    true};
  };
  return {
      s("2_groups_3d", sample_randn({2, 4, 3}, 301), 2, true, 310),
      s("1_group_4d", sample_randn({2, 3, 2, 2}, 302), 1, true, 320),
      s("group_per_channel", sample_randn({2, 3, 4}, 303), 3, false, 330),
      s("2d_input", sample_randn({3, 4}, 304), 2, true, 340),
      s("noncontiguous", sample_noncontiguous({2, 4, 3}, 305), 2, true, 350),
  };
}

std::vector<OpSample> instance_norm_samples() {
  auto s = [](std::string label, Tensor x, bool use_input_stats, bool stats, bool affine,
              uint64_t seed) {
    const int64_t c = x.size(1);
    return OpSample{
        std::move(label),
        {std::move(x), stats ? stat_mean(c, seed) : Tensor(),
         stats ? stat_var(c, seed + 1) : Tensor(), affine ? sample_randn({c}, seed + 2) : Tensor(),
         affine ? sample_randn({c}, seed + 3) : Tensor()},
        {{"use_input_stats", use_input_stats}, {"momentum", 0.1}, {"eps", 1e-5}},
        1e-5,
        1e-3,
        true};
  };
  return {
      s("3d_affine", sample_randn({2, 3, 4}, 401), true, false, true, 410),
      s("4d_stats", sample_randn({2, 2, 2, 3}, 402), true, true, false, 420),
      s("running_stats", sample_randn({2, 3, 4}, 403), false, true, true, 430),
      s("noncontiguous", sample_noncontiguous({2, 3, 4}, 404), true, false, true, 440),
  };
}

// The mask is random, and gradcheck calls the op many times: only the
// deterministic settings can be checked here (the random mask's gradient is
// tested in tests/ops/norm_test.cpp with a fixed seed).
std::vector<OpSample> dropout_samples() {
  return {
      OpSample{"eval", {sample_randn({3, 4}, 501)}, {{"p", 0.5}, {"training", false}}},
      OpSample{"p0", {sample_randn({3, 4}, 502)}, {{"p", 0.0}, {"training", true}}},
      OpSample{"p1", {sample_randn({3, 4}, 503)}, {{"p", 1.0}, {"training", true}}},
  };
}

std::vector<OpSample> embedding_samples() {
  auto idx = [](std::vector<int64_t> v, Shape shape, DType dt = DType::Int64) {
    Tensor t = empty({static_cast<int64_t>(v.size())}, DType::Int64);
    for (size_t i = 0; i < v.size(); ++i) t.data_ptr<int64_t>()[i] = v[i];
    return to(reshape(t, shape), dt);
  };
  // The padding row gets no gradient while the output does depend on it, so
  // finite differences disagree there by design: the padding samples pick
  // other rows only (norm_test checks the padding row's zero gradient).
  return {
      OpSample{"repeated_2d", {sample_randn({5, 3}, 601), idx({0, 2, 2, 4, 1, 0}, {2, 3})}, {}},
      OpSample{"int32_1d", {sample_randn({4, 2}, 602), idx({3, 1, 3}, {3}, DType::Int32)}, {}},
      OpSample{"0d", {sample_randn({4, 2}, 603), idx({2}, {})}, {}},
      OpSample{"padding_idx",
               {sample_randn({5, 3}, 604), idx({0, 2, 0, 4}, {2, 2})},
               {{"padding_idx", int64_t{1}}}},
      OpSample{"negative_padding_idx",
               {sample_noncontiguous({5, 3}, 605), idx({3, 0, 3}, {3})},
               {{"padding_idx", int64_t{-1}}}},
  };
}

}  // namespace

void add_norm_samples(SampleTable& t) {
  t["native_batch_norm"] = native_batch_norm_samples;
  t["batch_norm"] = batch_norm_samples;
  t["layer_norm"] = layer_norm_samples;
  t["group_norm"] = group_norm_samples;
  t["instance_norm"] = instance_norm_samples;
  t["dropout"] = dropout_samples;
  t["embedding"] = embedding_samples;
}

}  // namespace braid::testing
