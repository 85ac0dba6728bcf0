// y = relu?(x @ W^T + b) for a fixed number of rows through a oneDNN matmul
// primitive whose weights were reordered once into the layout it wants, with
// the bias and the ReLU applied by the primitive while each output tile is
// in registers: the compiled linear for batches above small_gemm's
// (src/compile/steps.cpp). See Note [packed linear] in linear_dnnl.cpp.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

namespace braid::kernels {

class PackedLinear {
 public:
  /// x (m, k) row-major, W (n, k), bias (n) or null; copies W and bias.
  /// nullptr when oneDNN has only its reference kernel for the shape or the
  /// core lacks AVX-512 (the caller runs the GEMM and the epilogue).
  static std::unique_ptr<PackedLinear> make(const float* w, const float* bias, int64_t m, int64_t n,
                                            int64_t k, bool relu);
  ~PackedLinear();
  PackedLinear(const PackedLinear&) = delete;
  PackedLinear& operator=(const PackedLinear&) = delete;

  /// y (m, n) row-major. Runs on get_num_threads() threads (remaking the
  /// primitive when that changed). Not safe from two threads at once.
  void run(const float* x, float* y);
  std::string describe() const;

  struct Impl;

 private:
  explicit PackedLinear(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace braid::kernels
