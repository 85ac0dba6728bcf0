#include "braid/optim/optimizer.hpp"

#include "braid/core/grad_mode.hpp"

namespace braid::optim {

void Optimizer::zero_grad(bool set_to_none) {
  NoGradGuard ng;
  for (size_t g = 0; g < num_param_groups(); ++g)
    for (const Tensor& p : params(g)) {
      Tensor grad = p.grad();
      if (!grad.defined()) continue;
      if (set_to_none) {
        Tensor(p).set_grad(Tensor());
      } else {
        grad.zero_();
      }
    }
}

void Optimizer::set_lr(double lr) {
  for (size_t g = 0; g < num_param_groups(); ++g) set_lr(lr, g);
}

}  // namespace braid::optim

namespace braid::optim {

std::optional<double> Optimizer::momentum(size_t) const { return std::nullopt; }

void Optimizer::set_momentum(double, size_t) {
  throw ValueError(fmt::format("[{}] this optimizer has no momentum to set", name()));
}

nn::StateDict Optimizer::state_dict() const {
  throw ValueError(fmt::format("[{}] this optimizer does not support state_dict()", name()));
}

void Optimizer::load_state_dict(const nn::StateDict&) {
  throw ValueError(fmt::format("[{}] this optimizer does not support load_state_dict()", name()));
}

}  // namespace braid::optim
