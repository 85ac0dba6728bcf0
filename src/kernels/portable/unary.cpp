#include <cmath>

#include "kernels/portable/elementwise.hpp"
#include "kernels/portable/loops.hpp"
#include "kernels/portable/scalar_ops.hpp"

namespace braid::kernels {

void unary(Unary op, const Tensor& out, const Tensor& in, double a, double b) {
  if (op == Unary::LogicalNot) {
    BRAID_DISPATCH_ALL(in.dtype(), "logical_not", [&] {
      map<bool, scalar_t>([](scalar_t x) { return !(static_cast<float>(x) != 0); }, out, in);
    });
    return;
  }
  BRAID_DISPATCH_NUMERIC(in.dtype(), "unary", [&] {
    using T = scalar_t;
    const bool known = with_unary<T>(op, a, b, [&](auto f) { map<T, T>(f, out, in); });
    BRAID_ASSERT(known);
  });
}

}  // namespace braid::kernels
