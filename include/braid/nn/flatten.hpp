#pragma once
/// Shape layers: Flatten, Unflatten, Identity (PyTorch's).
#include <vector>

#include "braid/nn/module.hpp"

namespace braid::nn {

/// Merges dims start_dim..end_dim into one. x: (N, *) -> (N, prod(*)) by default.
class Flatten : public Module {
 public:
  explicit Flatten(int64_t start_dim = 1, int64_t end_dim = -1)
      : start_dim(start_dim), end_dim(end_dim) {}
  Tensor forward(const Tensor& x) override;
  std::string extra_repr() const override;

  const int64_t start_dim, end_dim;
};

/// Splits dim into unflattened_size (whose product must be that dim's size;
/// one entry may be -1). x: (*, d, *) -> (*, *unflattened_size, *).
class Unflatten : public Module {
 public:
  Unflatten(int64_t dim, std::vector<int64_t> unflattened_size);
  Tensor forward(const Tensor& x) override;
  std::string extra_repr() const override;

  const int64_t dim;
  const std::vector<int64_t> unflattened_size;
};

/// Returns its input (a placeholder, e.g. for a removed layer).
class Identity : public Module {
 public:
  Tensor forward(const Tensor& x) override { return x; }
};

}  // namespace braid::nn
