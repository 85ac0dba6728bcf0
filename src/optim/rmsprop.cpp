#include "braid/optim/rmsprop.hpp"

#include <cmath>

#include "optim/update_loop.hpp"

namespace braid::optim {

void RMSpropOptions::check() const {
  detail::check_nonneg(kName, "lr", lr);
  detail::check_nonneg(kName, "alpha", alpha);
  detail::check_nonneg(kName, "eps", eps);
  detail::check_nonneg(kName, "weight_decay", weight_decay);
  detail::check_nonneg(kName, "momentum", momentum);
}

namespace {
template <class T>
struct RMSpropConsts {
  T lr, alpha, oma, eps, wd, mom, sign;
};

// sq: square_avg; ga: grad_avg (kCentered); buf: momentum buffer (kMomentum).
// Elements [b, e); the constants are locals so that g++ vectorises (Note
// [fused update loops]).
template <class T, bool kWeightDecay, bool kCentered, bool kMomentum>
void rmsprop_range(RMSpropConsts<T> c, T* __restrict p, const T* __restrict g, T* __restrict sq,
                   T* __restrict ga, T* __restrict buf, int64_t b, int64_t e) {
  for (int64_t i = b; i < e; ++i) {
    T gi = c.sign * g[i];
    if constexpr (kWeightDecay) gi = gi + c.wd * p[i];
    T s = sq[i] * c.alpha + c.oma * gi * gi;
    sq[i] = s;
    T avg;
    if constexpr (kCentered) {
      T a = ga[i] * c.alpha + c.oma * gi;
      ga[i] = a;
      avg = std::sqrt(s + T(-1) * a * a);
    } else {
      avg = std::sqrt(s);
    }
    avg = avg + c.eps;
    if constexpr (kMomentum) {
      T bv = buf[i] * c.mom + gi / avg;
      buf[i] = bv;
      p[i] = p[i] + (-c.lr) * bv;
    } else {
      p[i] = p[i] + (-c.lr) * (gi / avg);
    }
  }
}

template <class T, bool kWeightDecay, bool kCentered, bool kMomentum>
void rmsprop_loop(const RMSpropOptions& o, T* p, const T* g, T* sq, T* ga, T* buf, int64_t n) {
  const RMSpropConsts<T> c{T(o.lr),           T(o.alpha),    T(1 - o.alpha),           T(o.eps),
                           T(o.weight_decay), T(o.momentum), o.maximize ? T(-1) : T(1)};
  detail::for_elements(n, [&](int64_t b, int64_t e) {
    rmsprop_range<T, kWeightDecay, kCentered, kMomentum>(c, p, g, sq, ga, buf, b, e);
  });
}
}  // namespace

void RMSprop::update_param(const RMSpropOptions& o, Tensor& param, const Tensor& grad,
                           ParamState& st) {
  ++st.step;
  Tensor sq = st.get("square_avg", param), ga, buf;
  if (o.momentum > 0) buf = st.get("momentum_buffer", param);
  if (o.centered) ga = st.get("grad_avg", param);
  BRAID_DISPATCH_FLOAT(param.dtype(), name().c_str(), [&] {
    using T = scalar_t;
    T *p = param.data_ptr<T>(), *s = sq.data_ptr<T>();
    T* a = ga.defined() ? ga.data_ptr<T>() : nullptr;
    T* b = buf.defined() ? buf.data_ptr<T>() : nullptr;
    const T* g = grad.data_ptr<T>();
    const int64_t n = param.numel();
    detail::with_flag(o.weight_decay != 0, [&](auto wd) {
      detail::with_flag(o.centered, [&](auto centered) {
        detail::with_flag(o.momentum > 0, [&](auto momentum) {
          rmsprop_loop<T, wd, centered, momentum>(o, p, g, s, a, b, n);
        });
      });
    });
  });
}

}  // namespace braid::optim
