// A small Transformer encoder (nn::TransformerEncoder) learning the histogram
// task: for each token of a sequence over a vocabulary of 6, predict how many
// times that token occurs in the whole sequence. Every position must look at
// every other one, which is what self-attention does; no positional encoding
// is needed since the answer does not depend on order. Sequences have random
// lengths and the padding is hidden with src_key_padding_mask. Prints the
// per-token accuracy on held-out sequences as it learns.
//   transformer_encoder [steps=800] [lr=1e-3]
#include <braid/braid.hpp>

#include <cstdio>
#include <cstdlib>
#include "models.hpp"

using namespace braid;

namespace {
using examples::TransformerModel;
constexpr int64_t kVocab = TransformerModel::kVocab, kLen = TransformerModel::kLen;

struct Batch {
  Tensor tokens, padding, counts;  // (N, L) int64, (N, L) bool (true = padding), (N, L) int64
};

Batch make_batch(int64_t n) {
  Tensor tokens = randint(0, kVocab, {n, kLen});
  Tensor lengths = randint(4, kLen + 1, {n, 1});
  Tensor padding = arange(kLen).unsqueeze(0) >= lengths;
  Tensor real = logical_not(padding).to(DType::Int64);
  // counts[b, i] = #{j < length_b : tokens[b, j] == tokens[b, i]}
  Tensor same = eq(tokens.unsqueeze(2), tokens.unsqueeze(1)).to(DType::Int64);
  Tensor counts = sum(same * real.unsqueeze(1), {2});
  // Padding positions get class -100: cross_entropy skips them.
  counts = where(padding, full({n, kLen}, -100, DType::Int64), counts);
  return {tokens, padding, counts};
}

// examples/models.hpp; logits of a batch.
struct Model : examples::TransformerModel {
  Tensor logits(const Batch& b) { return TransformerModel::logits(b.tokens, b.padding); }
};

double accuracy(Model& model, const Batch& b) {
  NoGradGuard no_grad;
  Tensor pred = argmax(model.logits(b), 2);
  Tensor real = logical_not(b.padding);
  Tensor right = logical_and(eq(pred, b.counts), real).to(DType::Float32);
  return sum(right).item<double>() / sum(real.to(DType::Float32)).item<double>();
}
}  // namespace

int main(int argc, char** argv) {
  const int steps = argc > 1 ? std::atoi(argv[1]) : 800;
  const double lr = argc > 2 ? std::atof(argv[2]) : 1e-3;
  manual_seed(0);
  Model model;
  optim::Adam adam(model.parameters(), {.lr = lr});
  const Batch test = make_batch(500);
  std::printf("step  loss    test token accuracy\n");
  for (int step = 1; step <= steps; ++step) {
    const Batch b = make_batch(64);
    Tensor logits = model.logits(b);
    Tensor loss = cross_entropy(logits.reshape({-1, kLen + 1}), b.counts.reshape({-1}));
    adam.zero_grad();
    loss.backward();
    adam.step();
    if (step % 50 == 0)
      std::printf("%4d  %.4f  %.3f\n", step, loss.item<double>(), accuracy(model, test));
  }
  return 0;
}
