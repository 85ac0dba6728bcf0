#pragma once
/// Learning-rate schedules over an Optimizer's groups, with PyTorch 1.13's
/// values and calling convention: making a scheduler sets the epoch-0 rate;
/// call step() once per epoch (or batch, for OneCycleLR) after
/// optimizer.step().
///
/// Note [closed-form schedules]
/// PyTorch computes most schedules recursively from the group's current lr
/// (so several schedulers chain); braid computes the documented closed form
/// from the base rates and the epoch count. The two agree to rounding (the
/// parity fixtures check 30 steps at rtol 1e-12) and the closed form
/// survives a state_dict round trip without drift. Chaining two schedulers
/// on one optimizer is not supported: the last one to step wins.
#include <cstdint>
#include <string>
#include <vector>

#include "braid/nn/module.hpp"
#include "braid/optim/optimizer.hpp"

namespace braid::optim {

class LRScheduler {
 public:
  virtual ~LRScheduler() = default;
  LRScheduler(const LRScheduler&) = delete;
  LRScheduler& operator=(const LRScheduler&) = delete;
  /// Advances one epoch and sets every group's lr.
  void step();
  /// The rates set by the last step (one per group).
  const std::vector<double>& get_last_lr() const { return last_lr_; }
  /// Steps taken since the epoch-0 rate (PyTorch's last_epoch).
  int64_t last_epoch() const { return last_epoch_; }
  const std::vector<double>& base_lrs() const { return base_lrs_; }
  /// "last_epoch" and "base_lrs" (float64). Loading restores both and sets
  /// the optimizer's rates for that epoch. Throws ValueError on a group-count mismatch.
  nn::StateDict state_dict() const;
  void load_state_dict(const nn::StateDict& state);

 protected:
  /// Remembers the optimizer's current rates as the base rates. Derived
  /// constructors check their settings, then call initial_step().
  explicit LRScheduler(Optimizer& optimizer);
  void initial_step();
  /// The rate of `group` at epoch last_epoch().
  virtual double lr_at(size_t group) const = 0;
  /// Runs after the rates were set (OneCycleLR sets momentum here).
  virtual void after_apply() {}
  /// Sets every group's rate for last_epoch(). Groups added to the optimizer
  /// after the scheduler was made join with their current rate as base.
  void apply();

  Optimizer& optimizer_;
  std::vector<double> base_lrs_, last_lr_;
  int64_t last_epoch_ = -1;
};

/// lr = base * gamma^(epoch / step_size).
class StepLR : public LRScheduler {
 public:
  StepLR(Optimizer& optimizer, int64_t step_size, double gamma = 0.1);

 protected:
  double lr_at(size_t group) const override;
  int64_t step_size_;
  double gamma_;
};

/// lr = base * gamma^(number of milestones <= epoch); milestones may repeat.
class MultiStepLR : public LRScheduler {
 public:
  MultiStepLR(Optimizer& optimizer, std::vector<int64_t> milestones, double gamma = 0.1);

 protected:
  double lr_at(size_t group) const override;
  std::vector<int64_t> milestones_;  // sorted
  double gamma_;
};

/// lr = base * gamma^epoch.
class ExponentialLR : public LRScheduler {
 public:
  ExponentialLR(Optimizer& optimizer, double gamma);

 protected:
  double lr_at(size_t group) const override;
  double gamma_;
};

/// lr = eta_min + (base - eta_min) (1 + cos(pi epoch / T_max)) / 2 (periodic past T_max).
class CosineAnnealingLR : public LRScheduler {
 public:
  CosineAnnealingLR(Optimizer& optimizer, int64_t T_max, double eta_min = 0);

 protected:
  double lr_at(size_t group) const override;
  int64_t t_max_;
  double eta_min_;
};

/// lr = base * (start + (end - start) min(epoch, total_iters) / total_iters).
class LinearLR : public LRScheduler {
 public:
  LinearLR(Optimizer& optimizer, double start_factor = 1.0 / 3, double end_factor = 1.0,
           int64_t total_iters = 5);

 protected:
  double lr_at(size_t group) const override;
  double start_factor_, end_factor_;
  int64_t total_iters_;
};

struct OneCycleLROptions {
  double pct_start = 0.3;
  /// "cos" or "linear".
  std::string anneal_strategy = "cos";
  /// Cycles the optimizer's momentum (beta1 for Adam) inversely to the rate.
  bool cycle_momentum = true;
  double base_momentum = 0.85;
  double max_momentum = 0.95;
  double div_factor = 25;
  double final_div_factor = 1e4;
  bool three_phase = false;
};

/// The 1cycle policy (Smith 2018), step() once per batch: the rate rises from
/// max_lr / div_factor to max_lr over pct_start of total_steps, then anneals
/// to initial / final_div_factor. One max_lr for all groups, or one per group.
/// The total_steps-th step() holds the final rate (PyTorch extrapolates past
/// it); one more throws ValueError and changes nothing.
class OneCycleLR : public LRScheduler {
 public:
  OneCycleLR(Optimizer& optimizer, std::vector<double> max_lr, int64_t total_steps,
             OneCycleLROptions options = {});
  OneCycleLR(Optimizer& optimizer, double max_lr, int64_t total_steps,
             OneCycleLROptions options = {});

 protected:
  double lr_at(size_t group) const override;
  void after_apply() override;
  struct Phase {
    double end_step;
    int start_lr, end_lr;              // index into Group::lrs: initial, max, min
    int start_momentum, end_momentum;  // index into Group::momenta: max, base
  };
  struct Group {
    double lrs[3];
    double momenta[2];
  };
  /// The rate (or momentum) of `g` at last_epoch(): find the phase, anneal within it.
  double value_at(const Group& g, bool momentum) const;
  OneCycleLROptions options_;
  int64_t total_steps_;
  std::vector<Phase> phases_;
  std::vector<Group> groups_;
};

struct ReduceLROnPlateauOptions {
  /// "min": the metric should fall (a loss); "max": rise (an accuracy).
  std::string mode = "min";
  double factor = 0.1;
  int64_t patience = 10;
  double threshold = 1e-4;
  /// "rel": better means beyond best * (1 -/+ threshold); "abs": best -/+ threshold.
  std::string threshold_mode = "rel";
  int64_t cooldown = 0;
  /// One for all groups, or one per group.
  std::vector<double> min_lr = {0.0};
  /// Reductions smaller than this are skipped.
  double eps = 1e-8;
};

/// Divides the rates by 1/factor when the metric has not improved for
/// `patience` epochs (torch.optim.lr_scheduler.ReduceLROnPlateau).
class ReduceLROnPlateau {
 public:
  explicit ReduceLROnPlateau(Optimizer& optimizer, ReduceLROnPlateauOptions options = {});
  void step(double metric);
  const std::vector<double>& get_last_lr() const { return last_lr_; }
  double best() const { return best_; }
  int64_t num_bad_epochs() const { return num_bad_epochs_; }
  int64_t last_epoch() const { return last_epoch_; }
  /// best, num_bad_epochs, cooldown_counter, last_epoch (float64 scalars).
  nn::StateDict state_dict() const;
  void load_state_dict(const nn::StateDict& state);

 private:
  bool is_better(double a) const;
  Optimizer& optimizer_;
  ReduceLROnPlateauOptions options_;
  std::vector<double> last_lr_;
  double best_;
  int64_t num_bad_epochs_ = 0, cooldown_counter_ = 0, last_epoch_ = 0;
};

}  // namespace braid::optim
