// Learning-rate schedules: parity with PyTorch 1.13's (recursive) values over
// 25-40 steps (tests/fixtures/optim/schedulers.json, rtol 1e-12; Note
// [closed-form schedules]), state dicts, and bad settings.
#include <gtest/gtest.h>

#include "core/test_util.hpp"
#include "optim/optim_fixture.hpp"

namespace braid {
namespace {

using namespace optim_test;

// The optimizer a case runs on: two groups with the case's rates.
std::unique_ptr<optim::Optimizer> case_optimizer(const json& c) {
  std::vector<double> lrs = c["group_lrs"];
  if (c["optimizer"] == "SGD") {
    double m = c["momentum"];
    auto opt = std::make_unique<optim::SGD>(optim::SGDOptions{.lr = lrs[0], .momentum = m});
    for (size_t g = 0; g < lrs.size(); ++g)
      opt->add_param_group({zeros({2}).requires_grad_()}, {.lr = lrs[g], .momentum = m});
    return opt;
  }
  auto opt = std::make_unique<optim::Adam>(optim::AdamOptions{.lr = lrs[0]});
  for (size_t g = 0; g < lrs.size(); ++g)
    opt->add_param_group({zeros({2}).requires_grad_()}, {.lr = lrs[g]});
  return opt;
}

std::vector<double> one_or_many(const json& j) {
  return j.is_array() ? j.get<std::vector<double>>() : std::vector<double>{j.get<double>()};
}

class SchedulerParity : public ::testing::TestWithParam<std::string> {};

TEST_P(SchedulerParity, MatchesTorch) {
  const json& c = find_case("schedulers.json", GetParam());
  const json& a = c["args"];
  auto opt = case_optimizer(c);
  const std::string kind = c["scheduler"];
  std::unique_ptr<optim::LRScheduler> sched;
  std::unique_ptr<optim::ReduceLROnPlateau> plateau;
  if (kind == "StepLR") {
    sched = std::make_unique<optim::StepLR>(*opt, a["step_size"], a.value("gamma", 0.1));
  } else if (kind == "MultiStepLR") {
    sched = std::make_unique<optim::MultiStepLR>(*opt, a["milestones"], a.value("gamma", 0.1));
  } else if (kind == "ExponentialLR") {
    sched = std::make_unique<optim::ExponentialLR>(*opt, a["gamma"]);
  } else if (kind == "CosineAnnealingLR") {
    sched = std::make_unique<optim::CosineAnnealingLR>(*opt, a["T_max"], a.value("eta_min", 0.0));
  } else if (kind == "LinearLR") {
    sched = std::make_unique<optim::LinearLR>(*opt, a.value("start_factor", 1.0 / 3),
                                              a.value("end_factor", 1.0),
                                              a.value("total_iters", int64_t{5}));
  } else if (kind == "OneCycleLR") {
    optim::OneCycleLROptions o;
    o.pct_start = a.value("pct_start", o.pct_start);
    o.anneal_strategy = a.value("anneal_strategy", o.anneal_strategy);
    o.cycle_momentum = a.value("cycle_momentum", o.cycle_momentum);
    o.three_phase = a.value("three_phase", o.three_phase);
    std::vector<double> max_lr = one_or_many(a["max_lr"]);
    if (max_lr.size() == 1) max_lr.resize(opt->num_param_groups(), max_lr[0]);
    sched = std::make_unique<optim::OneCycleLR>(*opt, max_lr, a["total_steps"], o);
  } else {
    optim::ReduceLROnPlateauOptions o;
    o.mode = a.value("mode", o.mode);
    o.factor = a.value("factor", o.factor);
    o.patience = a.value("patience", o.patience);
    o.threshold = a.value("threshold", o.threshold);
    o.threshold_mode = a.value("threshold_mode", o.threshold_mode);
    o.cooldown = a.value("cooldown", o.cooldown);
    if (a.contains("min_lr")) o.min_lr = one_or_many(a["min_lr"]);
    plateau = std::make_unique<optim::ReduceLROnPlateau>(*opt, o);
  }

  const json& lrs = c["lrs"];
  auto check = [&](size_t step) {
    for (size_t g = 0; g < opt->num_param_groups(); ++g) {
      double want = lrs[step][g];
      EXPECT_NEAR(opt->lr(g), want, 1e-12 * std::abs(want) + 1e-15)
          << GetParam() << " step " << step << " group " << g << "; " << kRegenerate;
      const std::vector<double>& last = sched ? sched->get_last_lr() : plateau->get_last_lr();
      EXPECT_EQ(last.at(g), opt->lr(g));
      if (c.contains("momenta")) {
        double m = c["momenta"][step][g];
        EXPECT_NEAR(opt->momentum(g).value(), m, 1e-12) << GetParam() << " momentum, step " << step;
      }
    }
  };
  check(0);
  for (size_t step = 1; step < lrs.size(); ++step) {
    if (sched)
      sched->step();
    else
      plateau->step(c["metrics"][step - 1]);
    check(step);
  }
}

INSTANTIATE_TEST_SUITE_P(Optim, SchedulerParity, ::testing::ValuesIn(case_names("schedulers.json")),
                         [](const auto& info) { return info.param; });

TEST(Scheduler, StateDictResumesTheSchedule) {
  Tensor w = zeros({2}).requires_grad_();
  optim::SGD a({w}, {.lr = 0.1});
  optim::CosineAnnealingLR sa(a, 10, 0.001);
  for (int i = 0; i < 4; ++i) sa.step();
  nn::StateDict saved = sa.state_dict();
  EXPECT_EQ(saved.at("last_epoch").item<int64_t>(), 4);

  optim::SGD b({zeros({2}).requires_grad_()}, {.lr = 0.1});
  optim::CosineAnnealingLR sb(b, 10, 0.001);
  sb.load_state_dict(saved);
  EXPECT_EQ(sb.last_epoch(), 4);
  EXPECT_EQ(b.lr(0), a.lr(0)) << "loading sets the rate of the saved epoch";
  for (int i = 0; i < 3; ++i) sa.step(), sb.step();
  EXPECT_EQ(b.lr(0), a.lr(0));

  optim::SGD two({zeros({1}).requires_grad_()});
  two.add_param_group({zeros({1}).requires_grad_()});
  optim::StepLR s2(two, 3);
  BRAID_EXPECT_THROW_MSG(s2.load_state_dict(saved), ValueError,
                         "[LRScheduler.load_state_dict] base_lrs holds 1 rate(s) but the "
                         "optimizer has 2 param group(s)");
  EXPECT_EQ(s2.last_epoch(), 0);
}

TEST(Scheduler, PlateauStateDict) {
  optim::SGD opt({zeros({1}).requires_grad_()}, {.lr = 1.0});
  optim::ReduceLROnPlateau p(opt, {.patience = 1});
  for (double m : {1.0, 2.0}) p.step(m);
  nn::StateDict sd = p.state_dict();
  optim::ReduceLROnPlateau q(opt, {.patience = 1});
  q.load_state_dict(sd);
  EXPECT_EQ(q.best(), 1.0);
  EXPECT_EQ(q.num_bad_epochs(), 1);
  q.step(3.0);  // the second bad epoch in a row: reduce
  EXPECT_DOUBLE_EQ(opt.lr(0), 0.1);
  EXPECT_EQ(q.get_last_lr(), std::vector<double>{opt.lr(0)});
}

TEST(Scheduler, BadSettings) {
  optim::SGD sgd({zeros({1}).requires_grad_()}, {.lr = 0.1});
  BRAID_EXPECT_THROW_MSG(optim::StepLR(sgd, 0), ValueError,
                         "[StepLR] step_size must be > 0; got 0");
  BRAID_EXPECT_THROW_MSG(optim::CosineAnnealingLR(sgd, 0), ValueError,
                         "[CosineAnnealingLR] T_max must be > 0; got 0");
  BRAID_EXPECT_THROW_MSG(optim::LinearLR(sgd, 1.5), ValueError,
                         "[LinearLR] start_factor must be in (0, 1]; got 1.5");
  BRAID_EXPECT_THROW_MSG(optim::OneCycleLR(sgd, 1.0, 10, {.pct_start = 1.5}), ValueError,
                         "[OneCycleLR] pct_start must be in [0, 1]; got 1.5");
  BRAID_EXPECT_THROW_MSG(optim::OneCycleLR(sgd, std::vector<double>{1.0, 2.0}, 10), ValueError,
                         "[OneCycleLR] expected 1 max_lr value(s), one per param group; got 2");
  optim::Adagrad ada({zeros({1}).requires_grad_()});
  BRAID_EXPECT_THROW_MSG(optim::OneCycleLR(ada, 1.0, 10), ValueError,
                         "[OneCycleLR] Adagrad has no momentum to cycle; pass cycle_momentum = "
                         "false");
  BRAID_EXPECT_THROW_MSG(optim::ReduceLROnPlateau(sgd, {.mode = "lowest"}), ValueError,
                         "[ReduceLROnPlateau] mode must be 'min' or 'max'; got 'lowest'");
  BRAID_EXPECT_THROW_MSG(optim::ReduceLROnPlateau(sgd, {.factor = 1.0}), ValueError,
                         "[ReduceLROnPlateau] factor must be in [0, 1); got 1");
  BRAID_EXPECT_THROW_HAS(optim::ReduceLROnPlateau(sgd, {.min_lr = {0.1, 0.2}}), ValueError,
                         "min_lr must hold one value or one per param group (1); got 2");
}

TEST(Scheduler, OneCyclePastTheEndThrowsAndChangesNothing) {
  optim::SGD sgd({zeros({1}).requires_grad_()}, {.lr = 0.1, .momentum = 0.9});
  optim::OneCycleLR s(sgd, 1.0, 4);
  for (int i = 0; i < 4; ++i) s.step();
  double lr = sgd.lr(0);
  EXPECT_DOUBLE_EQ(lr, 1.0 / 25 / 1e4) << "the extra step holds the final rate";
  BRAID_EXPECT_THROW_MSG(s.step(), ValueError,
                         "[OneCycleLR] tried to step 6 times; the schedule has total_steps = 4");
  EXPECT_EQ(s.last_epoch(), 4);
  EXPECT_EQ(sgd.lr(0), lr);
}

TEST(Scheduler, KerasStyleGroupsJoinLater) {
  optim::Adam opt({.lr = 0.1});
  optim::StepLR s(opt, 2, 0.5);
  EXPECT_TRUE(s.get_last_lr().empty());
  opt.add_param_group({zeros({1}).requires_grad_()});
  s.step();  // epoch 1: the new group joins with base rate 0.1
  EXPECT_EQ(s.base_lrs(), std::vector<double>{0.1});
  s.step();
  EXPECT_DOUBLE_EQ(opt.lr(0), 0.05);
}

}  // namespace
}  // namespace braid
