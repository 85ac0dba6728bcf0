#pragma once
/// Dropout: in training mode each element is zeroed with probability p and
/// the rest scaled by 1 / (1 - p), from braid's default generator; in eval
/// mode the input passes through unchanged. x: any floating shape.
/// (No `inplace`: it always computes a new tensor, and prints inplace=False.)
#include "braid/nn/module.hpp"

namespace braid::nn {

class Dropout : public Module {
 public:
  /// Throws ValueError for p outside [0, 1].
  explicit Dropout(double p = 0.5);
  Tensor forward(const Tensor& x) override;
  std::string extra_repr() const override;

  const double p;
};

}  // namespace braid::nn
