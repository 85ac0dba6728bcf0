// The AVX-512 2x2 max pooling (kernels/x86/pool_x86.cpp) against the portable
// kernel: bit-identical values and indices, ties and NaNs included, for row
// widths around the 16-output block (ragged tails) and odd input sizes.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>

#include "braid/braid.hpp"
#include "kernels/portable/pool.hpp"
#ifdef BRAID_HAVE_DNNL
#include "kernels/x86/pool_x86.hpp"
#endif

namespace braid::kernels {
namespace {

#ifdef BRAID_HAVE_DNNL
// x (planes, h, w) with small integers (many ties), some NaNs and -inf.
Tensor awkward_input(int64_t planes, int64_t h, int64_t w, unsigned seed) {
  Tensor x = empty({planes, h, w});
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> v(-3, 3), special(0, 40);
  float* p = static_cast<float*>(x.raw_data());
  for (int64_t i = 0; i < x.numel(); ++i) {
    const int s = special(rng);
    p[i] = s == 0   ? std::numeric_limits<float>::quiet_NaN()
           : s == 1 ? -std::numeric_limits<float>::infinity()
                    : static_cast<float>(v(rng));
  }
  return x;
}

bool same_bits(float a, float b) { return std::memcmp(&a, &b, sizeof a) == 0; }

// Same dtype, shape and bytes (contiguous tensors).
bool same_bytes(const Tensor& a, const Tensor& b) {
  return a.dtype() == b.dtype() && a.shape() == b.shape() &&
         std::memcmp(a.raw_data(), b.raw_data(), a.numel() * dtype_size(a.dtype())) == 0;
}

TEST(PoolX86, MaxPool2x2MatchesPortableBitForBit) {
  if (!__builtin_cpu_supports("avx512f")) GTEST_SKIP() << "no AVX-512 on this core";
  // (h, w): MNIST's 24x24 (12 outputs a row), ragged tails around 16, odd sizes.
  const std::vector<std::pair<int64_t, int64_t>> sizes = {
      {24, 24}, {2, 2}, {3, 5}, {4, 32}, {6, 33}, {5, 34}, {2, 50}, {9, 64}, {7, 15}};
  unsigned seed = 1;
  for (auto [h, w] : sizes) {
    const int64_t planes = 7, oh = h / 2, ow = w / 2;
    const Tensor x = awkward_input(planes, h, w, seed++);
    const PoolAxis rows = window_axis(h, oh, 2, 2, 0, 1, false);
    const PoolAxis cols = window_axis(w, ow, 2, 2, 0, 1, false);
    Tensor out = empty({planes, oh, ow}), idx = empty({planes, oh, ow}, DType::Int64);
    Tensor ref = empty({planes, oh, ow}), ref_idx = empty({planes, oh, ow}, DType::Int64);
    ASSERT_TRUE(max_pool2d_x86(out, idx, x, rows, cols)) << h << "x" << w;
    max_pool2d(ref, ref_idx, x, rows, cols);
    const float* o = static_cast<const float*>(out.raw_data());
    const float* r = static_cast<const float*>(ref.raw_data());
    const int64_t* oi = static_cast<const int64_t*>(idx.raw_data());
    const int64_t* ri = static_cast<const int64_t*>(ref_idx.raw_data());
    for (int64_t i = 0; i < out.numel(); ++i) {
      ASSERT_TRUE(same_bits(o[i], r[i]))
          << h << "x" << w << " at " << i << ": " << o[i] << " vs " << r[i];
      ASSERT_EQ(oi[i], ri[i]) << h << "x" << w << " at " << i;
    }
  }
}

TEST(PoolX86, ValuesOnlyMatchPortable) {
  if (!__builtin_cpu_supports("avx512f")) GTEST_SKIP() << "no AVX-512 on this core";
  for (auto [h, w] : std::vector<std::pair<int64_t, int64_t>>{{24, 24}, {5, 37}, {8, 64}}) {
    const int64_t planes = 5, oh = h / 2, ow = w / 2;
    const Tensor x = awkward_input(planes, h, w, 99);
    Tensor out = empty({planes, oh, ow});
    Tensor ref = empty({planes, oh, ow}), ref_idx = empty({planes, oh, ow}, DType::Int64);
    ASSERT_TRUE(max_pool2x2_values_x86(static_cast<const float*>(x.raw_data()),
                                       static_cast<float*>(out.raw_data()), planes, h, w, oh, ow));
    max_pool2d(ref, ref_idx, x, window_axis(h, oh, 2, 2, 0, 1, false),
               window_axis(w, ow, 2, 2, 0, 1, false));
    EXPECT_TRUE(same_bytes(out, ref)) << h << "x" << w;
  }
}

TEST(PoolX86, DeclinesWhatItDoesNotCover) {
  const Tensor x = randn({2, 6, 6});
  Tensor out = empty({2, 2, 2}), idx = empty({2, 2, 2}, DType::Int64);
  // 3x3 windows, stride 3: not pairs.
  EXPECT_FALSE(max_pool2d_x86(out, idx, x, window_axis(6, 2, 3, 3, 0, 1, false),
                              window_axis(6, 2, 3, 3, 0, 1, false)));
  const Tensor xd = randn({2, 4, 4}, DType::Float64);
  EXPECT_FALSE(max_pool2d_x86(empty({2, 2, 2}, DType::Float64), idx, xd,
                              window_axis(4, 2, 2, 2, 0, 1, false),
                              window_axis(4, 2, 2, 2, 0, 1, false)));
}

// The one-pass gradient against the scatter (portable max_pool2d_backward),
// bit for bit: NaN, -0 and inf gradients, ragged row tails, odd sizes.
TEST(PoolX86, BackwardMatchesScatterBitForBit) {
  if (!__builtin_cpu_supports("avx512f")) GTEST_SKIP() << "no AVX-512 on this core";
  const std::vector<std::pair<int64_t, int64_t>> sizes = {
      {24, 24}, {2, 2}, {3, 5}, {4, 32}, {6, 33}, {5, 34}, {2, 50}, {9, 64}, {7, 15}};
  unsigned seed = 11;
  for (auto [h, w] : sizes) {
    const int64_t planes = 5, oh = h / 2, ow = w / 2;
    const Tensor x = awkward_input(planes, h, w, seed);
    Tensor vals = empty({planes, oh, ow}), idx = empty({planes, oh, ow}, DType::Int64);
    max_pool2d(vals, idx, x, window_axis(h, oh, 2, 2, 0, 1, false),
               window_axis(w, ow, 2, 2, 0, 1, false));
    Tensor g = awkward_input(planes, oh, ow, seed++);
    float* gp = static_cast<float*>(g.raw_data());
    gp[0] = -0.0f, gp[g.numel() - 1] = std::numeric_limits<float>::infinity();
    Tensor got = full({planes, h, w}, 7.0), want = empty({planes, h, w});
    ASSERT_TRUE(max_pool2x2_backward_x86(got, g, idx)) << h << "x" << w;
    max_pool2d_backward(want, g, idx);
    EXPECT_TRUE(same_bytes(got, want)) << h << "x" << w;
  }
}

TEST(PoolX86, BackwardDeclinesIndicesOutsideTheirWindow) {
  if (!__builtin_cpu_supports("avx512f")) GTEST_SKIP() << "no AVX-512 on this core";
  const Tensor g = randn({2, 3, 3});
  // 3x3 windows' indices (a 6x6 plane pooled by 2 with stride 2 would not make them).
  Tensor idx = full({2, 3, 3}, 14, DType::Int64);
  EXPECT_FALSE(max_pool2x2_backward_x86(empty({2, 6, 6}), g, idx));
  // Out of int32's range: no place may match after narrowing.
  Tensor far = full({2, 3, 3}, (int64_t{1} << 32), DType::Int64);
  EXPECT_FALSE(max_pool2x2_backward_x86(empty({2, 6, 6}), g, far));
  // Through the op, such indices still scatter as before.
  const Tensor gx = max_pool2d_backward(g.unsqueeze(0), idx.unsqueeze(0), {6, 6});
  const std::vector<float> at14 = gx.reshape({2, 36}).select(1, 14).to_vector<float>();
  const std::vector<float> want = sum(g.reshape({2, 9}), {1}).to_vector<float>();
  for (int p = 0; p < 2; ++p) EXPECT_NEAR(at14[p], want[p], 1e-5);
  EXPECT_NEAR(sum(gx).item<float>(), sum(g).item<float>(), 1e-5);
}

// Through the op: the MNIST CNN's pooling gives the portable result.
TEST(PoolX86, OpUsesIt) {
  manual_seed(3);
  const Tensor x = randn({3, 64, 24, 24});
  const ValuesIndices r = max_pool2d_with_indices(x, {2, 2});
  Tensor ref = empty({192, 12, 12}), ref_idx = empty({192, 12, 12}, DType::Int64);
  max_pool2d(ref, ref_idx, reshape(x, {192, 24, 24}), window_axis(24, 12, 2, 2, 0, 1, false),
             window_axis(24, 12, 2, 2, 0, 1, false));
  EXPECT_TRUE(same_bytes(reshape(r.values, {192, 12, 12}), ref));
  EXPECT_TRUE(same_bytes(reshape(r.indices, {192, 12, 12}), ref_idx));
}
#endif

}  // namespace
}  // namespace braid::kernels
