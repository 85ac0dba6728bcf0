#include <cmath>

#include "kernels/portable/cast.hpp"
#include "kernels/portable/elementwise.hpp"
#include "kernels/portable/loops.hpp"
#include "kernels/portable/scalar_ops.hpp"

namespace braid::kernels {

namespace {
// Whether `t` holds one element that broadcasts against `other`, which
// already has the output's shape and layout: then the op is a one-input map
// with the value held in a register, a loop the compiler vectorises (the
// broadcast-stride loop reads it through a stride of 0 and does not).
bool is_scalar_against(const Tensor& t, const Tensor& other, const Tensor& out) {
  return t.numel() == 1 && other.shape() == out.shape() && other.is_contiguous() &&
         out.is_contiguous();
}

template <class Out, class T, class F>
void map2(const F& f, const Tensor& out, const Tensor& a, const Tensor& b) {
  if (is_scalar_against(b, a, out)) {
    const T y = *static_cast<const T*>(b.raw_data());
    map<Out, T>([f, y](T x) { return f(x, y); }, out, a);
  } else if (is_scalar_against(a, b, out)) {
    const T x = *static_cast<const T*>(a.raw_data());
    map<Out, T>([f, x](T y) { return f(x, y); }, out, b);
  } else {
    map<Out, T, T>(f, out, a, b);
  }
}

template <class T>
void arith(Binary op, const Tensor& out, const Tensor& a, const Tensor& b, Scalar alpha) {
  const bool known = with_arith<T>(op, alpha.to<T>(), alpha.to_double() == 1,
                                   [&](auto f) { map2<T, T>(f, out, a, b); });
  BRAID_ASSERT(known);
}

template <class T>
void compare(Binary op, const Tensor& out, const Tensor& a, const Tensor& b) {
  auto m = [&](auto f) { map2<bool, T>(f, out, a, b); };
  switch (op) {
    case Binary::Eq: m([](T x, T y) { return x == y; }); break;
    case Binary::Ne: m([](T x, T y) { return x != y; }); break;
    case Binary::Lt: m([](T x, T y) { return x < y; }); break;
    case Binary::Le: m([](T x, T y) { return x <= y; }); break;
    case Binary::Gt: m([](T x, T y) { return x > y; }); break;
    case Binary::Ge: m([](T x, T y) { return x >= y; }); break;
    case Binary::LogicalAnd: m([](T x, T y) { return x != T(0) && y != T(0); }); break;
    case Binary::LogicalOr: m([](T x, T y) { return x != T(0) || y != T(0); }); break;
    default: BRAID_ASSERT(false);
  }
}
}  // namespace

void binary(Binary op, const Tensor& out, const Tensor& a, const Tensor& b, Scalar alpha) {
  if (op >= Binary::Eq) {
    if (a.dtype() == DType::Bool) {
      compare<bool>(op, out, a, b);
      return;
    }
    BRAID_DISPATCH_NUMERIC(a.dtype(), "compare", [&] { compare<scalar_t>(op, out, a, b); });
    return;
  }
  if (a.dtype() == DType::Bool &&
      (op == Binary::Add || op == Binary::Mul || op == Binary::Maximum || op == Binary::Minimum)) {
    // bool + bool is logical or, bool * bool logical and (PyTorch's rule).
    bool is_or = op == Binary::Add || op == Binary::Maximum;
    map<bool, bool, bool>([is_or](bool x, bool y) { return is_or ? (x || y) : (x && y); }, out, a,
                          b);
    return;
  }
  BRAID_DISPATCH_NUMERIC(a.dtype(), "binary", [&] { arith<scalar_t>(op, out, a, b, alpha); });
}

void where(const Tensor& out, const Tensor& cond, const Tensor& a, const Tensor& b) {
  // A scalar side (masked_fill's value, relu's gradient mask) as a captured
  // value: the broadcast-stride loop over three operands ran 10x slower.
  const bool dense = cond.shape() == out.shape() && cond.is_contiguous();
  BRAID_DISPATCH_ALL(out.dtype(), "where", [&] {
    using T = scalar_t;
    if (dense && is_scalar_against(a, b, out)) {
      const T x = *static_cast<const T*>(a.raw_data());
      map<T, bool, T>([x](bool c, T y) { return branchless_select(c, x, y); }, out, cond, b);
    } else if (dense && is_scalar_against(b, a, out)) {
      const T y = *static_cast<const T*>(b.raw_data());
      map<T, bool, T>([y](bool c, T x) { return branchless_select(c, x, y); }, out, cond, a);
    } else {
      map<T, bool, T, T>([](bool c, T x, T y) { return branchless_select(c, x, y); }, out, cond, a,
                         b);
    }
  });
}

}  // namespace braid::kernels
