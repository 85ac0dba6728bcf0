#pragma once
// The example models, shared by the examples and the tests that check every
// example model through the tracer, the model file and ONNX
// (tests/graph/example_models_test.cpp, tests/io/model_file_test.cpp).
#include <braid/braid.hpp>

namespace braid::examples {

// -- the MNIST tour's two networks, each both ways (examples/mnist_tour.cpp) --------

// Keras way: a Sequential, layer by layer.
inline nn::Sequential mlp_sequential() {
  return nn::Sequential(nn::Flatten(), nn::Linear(784, 128), nn::ReLU(), nn::Dropout(0.2),
                        nn::Linear(128, 10));
}
inline nn::Sequential cnn_sequential() {
  return nn::Sequential(nn::Conv2d(1, 32, 3), nn::ReLU(), nn::Conv2d(32, 64, 3), nn::ReLU(),
                        nn::MaxPool2d(2), nn::Dropout(0.25), nn::Flatten(), nn::Linear(9216, 128),
                        nn::ReLU(), nn::Dropout(0.5), nn::Linear(128, 10));
}

// PyTorch way: a plain class; children are members registered by name.
struct MLP : nn::Module {
  nn::Linear& fc1 = register_module("fc1", nn::Linear(784, 128));
  nn::Dropout& drop = register_module("drop", nn::Dropout(0.2));
  nn::Linear& fc2 = register_module("fc2", nn::Linear(128, 10));
  Tensor forward(const Tensor& x) override { return fc2(drop(relu(fc1(flatten(x, 1))))); }
};
struct CNN : nn::Module {
  nn::Conv2d& conv1 = register_module("conv1", nn::Conv2d(1, 32, 3));
  nn::Conv2d& conv2 = register_module("conv2", nn::Conv2d(32, 64, 3));
  nn::Dropout& drop1 = register_module("drop1", nn::Dropout(0.25));
  nn::Linear& fc1 = register_module("fc1", nn::Linear(9216, 128));
  nn::Dropout& drop2 = register_module("drop2", nn::Dropout(0.5));
  nn::Linear& fc2 = register_module("fc2", nn::Linear(128, 10));
  Tensor forward(const Tensor& x) override {
    Tensor h = relu(conv2(relu(conv1(x))));
    h = drop1(max_pool2d(h, {2, 2}));
    return fc2(drop2(relu(fc1(flatten(h, 1)))));
  }
};

// -- Fashion-MNIST's BatchNorm CNN (examples/fashion_cnn.cpp) -----------------------
inline nn::Sequential fashion_cnn() {
  return nn::Sequential(nn::Conv2d(1, 32, 3, {.padding = 1}), nn::BatchNorm2d(32), nn::ReLU(),
                        nn::MaxPool2d(2), nn::Conv2d(32, 64, 3, {.padding = 1}),
                        nn::BatchNorm2d(64), nn::ReLU(), nn::MaxPool2d(2), nn::Flatten(),
                        nn::Linear(64 * 7 * 7, 128), nn::ReLU(), nn::Dropout(0.3),
                        nn::Linear(128, 10));
}

// -- an LSTM over variable-length sequences (examples/lstm_lengths.cpp) -------------
// x: (L, N, 2) one-hot bits, lengths: (N) int64 -> logits (N, 2).
struct LstmClassifier : nn::Module {
  nn::LSTM& lstm = register_module("lstm", nn::LSTM(2, 16));
  nn::Linear& head = register_module("head", nn::Linear(16, 2));
  Tensor logits(const Tensor& x, const Tensor& lengths) {
    return head(lstm.forward(x, lengths).h_n.select(0, 0));  // the last layer's h_n
  }
};

// -- a Transformer encoder (examples/transformer_encoder.cpp) -----------------------
// tokens: (N, L) int64 < kVocab, padding: (N, L) bool (true = padding) -> (N, L, kLen + 1).
struct TransformerModel : nn::Module {
  static constexpr int64_t kVocab = 6, kLen = 10, kModel = 32;
  Tensor& embed = register_parameter("embed", randn({kVocab, kModel}));
  nn::TransformerEncoder& encoder = register_module(
      "encoder", nn::TransformerEncoder(
                     nn::TransformerEncoderLayer(
                         kModel, 4, {.dim_feedforward = 64, .dropout = 0.0, .batch_first = true}),
                     2));
  nn::Linear& head = register_module("head", nn::Linear(kModel, kLen + 1));
  Tensor logits(const Tensor& tokens, const Tensor& padding) {
    return head(encoder.forward(embedding(embed, tokens), {}, padding));
  }
};

}  // namespace braid::examples
