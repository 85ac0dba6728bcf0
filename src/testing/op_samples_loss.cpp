// Gradcheck samples for the loss family (src/ops/loss.cpp): every reduction,
// class weights, ignored targets, label smoothing with both target kinds,
// K-dim and unbatched cross entropy, and float targets (differentiated too).
// Values stay off the kinks: |input - target| away from 0 (l1) and from beta
// and delta (smooth_l1, huber), probabilities inside (0, 1) for bce.
// The class losses chain log_softmax, gather and masks, so they also run
// gradgradcheck.
#include "braid/braid.hpp"
#include "braid/testing/op_samples.hpp"

namespace braid::testing {

namespace {
using Samples = std::vector<OpSample>;

Tensor indices(std::vector<int64_t> v, const Shape& shape) {
  return shape.empty() ? scalar_tensor(v[0], DType::Int64) : tensor(v, shape);
}

Tensor probabilities(const Shape& shape, int64_t dim, uint64_t seed) {
  return softmax(sample_randn(shape, seed, false), dim).detach().requires_grad_();
}

Attrs class_attrs(const std::string& reduction, int64_t ignore_index = -100,
                  double smoothing = 0.0) {
  return {{"ignore_index", ignore_index}, {"reduction", reduction}, {"label_smoothing", smoothing}};
}

Attrs reduction(const std::string& r) { return {{"reduction", r}}; }

Samples index_samples(bool smoothing_attr) {
  auto attrs = [&](const std::string& r, int64_t ignore, double s) {
    Attrs a = class_attrs(r, ignore, s);
    if (!smoothing_attr) a = {{"ignore_index", ignore}, {"reduction", r}};
    return a;
  };
  const double s = smoothing_attr ? 0.2 : 0.0;
  Samples out{
      {"mean",
       {sample_randn({4, 5}, 30000), indices({1, 0, 4, 2}, {4}), Tensor()},
       attrs("mean", -100, 0.0)},
      {"weight_ignore_mean",
       {sample_randn({5, 4}, 30001), indices({3, -100, 0, 1, 3}, {5}),
        sample_uniform({4}, 0.5, 2.0, 30002)},
       attrs("mean", -100, s)},
      {"ignore_in_range_sum",
       {sample_randn({4, 3}, 30003), indices({2, 1, 0, 1}, {4}), Tensor()},
       attrs("sum", 1, s)},
      {"kdim_weight_none",
       {sample_randn({2, 3, 4}, 30004), indices({0, 2, 1, 2, 1, 1, 0, 2}, {2, 4}),
        sample_uniform({3}, 0.5, 2.0, 30005)},
       attrs("none", -100, s)},
      {"unbatched", {sample_randn({5}, 30006), indices({3}, {}), Tensor()}, attrs("mean", -100, s)},
      {"noncontiguous",
       {sample_noncontiguous({3, 4}, 30007), indices({3, 0, 2}, {3}), Tensor()},
       attrs("mean", -100, s)},
  };
  for (OpSample& x : out) x.gradgrad = true;
  return out;
}

void add_class_losses(SampleTable& t) {
  t["cross_entropy"] = [] {
    Samples s = index_samples(true);
    s.push_back({"probabilities_mean",
                 {sample_randn({4, 5}, 30010), probabilities({4, 5}, 1, 30011), Tensor()},
                 class_attrs("mean")});
    s.push_back({"probabilities_smoothing_weight_kdim_none",
                 {sample_randn({2, 3, 4}, 30012), probabilities({2, 3, 4}, 1, 30013),
                  sample_uniform({3}, 0.5, 2.0, 30014)},
                 class_attrs("none", -100, 0.3)});
    s.push_back({"probabilities_smoothing_sum",
                 {sample_randn({3, 4}, 30015), probabilities({3, 4}, 1, 30016), Tensor()},
                 class_attrs("sum", -100, 0.1)});
    for (OpSample& x : s) x.gradgrad = true;
    return s;
  };
  t["nll_loss"] = [] { return index_samples(false); };
  // The fused (N, C) case (Note [fused cross entropy]) and its backward.
  t["softmax_cross_entropy"] = [] {
    auto a = [](const std::string& r, int64_t ignore) {
      return Attrs{{"ignore_index", ignore}, {"reduction", r}};
    };
    Samples s{
        {"mean", {sample_randn({4, 5}, 30020), indices({1, 0, 4, 2}, {4})}, a("mean", -100)},
        {"ignore_mean",
         {sample_randn({5, 4}, 30021), indices({3, -100, 0, 1, 3}, {5})},
         a("mean", -100)},
        {"ignore_in_range_sum",
         {sample_randn({4, 3}, 30022), indices({2, 1, 0, 1}, {4})},
         a("sum", 1)},
        {"none", {sample_randn({3, 6}, 30023), indices({5, 0, 2}, {3})}, a("none", -100)},
        {"noncontiguous",
         {sample_noncontiguous({3, 4}, 30024), indices({3, 0, 2}, {3})},
         a("mean", -100)},
    };
    for (OpSample& x : s) x.gradgrad = true;
    return s;
  };
  t["softmax_cross_entropy_backward"] = [] {
    auto a = [](const std::string& r, int64_t ignore) {
      return Attrs{{"ignore_index", ignore}, {"reduction", r}};
    };
    return Samples{
        {"mean",
         {sample_randn({}, 30030), sample_randn({4, 5}, 30031), indices({1, 0, 4, 2}, {4})},
         a("mean", -100)},
        {"ignore_sum",
         {sample_randn({}, 30032), sample_randn({5, 3}, 30033), indices({2, -1, 0, 1, 2}, {5})},
         a("sum", -1)},
        {"none",
         {sample_randn({3}, 30034), sample_randn({3, 4}, 30035), indices({3, 0, 2}, {3})},
         a("none", -100)},
    };
  };
}

// Regression losses: both reductions and none, a non-contiguous input, and a
// float target that is differentiated too.
Samples pair_samples(uint64_t seed, Attrs extra) {
  auto with = [&](const std::string& r) {
    Attrs a = extra;
    a.set("reduction", r);
    return a;
  };
  return Samples{
      {"mean", {sample_randn({3, 4}, seed), sample_randn({3, 4}, seed + 1)}, with("mean")},
      {"sum_3d",
       {sample_randn({2, 3, 2}, seed + 2), sample_randn({2, 3, 2}, seed + 3)},
       with("sum")},
      {"none_noncontiguous",
       {sample_noncontiguous({3, 4}, seed + 4), sample_randn({3, 4}, seed + 5)},
       with("none")},
      {"0dim", {sample_randn({}, seed + 6), sample_randn({}, seed + 7)}, with("mean")},
  };
}

void add_regression_losses(SampleTable& t) {
  t["mse_loss"] = [] { return pair_samples(30100, {}); };
  t["l1_loss"] = [] { return pair_samples(30110, {}); };
  // randn differences land on both sides of beta = delta = 1 (and 0.5).
  t["smooth_l1_loss"] = [] {
    Samples s = pair_samples(30120, {{"beta", 1.0}});
    s.push_back({"beta0_is_l1",
                 {sample_randn({3, 4}, 30128), sample_randn({3, 4}, 30129)},
                 {{"reduction", std::string("mean")}, {"beta", 0.0}}});
    return s;
  };
  t["huber_loss"] = [] {
    Samples s = pair_samples(30130, {{"delta", 1.0}});
    s.push_back({"delta_half",
                 {sample_randn({3, 4}, 30138), sample_randn({3, 4}, 30139)},
                 {{"reduction", std::string("sum")}, {"delta", 0.5}}});
    return s;
  };
}

void add_binary_losses(SampleTable& t) {
  t["binary_cross_entropy"] = [] {
    auto p = [](const Shape& s, uint64_t seed) { return sample_uniform(s, 0.05, 0.95, seed); };
    return Samples{
        {"mean", {p({3, 4}, 30200), p({3, 4}, 30201), Tensor()}, reduction("mean")},
        {"weight_sum",
         {p({3, 4}, 30202), p({3, 4}, 30203), sample_uniform({4}, 0.5, 2.0, 30204)},
         reduction("sum")},
        {"weight_column_none",
         {p({3, 4}, 30205), p({3, 4}, 30206), sample_uniform({3, 1}, 0.5, 2.0, 30207)},
         reduction("none")},
    };
  };
  t["binary_cross_entropy_with_logits"] = [] {
    auto u = [](const Shape& s, uint64_t seed) { return sample_uniform(s, 0.0, 1.0, seed); };
    auto w = [](const Shape& s, uint64_t seed) { return sample_uniform(s, 0.5, 2.0, seed); };
    Tensor big = (sample_randn({3, 4}, 30210, false) * 8.0).detach().requires_grad_();
    return Samples{
        {"mean",
         {sample_randn({3, 4}, 30211), u({3, 4}, 30212), Tensor(), Tensor()},
         reduction("mean")},
        {"pos_weight_sum",
         {sample_randn({3, 4}, 30213), u({3, 4}, 30214), Tensor(), w({4}, 30215)},
         reduction("sum")},
        {"weight_pos_weight_none",
         {sample_randn({2, 3}, 30216), u({2, 3}, 30217), w({2, 1}, 30218), w({3}, 30219)},
         reduction("none")},
        {"large_logits", {big, u({3, 4}, 30220), Tensor(), Tensor()}, reduction("mean")},
    };
  };
  t["kl_div"] = [] {
    auto kl = [](const std::string& r, bool log_target) {
      return Attrs{{"reduction", r}, {"log_target", log_target}};
    };
    auto q = [](const Shape& s, uint64_t seed) { return sample_uniform(s, 0.1, 1.0, seed); };
    return Samples{
        {"batchmean", {sample_randn({3, 4}, 30230), q({3, 4}, 30231)}, kl("batchmean", false)},
        {"mean_log_target",
         {sample_randn({3, 4}, 30232), sample_randn({3, 4}, 30233)},
         kl("mean", true)},
        {"none_broadcast_target", {sample_randn({3, 4}, 30234), q({4}, 30235)}, kl("none", false)},
        {"sum_noncontiguous",
         {sample_noncontiguous({3, 4}, 30236), q({3, 4}, 30237)},
         kl("sum", false)},
    };
  };
}
}  // namespace

void add_loss_samples(SampleTable& t) {
  add_class_losses(t);
  add_regression_losses(t);
  add_binary_losses(t);
}

}  // namespace braid::testing
