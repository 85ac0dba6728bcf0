// Note [conv + relu + pool]: the kernels of Conv2d -> ReLU -> MaxPool2d(2)
// as one op. The portable relu_maxpool2x2 defines the values and codes (and
// is checked against max_pool2d through the parity fixtures); the x86 steps
// on oneDNN's nChw16c layout and the fused convolution runs must give its
// bits, and the backward the bits of unpooling and then masking/transposing
// the full gradient the way conv2d_backward does.
#include "kernels/portable/pool_codes.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "braid/core/parallel.hpp"
#ifdef BRAID_HAVE_DNNL
#include "kernels/x86/blocked16.hpp"
#include "kernels/x86/conv_dnnl.hpp"
#endif

namespace braid::kernels {
namespace {

std::vector<float> random(size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-1.f, 1.f);
  std::vector<float> v(n);
  for (float& x : v) x = u(rng);
  return v;
}

// Bit patterns, so -0 differs from +0 and NaN equals itself.
template <class T>
std::vector<uint8_t> bytes(const std::vector<T>& v) {
  std::vector<uint8_t> b(v.size() * sizeof(T));
  std::memcpy(b.data(), v.data(), b.size());
  return b;
}

TEST(PoolCodes, PortableKernelsFollowTheirDefinition) {
  // One image, one channel, 4x5: windows at columns 0-1 and 2-3, column 4
  // left out. Window 0: a tie of 3s (the first wins); window 1: all negative
  // (relu gives 0 everywhere: place 0, masked); window 2: a NaN (kept, and
  // it wins); window 3: a tie of 6s.
  const std::vector<float> z = {1,   3, -1, -2, 9,  //
                                3,   0, -3, -4, 9,  //
                                NAN, 2, 5,  6,  9,  //
                                1,   4, 6,  5,  9};
  std::vector<float> y(4);
  std::vector<uint8_t> codes(4 * 16, 99);
  relu_maxpool2x2(z.data(), y.data(), codes.data(), 1, 1, 4, 5);
  EXPECT_EQ(y[0], 3.f);
  EXPECT_EQ(y[1], 0.f);
  EXPECT_TRUE(std::isnan(y[2]));
  EXPECT_EQ(y[3], 6.f);
  EXPECT_EQ(codes[0 * 16], 1);
  EXPECT_EQ(codes[1 * 16], kPoolMasked);
  EXPECT_EQ(codes[2 * 16], 0);  // NaN wins and is not masked
  EXPECT_EQ(codes[3 * 16], 1);  // the first 6 (top-right)
  for (int q = 0; q < 4; ++q)
    for (int ch = 1; ch < 16; ++ch) EXPECT_EQ(codes[q * 16 + ch], kPoolMasked);
  const std::vector<float> g = {10, 20, 30, -0.f};
  std::vector<float> dz(z.size(), 7.f);
  relu_maxpool2x2_grad(g.data(), codes.data(), dz.data(), 1, 1, 4, 5);
  // 0 + g: a -0 gradient arrives as +0, as max_pool2d_backward's scatter.
  const std::vector<float> want = {0,  10, 0, 0, 0,  //
                                   0,  0,  0, 0, 0,  //
                                   30, 0,  0, 0, 0,  //
                                   0,  0,  0, 0, 0};
  EXPECT_EQ(bytes(dz), bytes(want));
}

// Bits 3-7 of a code are ignored as read: a byte can name only a place in
// its own window (8 | 1 is place 1; 12 is masked).
TEST(PoolCodes, HighBitsAreIgnored) {
  std::vector<uint8_t> codes(16, kPoolMasked);
  codes[0] = 8 | 1;
  const std::vector<float> g = {5};
  std::vector<float> dz(4, 7.f);
  relu_maxpool2x2_grad(g.data(), codes.data(), dz.data(), 1, 1, 2, 2);
  EXPECT_EQ(dz, (std::vector<float>{0, 5, 0, 0}));
  codes[0] = 12;
  relu_maxpool2x2_grad(g.data(), codes.data(), dz.data(), 1, 1, 2, 2);
  EXPECT_EQ(dz, (std::vector<float>{0, 0, 0, 0}));
#ifdef BRAID_HAVE_DNNL
  for (uint8_t code : {uint8_t{8 | 1}, uint8_t{12}, uint8_t{255}}) {
    std::vector<uint8_t> c16(16, code);
    const std::vector<float> g16(16, 5.f);
    std::vector<float> want(64), got(64, 7.f);
    std::vector<float> dz16(64);
    relu_maxpool2x2_grad(g16.data(), c16.data(), dz16.data(), 1, 16, 2, 2);
    nchw_to_blocked16(dz16.data(), want.data(), 1, 16, 4, nullptr);
    maxpool2x2_grad_to_blocked16(g16.data(), c16.data(), got.data(), 1, 16, 2, 2, nullptr);
    EXPECT_EQ(got, want) << "code " << int{code};
  }
#endif
}

#ifdef BRAID_HAVE_DNNL
// Sizes with every kind of edge: the MNIST one (144 pooled = 9 x 16), odd
// rows and columns, pooled planes shorter than 16 and with tails.
struct Size {
  int64_t h, w;
};
const std::vector<Size> kSizes = {{24, 24}, {5, 7}, {6, 9}, {2, 2}, {3, 34}, {11, 10}};

// Values with ties, zeros of both signs and NaN among random ones.
std::vector<float> activations(size_t n, unsigned seed) {
  std::vector<float> v = random(n, seed);
  for (size_t i = 0; i < n; i += 7) v[i] = 0.5f;
  for (size_t i = 3; i < n; i += 11) v[i] = -0.f;
  for (size_t i = 5; i < n; i += 13) v[i] = 0.f;
  v[1] = std::nanf("");
  return v;
}

TEST(Blocked16Pool, MatchesThePortableKernelBitForBit) {
  const int saved = get_num_threads();
  for (const Size s : kSizes)
    for (int threads : {1, 2}) {
      set_num_threads(threads);
      const int64_t n = 2, c = 32, ph = s.h / 2, pw = s.w / 2;
      const std::string what =
          std::to_string(s.h) + "x" + std::to_string(s.w) + ", threads " + std::to_string(threads);
      const std::vector<float> z = activations(static_cast<size_t>(n * c * s.h * s.w), 20);
      std::vector<float> blocked(z.size());
      nchw_to_blocked16(z.data(), blocked.data(), n, c, s.h * s.w, nullptr);
      std::vector<float> y(static_cast<size_t>(n * c * ph * pw), -9.f), want_y = y;
      std::vector<uint8_t> codes(static_cast<size_t>(pool_codes_size(n, c, ph, pw)), 99),
          want_codes = codes;
      blocked16_relu_maxpool2x2(blocked.data(), y.data(), codes.data(), n, c, s.h, s.w);
      relu_maxpool2x2(z.data(), want_y.data(), want_codes.data(), n, c, s.h, s.w);
      EXPECT_EQ(bytes(y), bytes(want_y)) << what;
      EXPECT_EQ(codes, want_codes) << what;
    }
  set_num_threads(saved);
}

TEST(Blocked16Pool, GradientIsTheUnpooledOneBlocked) {
  for (const Size s : kSizes) {
    const int64_t n = 2, c = 32, ph = s.h / 2, pw = s.w / 2, hw = s.h * s.w;
    const std::string what = std::to_string(s.h) + "x" + std::to_string(s.w);
    const std::vector<float> z = activations(static_cast<size_t>(n * c * hw), 21);
    std::vector<float> y(static_cast<size_t>(n * c * ph * pw));
    std::vector<uint8_t> codes(static_cast<size_t>(pool_codes_size(n, c, ph, pw)));
    relu_maxpool2x2(z.data(), y.data(), codes.data(), n, c, s.h, s.w);
    std::vector<float> g = random(y.size(), 22);
    g[0] = -0.f;
    // Unpooled and masked in NCHW, then to nChw16c with the channel sums.
    std::vector<float> dz(z.size()), want(z.size());
    relu_maxpool2x2_grad(g.data(), codes.data(), dz.data(), n, c, s.h, s.w);
    std::vector<double> want_sums(c, 0.5), sums(c, 0.5);
    nchw_to_blocked16(dz.data(), want.data(), n, c, hw, want_sums.data());
    std::vector<float> got(z.size(), -9.f);
    maxpool2x2_grad_to_blocked16(g.data(), codes.data(), got.data(), n, c, s.h, s.w, sums.data());
    EXPECT_EQ(bytes(got), bytes(want)) << what;
    EXPECT_EQ(bytes(sums), bytes(want_sums)) << what;
  }
}

// The fused convolution against the convolution with ReLU, then the pool;
// its backward against conv2d_backward_x86 of the unpooled gradient; MNIST
// conv2 chunked (70 images) and across the team (3), on 1 and 2 threads.
TEST(ConvKernels, X86ReluMaxPoolMatchesConvThenPool) {
  const int saved = get_num_threads();
  // The MNIST shape, and an odd 25 x 25 output the pool leaves a row and a
  // column of.
  for (int64_t side : {26, 27})
    for (int64_t n : {70, 3})
      for (int threads : {1, 2}) {
        set_num_threads(threads);
        const int64_t o = side - 2, ph = o / 2, pw = o / 2, pooled = n * 64 * ph * pw;
        const ConvGeom g{n, 32, 64, 1, side, side, o, o, 3, 3, 1, 1, 0, 0, 1, 1};
        const std::string what = "side " + std::to_string(side) + ", batch " + std::to_string(n) +
                                 ", threads " + std::to_string(threads);
        const std::vector<float> x = random(static_cast<size_t>(n * 32 * side * side), 1),
                                 w = random(64 * 32 * 9, 2), b = random(64, 3);
        std::vector<float> y(static_cast<size_t>(pooled)), want_y = y;
        std::vector<uint8_t> codes(static_cast<size_t>(pool_codes_size(n, 64, ph, pw))),
            want_codes = codes;
        ASSERT_TRUE(conv2d_relu_maxpool_x86(g, x.data(), w.data(), nullptr, b.data(),
                                            {y.data(), codes.data()}))
            << what;
        std::vector<float> z(static_cast<size_t>(n * 64 * o * o));
        ASSERT_TRUE(conv2d_forward_x86(g, x.data(), w.data(), b.data(), z.data(), true)) << what;
        relu_maxpool2x2(z.data(), want_y.data(), want_codes.data(), n, 64, o, o);
        EXPECT_EQ(bytes(y), bytes(want_y)) << what;
        EXPECT_EQ(codes, want_codes) << what;

        const std::vector<float> gp = random(y.size(), 4);
        std::vector<float> gx(x.size(), -1.f), gw(w.size(), -1.f), gb(64, -1.f);
        const bool fused =
            conv2d_relu_maxpool_backward_x86(g, x.data(), {gp.data(), codes.data()}, w.data(),
                                             nullptr, gx.data(), gw.data(), gb.data());
        std::vector<float> dz(z.size()), want_gx(x.size()), want_gw(w.size()), want_gb(64);
        relu_maxpool2x2_grad(gp.data(), codes.data(), dz.data(), n, 64, o, o);
        const bool separate = conv2d_backward_x86(g, x.data(), dz.data(), w.data(), want_gx.data(),
                                                  want_gw.data(), want_gb.data());
        // Both decline where the batch is not chunked (3 images, 2 threads).
        ASSERT_EQ(fused, separate) << what;
        ASSERT_EQ(fused, !(n == 3 && threads == 2)) << what;
        if (!fused) continue;
        EXPECT_EQ(bytes(gx), bytes(want_gx)) << what;
        EXPECT_EQ(bytes(gw), bytes(want_gw)) << what;
        EXPECT_EQ(bytes(gb), bytes(want_gb)) << what;
      }
  set_num_threads(saved);
}

// Channels that are not a multiple of 16: no nChw16c output, so the fused
// run declines, having written nothing.
TEST(ConvKernels, X86ReluMaxPoolDeclinesOtherLayouts) {
  const ConvGeom g{8, 32, 24, 1, 26, 26, 24, 24, 3, 3, 1, 1, 0, 0, 1, 1};
  const std::vector<float> x = random(8 * 32 * 26 * 26, 1), w = random(24 * 32 * 9, 2),
                           b = random(24, 3);
  std::vector<float> y(8 * 24 * 12 * 12, -1.f);
  std::vector<uint8_t> codes(static_cast<size_t>(pool_codes_size(8, 24, 12, 12)), 99);
  EXPECT_FALSE(
      conv2d_relu_maxpool_x86(g, x.data(), w.data(), nullptr, b.data(), {y.data(), codes.data()}));
  for (float v : y) ASSERT_EQ(v, -1.f);
  for (uint8_t v : codes) ASSERT_EQ(v, 99);
}
#endif

}  // namespace
}  // namespace braid::kernels
