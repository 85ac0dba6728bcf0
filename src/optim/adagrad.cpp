#include "braid/optim/adagrad.hpp"

#include <cmath>

#include "optim/update_loop.hpp"

namespace braid::optim {

void AdagradOptions::check() const {
  detail::check_nonneg(kName, "lr", lr);
  detail::check_nonneg(kName, "lr_decay", lr_decay);
  detail::check_nonneg(kName, "weight_decay", weight_decay);
  detail::check_nonneg(kName, "initial_accumulator_value", initial_accumulator_value);
  detail::check_nonneg(kName, "eps", eps);
}

namespace {
template <class T>
struct AdagradConsts {
  T neg_clr, wd, eps, sign;
};

// Elements [b, e); see Note [fused update loops].
template <class T, bool kWeightDecay>
void adagrad_range(AdagradConsts<T> c, T* __restrict p, const T* __restrict g, T* __restrict sum,
                   int64_t b, int64_t e) {
  for (int64_t i = b; i < e; ++i) {
    T gi = c.sign * g[i];
    if constexpr (kWeightDecay) gi = gi + c.wd * p[i];
    T s = sum[i] + gi * gi;
    sum[i] = s;
    p[i] = p[i] + c.neg_clr * (gi / (std::sqrt(s) + c.eps));
  }
}

template <class T, bool kWeightDecay>
void adagrad_loop(const AdagradOptions& o, int64_t step, T* p, const T* g, T* sum, int64_t n) {
  const AdagradConsts<T> c{T(-(o.lr / (1 + double(step - 1) * o.lr_decay))), T(o.weight_decay),
                           T(o.eps), o.maximize ? T(-1) : T(1)};
  detail::for_elements(
      n, [&](int64_t b, int64_t e) { adagrad_range<T, kWeightDecay>(c, p, g, sum, b, e); });
}
}  // namespace

void Adagrad::update_param(const AdagradOptions& o, Tensor& param, const Tensor& grad,
                           ParamState& st) {
  ++st.step;
  Tensor sum = st.get("sum", param, o.initial_accumulator_value);
  BRAID_DISPATCH_FLOAT(param.dtype(), name().c_str(), [&] {
    using T = scalar_t;
    detail::with_flag(o.weight_decay != 0, [&](auto wd) {
      adagrad_loop<T, wd>(o, st.step, param.data_ptr<T>(), grad.data_ptr<T>(), sum.data_ptr<T>(),
                          param.numel());
    });
  });
}

}  // namespace braid::optim
