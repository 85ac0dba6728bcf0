#include "braid/optim/adam.hpp"

#include <cmath>

#include "optim/update_loop.hpp"

namespace braid::optim {

namespace {
template <class O>
void check_adam(const O& o) {
  detail::check_nonneg(O::kName, "lr", o.lr);
  detail::check_nonneg(O::kName, "eps", o.eps);
  detail::check_nonneg(O::kName, "weight_decay", o.weight_decay);
  for (int k = 0; k < 2; ++k)
    BRAID_CHECK(o.betas[k] >= 0 && o.betas[k] < 1, ValueError, O::kName,
                "betas[{}] must be in [0, 1); got {}", k, o.betas[k]);
}

struct AdamStep {
  double lr, beta1, beta2, eps, weight_decay;
  bool decoupled, amsgrad, maximize;
  int64_t step;
};

// PyTorch's single-tensor update, fused: one pass over p, g, m, v (, v_max).
template <class T>
void adam_loop(const AdamStep& s, T* p, const T* g, T* m, T* v, T* vmax, int64_t n) {
  const double bc1 = 1 - std::pow(s.beta1, double(s.step));
  const double bc2 = 1 - std::pow(s.beta2, double(s.step));
  const T neg_step = T(-(s.lr / bc1)), bc2_sqrt = T(std::sqrt(bc2)), eps = T(s.eps);
  const T b1 = T(s.beta1), b2 = T(s.beta2), omb1 = T(1 - s.beta1), omb2 = T(1 - s.beta2);
  const T wd = T(s.weight_decay), decay = T(1 - s.lr * s.weight_decay);
  const bool decoupled = s.decoupled, maximize = s.maximize;
  detail::for_elements(n, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      T gi = maximize ? -g[i] : g[i];
      if (decoupled) {
        p[i] = p[i] * decay;
      } else if (wd != 0) {
        gi = gi + wd * p[i];
      }
      m[i] = m[i] * b1 + omb1 * gi;
      v[i] = v[i] * b2 + omb2 * gi * gi;
      T vh = v[i];
      if (vmax) vh = vmax[i] = vmax[i] < vh ? vh : vmax[i];
      T denom = std::sqrt(vh) / bc2_sqrt + eps;
      p[i] = p[i] + neg_step * (m[i] / denom);
    }
  });
}

template <class O>
void adam_update(const O& o, bool decoupled, Tensor& param, const Tensor& grad, ParamState& st) {
  ++st.step;
  Tensor m = st.get("exp_avg", param), v = st.get("exp_avg_sq", param), vmax;
  if (o.amsgrad) vmax = st.get("max_exp_avg_sq", param);
  AdamStep s{o.lr,       o.betas[0], o.betas[1], o.eps, o.weight_decay,
             decoupled, o.amsgrad,  o.maximize, st.step};
  BRAID_DISPATCH_FLOAT(param.dtype(), O::kName, [&] {
    adam_loop<scalar_t>(s, param.data_ptr<scalar_t>(), grad.data_ptr<scalar_t>(),
                        m.data_ptr<scalar_t>(), v.data_ptr<scalar_t>(),
                        vmax.defined() ? vmax.data_ptr<scalar_t>() : nullptr, param.numel());
  });
}
}  // namespace

void AdamOptions::check() const { check_adam(*this); }
void AdamWOptions::check() const { check_adam(*this); }

void Adam::update_param(const AdamOptions& o, Tensor& param, const Tensor& grad, ParamState& st) {
  adam_update(o, false, param, grad, st);
}

void AdamW::update_param(const AdamWOptions& o, Tensor& param, const Tensor& grad,
                         ParamState& st) {
  adam_update(o, true, param, grad, st);
}

}  // namespace braid::optim
