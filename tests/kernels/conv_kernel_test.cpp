// The convolution kernels on raw buffers: the portable ones in float32 and the
// oneDNN ones against the portable float64 result (the oracle, itself tested
// against naive loops in tests/ops/conv_test.cpp) over many geometries;
// bit-identical reruns at a fixed thread count; what changes with the thread
// count (Note [deterministic conv], Note [oneDNN conv determinism]).
#include "kernels/portable/conv.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "braid/core/parallel.hpp"
#ifdef BRAID_HAVE_DNNL
#include "kernels/portable/conv_small_k.hpp"
#include "kernels/x86/blocked16.hpp"
#include "kernels/x86/conv_dnnl.hpp"
#endif

namespace braid::kernels {
namespace {

struct Named {
  std::string what;
  ConvGeom g;
};

// n, c_in, c_out, groups, h, w, oh, ow, kh, kw, sh, sw, ph, pw, dh, dw.
std::vector<Named> geometries() {
  return {
      {"mnist conv1 (batch 8)", {8, 1, 32, 1, 28, 28, 26, 26, 3, 3, 1, 1, 0, 0, 1, 1}},
      {"mnist conv2 (batch 8)", {8, 32, 64, 1, 26, 26, 24, 24, 3, 3, 1, 1, 0, 0, 1, 1}},
      {"3x3, padding 1, 16 channels", {2, 16, 32, 1, 9, 9, 9, 9, 3, 3, 1, 1, 1, 1, 1, 1}},
      {"stride 2, padding 1", {4, 16, 32, 1, 15, 15, 8, 8, 3, 3, 2, 2, 1, 1, 1, 1}},
      {"dilation 2", {2, 8, 8, 1, 12, 12, 12, 12, 3, 3, 1, 1, 2, 2, 2, 2}},
      {"groups 4", {2, 16, 16, 4, 9, 9, 7, 7, 3, 3, 1, 1, 0, 0, 1, 1}},
      {"depthwise", {2, 32, 32, 32, 10, 10, 10, 10, 3, 3, 1, 1, 1, 1, 1, 1}},
      {"depthwise x2", {2, 16, 32, 16, 10, 10, 5, 5, 3, 3, 2, 2, 1, 1, 1, 1}},
      {"1x1", {4, 24, 40, 1, 7, 7, 7, 7, 1, 1, 1, 1, 0, 0, 1, 1}},
      {"1x1, 48 channels", {2, 48, 16, 1, 5, 6, 5, 6, 1, 1, 1, 1, 0, 0, 1, 1}},
      {"1x1 stride 2", {3, 8, 16, 1, 9, 8, 5, 4, 1, 1, 2, 2, 0, 0, 1, 1}},
      {"odd sizes", {3, 5, 6, 1, 13, 7, 4, 4, 5, 2, 3, 2, 2, 1, 1, 1}},
      {"same, even kernel", {2, 4, 4, 1, 8, 8, 8, 8, 4, 4, 1, 1, 1, 1, 1, 1}},
      {"7x7 stride 2 on RGB", {2, 3, 16, 1, 32, 32, 16, 16, 7, 7, 2, 2, 3, 3, 1, 1}},
      {"asymmetric", {2, 6, 4, 2, 11, 6, 5, 6, 3, 1, 2, 1, 1, 0, 2, 1}},
      {"crop (negative far padding)", {1, 2, 2, 1, 6, 5, 2, 3, 2, 2, 3, 1, 1, 0, 1, 2}},
  };
}

size_t x_len(const ConvGeom& g) { return static_cast<size_t>(g.n * g.c_in * g.h * g.w); }
size_t w_len(const ConvGeom& g) { return static_cast<size_t>(g.c_out * g.k_g()); }
size_t y_len(const ConvGeom& g) { return static_cast<size_t>(g.n * g.c_out * g.oh * g.ow); }

template <class T>
std::vector<T> random(size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  std::vector<T> v(n);
  for (T& x : v) x = static_cast<T>(u(rng));
  return v;
}

template <class T>
std::vector<T> cast(const std::vector<double>& v) {
  return std::vector<T>(v.begin(), v.end());
}

// Inputs of one geometry, in double; each kernel's output sized for it.
struct Operands {
  std::vector<double> x, w, b, y;
  explicit Operands(const ConvGeom& g)
      : x(random<double>(x_len(g), 1)),
        w(random<double>(w_len(g), 2)),
        b(random<double>(static_cast<size_t>(g.c_out), 3)),
        y(random<double>(y_len(g), 4)) {}
};

// The three kernels' outputs, one after the other.
struct Outputs {
  std::vector<float> y, gx, gw;
};

Outputs run_portable_f32(const ConvGeom& g, const Operands& o) {
  const auto x = cast<float>(o.x), w = cast<float>(o.w), b = cast<float>(o.b),
             gy = cast<float>(o.y);
  Outputs r{std::vector<float>(y_len(g)), std::vector<float>(x_len(g)),
            std::vector<float>(w_len(g))};
  conv2d_forward_portable(g, x.data(), w.data(), b.data(), r.y.data());
  conv2d_input_grad_portable(g, gy.data(), w.data(), r.gx.data());
  conv2d_weight_grad_portable(g, x.data(), gy.data(), r.gw.data());
  return r;
}

struct Oracle {
  std::vector<double> y, gx, gw;
};

std::vector<double> abs_of(std::vector<double> v) {
  for (double& x : v) x = std::abs(x);
  return v;
}

Oracle run_portable_f64(const ConvGeom& g, const Operands& o) {
  Oracle r{std::vector<double>(y_len(g)), std::vector<double>(x_len(g)),
           std::vector<double>(w_len(g))};
  conv2d_forward_portable(g, o.x.data(), o.w.data(), o.b.data(), r.y.data());
  conv2d_input_grad_portable(g, o.y.data(), o.w.data(), r.gx.data());
  conv2d_weight_grad_portable(g, o.x.data(), o.y.data(), r.gw.data());
  return r;
}

// The double result and, per element, the sum of its terms' magnitudes:
// float32 rounding error grows with that sum, whatever the order of summing.
struct Expected {
  Oracle value, scale;
  Expected(const ConvGeom& g, const Operands& o) : value(run_portable_f64(g, o)) {
    Operands a = o;
    a.x = abs_of(o.x), a.w = abs_of(o.w), a.b = abs_of(o.b), a.y = abs_of(o.y);
    scale = run_portable_f64(g, a);
  }
};

// tol: a few float32 ulps (6e-8) of the magnitude sum for direct summation.
void expect_near(const std::vector<float>& got, const std::vector<double>& want,
                 const std::vector<double>& scale, const std::string& what, double tol) {
  ASSERT_EQ(got.size(), want.size()) << what;
  double worst = 0;
  size_t at = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    const double err = std::abs(got[i] - want[i]) / (1e-30 + scale[i]);
    if (err > worst) worst = err, at = i;
  }
  EXPECT_LE(worst, tol) << what << ": element " << at << " is " << got[at] << ", expected "
                        << want[at] << " (terms' magnitudes sum to " << scale[at] << ")";
}

void expect_all_near(const Outputs& got, const Expected& e, const std::string& what,
                     double tol = 1e-6) {
  expect_near(got.y, e.value.y, e.scale.y, what + " forward", tol);
  expect_near(got.gx, e.value.gx, e.scale.gx, what + " input grad", tol);
  expect_near(got.gw, e.value.gw, e.scale.gw, what + " weight grad", tol);
}

TEST(ConvKernels, PortableFloat32MatchesFloat64) {
  for (const Named& c : geometries()) {
    const Operands o(c.g);
    expect_all_near(run_portable_f32(c.g, o), Expected(c.g, o), c.what);
  }
}

TEST(ConvKernels, PortableIsThreadCountIndependent) {
  const int saved = get_num_threads();
  for (const Named& c : geometries()) {
    const Operands o(c.g);
    set_num_threads(1);
    const Outputs one = run_portable_f32(c.g, o);
    set_num_threads(2);
    const Outputs two = run_portable_f32(c.g, o);
    set_num_threads(3);
    const Outputs three = run_portable_f32(c.g, o);
    EXPECT_EQ(one.y, two.y) << c.what;
    EXPECT_EQ(one.gx, two.gx) << c.what;
    EXPECT_EQ(one.gw, two.gw) << c.what;
    EXPECT_EQ(one.gw, three.gw) << c.what;
  }
  set_num_threads(saved);
}

#ifdef BRAID_HAVE_DNNL
// The x86 kernels' outputs; a declining kernel's output is left as NaN.
struct X86Outputs {
  Outputs out;
  bool took_y, took_gx, took_gw;
};

X86Outputs run_x86(const ConvGeom& g, const Operands& o) {
  const auto x = cast<float>(o.x), w = cast<float>(o.w), b = cast<float>(o.b),
             gy = cast<float>(o.y);
  const float nan = std::nanf("");
  X86Outputs r{{std::vector<float>(y_len(g), nan), std::vector<float>(x_len(g), nan),
                std::vector<float>(w_len(g), nan)},
               false,
               false,
               false};
  r.took_y = conv2d_forward_x86(g, x.data(), w.data(), b.data(), r.out.y.data());
  r.took_gx = conv2d_input_grad_x86(g, gy.data(), w.data(), r.out.gx.data());
  r.took_gw = conv2d_weight_grad_x86(g, x.data(), gy.data(), r.out.gw.data());
  return r;
}

bool all_nan(const std::vector<float>& v) {
  for (float x : v)
    if (!std::isnan(x)) return false;
  return true;
}

TEST(ConvKernels, X86MatchesPortable) {
  for (const Named& c : geometries()) {
    const Operands o(c.g);
    const X86Outputs x = run_x86(c.g, o);
    // oneDNN cannot crop; short columns are faster in the portable kernels
    // except the forward and weight gradient on AVX-512 (conv_dnnl.cpp).
    // Those decline and write nothing.
    const bool crop = c.g.pad_bottom() < 0 || c.g.pad_right() < 0;
    const bool short_columns = c.g.groups == 1 && c.g.k_g() <= kSmallK;
    const bool blocked_short = x86_blocked_short_columns(c.g);
    EXPECT_EQ(x.took_y, !crop && (!short_columns || blocked_short)) << c.what;
    EXPECT_EQ(x.took_gx, !crop && !short_columns) << c.what;
    EXPECT_EQ(x.took_gw, !crop && (!short_columns || blocked_short)) << c.what;
    if (!x.took_y) {
      EXPECT_TRUE(all_nan(x.out.y)) << c.what;
    }
    if (!x.took_gx) {
      EXPECT_TRUE(all_nan(x.out.gx)) << c.what;
    }
    if (!x.took_gw) {
      EXPECT_TRUE(all_nan(x.out.gw)) << c.what;
    }
    // What a call computes: the x86 result where taken, else the portable one.
    Outputs used = x.out;
    const Outputs p = run_portable_f32(c.g, o);
    if (!x.took_y) used.y = p.y;
    if (!x.took_gx) used.gx = p.gx;
    if (!x.took_gw) used.gw = p.gw;
    // Winograd rounds ~10x more than direct summation (conv_dnnl.cpp).
    expect_all_near(used, Expected(c.g, o), c.what, conv2d_winograd_x86(c.g) ? 5e-6 : 1e-6);
  }
}

// Note [oneDNN conv determinism]: reruns at one thread count are bit-identical.
TEST(ConvKernels, X86RerunsAreBitIdentical) {
  const int saved = get_num_threads();
  for (int threads : {1, 2}) {
    set_num_threads(threads);
    for (const Named& c : geometries()) {
      const Operands o(c.g);
      const X86Outputs a = run_x86(c.g, o), b = run_x86(c.g, o), d = run_x86(c.g, o);
      if (a.took_y) {
        EXPECT_EQ(a.out.y, b.out.y) << c.what << ", threads=" << threads;
      }
      if (a.took_gx) {
        EXPECT_EQ(a.out.gx, b.out.gx) << c.what << ", threads=" << threads;
      }
      if (a.took_gw) {
        EXPECT_EQ(a.out.gw, b.out.gw) << c.what << ", threads=" << threads;
      }
      if (a.took_gw) {
        EXPECT_EQ(a.out.gw, d.out.gw) << c.what << ", threads=" << threads;
      }
    }
  }
  set_num_threads(saved);
}

// Note [chunked oneDNN runs]: a batch of several chunks per thread gives the
// same bits on 1 and 2 threads (here 5 chunks of at most 17 images).
TEST(ConvKernels, X86ChunkedRunsAreThreadCountIndependent) {
  const ConvGeom g{72, 32, 64, 1, 26, 26, 24, 24, 3, 3, 1, 1, 0, 0, 1, 1};
  const Operands o(g);
  const int saved = get_num_threads();
  set_num_threads(1);
  const X86Outputs one = run_x86(g, o);
  set_num_threads(2);
  const X86Outputs two = run_x86(g, o);
  set_num_threads(saved);
  ASSERT_TRUE(one.took_y && one.took_gx && one.took_gw);
  EXPECT_EQ(one.out.y, two.out.y);
  EXPECT_EQ(one.out.gx, two.out.gx);
  EXPECT_EQ(one.out.gw, two.out.gw);
}

// A chunked run with a short last chunk (14 + 14 + 2 images on 1 thread).
TEST(ConvKernels, X86ChunkedRunMatchesPortable) {
  const ConvGeom g{30, 16, 16, 1, 48, 48, 46, 46, 3, 3, 1, 1, 0, 0, 1, 1};
  const Operands o(g);
  const int saved = get_num_threads();
  set_num_threads(1);
  const X86Outputs x = run_x86(g, o);
  set_num_threads(saved);
  ASSERT_TRUE(x.took_y && x.took_gx && x.took_gw);
  expect_all_near(x.out, Expected(g, o), "chunked", 5e-6);
}

// nChw16c: image i, channel c, position p at ((i * C + c - c % 16) * HW + p) * 16
// + c % 16, i.e. at (i * C + c / 16 * 16) * HW + p * 16 + c % 16; channel sums
// in double. Tails of every length, and sums added to what is there.
TEST(Blocked16, MatchesTheLayoutAndSumsEveryChannel) {
  for (int64_t hw : {1, 5, 16, 17, 31, 576, 676}) {
    const int64_t n = 3, c = 32;
    const auto src = random<float>(static_cast<size_t>(n * c * hw), 9);
    std::vector<float> dst(src.size(), -7.f);
    std::vector<double> sums(c, 1.0), want(c, 1.0);
    nchw_to_blocked16(src.data(), dst.data(), n, c, hw, sums.data());
    for (int64_t i = 0; i < n; ++i)
      for (int64_t ch = 0; ch < c; ++ch)
        for (int64_t p = 0; p < hw; ++p) {
          const float v = src[(i * c + ch) * hw + p];
          ASSERT_EQ(dst[(i * c + ch / 16 * 16) * hw + p * 16 + ch % 16], v)
              << "hw=" << hw << " image " << i << " channel " << ch << " position " << p;
          want[ch] += v;
        }
    for (int64_t ch = 0; ch < c; ++ch)
      EXPECT_NEAR(sums[ch], want[ch], 1e-5 * (1.0 + static_cast<double>(n * hw)))
          << "hw=" << hw << " channel " << ch;
  }
}

// With relu's y, each value is relu_backward's: 0 where y <= 0 (-0 and 0
// included), else the value (a NaN y keeps it).
TEST(Blocked16, MasksAsReluBackward) {
  for (int64_t hw : {7, 16, 37}) {
    const int64_t n = 2, c = 16;
    const auto src = random<float>(static_cast<size_t>(n * c * hw), 10);
    auto y = random<float>(src.size(), 11);
    y[0] = 0.f, y[1] = -0.f, y[2] = std::nanf(""), y[3] = 1e-38f;
    std::vector<float> dst(src.size(), -7.f);
    std::vector<double> sums(c, 0.0), want(c, 0.0);
    nchw_to_blocked16(src.data(), dst.data(), n, c, hw, sums.data(), y.data());
    for (int64_t i = 0; i < n; ++i)
      for (int64_t ch = 0; ch < c; ++ch)
        for (int64_t p = 0; p < hw; ++p) {
          const size_t at = static_cast<size_t>((i * c + ch) * hw + p);
          const float v = y[at] <= 0.f ? 0.f : src[at];
          const float got = dst[(i * c + ch / 16 * 16) * hw + p * 16 + ch % 16];
          ASSERT_EQ(std::signbit(got), std::signbit(v)) << "hw=" << hw << " at " << at;
          ASSERT_EQ(got, v) << "hw=" << hw << " at " << at;
          want[ch] += v;
        }
    for (int64_t ch = 0; ch < c; ++ch) EXPECT_NEAR(sums[ch], want[ch], 1e-4) << "channel " << ch;
  }
}

// nChw16c back to NCHW, plain and with relu's formula (x where x > 0 or
// NaN, else +0: -0 and negatives become +0).
TEST(Blocked16, BackToNchwWithAndWithoutRelu) {
  for (int64_t hw : {5, 16, 29})
    for (bool relu : {false, true}) {
      const int64_t n = 2, c = 32;
      auto src = random<float>(static_cast<size_t>(n * c * hw), 12);
      src[0] = std::nanf(""), src[1] = -0.f, src[2] = 0.f, src[3] = -1e-40f;
      std::vector<float> dst(src.size(), -7.f);
      blocked16_to_nchw(src.data(), dst.data(), n, c, hw, relu);
      for (int64_t i = 0; i < n; ++i)
        for (int64_t ch = 0; ch < c; ++ch)
          for (int64_t p = 0; p < hw; ++p) {
            float v = src[static_cast<size_t>((i * c + ch / 16 * 16) * hw + p * 16 + ch % 16)];
            if (relu) v = v > 0.f || v != v ? v : 0.f;
            const float got = dst[static_cast<size_t>((i * c + ch) * hw + p)];
            ASSERT_EQ(std::memcmp(&got, &v, sizeof v), 0)
                << "hw=" << hw << " relu=" << relu << " image " << i << " channel " << ch
                << " position " << p << ": " << got << " vs " << v;
          }
    }
}

// Note [fused conv backward]: the fused run gives gx and gw the bits of the
// separate chunked runs, and the bias gradient the sum over N, H, W, on 1
// and 2 threads (both chunk these batches), with and without gx.
TEST(ConvKernels, X86FusedBackwardMatchesTheSeparateRuns) {
  const std::vector<Named> shapes = {
      {"mnist conv2 (3 full chunks and a short one)",
       {70, 32, 64, 1, 26, 26, 24, 24, 3, 3, 1, 1, 0, 0, 1, 1}},
      {"mnist conv1", {200, 1, 32, 1, 28, 28, 26, 26, 3, 3, 1, 1, 0, 0, 1, 1}},
  };
  const int saved = get_num_threads();
  for (const Named& c : shapes)
    for (int threads : {1, 2})
      for (bool with_gx : {true, false}) {
        const std::string what =
            c.what + ", threads=" + std::to_string(threads) + (with_gx ? "" : ", no gx");
        set_num_threads(threads);
        const ConvGeom& g = c.g;
        const Operands o(g);
        const auto x = cast<float>(o.x), w = cast<float>(o.w), gy = cast<float>(o.y);
        std::vector<float> gx(x_len(g), -1.f), gw(w_len(g), -1.f), gb(g.c_out, -1.f);
        const bool fused = conv2d_backward_x86(g, x.data(), gy.data(), w.data(),
                                               with_gx ? gx.data() : nullptr, gw.data(), gb.data());
        if (!fused) {
          // Only where oneDNN does not run the input gradient: conv1's is portable.
          EXPECT_TRUE(g.c_in == 1 && with_gx) << what;
          continue;
        }
        std::vector<float> gx_ref(x_len(g)), gw_ref(w_len(g));
        if (with_gx) {
          ASSERT_TRUE(conv2d_input_grad_x86(g, gy.data(), w.data(), gx_ref.data())) << what;
          EXPECT_EQ(gx, gx_ref) << what;
        } else {
          EXPECT_TRUE(std::all_of(gx.begin(), gx.end(), [](float v) { return v == -1.f; })) << what;
        }
        ASSERT_TRUE(conv2d_weight_grad_x86(g, x.data(), gy.data(), gw_ref.data())) << what;
        EXPECT_EQ(gw, gw_ref) << what;
        const int64_t ohw = g.oh * g.ow;
        for (int64_t ch = 0; ch < g.c_out; ++ch) {
          double want = 0, scale = 0;
          for (int64_t i = 0; i < g.n; ++i)
            for (int64_t p = 0; p < ohw; ++p) {
              want += gy[(i * g.c_out + ch) * ohw + p];
              scale += std::abs(gy[(i * g.c_out + ch) * ohw + p]);
            }
          EXPECT_NEAR(gb[ch], want, 1e-6 * scale) << what << ", channel " << ch;
        }
      }
  set_num_threads(saved);
}

// One chunk per thread or fewer: the fused run declines and writes nothing.
TEST(ConvKernels, X86FusedBackwardDeclinesAnUnchunkedBatch) {
  const ConvGeom g{4, 32, 64, 1, 26, 26, 24, 24, 3, 3, 1, 1, 0, 0, 1, 1};
  const Operands o(g);
  const auto x = cast<float>(o.x), w = cast<float>(o.w), gy = cast<float>(o.y);
  std::vector<float> gx(x_len(g), -1.f), gw(w_len(g), -1.f), gb(g.c_out, -1.f);
  const int saved = get_num_threads();
  set_num_threads(2);
  EXPECT_FALSE(
      conv2d_backward_x86(g, x.data(), gy.data(), w.data(), gx.data(), gw.data(), gb.data()));
  set_num_threads(saved);
  for (const auto* v : {&gx, &gw, &gb})
    EXPECT_TRUE(std::all_of(v->begin(), v->end(), [](float e) { return e == -1.f; }));
}
#endif

}  // namespace
}  // namespace braid::kernels
