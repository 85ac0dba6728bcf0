#pragma once
/// Grad mode (thread-local): whether ops record the backward graph.
namespace braid {

bool is_grad_enabled();
void set_grad_enabled(bool on);
/// Anomaly mode: backward checks every gradient for NaN/Inf and names the op.
bool is_anomaly_enabled();
void set_anomaly_enabled(bool on);

/// Scope guard: no graph is recorded inside (like torch.no_grad()).
class NoGradGuard {
 public:
  NoGradGuard() : prev_(is_grad_enabled()) { set_grad_enabled(false); }
  ~NoGradGuard() { set_grad_enabled(prev_); }
  NoGradGuard(const NoGradGuard&) = delete;
  NoGradGuard& operator=(const NoGradGuard&) = delete;

 private:
  bool prev_;
};

/// Scope guard that turns recording back on inside a NoGradGuard.
class EnableGradGuard {
 public:
  EnableGradGuard() : prev_(is_grad_enabled()) { set_grad_enabled(true); }
  ~EnableGradGuard() { set_grad_enabled(prev_); }
  EnableGradGuard(const EnableGradGuard&) = delete;
  EnableGradGuard& operator=(const EnableGradGuard&) = delete;

 private:
  bool prev_;
};

class AnomalyGuard {
 public:
  AnomalyGuard() : prev_(is_anomaly_enabled()) { set_anomaly_enabled(true); }
  ~AnomalyGuard() { set_anomaly_enabled(prev_); }
  AnomalyGuard(const AnomalyGuard&) = delete;
  AnomalyGuard& operator=(const AnomalyGuard&) = delete;

 private:
  bool prev_;
};

}  // namespace braid
