#include "braid/nn/norm.hpp"

#include "braid/core/grad_mode.hpp"
#include "braid/nn/layer_args.hpp"
#include "braid/ops/norm.hpp"
#include "braid/ops/ops.hpp"

namespace braid::nn {

namespace {
int64_t positive(int64_t n, const char* layer, const char* what) {
  BRAID_CHECK(n > 0, ValueError, layer, "{} must be positive; got {}", what, n);
  return n;
}
double checked_eps(double eps, const char* layer) {
  BRAID_CHECK(eps >= 0, ValueError, layer, "eps must be >= 0; got {}", eps);
  return eps;
}
}  // namespace

// -- BatchNorm (Note [batch norm running statistics]) ------------------------------------

BatchNormNd::BatchNormNd(int64_t n, const BatchNormOptions& o, const char* layer)
    : num_features(positive(n, layer, "num_features")),
      eps(checked_eps(o.eps, layer)),
      momentum(o.momentum),
      affine(o.affine),
      track_running_stats(o.track_running_stats),
      weight(register_parameter("weight", o.affine ? ones({n}) : Tensor())),
      bias(register_parameter("bias", o.affine ? zeros({n}) : Tensor())),
      running_mean(register_buffer("running_mean", o.track_running_stats ? zeros({n}) : Tensor())),
      running_var(register_buffer("running_var", o.track_running_stats ? ones({n}) : Tensor())),
      num_batches_tracked(register_buffer(
          "num_batches_tracked", o.track_running_stats ? zeros({}, DType::Int64) : Tensor())) {
  BRAID_CHECK(!momentum || (*momentum >= 0 && *momentum <= 1), ValueError, layer,
              "momentum must be in [0, 1] or None; got {}", *momentum);
}

void BatchNormNd::reset_running_stats() {
  if (!track_running_stats) return;
  NoGradGuard ng;
  running_mean.zero_();
  running_var.fill_(1);
  num_batches_tracked.zero_();
}

Tensor BatchNormNd::forward(const Tensor& x) {
  check_input(x);
  double factor = momentum.value_or(0.0);
  if (is_training() && track_running_stats) {
    NoGradGuard ng;
    num_batches_tracked.add_(1);
    if (!momentum) factor = 1.0 / double(num_batches_tracked.item<int64_t>());
  }
  // Batch statistics in training, and always when none are tracked.
  const bool use_batch = is_training() || !track_running_stats;
  // Running statistics are passed only when they are to be updated or used.
  const bool pass_running = !is_training() || track_running_stats;
  return batch_norm(x, pass_running ? running_mean : Tensor(),
                    pass_running ? running_var : Tensor(), weight, bias,
                    {.training = use_batch, .momentum = factor, .eps = eps});
}

std::string BatchNormNd::extra_repr() const {
  return fmt::format("{}, eps={}, momentum={}, affine={}, track_running_stats={}", num_features,
                     py_float(eps), momentum ? py_float(*momentum) : "None", py_bool(affine),
                     py_bool(track_running_stats));
}

BatchNorm1d::BatchNorm1d(int64_t n, const BatchNormOptions& o) : BatchNormNd(n, o, "BatchNorm1d") {}

void BatchNorm1d::check_input(const Tensor& x) const {
  BRAID_CHECK((x.dim() == 2 || x.dim() == 3) && x.size(1) == num_features, ShapeError,
              "BatchNorm1d", "expected input (N, {0}) or (N, {0}, L); got input={1}", num_features,
              shape_str(x.shape()));
}

BatchNorm2d::BatchNorm2d(int64_t n, const BatchNormOptions& o) : BatchNormNd(n, o, "BatchNorm2d") {}

void BatchNorm2d::check_input(const Tensor& x) const {
  BRAID_CHECK(x.dim() == 4 && x.size(1) == num_features, ShapeError, "BatchNorm2d",
              "expected input (N, {}, H, W); got input={}", num_features, shape_str(x.shape()));
}

// -- LayerNorm ------------------------------------------------------------------------------

namespace {
std::vector<int64_t> checked_normalized(std::vector<int64_t> s) {
  BRAID_CHECK(!s.empty(), ValueError, "LayerNorm", "normalized_shape must not be empty");
  for (int64_t v : s)
    BRAID_CHECK(v > 0, ValueError, "LayerNorm", "normalized_shape must be positive; got {}",
                py_tuple(s));
  return s;
}
Shape to_shape(const std::vector<int64_t>& v) { return Shape(v.begin(), v.end()); }
}  // namespace

LayerNorm::LayerNorm(std::vector<int64_t> shape, const LayerNormOptions& o)
    : normalized_shape(checked_normalized(std::move(shape))),
      eps(checked_eps(o.eps, "LayerNorm")),
      elementwise_affine(o.elementwise_affine),
      weight(register_parameter(
          "weight", o.elementwise_affine ? ones(to_shape(normalized_shape)) : Tensor())),
      bias(register_parameter(
          "bias", o.elementwise_affine ? zeros(to_shape(normalized_shape)) : Tensor())) {}

Tensor LayerNorm::forward(const Tensor& x) {
  const int64_t k = int64_t(normalized_shape.size());
  bool ok = x.dim() >= k;
  for (int64_t i = 0; ok && i < k; ++i) ok = x.size(x.dim() - k + i) == normalized_shape[size_t(i)];
  BRAID_CHECK(ok, ShapeError, "LayerNorm",
              "expected input (*, {}) ending in normalized_shape; got input={}",
              fmt::join(normalized_shape, ", "), shape_str(x.shape()));
  return layer_norm(x, normalized_shape, weight, bias, eps);
}

std::string LayerNorm::extra_repr() const {
  return fmt::format("{}, eps={}, elementwise_affine={}", py_tuple(normalized_shape), py_float(eps),
                     py_bool(elementwise_affine));
}

// -- GroupNorm -------------------------------------------------------------------------------

GroupNorm::GroupNorm(int64_t groups, int64_t channels, const GroupNormOptions& o)
    : num_groups(positive(groups, "GroupNorm", "num_groups")),
      num_channels(positive(channels, "GroupNorm", "num_channels")),
      eps(checked_eps(o.eps, "GroupNorm")),
      affine(o.affine),
      weight(register_parameter("weight", o.affine ? ones({channels}) : Tensor())),
      bias(register_parameter("bias", o.affine ? zeros({channels}) : Tensor())) {
  BRAID_CHECK(channels % groups == 0, ValueError, "GroupNorm",
              "num_channels={} must be divisible by num_groups={}", channels, groups);
}

Tensor GroupNorm::forward(const Tensor& x) {
  BRAID_CHECK(x.dim() >= 2 && x.size(1) == num_channels, ShapeError, "GroupNorm",
              "expected input (N, {}, *); got input={}", num_channels, shape_str(x.shape()));
  return group_norm(x, num_groups, weight, bias, eps);
}

std::string GroupNorm::extra_repr() const {
  return fmt::format("{}, {}, eps={}, affine={}", num_groups, num_channels, py_float(eps),
                     py_bool(affine));
}

}  // namespace braid::nn
