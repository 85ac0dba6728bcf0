#include "braid/nn/sequential.hpp"

#include <typeinfo>

#include "braid/nn/activation.hpp"
#include "braid/nn/conv.hpp"
#include "braid/ops/registry.hpp"

namespace braid::nn {

Module& Sequential::operator[](size_t i) const {
  BRAID_CHECK(i < size(), IndexError, "Sequential", "index {} is out of range for {} layers", i,
              size());
  return *children()[i];
}

Module& Sequential::add(std::unique_ptr<Module> layer) {
  return register_module(std::to_string(size()), std::move(layer));
}

namespace {
// The Conv2d of a Conv2d -> ReLU pair that can run as one op (Note [conv +
// relu]): exactly those two classes (a subclass may change forward), no
// hooks to call in between, and not while tracing, so traced graphs (compile,
// ONNX export) keep the two ops.
Conv2d* fusable_conv_relu(Module& a, Module& b) {
  if (typeid(a) != typeid(Conv2d) || typeid(b) != typeid(ReLU)) return nullptr;
  if (a.has_forward_hooks() || b.has_forward_hooks() || detail::is_tracing()) return nullptr;
  return static_cast<Conv2d*>(&a);
}
}  // namespace

Tensor Sequential::forward(const Tensor& x) {
  Tensor y = x;
  const std::vector<Module*> layers = children();
  for (size_t i = 0; i < layers.size(); ++i) {
    if (Conv2d* conv =
            i + 1 < layers.size() ? fusable_conv_relu(*layers[i], *layers[i + 1]) : nullptr) {
      y = conv->forward_relu(y);
      ++i;
      continue;
    }
    y = (*layers[i])(y);
  }
  return y;
}

}  // namespace braid::nn
