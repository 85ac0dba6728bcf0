// The `matmul` op's x86 kernel: float32 through oneDNN (gemm_dnnl.hpp), with
// the same tensor-to-GEMM mapping as the portable adapter (matmul.hpp).
#pragma once

#include "braid/core/tensor.hpp"

namespace braid::kernels {

/// out = a @ b (shapes as in matmul.hpp) with oneDNN when out is float32.
/// Contiguous and transposed operands go to oneDNN as they are; an operand
/// whose matrices have no unit stride is copied to contiguous first. Returns
/// false, having written nothing that the portable kernel will not
/// overwrite, when the dtype is not float32 or oneDNN cannot take the call.
bool matmul_x86(const Tensor& out, const Tensor& a, const Tensor& b);

}  // namespace braid::kernels
