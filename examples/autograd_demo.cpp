// A tiny network trained with the raw autograd API: fit y = sin(3x) with a
// 1-32-1 tanh MLP and plain gradient descent, printing the loss as it falls.
#include <braid/braid.hpp>
#include <cmath>
#include <cstdio>

using namespace braid;

int main() {
  manual_seed(0);
  Tensor x = rand({256, 1}) * 2.0 - 1.0;  // inputs in [-1, 1)
  Tensor y = sin(x * 3.0);

  Tensor w1 = randn({1, 32}).requires_grad_();
  Tensor b1 = zeros({32}).requires_grad_();
  Tensor w2 = (randn({32, 1}) * (1.0 / std::sqrt(32.0))).requires_grad_();
  Tensor b2 = zeros({1}).requires_grad_();
  std::vector<Tensor> params{w1, b1, w2, b2};
  const double lr = 0.1;

  std::printf("step  loss\n");
  for (int step = 0; step <= 1000; ++step) {
    Tensor pred = matmul(tanh(matmul(x, w1) + b1), w2) + b2;
    Tensor loss = mean(square(pred - y));
    loss.backward();
    {
      NoGradGuard no_grad;  // the update itself is not part of the model
      for (Tensor& p : params) {
        p.sub_(p.grad() * lr);
        p.set_grad({});
      }
    }
    if (step % 100 == 0) std::printf("%4d  %.6f\n", step, loss.item<double>());
  }
  Tensor probe = tensor({{-0.5f}, {0.0f}, {0.5f}});
  Tensor fit = matmul(tanh(matmul(probe, w1) + b1), w2) + b2;
  std::printf("\nsin(3x) at x = -0.5, 0, 0.5: %s\nthe network says:             %s\n",
              sin(probe * 3.0).flatten().str().c_str(), fit.detach().flatten().str().c_str());
  return 0;
}
