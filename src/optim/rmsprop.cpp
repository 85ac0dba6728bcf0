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
// sq: square_avg; ga: grad_avg (centered) or null; buf: momentum buffer or null.
template <class T>
void rmsprop_loop(const RMSpropOptions& o, T* p, const T* g, T* sq, T* ga, T* buf, int64_t n) {
  const T lr = T(o.lr), alpha = T(o.alpha), oma = T(1 - o.alpha), eps = T(o.eps);
  const T wd = T(o.weight_decay), mom = T(o.momentum);
  const bool maximize = o.maximize;
  detail::for_elements(n, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      T gi = maximize ? -g[i] : g[i];
      if (wd != 0) gi = gi + wd * p[i];
      sq[i] = sq[i] * alpha + oma * gi * gi;
      T avg;
      if (ga) {
        ga[i] = ga[i] * alpha + oma * gi;
        avg = std::sqrt(sq[i] + T(-1) * ga[i] * ga[i]);
      } else {
        avg = std::sqrt(sq[i]);
      }
      avg = avg + eps;
      if (buf) {
        buf[i] = buf[i] * mom + gi / avg;
        p[i] = p[i] + (-lr) * buf[i];
      } else {
        p[i] = p[i] + (-lr) * (gi / avg);
      }
    }
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
    rmsprop_loop<scalar_t>(o, param.data_ptr<scalar_t>(), grad.data_ptr<scalar_t>(),
                           sq.data_ptr<scalar_t>(), ga.defined() ? ga.data_ptr<scalar_t>() : nullptr,
                           buf.defined() ? buf.data_ptr<scalar_t>() : nullptr, param.numel());
  });
}

}  // namespace braid::optim
