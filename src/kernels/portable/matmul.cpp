#include "kernels/portable/matmul.hpp"

#include "kernels/portable/copy.hpp"
#include "kernels/portable/loops.hpp"

namespace braid::kernels {
namespace {

// Stride of each batch dim of matrix operand `t` (its dims before the last
// two, right-aligned against the output's `nb` batch dims); 0 where t is
// broadcast or lacks the dim. A 1-D operand has no batch dims.
Shape batch_strides(const Tensor& t, size_t nb) {
  Shape st(nb, 0);
  if (t.dim() < 2) return st;
  const size_t tb = static_cast<size_t>(t.dim()) - 2;
  for (size_t i = 0; i < tb; ++i) st[nb - tb + i] = t.shape()[i] == 1 ? 0 : t.strides()[i];
  return st;
}

// The matrix part of the plan: A as (m, k), B as (k, n), C as (m, n), with a
// 1-D operand read as one row (a) or one column (b) and the matching output
// dim absent. Returns how many trailing output dims the matrices use.
int64_t matrix_args(GemmArgs& g, const Tensor& out, const Tensor& a, const Tensor& b) {
  const bool a1 = a.dim() == 1, b1 = b.dim() == 1;
  if (a1) {
    g.m = 1, g.k = a.size(0), g.a_cs = a.stride(0), g.a_rs = g.k * g.a_cs;
  } else {
    g.m = a.size(-2), g.k = a.size(-1), g.a_rs = a.stride(-2), g.a_cs = a.stride(-1);
  }
  if (b1) {
    g.n = 1, g.b_rs = b.stride(0), g.b_cs = 1;
  } else {
    g.n = b.size(-1), g.b_rs = b.stride(-2), g.b_cs = b.stride(-1);
  }
  if (!a1 && !b1) {
    g.c_rs = out.stride(-2), g.c_cs = out.stride(-1);
  } else if (!b1) {  // out (..., n)
    g.c_cs = out.stride(-1), g.c_rs = g.n * g.c_cs;
  } else if (!a1) {  // out (..., m)
    g.c_rs = out.stride(-1), g.c_cs = 1;
  } else {  // out ()
    g.c_rs = 1, g.c_cs = 1;
  }
  return (a1 ? 0 : 1) + (b1 ? 0 : 1);
}

template <class T>
void run_gemms(const Tensor& out, const Tensor& a, const Tensor& b) {
  const MatmulPlan p = plan_matmul(out, a, b);
  const T* pa = static_cast<const T*>(a.raw_data());
  const T* pb = static_cast<const T*>(b.raw_data());
  T* pc = static_cast<T*>(out.raw_data());
  for_each_gemm(p, [&](int64_t oa, int64_t ob, int64_t oc) {
    gemm_portable<T>(p.gemm, pa + oa, pb + ob, pc + oc);
    return true;
  });
}

Tensor to_int32(const Tensor& t) {
  Tensor r = empty(t.shape(), DType::Int32);
  copy(r, t);
  return r;
}

}  // namespace

MatmulPlan plan_matmul(const Tensor& out, const Tensor& a, const Tensor& b) {
  MatmulPlan p;
  GemmArgs& g = p.gemm;
  const size_t nb = static_cast<size_t>(out.dim() - matrix_args(g, out, a, b));
  // Merge the batch dims that are one stride apart in all three operands; the
  // innermost merged dim is the GEMM's batch, any others are looped over.
  const Shape batch(out.shape().begin(), out.shape().begin() + nb);
  const Shape c_st(out.strides().begin(), out.strides().begin() + nb);
  Plan<3> merged(batch, {batch_strides(a, nb), batch_strides(b, nb), c_st});
  if (merged.shape.empty()) return p;  // batch 1, batch strides unused
  g.batch = merged.shape.back();
  g.a_bs = merged.strides[0].back(), g.b_bs = merged.strides[1].back();
  g.c_bs = merged.strides[2].back();
  const size_t outer = merged.shape.size() - 1;
  p.outer_shape.assign(merged.shape.begin(), merged.shape.begin() + outer);
  p.a_outer.assign(merged.strides[0].begin(), merged.strides[0].begin() + outer);
  p.b_outer.assign(merged.strides[1].begin(), merged.strides[1].begin() + outer);
  p.c_outer.assign(merged.strides[2].begin(), merged.strides[2].begin() + outer);
  return p;
}

void matmul_portable(const Tensor& out, const Tensor& a, const Tensor& b) {
  if (out.numel() == 0) return;
  switch (out.dtype()) {
    case DType::Float32: return run_gemms<float>(out, a, b);
    case DType::Float64: return run_gemms<double>(out, a, b);
    case DType::Int32: return run_gemms<int32_t>(out, a, b);
    case DType::Int64: return run_gemms<int64_t>(out, a, b);
    case DType::Int8:
    case DType::UInt8: {
      // A sum wraps to the same low 8 bits whether it runs in 8 or 32 bits,
      // so int32 gives PyTorch's wrapping result once narrowed.
      Tensor c32 = empty(out.shape(), DType::Int32);
      run_gemms<int32_t>(c32, to_int32(a), to_int32(b));
      copy(out, c32);
      return;
    }
    default: detail::throw_unsupported_dtype("matmul", out.dtype());
  }
}

}  // namespace braid::kernels
