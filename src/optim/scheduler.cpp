#include "braid/optim/scheduler.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "braid/ops/ops.hpp"

namespace braid::optim {

// -- LRScheduler ----------------------------------------------------------------------
LRScheduler::LRScheduler(Optimizer& optimizer) : optimizer_(optimizer) {
  for (size_t g = 0; g < optimizer.num_param_groups(); ++g) base_lrs_.push_back(optimizer.lr(g));
}

void LRScheduler::initial_step() {
  last_epoch_ = 0;
  apply();
}

void LRScheduler::step() {
  ++last_epoch_;
  try {
    apply();
  } catch (...) {
    --last_epoch_;
    throw;
  }
}

void LRScheduler::apply() {
  for (size_t g = base_lrs_.size(); g < optimizer_.num_param_groups(); ++g)
    base_lrs_.push_back(optimizer_.lr(g));
  // Compute every rate before setting any, so that a throwing schedule changes nothing.
  std::vector<double> lrs(base_lrs_.size());
  for (size_t g = 0; g < lrs.size(); ++g) lrs[g] = lr_at(g);
  for (size_t g = 0; g < lrs.size(); ++g) optimizer_.set_lr(lrs[g], g);
  last_lr_ = std::move(lrs);
  after_apply();
}

nn::StateDict LRScheduler::state_dict() const {
  nn::StateDict out;
  out.insert("last_epoch", full({}, last_epoch_, DType::Int64));
  out.insert("base_lrs", tensor(base_lrs_, {int64_t(base_lrs_.size())}));
  return out;
}

void LRScheduler::load_state_dict(const nn::StateDict& state) {
  const Tensor& epoch = state.at("last_epoch");
  const Tensor& base = state.at("base_lrs");
  BRAID_CHECK(epoch.numel() == 1 && epoch.item<double>() >= 0, ValueError,
              "LRScheduler.load_state_dict", "last_epoch must be one number >= 0");
  BRAID_CHECK(base.dim() == 1 && size_t(base.numel()) == optimizer_.num_param_groups(), ValueError,
              "LRScheduler.load_state_dict",
              "base_lrs holds {} rate(s) but the optimizer has {} param group(s)", base.numel(),
              optimizer_.num_param_groups());
  std::vector<double> old_base = base_lrs_;
  int64_t old_epoch = last_epoch_;
  base_lrs_ = base.to_vector<double>();
  last_epoch_ = epoch.item<int64_t>();
  try {
    apply();
  } catch (...) {
    base_lrs_ = std::move(old_base);
    last_epoch_ = old_epoch;
    throw;
  }
}

// -- the closed-form schedules ---------------------------------------------------------
StepLR::StepLR(Optimizer& optimizer, int64_t step_size, double gamma)
    : LRScheduler(optimizer), step_size_(step_size), gamma_(gamma) {
  BRAID_CHECK(step_size > 0, ValueError, "StepLR", "step_size must be > 0; got {}", step_size);
  initial_step();
}

double StepLR::lr_at(size_t g) const {
  return base_lrs_[g] * std::pow(gamma_, double(last_epoch_ / step_size_));
}

MultiStepLR::MultiStepLR(Optimizer& optimizer, std::vector<int64_t> milestones, double gamma)
    : LRScheduler(optimizer), milestones_(std::move(milestones)), gamma_(gamma) {
  std::sort(milestones_.begin(), milestones_.end());
  initial_step();
}

double MultiStepLR::lr_at(size_t g) const {
  auto passed =
      std::upper_bound(milestones_.begin(), milestones_.end(), last_epoch_) - milestones_.begin();
  return base_lrs_[g] * std::pow(gamma_, double(passed));
}

ExponentialLR::ExponentialLR(Optimizer& optimizer, double gamma)
    : LRScheduler(optimizer), gamma_(gamma) {
  initial_step();
}

double ExponentialLR::lr_at(size_t g) const {
  return base_lrs_[g] * std::pow(gamma_, double(last_epoch_));
}

CosineAnnealingLR::CosineAnnealingLR(Optimizer& optimizer, int64_t T_max, double eta_min)
    : LRScheduler(optimizer), t_max_(T_max), eta_min_(eta_min) {
  BRAID_CHECK(T_max > 0, ValueError, "CosineAnnealingLR", "T_max must be > 0; got {}", T_max);
  initial_step();
}

double CosineAnnealingLR::lr_at(size_t g) const {
  double c = std::cos(std::numbers::pi * double(last_epoch_) / double(t_max_));
  return eta_min_ + (base_lrs_[g] - eta_min_) * (1 + c) / 2;
}

LinearLR::LinearLR(Optimizer& optimizer, double start_factor, double end_factor,
                   int64_t total_iters)
    : LRScheduler(optimizer),
      start_factor_(start_factor),
      end_factor_(end_factor),
      total_iters_(total_iters) {
  // PyTorch allows start_factor = 0 here but then divides by zero; braid refuses it.
  BRAID_CHECK(start_factor > 0 && start_factor <= 1, ValueError, "LinearLR",
              "start_factor must be in (0, 1]; got {}", start_factor);
  BRAID_CHECK(end_factor >= 0 && end_factor <= 1, ValueError, "LinearLR",
              "end_factor must be in [0, 1]; got {}", end_factor);
  BRAID_CHECK(total_iters > 0, ValueError, "LinearLR", "total_iters must be > 0; got {}",
              total_iters);
  initial_step();
}

double LinearLR::lr_at(size_t g) const {
  double t = double(std::min(total_iters_, last_epoch_)) / double(total_iters_);
  return base_lrs_[g] * (start_factor_ + (end_factor_ - start_factor_) * t);
}

// -- OneCycleLR -------------------------------------------------------------------------
OneCycleLR::OneCycleLR(Optimizer& optimizer, double max_lr, int64_t total_steps,
                       OneCycleLROptions options)
    : OneCycleLR(optimizer, std::vector<double>(optimizer.num_param_groups(), max_lr), total_steps,
                 std::move(options)) {}

OneCycleLR::OneCycleLR(Optimizer& optimizer, std::vector<double> max_lr, int64_t total_steps,
                       OneCycleLROptions options)
    : LRScheduler(optimizer), options_(std::move(options)), total_steps_(total_steps) {
  const OneCycleLROptions& o = options_;
  const size_t n = optimizer.num_param_groups();
  BRAID_CHECK(total_steps > 0, ValueError, "OneCycleLR", "total_steps must be > 0; got {}",
              total_steps);
  BRAID_CHECK(o.pct_start >= 0 && o.pct_start <= 1, ValueError, "OneCycleLR",
              "pct_start must be in [0, 1]; got {}", o.pct_start);
  BRAID_CHECK(o.anneal_strategy == "cos" || o.anneal_strategy == "linear", ValueError, "OneCycleLR",
              "anneal_strategy must be 'cos' or 'linear'; got '{}'", o.anneal_strategy);
  BRAID_CHECK(max_lr.size() == n, ValueError, "OneCycleLR",
              "expected {} max_lr value(s), one per param group; got {}", n, max_lr.size());
  BRAID_CHECK(!o.cycle_momentum || n == 0 || optimizer.momentum(0).has_value(), ValueError,
              "OneCycleLR", "{} has no momentum to cycle; pass cycle_momentum = false",
              optimizer.name());
  double pct = o.pct_start * double(total_steps);
  if (o.three_phase) {
    phases_ = {
        {pct - 1, 0, 1, 0, 1}, {2 * pct - 2, 1, 0, 1, 0}, {double(total_steps - 1), 0, 2, 0, 0}};
  } else {
    phases_ = {{pct - 1, 0, 1, 0, 1}, {double(total_steps - 1), 1, 2, 1, 0}};
  }
  for (size_t g = 0; g < n; ++g) {
    double initial = max_lr[g] / o.div_factor;
    groups_.push_back(
        {{initial, max_lr[g], initial / o.final_div_factor}, {o.max_momentum, o.base_momentum}});
  }
  for (size_t g = 0; g < n; ++g) base_lrs_[g] = groups_[g].lrs[0];
  initial_step();
}

double OneCycleLR::value_at(const Group& grp, bool momentum) const {
  const double step = double(last_epoch_);
  double start_step = 0;
  for (size_t i = 0; i < phases_.size(); ++i) {
    const Phase& ph = phases_[i];
    if (step <= ph.end_step || i + 1 == phases_.size()) {
      // PyTorch lets last_epoch reach total_steps and extrapolates past the
      // last phase there (a negative rate with "linear"); braid holds the end.
      double pct = std::min((step - start_step) / (ph.end_step - start_step), 1.0);
      double a = momentum ? grp.momenta[ph.start_momentum] : grp.lrs[ph.start_lr];
      double b = momentum ? grp.momenta[ph.end_momentum] : grp.lrs[ph.end_lr];
      if (options_.anneal_strategy == "cos")
        return b + (a - b) / 2.0 * (std::cos(std::numbers::pi * pct) + 1);
      return (b - a) * pct + a;
    }
    start_step = ph.end_step;
  }
  return 0;  // unreachable: the last phase always matches
}

double OneCycleLR::lr_at(size_t g) const {
  BRAID_CHECK(last_epoch_ <= total_steps_, ValueError, "OneCycleLR",
              "tried to step {} times; the schedule has total_steps = {}", last_epoch_ + 1,
              total_steps_);
  if (g >= groups_.size()) return optimizer_.lr(g);  // a group added later keeps its rate
  return value_at(groups_[g], false);
}

void OneCycleLR::after_apply() {
  if (!options_.cycle_momentum) return;
  for (size_t g = 0; g < groups_.size(); ++g)
    optimizer_.set_momentum(value_at(groups_[g], true), g);
}

// -- ReduceLROnPlateau -----------------------------------------------------------------------
ReduceLROnPlateau::ReduceLROnPlateau(Optimizer& optimizer, ReduceLROnPlateauOptions options)
    : optimizer_(optimizer), options_(std::move(options)) {
  const auto& o = options_;
  const size_t n = optimizer.num_param_groups();
  BRAID_CHECK(o.factor < 1.0 && o.factor >= 0, ValueError, "ReduceLROnPlateau",
              "factor must be in [0, 1); got {}", o.factor);
  BRAID_CHECK(o.mode == "min" || o.mode == "max", ValueError, "ReduceLROnPlateau",
              "mode must be 'min' or 'max'; got '{}'", o.mode);
  BRAID_CHECK(o.threshold_mode == "rel" || o.threshold_mode == "abs", ValueError,
              "ReduceLROnPlateau", "threshold_mode must be 'rel' or 'abs'; got '{}'",
              o.threshold_mode);
  BRAID_CHECK(o.min_lr.size() == 1 || o.min_lr.size() == n, ValueError, "ReduceLROnPlateau",
              "min_lr must hold one value or one per param group ({}); got {}", n, o.min_lr.size());
  BRAID_CHECK(o.patience >= 0 && o.cooldown >= 0, ValueError, "ReduceLROnPlateau",
              "patience and cooldown must be >= 0; got {} and {}", o.patience, o.cooldown);
  best_ = o.mode == "min" ? INFINITY : -INFINITY;
  for (size_t g = 0; g < n; ++g) last_lr_.push_back(optimizer.lr(g));
}

bool ReduceLROnPlateau::is_better(double a) const {
  const auto& o = options_;
  bool rel = o.threshold_mode == "rel";
  if (o.mode == "min") return rel ? a < best_ * (1 - o.threshold) : a < best_ - o.threshold;
  return rel ? a > best_ * (o.threshold + 1) : a > best_ + o.threshold;
}

void ReduceLROnPlateau::step(double metric) {
  const auto& o = options_;
  ++last_epoch_;
  if (is_better(metric)) {
    best_ = metric;
    num_bad_epochs_ = 0;
  } else {
    ++num_bad_epochs_;
  }
  if (cooldown_counter_ > 0) {
    --cooldown_counter_;
    num_bad_epochs_ = 0;  // bad epochs in cooldown do not count
  }
  if (num_bad_epochs_ > o.patience) {
    for (size_t g = 0; g < optimizer_.num_param_groups(); ++g) {
      double old_lr = optimizer_.lr(g);
      double min_lr = o.min_lr.size() == 1 ? o.min_lr[0] : o.min_lr.at(g);
      double new_lr = std::max(old_lr * o.factor, min_lr);
      if (old_lr - new_lr > o.eps) optimizer_.set_lr(new_lr, g);
    }
    cooldown_counter_ = o.cooldown;
    num_bad_epochs_ = 0;
  }
  last_lr_.clear();
  for (size_t g = 0; g < optimizer_.num_param_groups(); ++g) last_lr_.push_back(optimizer_.lr(g));
}

nn::StateDict ReduceLROnPlateau::state_dict() const {
  nn::StateDict out;
  out.insert("best", full({}, best_, DType::Float64));
  out.insert("num_bad_epochs", full({}, num_bad_epochs_, DType::Int64));
  out.insert("cooldown_counter", full({}, cooldown_counter_, DType::Int64));
  out.insert("last_epoch", full({}, last_epoch_, DType::Int64));
  return out;
}

void ReduceLROnPlateau::load_state_dict(const nn::StateDict& state) {
  const char* keys[] = {"best", "num_bad_epochs", "cooldown_counter", "last_epoch"};
  double v[4];
  for (int k = 0; k < 4; ++k) {
    const Tensor& t = state.at(keys[k]);
    BRAID_CHECK(t.numel() == 1, ValueError, "ReduceLROnPlateau.load_state_dict",
                "'{}' must hold one number; got shape {}", keys[k], shape_str(t.shape()));
    v[k] = t.item<double>();
  }
  best_ = v[0];
  num_bad_epochs_ = int64_t(v[1]);
  cooldown_counter_ = int64_t(v[2]);
  last_epoch_ = int64_t(v[3]);
}

}  // namespace braid::optim
