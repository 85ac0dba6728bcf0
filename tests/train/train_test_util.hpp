#pragma once
// Helpers for the train tests: a plain SGD (optim's own lands separately),
// a ReLU module, 3-class blob data and a tiny network.
#include <cmath>
#include <vector>

#include "braid/braid.hpp"

namespace braid::testing_train {

/// p -= lr * grad, per group.
class TestSGD : public optim::Optimizer {
 public:
  explicit TestSGD(double lr) : lr_(lr) {}
  void step() override {
    NoGradGuard ng;
    for (auto& g : groups_)
      for (Tensor& p : g.params) {
        Tensor grad = p.grad();
        if (grad.defined()) p.sub_(grad, g.lr);
      }
  }
  void add_param_group(std::vector<Tensor> params) override {
    groups_.push_back({std::move(params), lr_});
  }
  size_t num_param_groups() const override { return groups_.size(); }
  const std::vector<Tensor>& params(size_t g) const override { return groups_.at(g).params; }
  double lr(size_t g = 0) const override { return groups_.at(g).lr; }
  void set_lr(double lr, size_t g) override { groups_.at(g).lr = lr; }
  using optim::Optimizer::set_lr;
  std::string name() const override { return "TestSGD"; }

 private:
  struct Group {
    std::vector<Tensor> params;
    double lr;
  };
  double lr_;
  std::vector<Group> groups_;
};

struct Relu : nn::Module {
  Tensor forward(const Tensor& x) override { return relu(x); }
};

struct Blobs {
  Tensor x, y;
};

/// n points in 3 well separated 2-D blobs; y int64 class indices.
inline Blobs make_blobs(int64_t n, uint64_t seed) {
  manual_seed(seed);
  Tensor y = randint(0, 3, {n});
  const double r = 3.0;
  Tensor centers = tensor({{r, 0.0},
                           {r * std::cos(2.094), r * std::sin(2.094)},
                           {r * std::cos(4.189), r * std::sin(4.189)}},
                          DType::Float32);
  Tensor x = index_select(centers, 0, y) + randn({n, 2}) * 0.8;
  return {x, y};
}

inline nn::Sequential make_mlp(uint64_t seed) {
  manual_seed(seed);
  return nn::Sequential{nn::Linear(2, 16), Relu(), nn::Linear(16, 3)};
}

inline std::vector<float> flat_weights(const nn::Module& m) {
  std::vector<float> out;
  for (const Tensor& p : m.parameters()) {
    auto v = p.detach().contiguous().to_vector<float>();
    out.insert(out.end(), v.begin(), v.end());
  }
  return out;
}

}  // namespace braid::testing_train
