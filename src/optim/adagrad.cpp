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
void adagrad_loop(const AdagradOptions& o, int64_t step, T* p, const T* g, T* sum, int64_t n) {
  const T neg_clr = T(-(o.lr / (1 + double(step - 1) * o.lr_decay)));
  const T wd = T(o.weight_decay), eps = T(o.eps);
  const bool maximize = o.maximize;
  detail::for_elements(n, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      T gi = maximize ? -g[i] : g[i];
      if (wd != 0) gi = gi + wd * p[i];
      sum[i] = sum[i] + gi * gi;
      T std_ = std::sqrt(sum[i]) + eps;
      p[i] = p[i] + neg_clr * (gi / std_);
    }
  });
}
}  // namespace

void Adagrad::update_param(const AdagradOptions& o, Tensor& param, const Tensor& grad,
                           ParamState& st) {
  ++st.step;
  Tensor sum = st.get("sum", param, o.initial_accumulator_value);
  BRAID_DISPATCH_FLOAT(param.dtype(), name().c_str(), [&] {
    adagrad_loop<scalar_t>(o, st.step, param.data_ptr<scalar_t>(), grad.data_ptr<scalar_t>(),
                           sum.data_ptr<scalar_t>(), param.numel());
  });
}

}  // namespace braid::optim
