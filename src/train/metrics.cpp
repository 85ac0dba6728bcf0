#include "braid/train/metrics.hpp"

#include <algorithm>
#include <cmath>

#include "braid/core/error.hpp"
#include "braid/core/grad_mode.hpp"
#include "braid/ops/ops.hpp"

namespace braid::train {
namespace {

std::vector<double> values(const Tensor& t) {
  return t.detach().to(DType::Float64).contiguous().to_vector<double>();
}

// Predicted and true labels of a batch (see metrics.hpp for the layouts).
struct Labels {
  std::vector<int64_t> truth, pred;
  int64_t classes = 2;
  bool binary = false;
  std::vector<double> scores;  // row-major (n, classes), or (n) for binary
};

Labels labels(const Tensor& pred, const Tensor& target, bool from_logits, const char* who) {
  Labels l;
  const int64_t c = pred.dim() >= 2 ? pred.size(-1) : 1;
  const bool sparse = c >= 2 && !target.is_floating_point() && target.numel() * c == pred.numel();
  const bool onehot = c >= 2 && target.is_floating_point() && target.shape() == pred.shape();
  const bool bin = !sparse && !onehot && target.numel() == pred.numel();
  BRAID_CHECK(sparse || onehot || bin, ShapeError, who,
              "expected pred (N, C) with int64 targets (N), one-hot targets of pred's shape, or "
              "one score per target; got pred {} and target {}",
              shape_str(pred.shape()), shape_str(target.shape()));
  l.scores = values(pred);
  if (bin) {
    l.binary = true;
    const double thr = from_logits ? 0.0 : 0.5;
    for (double s : l.scores) l.pred.push_back(s > thr ? 1 : 0);
    for (double t : values(target)) l.truth.push_back(t > 0.5 ? 1 : 0);
    return l;
  }
  l.classes = c;
  const int64_t n = pred.numel() / c;
  auto argmax_rows = [c, n](const std::vector<double>& v) {
    std::vector<int64_t> out(n);
    for (int64_t i = 0; i < n; ++i)
      out[i] = std::max_element(v.begin() + i * c, v.begin() + (i + 1) * c) - (v.begin() + i * c);
    return out;
  };
  l.pred = argmax_rows(l.scores);
  if (sparse) {
    l.truth = target.detach().to(DType::Int64).contiguous().to_vector<int64_t>();
    for (int64_t t : l.truth)
      BRAID_CHECK(t >= 0 && t < c, IndexError, who, "target class {} is outside [0, {})", t, c);
  } else {
    l.truth = argmax_rows(values(target));
  }
  return l;
}

}  // namespace

void Mean::update(const Tensor& value, const Tensor&) {
  for (double v : values(value)) add(v);
}

void Accuracy::update(const Tensor& pred, const Tensor& target) {
  Labels l = labels(pred, target, from_logits_, "train.accuracy");
  for (size_t i = 0; i < l.truth.size(); ++i) correct_ += l.truth[i] == l.pred[i];
  total_ += int64_t(l.truth.size());
}

TopKAccuracy::TopKAccuracy(int64_t k, std::string name) : Metric(std::move(name)), k_(k) {
  BRAID_CHECK(k >= 1, ValueError, "train.top_k_accuracy", "k must be >= 1; got {}", k);
}

void TopKAccuracy::update(const Tensor& pred, const Tensor& target) {
  Labels l = labels(pred, target, false, "train.top_k_accuracy");
  BRAID_CHECK(!l.binary, ShapeError, "train.top_k_accuracy",
              "needs class scores (N, C); got pred {}", shape_str(pred.shape()));
  const int64_t c = l.classes;
  for (size_t i = 0; i < l.truth.size(); ++i) {
    const double* row = l.scores.data() + i * c;
    const double mine = row[l.truth[i]];
    const int64_t above = std::count_if(row, row + c, [mine](double s) { return s > mine; });
    correct_ += above < k_;
  }
  total_ += int64_t(l.truth.size());
}

ConfusionMatrix::ConfusionMatrix(int64_t num_classes, std::string name, bool from_logits)
    : Metric(std::move(name)), from_logits_(from_logits) {
  grow(num_classes);
}

void ConfusionMatrix::grow(int64_t n) {
  if (n <= num_classes()) return;
  for (auto& row : counts_) row.resize(n, 0);
  counts_.resize(n, std::vector<int64_t>(n, 0));
}

void ConfusionMatrix::reset() {
  for (auto& row : counts_) std::fill(row.begin(), row.end(), 0);
}

void ConfusionMatrix::update(const Tensor& pred, const Tensor& target) {
  Labels l = labels(pred, target, from_logits_, "train.confusion_matrix");
  binary_ = l.binary;
  grow(l.classes);
  for (size_t i = 0; i < l.truth.size(); ++i) ++counts_[l.truth[i]][l.pred[i]];
}

double ConfusionMatrix::result() const {
  int64_t diag = 0, total = 0;
  for (int64_t t = 0; t < num_classes(); ++t)
    for (int64_t p = 0; p < num_classes(); ++p) (t == p ? diag : total) += counts_[t][p];
  total += diag;
  return total ? double(diag) / double(total) : 0.0;
}

double ConfusionMatrix::precision(int64_t cls) const {
  int64_t col = 0;
  for (int64_t t = 0; t < num_classes(); ++t) col += counts_[t][cls];
  return col ? double(counts_[cls][cls]) / double(col) : 0.0;
}

double ConfusionMatrix::recall(int64_t cls) const {
  int64_t row = 0;
  for (int64_t p = 0; p < num_classes(); ++p) row += counts_[cls][p];
  return row ? double(counts_[cls][cls]) / double(row) : 0.0;
}

std::string ConfusionMatrix::str() const {
  std::string s = "true\\pred";
  for (int64_t p = 0; p < num_classes(); ++p) s += fmt::format(" {:>7}", p);
  for (int64_t t = 0; t < num_classes(); ++t) {
    s += fmt::format("\n{:>9}", t);
    for (int64_t p = 0; p < num_classes(); ++p) s += fmt::format(" {:>7}", counts_[t][p]);
  }
  return s;
}

PrecisionRecall::PrecisionRecall(Kind kind, std::string name, bool from_logits)
    : Metric(std::move(name)), kind_(kind), cm_(0, "confusion_matrix", from_logits) {}

double PrecisionRecall::result() const {
  auto score = [this](int64_t c) {
    const double p = cm_.precision(c), r = cm_.recall(c);
    if (kind_ == Kind::Precision) return p;
    if (kind_ == Kind::Recall) return r;
    return p + r > 0 ? 2 * p * r / (p + r) : 0.0;
  };
  if (cm_.binary()) return cm_.num_classes() > 1 ? score(1) : 0.0;
  // Macro average over the classes that occur as truth or prediction (sklearn).
  double sum = 0;
  int64_t n = 0;
  for (int64_t c = 0; c < cm_.num_classes(); ++c) {
    int64_t seen = 0;
    for (int64_t o = 0; o < cm_.num_classes(); ++o) seen += cm_.counts()[c][o] + cm_.counts()[o][c];
    if (seen == 0) continue;
    sum += score(c), ++n;
  }
  return n ? sum / double(n) : 0.0;
}

AUC::AUC(std::string name, int64_t num_thresholds, bool from_logits)
    : Metric(std::move(name)), from_logits_(from_logits) {
  BRAID_CHECK(num_thresholds > 1, ValueError, "train.auc", "num_thresholds must be > 1; got {}",
              num_thresholds);
  const double eps = 1e-7;
  thresholds_.push_back(-eps);
  for (int64_t i = 0; i < num_thresholds - 2; ++i)
    thresholds_.push_back(double(i + 1) / double(num_thresholds - 1));
  thresholds_.push_back(1.0 + eps);
  reset();
}

void AUC::reset() {
  tp_.assign(thresholds_.size(), 0);
  fp_.assign(thresholds_.size(), 0);
  pos_ = neg_ = 0;
}

void AUC::update(const Tensor& pred, const Tensor& target) {
  Labels l = labels(pred, target, from_logits_, "train.auc");
  std::vector<double> prob;
  std::vector<int64_t> truth;
  if (l.binary) {
    prob = l.scores;
    if (from_logits_)
      for (double& p : prob) p = 1.0 / (1.0 + std::exp(-p));
    truth = l.truth;
  } else {
    // One-vs-rest over every (example, class) pair, with softmax probabilities.
    const int64_t c = l.classes;
    const bool probs = !from_logits_;
    for (size_t i = 0; i < l.truth.size(); ++i) {
      const double* row = l.scores.data() + i * c;
      const double mx = *std::max_element(row, row + c);
      double z = 0;
      for (int64_t j = 0; j < c; ++j) z += std::exp(row[j] - mx);
      for (int64_t j = 0; j < c; ++j) {
        prob.push_back(probs ? row[j] : std::exp(row[j] - mx) / z);
        truth.push_back(l.truth[i] == j);
      }
    }
  }
  for (size_t i = 0; i < prob.size(); ++i) {
    (truth[i] ? pos_ : neg_) += 1;
    for (size_t k = 0; k < thresholds_.size(); ++k)
      if (prob[i] > thresholds_[k]) ++(truth[i] ? tp_ : fp_)[k];
  }
}

double AUC::result() const {
  auto rate = [](int64_t a, int64_t total) { return total ? double(a) / double(total) : 0.0; };
  double area = 0;
  for (size_t k = 0; k + 1 < thresholds_.size(); ++k) {
    const double x0 = rate(fp_[k], neg_), x1 = rate(fp_[k + 1], neg_);
    const double y0 = rate(tp_[k], pos_), y1 = rate(tp_[k + 1], pos_);
    area += (x0 - x1) * (y0 + y1) / 2;
  }
  return area;
}

void MeanError::update(const Tensor& pred, const Tensor& target) {
  BRAID_CHECK(pred.numel() == target.numel(), ShapeError, "train." + name(),
              "pred and target must have as many elements; got pred {} and target {}",
              shape_str(pred.shape()), shape_str(target.shape()));
  const std::vector<double> p = values(pred), t = values(target);
  for (size_t i = 0; i < p.size(); ++i) {
    const double d = p[i] - t[i];
    sum_ += squared_ ? d * d : std::abs(d);
  }
  count_ += int64_t(p.size());
}

const std::vector<std::string>& metric_names() {
  static const std::vector<std::string> names = {"accuracy",
                                                 "acc",
                                                 "top_k_accuracy",
                                                 "sparse_top_k_categorical_accuracy",
                                                 "precision",
                                                 "recall",
                                                 "f1",
                                                 "f1_score",
                                                 "auc",
                                                 "mse",
                                                 "mean_squared_error",
                                                 "mae",
                                                 "mean_absolute_error"};
  return names;
}

std::unique_ptr<Metric> make_metric(const std::string& n, bool from_logits) {
  using K = PrecisionRecall::Kind;
  if (n == "accuracy" || n == "acc") return std::make_unique<Accuracy>(n, from_logits);
  if (n == "top_k_accuracy" || n == "sparse_top_k_categorical_accuracy")
    return std::make_unique<TopKAccuracy>(5, n);
  if (n == "precision") return std::make_unique<PrecisionRecall>(K::Precision, n, from_logits);
  if (n == "recall") return std::make_unique<PrecisionRecall>(K::Recall, n, from_logits);
  if (n == "f1" || n == "f1_score") return std::make_unique<PrecisionRecall>(K::F1, n, from_logits);
  if (n == "auc") return std::make_unique<AUC>(n, 200, from_logits);
  if (n == "mse" || n == "mean_squared_error") return std::make_unique<MeanError>(true, n);
  if (n == "mae" || n == "mean_absolute_error") return std::make_unique<MeanError>(false, n);
  throw ValueError(fmt::format("[train.compile] unknown metric '{}'; known metrics: {}", n,
                               fmt::join(metric_names(), ", ")));
}

}  // namespace braid::train
