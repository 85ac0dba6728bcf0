// Stateful metrics against hand-computed values.
#include <gtest/gtest.h>

#include "braid/braid.hpp"
#include "core/test_util.hpp"

namespace braid {
namespace {

Tensor f(const std::vector<float>& v, const Shape& s) { return tensor(v, s); }
Tensor i64(const std::vector<int64_t>& v) { return tensor(v, {int64_t(v.size())}); }

TEST(TrainMetrics, AccuracyForClassesOneHotAndBinary) {
  train::Accuracy acc;
  acc.update(f({0.1f, 0.9f, 0.8f, 0.2f, 0.3f, 0.7f}, {3, 2}), i64({1, 1, 1}));
  EXPECT_DOUBLE_EQ(acc.result(), 2.0 / 3);
  acc.update(f({0.6f, 0.4f}, {1, 2}), i64({0}));  // accumulates: 3 of 4
  EXPECT_DOUBLE_EQ(acc.result(), 0.75);
  acc.reset();
  EXPECT_DOUBLE_EQ(acc.result(), 0.0);
  acc.update(f({0.1f, 0.9f, 0.8f, 0.2f}, {2, 2}), f({0, 1, 0, 1}, {2, 2}));  // one-hot
  EXPECT_DOUBLE_EQ(acc.result(), 0.5);
  train::Accuracy bin;
  bin.update(f({0.2f, 0.7f, 0.6f, 0.4f}, {4, 1}), f({0, 1, 0, 0}, {4}));
  EXPECT_DOUBLE_EQ(bin.result(), 0.75);
  train::Accuracy logits("accuracy", true);  // threshold 0
  logits.update(f({-1.f, 0.5f, 0.2f}, {3}), f({0, 1, 0}, {3}));
  EXPECT_DOUBLE_EQ(logits.result(), 2.0 / 3);
  BRAID_EXPECT_THROW_MSG(acc.update(f({0, 0, 0, 0, 0, 0}, {2, 3}), i64({1, 2, 0})), ShapeError,
                         "[train.accuracy] expected pred (N, C) with int64 targets (N), one-hot "
                         "targets of pred's shape, or one score per target; got pred (2, 3) and "
                         "target (3)");
}

TEST(TrainMetrics, TopK) {
  train::TopKAccuracy top2(2);
  // Scores of 4 classes; targets ranked 1st, 2nd, 3rd, 4th.
  top2.update(
      f({.9f, .1f, .0f, .0f, .5f, .6f, .1f, .0f, .1f, .2f, .3f, .4f, .4f, .3f, .2f, .1f}, {4, 4}),
      i64({0, 0, 1, 3}));
  EXPECT_DOUBLE_EQ(top2.result(), 0.5);
  EXPECT_EQ(top2.name(), "top_k_accuracy");
}

TEST(TrainMetrics, PrecisionRecallF1Binary) {
  auto p = train::make_metric("precision"), r = train::make_metric("recall"),
       f1 = train::make_metric("f1");
  Tensor pred = f({0.2f, 0.7f, 0.6f, 0.4f, 0.9f}, {5}), truth = f({0, 1, 0, 1, 1}, {5});
  for (auto* m : {p.get(), r.get(), f1.get()}) m->update(pred, truth);
  // TP = 2 (0.7, 0.9), FP = 1 (0.6), FN = 1 (0.4).
  EXPECT_DOUBLE_EQ(p->result(), 2.0 / 3);
  EXPECT_DOUBLE_EQ(r->result(), 2.0 / 3);
  EXPECT_DOUBLE_EQ(f1->result(), 2.0 / 3);
}

TEST(TrainMetrics, ConfusionMatrixAndMacroAverages) {
  // truth 0 0 1 1 2 2, predicted 0 1 1 1 2 0.
  Tensor pred = f({1, 0, 0, 0, 1, 0, 0, 1, 0, 0, 1, 0, 0, 0, 1, 1, 0, 0}, {6, 3});
  Tensor truth = i64({0, 0, 1, 1, 2, 2});
  train::ConfusionMatrix cm;
  cm.update(pred, truth);
  EXPECT_EQ(cm.counts(), (std::vector<std::vector<int64_t>>{{1, 1, 0}, {0, 2, 0}, {1, 0, 1}}));
  EXPECT_DOUBLE_EQ(cm.result(), 4.0 / 6);
  EXPECT_EQ(cm.str(),
            "true\\pred       0       1       2\n"
            "        0       1       1       0\n"
            "        1       0       2       0\n"
            "        2       1       0       1");
  // Per class precision 1/2, 2/3, 1; recall 1/2, 1, 1/2.
  auto p = train::make_metric("precision"), r = train::make_metric("recall"),
       f1 = train::make_metric("f1");
  for (auto* m : {p.get(), r.get(), f1.get()}) m->update(pred, truth);
  EXPECT_NEAR(p->result(), (0.5 + 2.0 / 3 + 1) / 3, 1e-12);
  EXPECT_NEAR(r->result(), (0.5 + 1 + 0.5) / 3, 1e-12);
  const double f0 = 0.5, fcls1 = 2 * (2.0 / 3) / (2.0 / 3 + 1), f2 = 2 * 0.5 / 1.5;
  EXPECT_NEAR(f1->result(), (f0 + fcls1 + f2) / 3, 1e-12);
}

TEST(TrainMetrics, AucMatchesTheRankStatistic) {
  train::AUC auc;
  // Pairs (positive, negative) ranked correctly: 0.35>0.1, 0.8>0.1, 0.8>0.4, not 0.35>0.4.
  auc.update(f({0.1f, 0.4f, 0.35f, 0.8f}, {4}), f({0, 0, 1, 1}, {4}));
  EXPECT_NEAR(auc.result(), 0.75, 1e-9);
  auc.reset();
  auc.update(f({0.1f, 0.2f, 0.7f, 0.9f}, {4}), f({0, 0, 1, 1}, {4}));
  EXPECT_NEAR(auc.result(), 1.0, 1e-9);
  train::AUC multi("auc", 200, true);  // logits, one-vs-rest over (2 x 2)
  multi.update(f({2.f, 0.f, 0.f, 2.f}, {2, 2}), i64({0, 1}));
  EXPECT_NEAR(multi.result(), 1.0, 1e-9);
}

TEST(TrainMetrics, MeanErrorsAndMean) {
  auto mse = train::make_metric("mse"), mae = train::make_metric("mae");
  Tensor pred = f({1, 2, 3}, {3, 1}), truth = f({1, 4, 0}, {3});
  mse->update(pred, truth);
  mae->update(pred, truth);
  EXPECT_DOUBLE_EQ(mse->result(), (0 + 4 + 9) / 3.0);
  EXPECT_DOUBLE_EQ(mae->result(), (0 + 2 + 3) / 3.0);
  train::Mean m;
  m.add(1.0, 3);
  m.add(3.0, 1);
  EXPECT_DOUBLE_EQ(m.result(), 1.5);
}

TEST(TrainMetrics, CustomMetricThroughCompile) {
  struct Count : train::Metric {
    Count() : Metric("seen") {}
    double n = 0;
    void reset() override { n = 0; }
    void update(const Tensor& p, const Tensor&) override { n += double(p.size(0)); }
    double result() const override { return n; }
  };
  manual_seed(0);
  train::Model model(nn::Linear(2, 2));
  struct Sgd0 : optim::Optimizer {
    std::vector<std::vector<Tensor>> g;
    void step() override {}
    void add_param_group(std::vector<Tensor> p) override { g.push_back(std::move(p)); }
    size_t num_param_groups() const override { return g.size(); }
    const std::vector<Tensor>& params(size_t i) const override { return g.at(i); }
    double lr(size_t) const override { return 0; }
    void set_lr(double, size_t) override {}
    std::string name() const override { return "Sgd0"; }
  };
  model.compile(Sgd0(), "cross_entropy",
                {train::MetricSpec([] { return std::make_unique<Count>(); })});
  auto h = model.fit(randn({10, 2}), zeros({10}, DType::Int64),
                     {.epochs = 2, .batch_size = 4, .verbose = 0});
  EXPECT_EQ(h["seen"], (std::vector<double>{10, 10}));
}

}  // namespace
}  // namespace braid
