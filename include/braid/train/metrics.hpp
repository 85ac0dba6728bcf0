#pragma once
/// Stateful metrics (Keras' reset_state / update_state / result): each
/// accumulates over the batches of an epoch and reports one number.
///
/// Predictions and targets, as the losses take them (see losses.hpp):
/// - class indices: pred (N, C) scores (logits or probabilities), target (N) int64;
/// - binary: pred (N) or (N, 1) probabilities (or logits with from_logits),
///   target of the same number of elements holding 0/1;
/// - regression (mse, mae): pred and target with the same number of elements.
/// Updates run without recording a graph. Throws ShapeError on shapes that
/// fit none of these.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "braid/core/tensor.hpp"

namespace braid::train {

class Metric {
 public:
  explicit Metric(std::string name) : name_(std::move(name)) {}
  virtual ~Metric() = default;
  virtual void reset() = 0;
  virtual void update(const Tensor& pred, const Tensor& target) = 0;
  virtual double result() const = 0;
  /// The key in logs and History ("accuracy"; "val_accuracy" on validation).
  const std::string& name() const { return name_; }
  void set_name(std::string name) { name_ = std::move(name); }

 private:
  std::string name_;
};

/// Weighted running mean (the loss tracker).
class Mean : public Metric {
 public:
  explicit Mean(std::string name = "mean") : Metric(std::move(name)) {}
  void reset() override { sum_ = weight_ = 0; }
  void update(const Tensor& value, const Tensor& = {}) override;
  void add(double value, double weight = 1) { sum_ += value * weight, weight_ += weight; }
  double result() const override { return weight_ > 0 ? sum_ / weight_ : 0.0; }

 private:
  double sum_ = 0, weight_ = 0;
};

/// Fraction of correct predictions: argmax for class indices, pred > threshold
/// (0.5 for probabilities, 0 with from_logits) for binary targets.
class Accuracy : public Metric {
 public:
  explicit Accuracy(std::string name = "accuracy", bool from_logits = false)
      : Metric(std::move(name)), from_logits_(from_logits) {}
  void reset() override { correct_ = total_ = 0; }
  void update(const Tensor& pred, const Tensor& target) override;
  double result() const override { return total_ ? double(correct_) / double(total_) : 0.0; }

 private:
  bool from_logits_;
  int64_t correct_ = 0, total_ = 0;
};

/// Whether the target class is among the k highest scores (ties count for
/// the target). Class-index targets only.
class TopKAccuracy : public Metric {
 public:
  explicit TopKAccuracy(int64_t k = 5, std::string name = "top_k_accuracy");
  void reset() override { correct_ = total_ = 0; }
  void update(const Tensor& pred, const Tensor& target) override;
  double result() const override { return total_ ? double(correct_) / double(total_) : 0.0; }

 private:
  int64_t k_, correct_ = 0, total_ = 0;
};

/// Counts of (true class, predicted class). Binary data has two classes.
class ConfusionMatrix : public Metric {
 public:
  /// num_classes 0: grown to the largest class seen.
  explicit ConfusionMatrix(int64_t num_classes = 0, std::string name = "confusion_matrix",
                           bool from_logits = false);
  void reset() override;
  void update(const Tensor& pred, const Tensor& target) override;
  /// Accuracy (trace / total).
  double result() const override;
  /// counts()[t][p]: examples of class t predicted as p.
  const std::vector<std::vector<int64_t>>& counts() const { return counts_; }
  int64_t num_classes() const { return int64_t(counts_.size()); }
  /// Whether the updates were binary (one score per example).
  bool binary() const { return binary_; }
  /// Per-class precision and recall (0 where undefined, as Keras).
  double precision(int64_t cls) const;
  double recall(int64_t cls) const;
  /// Table with "true\pred" rows, for printing.
  std::string str() const;

 private:
  void grow(int64_t n);
  bool from_logits_, binary_ = false;
  std::vector<std::vector<int64_t>> counts_;
};

/// Precision, recall and F1: of the positive class (1) for binary data;
/// the unweighted mean over classes (macro) for class indices.
class PrecisionRecall : public Metric {
 public:
  enum class Kind { Precision, Recall, F1 };
  PrecisionRecall(Kind kind, std::string name, bool from_logits = false);
  void reset() override { cm_.reset(); }
  void update(const Tensor& pred, const Tensor& target) override { cm_.update(pred, target); }
  double result() const override;

 private:
  Kind kind_;
  ConfusionMatrix cm_;
};

/// Area under the ROC curve, as Keras' AUC: true/false positive counts at
/// num_thresholds thresholds evenly spaced in [0, 1] (plus -eps and 1+eps),
/// then the trapezoid rule. Binary data: pred are probabilities (sigmoid
/// applied with from_logits). Class indices: one-vs-rest over the flattened
/// one-hot labels and softmax probabilities (Keras' micro average).
class AUC : public Metric {
 public:
  explicit AUC(std::string name = "auc", int64_t num_thresholds = 200, bool from_logits = false);
  void reset() override;
  void update(const Tensor& pred, const Tensor& target) override;
  double result() const override;

 private:
  bool from_logits_;
  std::vector<double> thresholds_;
  std::vector<int64_t> tp_, fp_;
  int64_t pos_ = 0, neg_ = 0;
};

/// Mean squared / absolute error over every element.
class MeanError : public Metric {
 public:
  MeanError(bool squared, std::string name) : Metric(std::move(name)), squared_(squared) {}
  void reset() override { sum_ = 0, count_ = 0; }
  void update(const Tensor& pred, const Tensor& target) override;
  double result() const override { return count_ ? sum_ / double(count_) : 0.0; }

 private:
  bool squared_;
  double sum_ = 0;
  int64_t count_ = 0;
};

/// The metric a compile() string names; the metric keeps that string as its
/// name. Throws ValueError listing the known names.
std::unique_ptr<Metric> make_metric(const std::string& name, bool from_logits = false);
/// "accuracy", "acc", "top_k_accuracy", ... (for error messages and docs).
const std::vector<std::string>& metric_names();

}  // namespace braid::train
