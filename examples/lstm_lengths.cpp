// An LSTM on variable-length sequences (nn::LSTM::forward(x, lengths)): read a
// 0/1 sequence of length 1..12 and say whether it holds at least 4 ones. The
// padding after each sequence is random, so only the first `length` steps may
// count; the final hidden state h_n is taken at each sequence's last step.
// Prints the held-out accuracy as it learns.
#include <braid/braid.hpp>

#include <cstdio>
#include "models.hpp"

using namespace braid;

namespace {
constexpr int64_t kMaxLen = 12, kThreshold = 4;

struct Batch {
  Tensor x, lengths, labels;  // (L, N, 2) one-hot, (N) int64, (N) int64
};

Batch make_batch(int64_t n) {
  Tensor tokens = randint(0, 2, {kMaxLen, n});
  Tensor lengths = randint(1, kMaxLen + 1, {n});
  Tensor valid = arange(kMaxLen).unsqueeze(1) < lengths.unsqueeze(0);
  Tensor count = sum(tokens * valid.to(DType::Int64), {0});
  return {one_hot(tokens, 2).to(DType::Float32), lengths, (count >= kThreshold).to(DType::Int64)};
}

using Classifier = examples::LstmClassifier;  // examples/models.hpp
}  // namespace

int main() {
  manual_seed(0);
  Classifier model;
  std::printf("%s\n", model.str().c_str());
  optim::Adam adam(model.parameters(), {.lr = 0.02});
  const Batch test = make_batch(1000);
  std::printf("step  loss    test accuracy\n");
  for (int step = 1; step <= 400; ++step) {
    const Batch b = make_batch(64);
    Tensor loss = cross_entropy(model.logits(b.x, b.lengths), b.labels);
    adam.zero_grad();
    loss.backward();
    adam.step();
    if (step % 40 == 0) {
      NoGradGuard no_grad;
      Tensor pred = argmax(model.logits(test.x, test.lengths), 1);
      double acc = mean(eq(pred, test.labels).to(DType::Float32)).item<double>();
      std::printf("%4d  %.4f  %.3f\n", step, loss.item<double>(), acc);
    }
  }
  return 0;
}
