// The compiled path's oneDNN-fused steps: conv chains (Note [conv chains],
// kernels/x86/conv_chain_dnnl.cpp) and the packed linear (Note [packed
// linear], kernels/x86/linear_dnnl.cpp). Each computes the sums in another
// order than the eager kernels, so results are compared within a tolerance
// (kTol, as compile_models_test.cpp), and bit for bit with themselves: the
// same input at the same thread count gives the same bits. Where a fast path
// must refuse, the plan keeps the layer-by-layer steps, which are
// bit-identical to eager.
#include "compile_test_util.hpp"

namespace braid {
namespace {

using testing_compile::bit_equal;
using testing_compile::close;

using Fn = std::function<std::vector<Tensor>(const std::vector<Tensor>&)>;

constexpr double kTol = 1e-4;

CompiledModule compile_fn(const Fn& f, const std::vector<Tensor>& example) {
  NoGradGuard no_grad;
  return compile(graph::trace(f, example));
}

Tensor eager(const Fn& f, const Tensor& x) {
  NoGradGuard no_grad;
  return f({x})[0];
}

bool has(const CompiledModule& c, const std::string& what) {
  return c.report().find(what) != std::string::npos;
}

#ifdef BRAID_HAVE_DNNL
bool avx512() { return __builtin_cpu_supports("avx512f"); }
#else
bool avx512() { return false; }
#endif

// The MNIST CNN's layers: conv 1->32 3x3, relu, conv 32->64 3x3, relu, pool.
TEST(CompileFused, ConvChainMatchesEagerAtEveryBatch) {
  manual_seed(60);
  Tensor w1 = randn({32, 1, 3, 3}) * (1.0 / 3), b1 = randn({32}) * 0.1;
  Tensor w2 = randn({64, 32, 3, 3}) * (1.0 / 17), b2 = randn({64}) * 0.1;
  Fn f = [&](const std::vector<Tensor>& in) {
    Tensor h = relu(conv2d(relu(conv2d(in[0], w1, b1)), w2, b2));
    return std::vector<Tensor>{max_pool2d(h, {2, 2})};
  };
  const int saved = get_num_threads();
  set_num_threads(2);
  CompiledModule c = compile_fn(f, {randn({2, 1, 28, 28})});
  // 1, 5: fewer than two chunks per thread, so conv2's channels are split
  // over the threads (Winograd on 1 and 5 images); 18: chunks of 4 images
  // and a tail of 2.
  for (int64_t b : {1, 5, 18}) {
    Tensor x = randn({b, 1, 28, 28});
    Tensor got = c(x);
    EXPECT_TRUE(close(got, eager(f, x), kTol)) << "batch " << b << "\n" << c.report();
    EXPECT_TRUE(bit_equal(c(x), got)) << "batch " << b;
    if (avx512()) EXPECT_TRUE(has(c, "conv chain")) << c.report();
  }
  set_num_threads(saved);
  if (avx512()) {
    EXPECT_TRUE(has(c, "chunks of 4 images")) << c.report();
    EXPECT_TRUE(has(c, "split over 2 threads")) << c.report();
  }
}

// A chain whose earlier layer costs as much as the last one is not split
// by channels (each thread would redo it): the team runs it, and a last
// conv of 16 channels cannot be split at all.
TEST(CompileFused, ConvChainTeamWhereASplitDoesNotPay) {
  manual_seed(66);
  Tensor w1 = randn({32, 8, 3, 3}) * 0.2, w2 = randn({32, 32, 1, 1}) * 0.2;
  Tensor w3 = randn({16, 32, 3, 3}) * 0.1;
  Fn costly = [&](const std::vector<Tensor>& in) {
    return std::vector<Tensor>{max_pool2d(relu(conv2d(relu(conv2d(in[0], w1)), w2)), {2, 2})};
  };
  Fn narrow = [&](const std::vector<Tensor>& in) {
    return std::vector<Tensor>{max_pool2d(relu(conv2d(relu(conv2d(in[0], w1)), w3)), {2, 2})};
  };
  const int saved = get_num_threads();
  set_num_threads(2);
  for (const Fn* f : {&costly, &narrow}) {
    CompiledModule c = compile_fn(*f, {randn({1, 8, 12, 12})});
    Tensor x = randn({1, 8, 12, 12});
    Tensor got = c(x);
    EXPECT_TRUE(close(got, eager(*f, x), kTol)) << c.report();
    EXPECT_TRUE(bit_equal(c(x), got));
    if (avx512()) EXPECT_TRUE(has(c, "whole batch on 2 threads")) << c.report();
  }
  set_num_threads(saved);
}

// The chain's pooling keeps max_pool2d's NaN rule: a NaN in a window wins.
TEST(CompileFused, ConvChainPoolKeepsNaN) {
  manual_seed(61);
  Tensor w1 = randn({16, 2, 3, 3}), w2 = randn({32, 16, 1, 1});
  Fn f = [&](const std::vector<Tensor>& in) {
    Tensor h = relu(conv2d(relu(conv2d(in[0], w1, Tensor(), {.padding = 1})), w2));
    return std::vector<Tensor>{max_pool2d(h, {2, 2})};
  };
  CompiledModule c = compile_fn(f, {randn({3, 2, 9, 11})});
  Tensor x = randn({3, 2, 9, 11});
  float* p = static_cast<float*>(x.raw_data());
  p[2 * 9 * 11 + 4 * 11 + 5] = std::nanf("");  // image 1: NaN spreads through both convs
  Tensor got = c(x), want = eager(f, x);
  EXPECT_TRUE(close(got, want, kTol)) << c.report();
  EXPECT_TRUE(std::isnan(got.to_vector<float>()[32 * 4 * 5 + 2 * 5 + 2]));
}

// The same through the single-channel 3x3 first layer (the chain's own
// kernel): at batch 1 (split) and 9 (chunks), a NaN pixel's window is NaN.
TEST(CompileFused, ConvChainFirstLayerKeepsNaN) {
  manual_seed(67);
  Tensor w1 = randn({16, 1, 3, 3}), b1 = randn({16}), w2 = randn({32, 16, 3, 3}) * 0.1;
  Fn f = [&](const std::vector<Tensor>& in) {
    Tensor h = relu(conv2d(relu(conv2d(in[0], w1, b1)), w2));
    return std::vector<Tensor>{max_pool2d(h, {2, 2})};
  };
  const int saved = get_num_threads();
  set_num_threads(2);
  CompiledModule c = compile_fn(f, {randn({2, 1, 28, 28})});
  for (int64_t b : {1, 9}) {
    Tensor x = randn({b, 1, 28, 28});
    static_cast<float*>(x.raw_data())[(b - 1) * 784 + 10 * 28 + 12] = std::nanf("");
    Tensor got = c(x);
    EXPECT_TRUE(close(got, eager(f, x), kTol)) << "batch " << b << "\n" << c.report();
    // (10, 12) reaches conv2's outputs (6..10, 8..12): pooled (4, 5) is NaN.
    EXPECT_TRUE(std::isnan(got.to_vector<float>()[(b - 1) * 32 * 144 + 4 * 12 + 5]));
  }
  set_num_threads(saved);
}

// Shapes the chain refuses keep the eager kernels, bit for bit: a pooled
// conv whose channels are not a multiple of 16, and a lone conv (with a
// pooling that is not 2x2).
TEST(CompileFused, ConvChainRefusesAndFallsBack) {
  manual_seed(62);
  Tensor w = randn({8, 3, 3, 3}), b = randn({8});
  Fn odd = [&](const std::vector<Tensor>& in) {
    return std::vector<Tensor>{max_pool2d(relu(conv2d(in[0], w, b)), {2, 2})};
  };
  Fn wide = [&](const std::vector<Tensor>& in) {
    return std::vector<Tensor>{max_pool2d(relu(conv2d(in[0], w, b)), {3, 3})};
  };
  for (const Fn* f : {&odd, &wide}) {
    CompiledModule c = compile_fn(*f, {randn({2, 3, 12, 12})});
    Tensor x = randn({4, 3, 12, 12});
    EXPECT_TRUE(bit_equal(c(x), eager(*f, x))) << c.report();
    EXPECT_FALSE(has(c, "conv chain")) << c.report();
  }
}

// Two convs without a pooling, the second reading the first's output in
// the layout oneDNN picked, and a conv without bias or relu.
TEST(CompileFused, ConvChainWithoutPooling) {
  manual_seed(63);
  Tensor w1 = randn({16, 4, 3, 3}) * 0.3, w2 = randn({24, 16, 3, 3}) * 0.1, b2 = randn({24});
  Fn f = [&](const std::vector<Tensor>& in) {
    return std::vector<Tensor>{relu(conv2d(conv2d(in[0], w1, Tensor(), {.stride = 2}), w2, b2))};
  };
  CompiledModule c = compile_fn(f, {randn({2, 4, 15, 15})});
  for (int64_t b : {1, 7}) {
    Tensor x = randn({b, 4, 15, 15});
    EXPECT_TRUE(close(c(x), eager(f, x), kTol)) << "batch " << b << "\n" << c.report();
  }
}

// The chain follows the thread count: each count is deterministic, and all
// agree within the tolerance.
TEST(CompileFused, ConvChainAtEachThreadCount) {
  manual_seed(64);
  Tensor w1 = randn({32, 1, 3, 3}) * (1.0 / 3), w2 = randn({64, 32, 3, 3}) * (1.0 / 17);
  Fn f = [&](const std::vector<Tensor>& in) {
    return std::vector<Tensor>{max_pool2d(relu(conv2d(relu(conv2d(in[0], w1)), w2)), {2, 2})};
  };
  CompiledModule c = compile_fn(f, {randn({2, 1, 28, 28})});
  Tensor x = randn({9, 1, 28, 28}), want = eager(f, x);
  const int saved = get_num_threads();
  for (int t : {1, 2, 3}) {
    set_num_threads(t);
    Tensor got = c(x);
    EXPECT_TRUE(close(got, want, kTol)) << t << " threads";
    EXPECT_TRUE(bit_equal(c(x), got)) << t << " threads";
  }
  set_num_threads(saved);
}

std::string where_of(bool bias, int act) {
  return "bias " + std::to_string(bias) + " act " + std::to_string(act);
}

// Linear layers above the small-batch rows: one oneDNN matmul with bias and
// relu fused (or none), with and without bias; other activations keep the
// GEMM + epilogue path (bit-identical to eager).
TEST(CompileFused, PackedLinear) {
  manual_seed(65);
  for (bool bias : {true, false}) {
    for (int act = 0; act < 3; ++act) {
      Tensor w = randn({19, 37}) * 0.2, b = bias ? randn({19}) : Tensor();
      Fn f = [&](const std::vector<Tensor>& in) {
        Tensor y = linear(in[0], w, b);
        return std::vector<Tensor>{act == 0 ? y : act == 1 ? relu(y) : gelu(y)};
      };
      CompiledModule c = compile_fn(f, {randn({20, 37})});
      Tensor x = randn({20, 37});
      // Row 3 NaN: its outputs stay NaN through the ReLU (oneDNN's post-op
      // would make them 0; the packed linear applies braid's own).
      static_cast<float*>(x.raw_data())[3 * 37 + 5] = std::nanf("");
      Tensor got = c(x), want = eager(f, x);
      EXPECT_TRUE(std::isnan(got.to_vector<float>()[3 * 19 + 7])) << where_of(bias, act);
      const std::string where = where_of(bias, act);
      if (act == 2) {
        EXPECT_TRUE(bit_equal(got, want)) << where << "\n" << c.report();
        EXPECT_FALSE(has(c, "oneDNN matmul")) << c.report();
      } else {
        EXPECT_TRUE(close(got, want, 1e-5)) << where << "\n" << c.report();
        EXPECT_TRUE(bit_equal(c(x), got)) << where;
        if (avx512()) EXPECT_TRUE(has(c, "oneDNN matmul")) << c.report();
      }
    }
  }
}

}  // namespace
}  // namespace braid
