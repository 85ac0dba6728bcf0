#pragma once
/// Normalisation layers: BatchNorm1d/2d, LayerNorm, GroupNorm (PyTorch's),
/// over braid/ops/norm.hpp.
///
/// Note [batch norm running statistics]
/// In training mode BatchNorm normalises with the batch statistics and
/// updates running_mean / running_var in place (the buffers keep their
/// handles, so state_dict views and optimizers see the change) and adds one
/// to num_batches_tracked (int64). momentum = nullopt (PyTorch's None) makes
/// the running statistics a cumulative average: factor 1 / num_batches_tracked.
/// In eval mode the running statistics are used -- unless the layer does not
/// track them, when it always uses the batch's.
#include <optional>
#include <vector>

#include "braid/nn/module.hpp"

namespace braid::nn {

struct BatchNormOptions {
  double eps = 1e-5;
  std::optional<double> momentum = 0.1;
  bool affine = true;
  bool track_running_stats = true;
};

/// The shared part of BatchNorm1d and BatchNorm2d (PyTorch's _BatchNorm).
class BatchNormNd : public Module {
 public:
  Tensor forward(const Tensor& x) override;
  std::string extra_repr() const override;
  /// Running statistics back to mean 0, var 1, no batches.
  void reset_running_stats();

  const int64_t num_features;
  const double eps;
  const std::optional<double> momentum;
  const bool affine, track_running_stats;
  Tensor& weight;               ///< (C), ones; undefined without affine
  Tensor& bias;                 ///< (C), zeros; undefined without affine
  Tensor& running_mean;         ///< (C); undefined without track_running_stats
  Tensor& running_var;          ///< (C)
  Tensor& num_batches_tracked;  ///< () int64

 protected:
  BatchNormNd(int64_t num_features, const BatchNormOptions& o, const char* layer);
  virtual void check_input(const Tensor& x) const = 0;
};

/// x: (N, C) or (N, C, L).
class BatchNorm1d : public BatchNormNd {
 public:
  explicit BatchNorm1d(int64_t num_features, const BatchNormOptions& options = {});

 private:
  void check_input(const Tensor& x) const override;
};

/// x: (N, C, H, W).
class BatchNorm2d : public BatchNormNd {
 public:
  explicit BatchNorm2d(int64_t num_features, const BatchNormOptions& options = {});

 private:
  void check_input(const Tensor& x) const override;
};

struct LayerNormOptions {
  double eps = 1e-5;
  bool elementwise_affine = true;
};

/// Normalises over the trailing dims normalized_shape. x: (*, *normalized_shape).
class LayerNorm : public Module {
 public:
  explicit LayerNorm(std::vector<int64_t> normalized_shape, const LayerNormOptions& options = {});
  explicit LayerNorm(int64_t normalized_size, const LayerNormOptions& options = {})
      : LayerNorm(std::vector<int64_t>{normalized_size}, options) {}
  Tensor forward(const Tensor& x) override;
  std::string extra_repr() const override;

  const std::vector<int64_t> normalized_shape;
  const double eps;
  const bool elementwise_affine;
  Tensor& weight;  ///< normalized_shape, ones; undefined without elementwise_affine
  Tensor& bias;    ///< normalized_shape, zeros
};

struct GroupNormOptions {
  double eps = 1e-5;
  bool affine = true;
};

/// Normalises each sample's channels in num_groups groups. x: (N, C, *).
class GroupNorm : public Module {
 public:
  GroupNorm(int64_t num_groups, int64_t num_channels, const GroupNormOptions& options = {});
  Tensor forward(const Tensor& x) override;
  std::string extra_repr() const override;

  const int64_t num_groups, num_channels;
  const double eps;
  const bool affine;
  Tensor& weight;  ///< (C), ones; undefined without affine
  Tensor& bias;    ///< (C), zeros
};

}  // namespace braid::nn
