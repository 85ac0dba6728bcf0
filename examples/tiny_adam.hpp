#pragma once
// A minimal Adam (PyTorch's update rule, no weight decay) for the examples, so
// they run on their own; optim::Adam is the library's full one.
#include <braid/braid.hpp>
#include <cmath>
#include <vector>

struct TinyAdam {
  std::vector<braid::Tensor> params, m, v;
  double lr;
  int64_t t = 0;
  TinyAdam(std::vector<braid::Tensor> p, double lr_) : params(std::move(p)), lr(lr_) {
    for (const braid::Tensor& q : params) {
      m.push_back(braid::zeros_like(q));
      v.push_back(braid::zeros_like(q));
    }
  }
  void step() {
    braid::NoGradGuard no_grad;  // the update is not part of the model
    ++t;
    const double c1 = 1 - std::pow(0.9, double(t)), c2 = 1 - std::pow(0.999, double(t));
    for (size_t i = 0; i < params.size(); ++i) {
      const braid::Tensor g = params[i].grad();
      if (!g.defined()) continue;
      m[i] = m[i] * 0.9 + g * 0.1;
      v[i] = v[i] * 0.999 + g * g * 0.001;
      params[i].sub_((m[i] / c1) / (braid::sqrt(v[i] / c2) + 1e-8) * lr);
      params[i].set_grad(braid::Tensor());
    }
  }
};
