#pragma once
/// Loss functions by their Keras names, for Model::compile.
///
/// braid networks end in logits, as PyTorch's do, so the cross entropies
/// take logits: "sparse_categorical_crossentropy" (alias "cross_entropy")
/// is F.cross_entropy with int64 class-index targets (N);
/// "categorical_crossentropy" the same with one-hot / probability targets
/// (N, C). "binary_crossentropy" takes probabilities (a network ending in
/// Sigmoid, as in Keras and torch's BCELoss); "binary_crossentropy_with_logits"
/// takes logits. "mse" and "mae" average over every element; a target with
/// the prediction's element count is reshaped to it ((N) vs (N, 1)).
#include <functional>
#include <string>
#include <vector>

#include "braid/core/tensor.hpp"

namespace braid::train {

/// (pred, target) -> 0-dim loss.
using LossFn = std::function<Tensor(const Tensor& pred, const Tensor& target)>;

/// A loss as compile() takes it: a Keras name or a callable.
class Loss {
 public:
  Loss(const char* name);                      // NOLINT: compile(opt, "mse") reads as Keras
  Loss(const std::string& name);               // NOLINT
  Loss(LossFn fn, std::string name = "loss");  // NOLINT: a lambda converts too
  template <class F>
  requires std::is_invocable_r_v<Tensor, F, const Tensor&, const Tensor&> &&
      (!std::is_convertible_v<F, std::string>)&&(!std::is_same_v<std::decay_t<F>, LossFn>)Loss(F fn)
      : Loss(LossFn(std::move(fn))) {}  // NOLINT

  /// The batch loss (mean over the batch).
  Tensor operator()(const Tensor& pred, const Tensor& target) const;
  /// Per-example losses (N), for class_weight. Throws ValueError for a
  /// callable loss (it can only give the mean).
  Tensor per_example(const Tensor& pred, const Tensor& target) const;
  const std::string& name() const { return name_; }
  bool builtin() const { return !fn_; }
  /// Whether the predictions are logits (metrics then threshold at 0 / softmax).
  bool from_logits() const;

 private:
  std::string name_;
  LossFn fn_;
};

/// The names Loss accepts.
const std::vector<std::string>& loss_names();

}  // namespace braid::train
