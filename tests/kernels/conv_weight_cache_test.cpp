// Note [cached weight reorders]: the x86 convolutions that take the weight
// tensor reuse its reordered copy while the tensor's version is unchanged.
// Cached calls give the bits of uncached ones; an in-place write, or a new
// tensor at the same address, is never served the old copy.
#include <gtest/gtest.h>

#include <vector>

#include "braid/braid.hpp"
#include "braid/core/parallel.hpp"
#ifdef BRAID_HAVE_DNNL
#include "kernels/x86/conv_dnnl.hpp"
#include "kernels/x86/conv_weight_cache.hpp"
#endif

namespace braid::kernels {
namespace {

#ifdef BRAID_HAVE_DNNL
// MNIST's conv2 at batch n (n = 1: a run across the team; 40: chunked).
ConvGeom conv2(int64_t n) { return {n, 32, 64, 1, 26, 26, 24, 24, 3, 3, 1, 1, 0, 0, 1, 1}; }

// Sets the thread count for a scope.
class ScopedNumThreads {
 public:
  explicit ScopedNumThreads(int n) : saved_(get_num_threads()) { set_num_threads(n); }
  ~ScopedNumThreads() { set_num_threads(saved_); }
  ScopedNumThreads(const ScopedNumThreads&) = delete;
  ScopedNumThreads& operator=(const ScopedNumThreads&) = delete;

 private:
  int saved_;
};

const float* data(const Tensor& t) { return static_cast<const float*>(t.raw_data()); }

std::vector<float> values(const Tensor& t) {
  return std::vector<float>(data(t), data(t) + t.numel());
}

struct Inputs {
  Tensor x, b, gy;
  explicit Inputs(const ConvGeom& g) {
    x = randn({g.n, g.c_in, g.h, g.w});
    b = randn({g.c_out});
    gy = randn({g.n, g.c_out, g.oh, g.ow});
  }
};

// Forward and input gradient, with the weight's tensor (cached) or its
// pointer (reordered on every call).
std::vector<float> forward(const ConvGeom& g, const Inputs& in, const Tensor& w, bool cached) {
  Tensor y = empty({g.n, g.c_out, g.oh, g.ow});
  float* out = static_cast<float*>(y.raw_data());
  const bool took = cached ? conv2d_forward_x86(g, data(in.x), w, data(in.b), out)
                           : conv2d_forward_x86(g, data(in.x), data(w), data(in.b), out);
  EXPECT_TRUE(took);
  return values(y);
}

std::vector<float> input_grad(const ConvGeom& g, const Inputs& in, const Tensor& w, bool cached) {
  Tensor gx = empty({g.n, g.c_in, g.h, g.w});
  float* out = static_cast<float*>(gx.raw_data());
  const bool took = cached ? conv2d_input_grad_x86(g, data(in.gy), w, out)
                           : conv2d_input_grad_x86(g, data(in.gy), data(w), out);
  EXPECT_TRUE(took);
  return values(gx);
}

TEST(ConvWeightCache, CachedCallsMatchUncachedBitForBit) {
  manual_seed(1);
  for (int threads : {1, 2}) {
    ScopedNumThreads t(threads);
    for (int64_t n : {1, 40}) {
      const ConvGeom g = conv2(n);
      const Inputs in(g);
      const Tensor w = randn({64, 32, 3, 3});
      const auto cold_y = forward(g, in, w, false), cold_gx = input_grad(g, in, w, false);
      for (int rep = 0; rep < 2; ++rep) {  // the first fills the cache, the second reads it
        EXPECT_EQ(forward(g, in, w, true), cold_y) << "n=" << n << ", threads=" << threads;
        EXPECT_EQ(input_grad(g, in, w, true), cold_gx) << "n=" << n << ", threads=" << threads;
      }
    }
  }
  EXPECT_GE(cached_weight_count(), 1u);
}

TEST(ConvWeightCache, InPlaceWriteInvalidates) {
  manual_seed(2);
  const ConvGeom g = conv2(1);
  const Inputs in(g);
  Tensor w = randn({64, 32, 3, 3});
  const auto before = forward(g, in, w, true);
  w.mul_(2.0);  // bumps the version
  const auto after = forward(g, in, w, true);
  EXPECT_NE(after, before);
  EXPECT_EQ(after, forward(g, in, w, false));
  w.copy_(randn({64, 32, 3, 3}));
  EXPECT_EQ(input_grad(g, in, w, true), input_grad(g, in, w, false));
}

TEST(ConvWeightCache, NewTensorAtTheSameAddressIsNotServedTheOldCopy) {
  manual_seed(3);
  const ConvGeom g = conv2(1);
  const Inputs in(g);
  const void* first_address = nullptr;
  std::vector<float> first;
  {
    const Tensor w = randn({64, 32, 3, 3});
    first_address = w.raw_data();
    first = forward(g, in, w, true);
  }
  // The caching allocator hands the freed block out again (if it does not,
  // the check still holds, it just tests less).
  const Tensor w2 = randn({64, 32, 3, 3});
  const auto got = forward(g, in, w2, true);
  EXPECT_EQ(got, forward(g, in, w2, false)) << "same address: " << (w2.raw_data() == first_address);
  EXPECT_NE(got, first);
}

// Through the op: a module's forward twice, then after an optimizer-like
// in-place update, matches a fresh (uncached) copy of the weight.
TEST(ConvWeightCache, Conv2dOpFollowsWeightUpdates) {
  manual_seed(4);
  NoGradGuard no_grad;
  const Tensor x = randn({1, 32, 26, 26}), b = randn({64});
  Tensor w = randn({64, 32, 3, 3});
  const Tensor y1 = conv2d(x, w, b);
  EXPECT_EQ(values(conv2d(x, w, b)), values(y1));
  w.sub_(w * 0.5);
  const Tensor fresh = w.clone();
  EXPECT_EQ(values(conv2d(x, w, b)), values(conv2d(x, fresh, b)));
  EXPECT_NE(values(conv2d(x, w, b)), values(y1));
}
#endif

}  // namespace
}  // namespace braid::kernels
