#include "kernels/x86/matmul_x86.hpp"

#include "kernels/portable/copy.hpp"
#include "kernels/portable/matmul.hpp"
#include "kernels/x86/gemm_dnnl.hpp"

namespace braid::kernels {
namespace {

// All of a plan's GEMM calls share one layout, so oneDNN either takes the
// first and then every one, or refuses the first before writing anything.
bool run_dnnl(const Tensor& out, const Tensor& a, const Tensor& b) {
  const MatmulPlan p = plan_matmul(out, a, b);
  const float* pa = static_cast<const float*>(a.raw_data());
  const float* pb = static_cast<const float*>(b.raw_data());
  float* pc = static_cast<float*>(out.raw_data());
  return for_each_gemm(p, [&](int64_t oa, int64_t ob, int64_t oc) {
    return gemm_x86(p.gemm, pa + oa, pb + ob, pc + oc);
  });
}

Tensor contiguous_copy(const Tensor& t) {
  if (t.is_contiguous()) return t;
  Tensor r = empty(t.shape(), t.dtype());
  copy(r, t);
  return r;
}

}  // namespace

bool matmul_x86(const Tensor& out, const Tensor& a, const Tensor& b) {
  if (out.dtype() != DType::Float32) return false;
  if (out.numel() == 0) return true;
  if (run_dnnl(out, a, b)) return true;
  // oneDNN wants a unit row or column stride in each matrix and a layout its
  // fast kernels know; a contiguous copy always has both, and copying costs
  // far less than the portable GEMM on a large product.
  if (a.is_contiguous() && b.is_contiguous()) return false;
  return run_dnnl(out, contiguous_copy(a), contiguous_copy(b));
}

}  // namespace braid::kernels
