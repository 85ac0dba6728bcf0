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

// The per-step constants, as locals of the loop (captured references would
// make g++ reload them after every store and give up vectorising).
template <class T>
struct AdamConsts {
  T neg_step, inv_bc2_sqrt, eps, b1, b2, omb1, omb2, wd, decay, sign;
};

// PyTorch's single-tensor update, fused (Note [fused update loops]): one pass
// over p, g, m, v (, v_max) for elements [b, e).
template <class T, bool kDecoupled, bool kL2, bool kAmsgrad>
void adam_range(AdamConsts<T> c, T* __restrict p, const T* __restrict g, T* __restrict m,
                T* __restrict v, T* __restrict vmax, int64_t b, int64_t e) {
  for (int64_t i = b; i < e; ++i) {
    T gi = c.sign * g[i];
    T pi = p[i];
    if constexpr (kDecoupled) pi = pi * c.decay;
    if constexpr (kL2) gi = gi + c.wd * pi;
    T mi = m[i] * c.b1 + c.omb1 * gi;
    T vi = v[i] * c.b2 + c.omb2 * gi * gi;
    m[i] = mi;
    v[i] = vi;
    if constexpr (kAmsgrad) {
      vi = vmax[i] < vi ? vi : vmax[i];
      vmax[i] = vi;
    }
    // PyTorch divides by sqrt(bc2); one multiply by its inverse differs by at
    // most an ulp, and the loop is divide-bound (two divides and a sqrt per
    // element took 23 us a step on the MNIST MLP at one thread, one divide 20).
    T denom = std::sqrt(vi) * c.inv_bc2_sqrt + c.eps;
    p[i] = pi + c.neg_step * (mi / denom);
  }
}

template <class T, bool kDecoupled, bool kL2, bool kAmsgrad>
void adam_loop(const AdamStep& s, T* p, const T* g, T* m, T* v, T* vmax, int64_t n) {
  const double bc1 = 1 - std::pow(s.beta1, double(s.step));
  const double bc2 = 1 - std::pow(s.beta2, double(s.step));
  const AdamConsts<T> c{T(-(s.lr / bc1)),
                        T(1 / std::sqrt(bc2)),
                        T(s.eps),
                        T(s.beta1),
                        T(s.beta2),
                        T(1 - s.beta1),
                        T(1 - s.beta2),
                        T(s.weight_decay),
                        T(1 - s.lr * s.weight_decay),
                        s.maximize ? T(-1) : T(1)};
  detail::for_elements(n, [&](int64_t b, int64_t e) {
    adam_range<T, kDecoupled, kL2, kAmsgrad>(c, p, g, m, v, vmax, b, e);
  });
}

template <class O>
void adam_update(const O& o, bool decoupled, Tensor& param, const Tensor& grad, ParamState& st) {
  ++st.step;
  Tensor m = st.get("exp_avg", param), v = st.get("exp_avg_sq", param), vmax;
  if (o.amsgrad) vmax = st.get("max_exp_avg_sq", param);
  AdamStep s{o.lr,      o.betas[0], o.betas[1], o.eps,  o.weight_decay,
             decoupled, o.amsgrad,  o.maximize, st.step};
  BRAID_DISPATCH_FLOAT(param.dtype(), O::kName, [&] {
    using T = scalar_t;
    T *p = param.data_ptr<T>(), *mp = m.data_ptr<T>(), *vp = v.data_ptr<T>();
    T* vmp = vmax.defined() ? vmax.data_ptr<T>() : nullptr;
    const T* g = grad.data_ptr<T>();
    const int64_t n = param.numel();
    detail::with_flag(decoupled, [&](auto dec) {
      detail::with_flag(!decoupled && o.weight_decay != 0, [&](auto l2) {
        detail::with_flag(o.amsgrad, [&](auto ams) {
          if constexpr (!(dec && l2)) adam_loop<T, dec, l2, ams>(s, p, g, mp, vp, vmp, n);
        });
      });
    });
  });
}
}  // namespace

void AdamOptions::check() const { check_adam(*this); }
void AdamWOptions::check() const { check_adam(*this); }

void Adam::update_param(const AdamOptions& o, Tensor& param, const Tensor& grad, ParamState& st) {
  adam_update(o, false, param, grad, st);
}

void AdamW::update_param(const AdamWOptions& o, Tensor& param, const Tensor& grad, ParamState& st) {
  adam_update(o, true, param, grad, st);
}

}  // namespace braid::optim
