// conv1d, conv2d, conv_transpose2d and their primitives: values against the
// naive loops of conv_ref.hpp (strides, padding incl. "same"/"valid",
// dilation, groups, depthwise, 1x1, odd sizes, unbatched), gradients through
// autograd against the same loops, error texts, and thread-count behaviour.
// The oneDNN kernels against the portable ones: tests/kernels/conv_kernel_test.cpp.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "braid/braid.hpp"
#include "core/test_util.hpp"
#include "ops/conv_ref.hpp"

using namespace braid;
using conv_test::Geo;

namespace {

void expect_close(const std::vector<double>& got, const std::vector<double>& want, double tol,
                  const std::string& what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  double worst = 0;
  size_t at = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    const double err = std::abs(got[i] - want[i]) / (1 + std::abs(want[i]));
    if (err > worst) worst = err, at = i;
  }
  EXPECT_LE(worst, tol) << what << ": element " << at << " is " << got[at] << ", expected "
                        << want[at];
}

std::vector<double> values(const Tensor& t) { return t.to_vector<double>(); }

// A conv2d call and the geometry PyTorch's rules give it.
struct Case {
  std::string what;
  Shape x, w;
  ConvOptions opt;
  int64_t ph, pw;  // top/left padding the options resolve to
  bool bias = true;
};

Geo geo_of(const Case& c) {
  const int64_t sh = c.opt.stride.sizes.front(), sw = c.opt.stride.sizes.back();
  const int64_t dh = c.opt.dilation.sizes.front(), dw = c.opt.dilation.sizes.back();
  const bool same = c.opt.padding.mode == "same";
  const int64_t h = c.x[2], w = c.x[3], kh = c.w[2], kw = c.w[3];
  const int64_t tot_h = same ? dh * (kh - 1) : 2 * c.ph, tot_w = same ? dw * (kw - 1) : 2 * c.pw;
  return Geo{c.x[0],
             c.x[1],
             c.w[0],
             c.opt.groups,
             h,
             w,
             (h + tot_h - dh * (kh - 1) - 1) / sh + 1,
             (w + tot_w - dw * (kw - 1) - 1) / sw + 1,
             kh,
             kw,
             sh,
             sw,
             c.ph,
             c.pw,
             dh,
             dw};
}

// Columns of c_in/groups * kH * kW <= 32 take the portable kernels' direct
// loops, longer ones im2col + GEMM (kernels/portable/conv_direct.hpp): both
// kinds are here.
std::vector<Case> cases() {
  return {
      {"3x3", {2, 5, 7, 6}, {4, 5, 3, 3}, {}, 0, 0},
      {"3x3, 3 channels", {2, 3, 7, 6}, {4, 3, 3, 3}, {}, 0, 0},
      {"stride 2, padding 1", {2, 4, 8, 7}, {5, 4, 3, 3}, {.stride = 2, .padding = 1}, 1, 1},
      {"stride 2, padding 1, direct",
       {2, 3, 8, 7},
       {5, 3, 3, 3},
       {.stride = 2, .padding = 1},
       1,
       1},
      {"dilation 2, padding (1, 2)",
       {1, 2, 9, 9},
       {3, 2, 3, 2},
       {.padding = {1, 2}, .dilation = 2},
       1,
       2},
      {"groups 2", {2, 4, 6, 6}, {6, 2, 3, 3}, {.groups = 2}, 0, 0, false},
      {"depthwise", {2, 4, 7, 7}, {4, 1, 3, 3}, {.padding = 1, .groups = 4}, 1, 1},
      {"depthwise x2", {1, 3, 5, 6}, {6, 1, 3, 3}, {.stride = 2, .groups = 3}, 0, 0},
      {"1x1", {2, 5, 4, 3}, {7, 5, 1, 1}, {}, 0, 0},
      {"1x1, 40 channels", {2, 40, 3, 4}, {6, 40, 1, 1}, {}, 0, 0},
      {"1x1 stride 2", {2, 5, 5, 4}, {3, 5, 1, 1}, {.stride = 2}, 0, 0, false},
      {"stride (2, 1), padding (0, 2)",
       {2, 3, 9, 5},
       {2, 3, 3, 3},
       {.stride = {2, 1}, .padding = {0, 2}},
       0,
       2},
      {"odd sizes", {3, 4, 11, 5}, {2, 4, 5, 2}, {.stride = {3, 2}}, 0, 0},
      {"odd sizes, direct", {3, 3, 11, 5}, {2, 3, 5, 2}, {.stride = {3, 2}}, 0, 0},
      {"groups 2, dilated",
       {2, 8, 9, 9},
       {6, 4, 3, 3},
       {.padding = 2, .dilation = 2, .groups = 2},
       2,
       2},
      {"kernel = input", {1, 2, 3, 3}, {1, 2, 3, 3}, {}, 0, 0},
      {"same, odd kernel", {2, 2, 5, 6}, {3, 2, 3, 5}, {.padding = "same"}, 1, 2},
      {"same, even kernel", {1, 2, 5, 6}, {3, 2, 4, 2}, {.padding = "same"}, 1, 0},
      {"same, dilated even",
       {1, 1, 7, 7},
       {2, 1, 2, 4},
       {.padding = "same", .dilation = {3, 1}},
       1,
       1},
      {"valid", {1, 2, 6, 5}, {2, 2, 2, 3}, {.padding = "valid"}, 0, 0},
      {"padding larger than kernel", {1, 1, 3, 3}, {1, 1, 2, 2}, {.stride = 2, .padding = 3}, 3, 3},
  };
}

}  // namespace

TEST(Conv, Conv2dMatchesReferenceLoops) {
  manual_seed(1);
  for (DType dt : {DType::Float64, DType::Float32}) {
    for (const Case& c : cases()) {
      const Geo g = geo_of(c);
      Tensor x = randn(c.x, dt), w = randn(c.w, dt), b = c.bias ? randn({c.w[0]}, dt) : Tensor();
      Tensor y = conv2d(x, w, b, c.opt);
      ASSERT_EQ(y.shape(), (Shape{g.n, g.co, g.oh, g.ow})) << c.what;
      EXPECT_EQ(y.dtype(), dt);
      expect_close(values(y),
                   conv_test::ref_forward(g, values(x), values(w),
                                          b.defined() ? values(b) : std::vector<double>{}),
                   dt == DType::Float32 ? 2e-5 : 1e-12, c.what);
    }
  }
}

TEST(Conv, Conv2dGradientsMatchReferenceLoops) {
  manual_seed(2);
  for (const Case& c : cases()) {
    const Geo g = geo_of(c);
    Tensor x = randn(c.x, DType::Float64).requires_grad_();
    Tensor w = randn(c.w, DType::Float64).requires_grad_();
    Tensor b = randn({c.w[0]}, DType::Float64).requires_grad_();
    Tensor gy = randn({g.n, g.co, g.oh, g.ow}, DType::Float64);
    (conv2d(x, w, b, c.opt) * gy).sum().backward();
    expect_close(values(x.grad()), conv_test::ref_input_grad(g, values(gy), values(w)), 1e-12,
                 c.what + " (x)");
    expect_close(values(w.grad()), conv_test::ref_weight_grad(g, values(x), values(gy)), 1e-12,
                 c.what + " (weight)");
    expect_close(values(b.grad()), values(gy.sum({0, 2, 3})), 1e-12, c.what + " (bias)");
  }
}

TEST(Conv, NonContiguousInputs) {
  manual_seed(3);
  Tensor x = randn({2, 3, 6, 5}, DType::Float64).transpose(2, 3);  // (2, 3, 5, 6)
  Tensor w = randn({3, 4, 3, 3}, DType::Float64).transpose(0, 1);  // (4, 3, 3, 3)
  Tensor b = randn({8}, DType::Float64).slice(0, 0, 8, 2);
  const Geo g{2, 3, 4, 1, 5, 6, 5, 6, 3, 3, 1, 1, 1, 1, 1, 1};
  expect_close(values(conv2d(x, w, b, {.padding = 1})),
               conv_test::ref_forward(g, values(x), values(w), values(b)), 1e-12, "strided");
}

TEST(Conv, UnbatchedInputDropsTheBatchDim) {
  manual_seed(4);
  Tensor x = randn({3, 6, 6}), w = randn({2, 3, 3, 3}), b = randn({2});
  Tensor y = conv2d(x, w, b, {.padding = 1});
  ASSERT_EQ(y.shape(), (Shape{2, 6, 6}));
  EXPECT_EQ(values(y), values(conv2d(x.unsqueeze(0), w, b, {.padding = 1})[0]));
  Tensor x1 = randn({3, 10}), w1 = randn({4, 3, 3});
  EXPECT_EQ(conv1d(x1, w1).shape(), (Shape{4, 8}));
  Tensor xt = randn({3, 4, 4}), wt = randn({3, 2, 3, 3});
  EXPECT_EQ(conv_transpose2d(xt, wt).shape(), (Shape{2, 6, 6}));
}

TEST(Conv, EmptyBatch) {
  Tensor y = conv2d(ones({0, 2, 5, 5}), ones({3, 2, 3, 3}), ones({3}));
  EXPECT_EQ(y.shape(), (Shape{0, 3, 3, 3}));
  Tensor x = ones({0, 2, 5, 5}).requires_grad_(), w = ones({3, 2, 3, 3}).requires_grad_();
  conv2d(x, w).sum().backward();
  EXPECT_EQ(values(w.grad()), std::vector<double>(54, 0.0));
}

TEST(Conv, Conv1dIsConv2dOverOneRow) {
  manual_seed(5);
  struct C1 {
    Shape x, w;
    ConvOptions opt;
  };
  const std::vector<C1> cs = {
      {{2, 3, 10}, {4, 3, 3}, {}},
      {{2, 4, 11}, {6, 2, 4}, {.stride = 2, .padding = 2, .dilation = 2, .groups = 2}},
      {{1, 2, 7}, {2, 2, 4}, {.padding = "same"}},
      {{3, 2, 9}, {5, 2, 1}, {.padding = "valid"}},
  };
  for (const C1& c : cs) {
    Tensor x = randn(c.x, DType::Float64), w = randn(c.w, DType::Float64);
    Tensor b = randn({c.w[0]}, DType::Float64);
    const ConvOptions o2{.stride = {1, c.opt.stride.sizes[0]},
                         .padding = c.opt.padding.mode.empty()
                                        ? ConvPadding{0, c.opt.padding.sizes[0]}
                                        : c.opt.padding,
                         .dilation = {1, c.opt.dilation.sizes[0]},
                         .groups = c.opt.groups};
    Tensor y = conv1d(x, w, b, c.opt);
    Tensor y2 = conv2d(x.unsqueeze(2), w.unsqueeze(2), b, o2).squeeze({2});
    ASSERT_EQ(y.shape(), y2.shape()) << shape_str(c.x);
    EXPECT_EQ(values(y), values(y2)) << shape_str(c.x);
  }
}

// conv_transpose2d(x, w) is the input gradient of conv2d(., w), PyTorch's
// output size rule; output_padding adds rows and columns at the end.
TEST(Conv, ConvTranspose2dMatchesReferenceLoops) {
  manual_seed(6);
  struct CT {
    Shape x, w;
    ConvTransposeOptions opt;
  };
  const std::vector<CT> cs = {
      {{2, 3, 4, 5}, {3, 2, 3, 3}, {}},
      {{1, 4, 3, 3}, {4, 3, 3, 2}, {.stride = 2, .padding = 1, .output_padding = 1}},
      {{2, 4, 5, 4}, {4, 1, 3, 3}, {.stride = {2, 3}, .padding = {0, 1}, .groups = 2}},
      {{1, 2, 4, 4}, {2, 2, 3, 3}, {.stride = 1, .output_padding = 1, .dilation = 2}},
      {{1, 2, 3, 4}, {2, 3, 2, 2}, {.stride = 3, .padding = 2, .output_padding = {2, 0}}},
  };
  for (const CT& c : cs) {
    const int64_t g = c.opt.groups;
    Tensor x = randn(c.x, DType::Float64), w = randn(c.w, DType::Float64);
    Tensor b = randn({c.w[1] * g}, DType::Float64);
    Tensor y = conv_transpose2d(x, w, b, c.opt);
    int64_t out[2];
    for (int d = 0; d < 2; ++d) {
      const int64_t s = c.opt.stride.sizes[c.opt.stride.sizes.size() == 2 ? d : 0];
      const int64_t p = c.opt.padding.sizes[c.opt.padding.sizes.size() == 2 ? d : 0];
      const int64_t dl = c.opt.dilation.sizes[c.opt.dilation.sizes.size() == 2 ? d : 0];
      const int64_t op = c.opt.output_padding.sizes[c.opt.output_padding.sizes.size() == 2 ? d : 0];
      out[d] = (c.x[2 + d] - 1) * s - 2 * p + dl * (c.w[2 + d] - 1) + op + 1;
    }
    ASSERT_EQ(y.shape(), (Shape{c.x[0], c.w[1] * g, out[0], out[1]})) << shape_str(c.x);
    auto pick = [](const ConvSize& s, int d) { return s.sizes[s.sizes.size() == 2 ? d : 0]; };
    // As a convolution: its output is x, its input is y.
    const Geo geo{c.x[0],
                  c.w[1] * g,
                  c.x[1],
                  g,
                  out[0],
                  out[1],
                  c.x[2],
                  c.x[3],
                  c.w[2],
                  c.w[3],
                  pick(c.opt.stride, 0),
                  pick(c.opt.stride, 1),
                  pick(c.opt.padding, 0),
                  pick(c.opt.padding, 1),
                  pick(c.opt.dilation, 0),
                  pick(c.opt.dilation, 1)};
    std::vector<double> want = conv_test::ref_input_grad(geo, values(x), values(w));
    const std::vector<double> bv = values(b);
    for (size_t i = 0; i < want.size(); ++i)
      want[i] += bv[(i / static_cast<size_t>(out[0] * out[1])) % bv.size()];
    expect_close(values(y), want, 1e-12, shape_str(c.x));
  }
}

TEST(Conv, HalfInputsComputeInFloat) {
  manual_seed(7);
  Tensor x = randn({1, 2, 5, 5}), w = randn({3, 2, 3, 3});
  Tensor y = conv2d(x.to(DType::BFloat16), w.to(DType::BFloat16));
  EXPECT_EQ(y.dtype(), DType::BFloat16);
  Tensor ref =
      conv2d(x.to(DType::BFloat16).to(DType::Float32), w.to(DType::BFloat16).to(DType::Float32));
  EXPECT_EQ(values(y), values(ref.to(DType::BFloat16)));
}

// Note [deterministic conv]: the portable kernels give the same bits for any
// thread count (float64 runs them through the ops).
TEST(Conv, PortableIsThreadCountIndependent) {
  manual_seed(8);
  const int saved = get_num_threads();
  // Large enough that every kernel splits its work across threads.
  Tensor x = randn({9, 6, 24, 23}, DType::Float64).requires_grad_();
  Tensor w = randn({16, 3, 3, 3}, DType::Float64).requires_grad_();
  std::vector<std::vector<double>> runs;
  for (int threads : {1, 2, 3}) {
    set_num_threads(threads);
    Tensor y = conv2d(x, w, {}, {.stride = {1, 2}, .padding = 1, .groups = 2});
    auto grads = autograd::grad({(y * y).sum()}, {x, w});
    std::vector<double> all = values(y);
    for (const Tensor& gr : grads) {
      const std::vector<double> v = values(gr);
      all.insert(all.end(), v.begin(), v.end());
    }
    runs.push_back(all);
  }
  set_num_threads(saved);
  EXPECT_EQ(runs[0], runs[1]);
  EXPECT_EQ(runs[0], runs[2]);
}

// A backward without create_graph takes conv2d_backward, the three gradients
// in one op (Note [fused conv backward]); with create_graph it takes the
// three differentiable ops. Both give the same gradients: gx and gw the same
// bits, the bias its sum in another order. The MNIST CNN's second layer at a
// batch that runs in chunks, with and without the input's gradient.
TEST(Conv, BackwardWithoutAGraphMatchesTheDifferentiableOps) {
  manual_seed(12);
  Tensor x0 = randn({70, 32, 26, 26}), w0 = randn({64, 32, 3, 3}) * 0.1, b0 = randn({64});
  Tensor gy = randn({70, 64, 24, 24});
  for (bool input_grad : {true, false}) {
    std::vector<std::vector<float>> got[2];
    for (bool create_graph : {false, true}) {
      Tensor x = x0.detach().requires_grad_(input_grad), w = w0.detach().requires_grad_(),
             b = b0.detach().requires_grad_();
      Tensor y = conv2d(x, w, b);
      std::vector<Tensor> wrt = {w, b};
      if (input_grad) wrt.push_back(x);
      for (const Tensor& g : autograd::grad({y}, wrt, {gy}, std::nullopt, create_graph))
        got[create_graph].push_back(g.detach().to_vector<float>());
    }
    EXPECT_EQ(got[0][0], got[1][0]) << "weight gradient, input_grad=" << input_grad;
    if (input_grad) EXPECT_EQ(got[0][2], got[1][2]) << "input gradient";
    ASSERT_EQ(got[0][1].size(), 64u);
    for (size_t c = 0; c < 64; ++c)
      EXPECT_NEAR(got[0][1][c], got[1][1][c], 1e-5 * (1 + std::abs(got[1][1][c]))) << "bias " << c;
  }
}
