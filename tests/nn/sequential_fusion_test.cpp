// Note [conv + relu], Note [conv + relu + pool]: nn::Sequential runs a
// Conv2d followed by a ReLU (and a MaxPool2d(2)) as one op. It must be
// invisible: the same outputs and gradients, bit for bit, as calling the
// layers one by one; hooks still run; errors name the layer; traced graphs
// keep the layers' ops.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "braid/braid.hpp"

namespace braid {
namespace {

// float32 (or 16-bit floats, exactly widened) values.
std::vector<float> floats(const Tensor& t) {
  return t.detach().to(DType::Float32).contiguous().to_vector<float>();
}
// Bit patterns: -0 is not 0, and NaN equals itself.
std::vector<uint32_t> bits(const Tensor& t) {
  const std::vector<float> f = floats(t);
  std::vector<uint32_t> b(f.size());
  std::memcpy(b.data(), f.data(), f.size() * sizeof(float));
  return b;
}

// The MNIST CNN's feature layers, fused (Sequential) and one by one.
struct Result {
  std::vector<uint32_t> out;
  std::vector<std::vector<uint32_t>> grads;  // the parameters', then x's
};

// net(x), or its layers called one by one (no fusion).
Tensor forward(nn::Sequential& net, const Tensor& x, bool layer_by_layer) {
  if (!layer_by_layer) return net(x);
  Tensor y = x;
  for (nn::Module* m : net.children()) y = (*m)(y);
  return y;
}

Result run(nn::Sequential& net, const Tensor& x0, bool layer_by_layer) {
  net.zero_grad();
  Tensor x = x0.detach().requires_grad_();
  const Tensor y = forward(net, x, layer_by_layer);
  // A weighting that makes every output's gradient different.
  Tensor w = arange(0, y.numel(), 1, DType::Float32).reshape(y.shape()) / double(y.numel());
  (y * w).sum().backward();
  Result r{bits(y), {}};
  for (const Tensor& p : net.parameters()) r.grads.push_back(bits(p.grad()));
  r.grads.push_back(bits(x.grad()));
  return r;
}

// The MNIST CNN's features: conv, relu, then conv, relu, pool as one op each.
TEST(SequentialFusion, ConvReluMatchesTheLayersBitForBit) {
  const int saved = get_num_threads();
  // 70 images run the convolutions chunk by chunk; 3 across the team.
  for (int64_t batch : {3, 70})
    for (int threads : {1, 2}) {
      set_num_threads(threads);
      manual_seed(5);
      nn::Sequential net(nn::Conv2d(1, 32, 3), nn::ReLU(), nn::Conv2d(32, 64, 3), nn::ReLU(),
                         nn::MaxPool2d(2));
      const Tensor x = randn({batch, 1, 28, 28});
      const Result fused = run(net, x, false), apart = run(net, x, true);
      const std::string what =
          "batch " + std::to_string(batch) + ", threads " + std::to_string(threads);
      EXPECT_EQ(fused.out, apart.out) << what;
      ASSERT_EQ(fused.grads.size(), apart.grads.size());
      for (size_t i = 0; i < fused.grads.size(); ++i)
        EXPECT_EQ(fused.grads[i], apart.grads[i]) << what << ", gradient " << i;
    }
  set_num_threads(saved);
}

// relu keeps NaN (a diverging step must show in the loss): so does the
// fused op, on the chunked path (70 images) and across the team (2).
TEST(SequentialFusion, NaNStaysNaN) {
  manual_seed(4);
  for (int64_t batch : {2, 70}) {
    nn::Sequential net(nn::Conv2d(1, 32, 3), nn::ReLU());
    std::vector<float> v = randn({batch, 1, 8, 8}).to_vector<float>();
    v[0] = std::nanf("");
    const Tensor x = tensor(v, {batch, 1, 8, 8});
    const std::vector<float> fused = floats(net(x));
    EXPECT_EQ(bits(net(x)), bits(relu((*net.children()[0])(x)))) << "batch " << batch;
    int nans = 0;
    for (float f : fused) nans += std::isnan(f);
    EXPECT_EQ(nans, 32) << "batch " << batch << ": one NaN input reaches one place per channel";
  }
}

TEST(SequentialFusion, ThePairRunsAsOneOpAndOthersDoNot) {
  manual_seed(9);
  const Tensor x = randn({1, 1, 5, 5}).requires_grad_();
  nn::Sequential pair(nn::Conv2d(1, 2, 3), nn::ReLU());
  EXPECT_EQ(pair(x).grad_fn_name(), "conv2d_relu_forward");
  nn::Sequential other(nn::Conv2d(1, 2, 3), nn::Tanh(), nn::ReLU());
  EXPECT_EQ(other(x).grad_fn_name(), "relu");
}

TEST(SequentialFusion, DoubleAndPaddedConvolutionsToo) {
  manual_seed(6);
  nn::Sequential net(nn::Conv2d(3, 4, 3, {.padding = 1, .padding_mode = "reflect"}), nn::ReLU());
  net.to(DType::Float64);
  const Tensor x = randn({2, 3, 6, 5}, DType::Float64);
  const std::vector<double> got = net(x).to_vector<double>(),
                            want = relu((*net.children()[0])(x)).to_vector<double>();
  ASSERT_EQ(got.size(), want.size());
  EXPECT_EQ(std::memcmp(got.data(), want.data(), got.size() * sizeof(double)), 0);
}

TEST(SequentialFusion, HooksRunAndSkipTheFusion) {
  manual_seed(7);
  nn::Sequential net(nn::Conv2d(1, 2, 3), nn::ReLU());
  int calls = 0;
  auto h = net[1].register_forward_hook([&](nn::Module&, const Tensor&, const Tensor& out) {
    ++calls;
    return std::optional<Tensor>(out * 2.0);
  });
  const Tensor x = randn({1, 1, 5, 5});
  EXPECT_EQ(bits(net(x)), bits(relu((*net.children()[0])(x)) * 2.0));
  EXPECT_EQ(calls, 1);
}

TEST(SequentialFusion, TracedGraphsKeepTheTwoOps) {
  manual_seed(8);
  nn::Sequential net(nn::Conv2d(1, 2, 3), nn::ReLU());
  runtime::Graph g = graph::trace(net, randn({1, 1, 5, 5}));
  std::vector<std::string> ops;
  for (const runtime::Node& n : g.nodes) ops.emplace_back(op_def(n.op).name);
  EXPECT_EQ(ops, (std::vector<std::string>{"conv2d", "relu"}));
}

TEST(SequentialFusion, ConvReluMaxPoolRunsAsOneOpOnlyForA2x2Pool) {
  manual_seed(10);
  const Tensor x = randn({1, 1, 6, 6}).requires_grad_();
  nn::Sequential fused(nn::Conv2d(1, 2, 3), nn::ReLU(), nn::MaxPool2d(2));
  EXPECT_EQ(fused(x).grad_fn_name(), "conv2d_relu_maxpool_forward");
  nn::Sequential pairs(nn::Conv2d(1, 2, 3), nn::ReLU(), nn::MaxPool2d({2, 2}, {.stride = {2, 2}}));
  EXPECT_EQ(pairs(x).grad_fn_name(), "conv2d_relu_maxpool_forward");
  for (nn::MaxPool2dOptions o :
       {nn::MaxPool2dOptions{.stride = 1}, nn::MaxPool2dOptions{.padding = 1},
        nn::MaxPool2dOptions{.dilation = 2}, nn::MaxPool2dOptions{.ceil_mode = true}}) {
    nn::Sequential other(nn::Conv2d(1, 2, 3), nn::ReLU(), nn::MaxPool2d(2, o));
    EXPECT_EQ(other(x).grad_fn_name(), "max_pool2d");
  }
  nn::Sequential three(nn::Conv2d(1, 2, 3), nn::ReLU(), nn::MaxPool2d(3));
  EXPECT_EQ(three(x).grad_fn_name(), "max_pool2d");
  nn::Sequential hooked(nn::Conv2d(1, 2, 3), nn::ReLU(), nn::MaxPool2d(2));
  auto h = hooked[2].register_forward_pre_hook(
      [](nn::Module&, const Tensor&) { return std::optional<Tensor>(); });
  EXPECT_EQ(hooked(x).grad_fn_name(), "max_pool2d");
}

// A 3x3 input leaves a 1x1 convolution output, too small for the window: the
// layers run one by one, so the error is the pool layer's own.
TEST(SequentialFusion, TooSmallForThePoolFailsAsTheLayers) {
  nn::Sequential net(nn::Conv2d(1, 2, 3), nn::ReLU(), nn::MaxPool2d(2));
  std::string what;
  try {
    net(randn({1, 1, 3, 3}));
  } catch (const Error& e) {
    what = e.what();
  }
  EXPECT_EQ(what.rfind("[max_pool2d] output size (0, 0) is too small", 0), 0u) << what;
  EXPECT_NE(what.find("in Sequential/2 (MaxPool2d kernel_size=2"), std::string::npos) << what;
}

// A NaN reaches the pooled output as it does through relu and max_pool2d,
// chunked (70 images) and across the team (2).
TEST(SequentialFusion, NaNSurvivesThePool) {
  manual_seed(11);
  for (int64_t batch : {2, 70}) {
    nn::Sequential net(nn::Conv2d(1, 16, 3), nn::ReLU(), nn::MaxPool2d(2));
    std::vector<float> v = randn({batch, 1, 10, 10}).to_vector<float>();
    v[0] = std::nanf("");
    const Tensor x = tensor(v, {batch, 1, 10, 10});
    const Tensor apart = forward(net, x, true), fused = net(x);
    EXPECT_EQ(bits(fused), bits(apart)) << "batch " << batch;
    int nans = 0;
    for (float f : floats(fused)) nans += std::isnan(f);
    EXPECT_EQ(nans, 16) << "batch " << batch << ": one NaN input reaches one window per channel";
  }
}

// An unbatched (C, H, W) input, and float64 (the portable kernels), give
// the layers' bits too.
TEST(SequentialFusion, UnbatchedAndDoubleThroughThePool) {
  manual_seed(13);
  nn::Sequential net(nn::Conv2d(2, 20, 3, {.padding = 1}), nn::ReLU(), nn::MaxPool2d(2));
  const Tensor x = randn({2, 7, 9});
  EXPECT_EQ(bits(net(x)), bits(forward(net, x, true)));
  EXPECT_EQ(net(x).shape(), (Shape{20, 3, 4}));
  net.to(DType::Float64);
  const Tensor xd = randn({2, 2, 7, 9}, DType::Float64).requires_grad_();
  const std::vector<double> got = net(xd).to_vector<double>(),
                            want = forward(net, xd, true).to_vector<double>();
  ASSERT_EQ(got.size(), want.size());
  EXPECT_EQ(std::memcmp(got.data(), want.data(), got.size() * sizeof(double)), 0);
  EXPECT_EQ(net(xd).grad_fn_name(), "conv2d_relu_maxpool_forward");
}

// float16 and bfloat16: the layers round the convolution's output before
// pooling, so values that round alike tie; the pool is not fused (the pair
// still is) and the gradients are the layers'.
TEST(SequentialFusion, HalfTypesPoolTheRoundedValues) {
  for (DType dt : {DType::Float16, DType::BFloat16}) {
    manual_seed(0);
    nn::Sequential net(nn::Conv2d(1, 16, 3), nn::ReLU(), nn::MaxPool2d(2));
    net.to(dt);
    // Pooled in float32, 26 (float16) and 239 (bfloat16) of x's gradients
    // went elsewhere than the layers'.
    const Tensor x = randn({8, 1, 28, 28}).to(dt);
    const Result fused = run(net, x, false), apart = run(net, x, true);
    EXPECT_EQ(fused.out, apart.out) << dtype_name(dt);
    EXPECT_EQ(fused.grads, apart.grads) << dtype_name(dt);
  }
}

// Second derivatives (create_graph) through the fused op rerun the layers'
// ops: a gradient penalty gives the layers' parameter gradients, bit for bit.
TEST(SequentialFusion, CreateGraphThroughThePoolMatchesTheLayers) {
  manual_seed(12);
  nn::Sequential net(nn::Conv2d(2, 16, 3), nn::ReLU(), nn::MaxPool2d(2));
  const Tensor x0 = randn({3, 2, 9, 8});
  auto penalty = [&](bool layer_by_layer) {
    net.zero_grad();
    Tensor x = x0.detach().requires_grad_();
    const Tensor y = forward(net, x, layer_by_layer);
    const Tensor gx = autograd::grad({(y * y).sum()}, {x}, {}, std::nullopt, true)[0];
    (gx * gx).sum().backward();
    std::vector<std::vector<uint32_t>> r;
    for (const Tensor& p : net.parameters()) r.push_back(bits(p.grad()));
    return r;
  };
  EXPECT_EQ(penalty(false), penalty(true));
}

}  // namespace
}  // namespace braid
