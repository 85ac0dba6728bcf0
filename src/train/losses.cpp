#include "braid/train/losses.hpp"

#include <algorithm>

#include "braid/core/error.hpp"
#include "braid/ops/loss.hpp"
#include "braid/ops/ops.hpp"

namespace braid::train {

const std::vector<std::string>& loss_names() {
  static const std::vector<std::string> names = {"sparse_categorical_crossentropy",
                                                 "cross_entropy",
                                                 "categorical_crossentropy",
                                                 "binary_crossentropy",
                                                 "binary_crossentropy_with_logits",
                                                 "mse",
                                                 "mean_squared_error",
                                                 "mae",
                                                 "mean_absolute_error"};
  return names;
}

namespace {

// A regression / binary target with pred's element count takes pred's shape
// (Keras squeezes (N, 1) against (N)); any other mismatch is the loss's error.
Tensor like_pred(const Tensor& pred, const Tensor& target) {
  Tensor t = target.dtype() == pred.dtype() ? target : target.to(pred.dtype());
  if (t.shape() != pred.shape() && t.numel() == pred.numel()) t = t.reshape(pred.shape());
  return t;
}

// Mean over every dim but the first: (N, ...) -> (N).
Tensor per_row(const Tensor& l) {
  if (l.dim() <= 1) return l;
  std::vector<int64_t> dims;
  for (int64_t d = 1; d < l.dim(); ++d) dims.push_back(d);
  return mean(l, dims);
}

Tensor builtin_loss(const std::string& n, const Tensor& pred, const Tensor& target) {
  if (n == "sparse_categorical_crossentropy" || n == "cross_entropy" ||
      n == "categorical_crossentropy") {
    Tensor t = target;
    // Keras' sparse targets are often (N, 1).
    if (t.dtype() == DType::Int64 && t.dim() == pred.dim() && t.dim() >= 2 && t.size(-1) == 1)
      t = t.squeeze({-1});
    if (n == "categorical_crossentropy" && !t.is_floating_point()) t = t.to(pred.dtype());
    return per_row(cross_entropy(pred, t, {.reduction = "none"}));
  }
  if (n == "binary_crossentropy")
    return per_row(binary_cross_entropy(pred, like_pred(pred, target), {}, "none"));
  if (n == "binary_crossentropy_with_logits")
    return per_row(
        binary_cross_entropy_with_logits(pred, like_pred(pred, target), {.reduction = "none"}));
  if (n == "mse" || n == "mean_squared_error")
    return per_row(mse_loss(pred, like_pred(pred, target), "none"));
  return per_row(l1_loss(pred, like_pred(pred, target), "none"));
}

}  // namespace

Loss::Loss(const char* name) : Loss(std::string(name)) {}

Loss::Loss(const std::string& name) : name_(name) {
  const auto& known = loss_names();
  BRAID_CHECK(std::find(known.begin(), known.end(), name) != known.end(), ValueError,
              "train.compile", "unknown loss '{}'; known losses: {} (or pass a callable)", name,
              fmt::join(known, ", "));
}

Loss::Loss(LossFn fn, std::string name) : name_(std::move(name)), fn_(std::move(fn)) {
  BRAID_CHECK(fn_ != nullptr, ValueError, "train.compile", "the loss callable is empty");
}

Tensor Loss::operator()(const Tensor& pred, const Tensor& target) const {
  if (fn_) {
    Tensor l = fn_(pred, target);
    BRAID_CHECK(l.numel() == 1, ShapeError, "train.loss",
                "the loss callable must return one value; got shape {}", shape_str(l.shape()));
    return l.reshape({});
  }
  return mean(builtin_loss(name_, pred, target));
}

Tensor Loss::per_example(const Tensor& pred, const Tensor& target) const {
  BRAID_CHECK(!fn_, ValueError, "train.fit",
              "class_weight needs per-example losses, which only the named losses give; "
              "got a callable loss");
  return builtin_loss(name_, pred, target);
}

bool Loss::from_logits() const {
  return name_ == "sparse_categorical_crossentropy" || name_ == "cross_entropy" ||
         name_ == "categorical_crossentropy" || name_ == "binary_crossentropy_with_logits";
}

}  // namespace braid::train
