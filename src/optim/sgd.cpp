#include "braid/optim/sgd.hpp"

#include "optim/update_loop.hpp"

namespace braid::optim {

void SGDOptions::check() const {
  detail::check_nonneg(kName, "lr", lr);
  detail::check_nonneg(kName, "momentum", momentum);
  detail::check_nonneg(kName, "weight_decay", weight_decay);
  BRAID_CHECK(!nesterov || (momentum > 0 && dampening == 0), ValueError, kName,
              "Nesterov momentum requires momentum > 0 and dampening = 0; got momentum={}, "
              "dampening={}",
              momentum, dampening);
}

namespace {
template <class T>
struct SGDConsts {
  T lr, wd, mom, keep, sign;
};

// Elements [b, e); see Note [fused update loops]. kMomentum: 0 none, 1 the
// first step (the buffer starts as the gradient), 2 later steps.
template <class T, bool kWeightDecay, int kMomentum, bool kNesterov>
void sgd_range(SGDConsts<T> c, T* __restrict p, const T* __restrict g, T* __restrict buf, int64_t b,
               int64_t e) {
  for (int64_t i = b; i < e; ++i) {
    T d = c.sign * g[i];
    if constexpr (kWeightDecay) d = d + c.wd * p[i];
    if constexpr (kMomentum != 0) {
      T v = kMomentum == 1 ? d : buf[i] * c.mom + c.keep * d;
      buf[i] = v;
      d = kNesterov ? d + c.mom * v : v;
    }
    p[i] = p[i] + (-c.lr) * d;
  }
}

template <class T, bool kWeightDecay, int kMomentum, bool kNesterov>
void sgd_loop(const SGDOptions& o, T* p, const T* g, T* buf, int64_t n) {
  const SGDConsts<T> c{T(o.lr), T(o.weight_decay), T(o.momentum), T(1 - o.dampening),
                       o.maximize ? T(-1) : T(1)};
  detail::for_elements(n, [&](int64_t b, int64_t e) {
    sgd_range<T, kWeightDecay, kMomentum, kNesterov>(c, p, g, buf, b, e);
  });
}
}  // namespace

void SGD::update_param(const SGDOptions& o, Tensor& param, const Tensor& grad, ParamState& st) {
  ++st.step;
  Tensor buf;
  bool first = false;
  if (o.momentum != 0) buf = st.get("momentum_buffer", param, 0, &first);
  const int mode = buf.defined() ? (first ? 1 : 2) : 0;
  BRAID_DISPATCH_FLOAT(param.dtype(), name().c_str(), [&] {
    using T = scalar_t;
    T *p = param.data_ptr<T>(), *b = buf.defined() ? buf.data_ptr<T>() : nullptr;
    const T* g = grad.data_ptr<T>();
    const int64_t n = param.numel();
    detail::with_flag(o.weight_decay != 0, [&](auto wd) {
      detail::with_flag(o.nesterov, [&](auto nesterov) {
        if (mode == 0) sgd_loop<T, wd, 0, false>(o, p, g, b, n);
        if (mode == 1) sgd_loop<T, wd, 1, nesterov>(o, p, g, b, n);
        if (mode == 2) sgd_loop<T, wd, 2, nesterov>(o, p, g, b, n);
      });
    });
  });
}

}  // namespace braid::optim
