#pragma once
/// Linear: y = x W^T + b. x: (..., in_features) -> (..., out_features).
/// Initialised as PyTorch's default: W and b uniform in +-1/sqrt(in_features)
/// (kaiming_uniform with a = sqrt(5) for W).
#include "braid/nn/module.hpp"

namespace braid::nn {

class Linear : public Module {
 public:
  Linear(int64_t in_features, int64_t out_features, bool bias = true);
  Tensor forward(const Tensor& x) override;
  std::string extra_repr() const override;
  /// Re-draws weight and bias as the constructor did.
  void reset_parameters();

  const int64_t in_features, out_features;
  Tensor& weight;  ///< (out_features, in_features)
  Tensor& bias;    ///< (out_features), or undefined without bias
};

}  // namespace braid::nn
