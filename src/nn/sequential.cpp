#include "braid/nn/sequential.hpp"

namespace braid::nn {

Module& Sequential::operator[](size_t i) const {
  BRAID_CHECK(i < size(), IndexError, "Sequential", "index {} is out of range for {} layers", i,
              size());
  return *children()[i];
}

Module& Sequential::add(std::unique_ptr<Module> layer) {
  return register_module(std::to_string(size()), std::move(layer));
}

Tensor Sequential::forward(const Tensor& x) {
  Tensor y = x;
  for (Module* m : children()) y = (*m)(y);
  return y;
}

}  // namespace braid::nn
