#include "kernels/portable/copy.hpp"

#include "kernels/portable/cast.hpp"
#include "kernels/portable/loops.hpp"

namespace braid::kernels {

void copy(const Tensor& dst, const Tensor& src) {
  if (dst.dtype() == src.dtype() && dst.is_contiguous() && src.is_contiguous() &&
      dst.shape() == src.shape()) {
    std::memcpy(dst.raw_data(), src.raw_data(),
                static_cast<size_t>(dst.numel()) * dst.element_size());
    return;
  }
  BRAID_DISPATCH_ALL(dst.dtype(), "copy", [&] {
    using O = scalar_t;
    BRAID_DISPATCH_ALL(src.dtype(), "copy", [&] {
      using I = scalar_t;
      map<O, I>([](I v) { return cast_value<O>(v); }, dst, src);
    });
  });
}

void fill(const Tensor& dst, Scalar v) {
  BRAID_DISPATCH_ALL(dst.dtype(), "fill", [&] {
    scalar_t x = v.to<scalar_t>();
    map<scalar_t>([x]() { return x; }, dst);
  });
}

}  // namespace braid::kernels
