// The `matmul` op's kernel adapter: maps tensors onto GEMM calls (gemm.hpp).
//
// out = a @ b with NumPy's rules, shapes already validated by the op:
//   a: (..., m, k) or (k),  b: (..., k, n) or (k)  ->  out: (..., m, n) with the
//   m dim absent when a is 1-D and the n dim absent when b is 1-D.
// Batch dims broadcast (stride 0 on the broadcast side) and matrices keep
// their strides, so transposed, sliced and expanded views run without a
// copy. Batch dims that merge into one stride become GemmArgs' batch; the
// rest (a permuted batch, say) are walked by a loop of GEMM calls.
#pragma once

#include <cstdint>

#include "braid/core/tensor.hpp"
#include "kernels/portable/gemm.hpp"

namespace braid::kernels {

/// The GEMM calls that compute one matmul: `gemm` for every index of
/// `outer_shape`, with the operands offset by the outer strides.
struct MatmulPlan {
  GemmArgs gemm;
  Shape outer_shape;
  Shape a_outer, b_outer, c_outer;  ///< strides of the outer dims, in elements
};

/// The plan for out = a @ b. `out` may have any strides but must not alias a or b.
MatmulPlan plan_matmul(const Tensor& out, const Tensor& a, const Tensor& b);

/// Calls fn(a_offset, b_offset, c_offset) once per GEMM of `plan`, in
/// row-major order of the outer dims; stops early when fn returns false.
/// Returns whether every call returned true.
template <class F>
bool for_each_gemm(const MatmulPlan& plan, const F& fn) {
  const size_t rank = plan.outer_shape.size();
  for (int64_t s : plan.outer_shape)
    if (s == 0) return true;
  int64_t idx[16] = {0};
  int64_t oa = 0, ob = 0, oc = 0;
  while (true) {
    if (!fn(oa, ob, oc)) return false;
    size_t d = rank;
    for (; d-- > 0;) {  // odometer carry over the outer dims
      oa += plan.a_outer[d], ob += plan.b_outer[d], oc += plan.c_outer[d];
      if (++idx[d] < plan.outer_shape[d]) break;
      oa -= plan.outer_shape[d] * plan.a_outer[d];
      ob -= plan.outer_shape[d] * plan.b_outer[d];
      oc -= plan.outer_shape[d] * plan.c_outer[d];
      idx[d] = 0;
    }
    if (d == static_cast<size_t>(-1)) return true;
  }
}

/// out = a @ b for float32/64, int32/64 (and int8/uint8 computed in int32,
/// which wraps the same way). Bit-identical for any thread count.
void matmul_portable(const Tensor& out, const Tensor& a, const Tensor& b);

}  // namespace braid::kernels
