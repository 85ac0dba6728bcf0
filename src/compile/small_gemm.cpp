// The small-batch linear kernel (small_gemm.hpp). Written with GCC vector
// extensions rather than intrinsics: a 16-float vector is one AVX-512
// register, two AVX2 ones, four SSE ones, and the same source builds for
// WASM; -march=native (the release preset) picks the instructions.
#include "compile/small_gemm.hpp"

#include <omp.h>

#include <algorithm>
#include <cstring>

#include "braid/ops/ops.hpp"

namespace braid::compiler {
namespace {

typedef float v16 __attribute__((vector_size(64)));

// By reference, not returned: a returned 64-byte vector changes the ABI on
// targets without AVX-512, which g++ warns about in the portable builds.
inline void load(v16& v, const float* p) { std::memcpy(&v, p, sizeof v); }

// Rows [0, MR) of x times panels [0, NP) starting at `w` (panels k * 16
// floats apart), then bias and activations, into y's columns [col, col + 64).
template <int MR, int NP>
void block(const PackedWeight& pw, const float* w, const float* bias, const float* x, int64_t ldx,
           float* y, int64_t col, const std::vector<UnaryOp>& acts, bool relu_only) {
  const int64_t k = pw.k, step = k * kPanel;
  v16 acc[MR][NP];
  for (int r = 0; r < MR; ++r)
    for (int p = 0; p < NP; ++p) acc[r][p] = v16{};
  for (int64_t kk = 0; kk < k; ++kk) {
    v16 wv[NP];
    for (int p = 0; p < NP; ++p) load(wv[p], w + p * step + kk * kPanel);
    for (int r = 0; r < MR; ++r) {
      const float xv = x[r * ldx + kk];
      for (int p = 0; p < NP; ++p) acc[r][p] += xv * wv[p];
    }
  }
  const int64_t n = pw.n;
  for (int r = 0; r < MR; ++r) {
    for (int p = 0; p < NP; ++p) {
      const int64_t c0 = col + p * kPanel;
      alignas(64) float out[kPanel];
      v16 v;
      load(v, bias + p * kPanel);
      v += acc[r][p];
      if (relu_only) {
        const v16 zero{};
        v = (v > zero) | (v != v) ? v : zero;  // keeps NaN, as the relu kernel
        std::memcpy(out, &v, sizeof v);
      } else {
        std::memcpy(out, &v, sizeof v);
        for (const UnaryOp& u : acts) apply_unary(u, out, kPanel);
      }
      const int64_t cols = std::min<int64_t>(kPanel, n - c0);
      std::memcpy(y + r * n + c0, out, static_cast<size_t>(cols) * sizeof(float));
    }
  }
}

template <int NP>
void rows(const PackedWeight& pw, const float* w, const float* bias, const float* x, int64_t m,
          int64_t ldx, float* y, int64_t col, const std::vector<UnaryOp>& acts, bool relu_only) {
  int64_t r = 0;
  for (; r + 4 <= m; r += 4)
    block<4, NP>(pw, w, bias, x + r * ldx, ldx, y + r * pw.n, col, acts, relu_only);
  switch (m - r) {
    case 3: block<3, NP>(pw, w, bias, x + r * ldx, ldx, y + r * pw.n, col, acts, relu_only); break;
    case 2: block<2, NP>(pw, w, bias, x + r * ldx, ldx, y + r * pw.n, col, acts, relu_only); break;
    case 1: block<1, NP>(pw, w, bias, x + r * ldx, ldx, y + r * pw.n, col, acts, relu_only); break;
    default: break;
  }
}

// One block of up to 4 panels (64 columns), every row.
void column_block(const PackedWeight& pw, int64_t b, const float* x, int64_t m, int64_t ldx,
                  float* y, const std::vector<UnaryOp>& acts, bool relu_only) {
  const int64_t p0 = b * 4, np = std::min<int64_t>(4, pw.panels - p0);
  const float* w = static_cast<const float*>(pw.data.raw_data()) + p0 * pw.k * kPanel;
  const float* bias = static_cast<const float*>(pw.bias.raw_data()) + p0 * kPanel;
  const int64_t col = p0 * kPanel;
  switch (np) {
    case 4: rows<4>(pw, w, bias, x, m, ldx, y, col, acts, relu_only); break;
    case 3: rows<3>(pw, w, bias, x, m, ldx, y, col, acts, relu_only); break;
    case 2: rows<2>(pw, w, bias, x, m, ldx, y, col, acts, relu_only); break;
    default: rows<1>(pw, w, bias, x, m, ldx, y, col, acts, relu_only); break;
  }
}
}  // namespace

PackedWeight pack_weight(const float* w, const float* bias, int64_t n, int64_t k) {
  PackedWeight pw;
  pw.n = n, pw.k = k, pw.panels = (n + kPanel - 1) / kPanel;
  pw.data = zeros({pw.panels * k * kPanel});
  pw.bias = zeros({pw.panels * kPanel});
  float* d = static_cast<float*>(pw.data.raw_data());
  for (int64_t j = 0; j < n; ++j) {
    float* panel = d + (j / kPanel) * k * kPanel + j % kPanel;
    for (int64_t kk = 0; kk < k; ++kk) panel[kk * kPanel] = w[j * k + kk];
  }
  if (bias) std::memcpy(pw.bias.raw_data(), bias, static_cast<size_t>(n) * sizeof(float));
  return pw;
}

void small_gemm(const PackedWeight& pw, const float* x, int64_t m, int64_t ldx, float* y,
                const std::vector<UnaryOp>& acts, int threads) {
  const bool relu_only = acts.size() == 1 && is_relu(acts[0]);
  const int64_t blocks = (pw.panels + 3) / 4;
  // A parallel region costs about a microsecond on an idle machine and, on a
  // busy one, as long as the OS takes to run the parked thread (the MLP's
  // 784x128 layer at batch 1 took 0.37 ms on 2 threads against 12 us on 1
  // here, with the machine's 2 cores shared by other builds). One thread
  // streams this layer's 400 KB of weights from L2 in ~2 us, so only products
  // whose weights come from L3 or memory (the CNN's 9216x128, 4.7 MB) are
  // split across threads.
  constexpr int64_t kParallelWork = int64_t{1} << 19;
  const int64_t work = m * pw.n * pw.k;
  const int nt = work < kParallelWork ? 1 : static_cast<int>(std::min<int64_t>(threads, blocks));
  if (nt <= 1) {
    for (int64_t b = 0; b < blocks; ++b) column_block(pw, b, x, m, ldx, y, acts, relu_only);
    return;
  }
#pragma omp parallel for num_threads(nt) schedule(static)
  for (int64_t b = 0; b < blocks; ++b) column_block(pw, b, x, m, ldx, y, acts, relu_only);
}

}  // namespace braid::compiler
