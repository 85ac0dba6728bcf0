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
// p, g: n elements; buf: the momentum buffer or null; first: buf was just made.
template <class T>
void sgd_loop(const SGDOptions& o, T* p, const T* g, T* buf, bool first, int64_t n) {
  const T lr = T(o.lr), wd = T(o.weight_decay), mom = T(o.momentum), keep = T(1 - o.dampening);
  const bool maximize = o.maximize, nesterov = o.nesterov;
  detail::for_elements(n, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      T d = maximize ? -g[i] : g[i];
      if (wd != 0) d = d + wd * p[i];
      if (buf) {
        T v = first ? d : buf[i] * mom + keep * d;
        buf[i] = v;
        d = nesterov ? d + mom * v : v;
      }
      p[i] = p[i] + (-lr) * d;
    }
  });
}
}  // namespace

void SGD::update_param(const SGDOptions& o, Tensor& param, const Tensor& grad, ParamState& st) {
  ++st.step;
  Tensor buf;
  bool first = false;
  if (o.momentum != 0) buf = st.get("momentum_buffer", param, 0, &first);
  BRAID_DISPATCH_FLOAT(param.dtype(), name().c_str(), [&] {
    sgd_loop<scalar_t>(o, param.data_ptr<scalar_t>(), grad.data_ptr<scalar_t>(),
                       buf.defined() ? buf.data_ptr<scalar_t>() : nullptr, first, param.numel());
  });
}

}  // namespace braid::optim
