#pragma once
/// Sequential: children called in order, each on the previous one's output.
/// Children are named "0", "1", ... as in PyTorch, so errors and state-dict
/// keys read "Sequential/2" and "2.weight".
#include <concepts>
#include <memory>
#include <string>

#include "braid/nn/module.hpp"

namespace braid::nn {

class Sequential : public Module {
 public:
  Sequential() = default;
  /// nn::Sequential{nn::Flatten(), nn::Linear(784, 128), nn::ReLU()}
  template <class... M>
  requires(sizeof...(M) > 0 && (std::derived_from<std::decay_t<M>, Module> && ...))
      Sequential(M&&... layers) {  // NOLINT: braces read as a list of layers
    (add(std::forward<M>(layers)), ...);
  }
  /// Appends a layer (Keras's model.add); returns it.
  template <class M>
  M& add(M&& layer) {
    return register_module(std::to_string(size()), std::forward<M>(layer));
  }
  /// Appends a layer built elsewhere (io::layer_from_config); returns it.
  Module& add(std::unique_ptr<Module> layer);
  size_t size() const { return children().size(); }
  Module& operator[](size_t i) const;
  /// Each layer in turn, through its operator() (hooks, error paths); a
  /// Conv2d followed by a ReLU, and by a MaxPool2d(2) too, none with hooks,
  /// runs as one op (Note [conv + relu], Note [conv + relu + pool]: the same
  /// values and gradients, bit for bit).
  Tensor forward(const Tensor& x) override;
};

}  // namespace braid::nn
