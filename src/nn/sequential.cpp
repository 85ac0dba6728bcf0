#include "braid/nn/sequential.hpp"

#include <typeinfo>

#include "braid/nn/activation.hpp"
#include "braid/nn/conv.hpp"
#include "braid/nn/pool.hpp"
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
// Note [conv + relu], Note [conv + relu + pool]: layers that run as one op
// must be exactly those classes (a subclass may change forward), with no
// hooks to call in between, and not while tracing, so traced graphs
// (compile, ONNX export) keep the layers' ops.
template <class T>
T* plain(const std::vector<Module*>& layers, size_t i) {
  if (i >= layers.size() || typeid(*layers[i]) != typeid(T) || layers[i]->has_forward_hooks())
    return nullptr;
  return static_cast<T*>(layers[i]);
}

// MaxPool2d(2): a 2x2 window, stride 2, no padding, dilation 1, floor mode.
bool is_maxpool2x2(const MaxPool2d& p) {
  auto all = [](const SizeArg& a, int64_t v) {
    for (int64_t x : a.values)
      if (x != v) return false;
    return true;
  };
  return all(p.kernel_size, 2) && all(p.stride, 2) && all(p.padding, 0) && all(p.dilation, 1) &&
         !p.ceil_mode;
}
}  // namespace

Tensor Sequential::forward(const Tensor& x) {
  Tensor y = x;
  const std::vector<Module*> layers = children();
  const bool fuse = !detail::is_tracing();
  for (size_t i = 0; i < layers.size(); ++i) {
    Conv2d* conv = fuse ? plain<Conv2d>(layers, i) : nullptr;
    if (conv && plain<ReLU>(layers, i + 1)) {
      const MaxPool2d* pool = plain<MaxPool2d>(layers, i + 2);
      if (pool && is_maxpool2x2(*pool)) {
        // Undefined when the output is smaller than the window (then the
        // pool layer runs, so its error names it) or x is a 16-bit float.
        if (Tensor z = conv->forward_relu_maxpool2x2(y); z.defined()) {
          y = z;
          i += 2;
          continue;
        }
      }
      y = conv->forward_relu(y);
      ++i;
      continue;
    }
    y = (*layers[i])(y);
  }
  return y;
}

}  // namespace braid::nn
