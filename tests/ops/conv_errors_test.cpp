// Bad arguments to conv1d, conv2d, conv_transpose2d and the primitives: the
// exact error type and text, thrown before anything runs.
#include <gtest/gtest.h>

#include <string>

#include "braid/braid.hpp"
#include "core/test_util.hpp"

using namespace braid;

namespace {
Tensor x4() { return ones({1, 4, 5, 5}); }
Tensor w4() { return ones({2, 4, 3, 3}); }
}  // namespace

TEST(ConvErrors, Ranks) {
  expect_error<ShapeError>(
      [] {
        conv2d(ones({4, 5}), w4());
      },
      "[conv2d] x must be 3-D (C_in, H, W) or 4-D (N, C_in, H, W); got "
      "x=(4, 5)");
  expect_error<ShapeError>(
      [] {
        conv2d(ones({1, 1, 4, 5, 5}), w4());
      },
      "[conv2d] x must be 3-D (C_in, H, W) or 4-D (N, C_in, H, W); got "
      "x=(1, 1, 4, 5, 5)");
  expect_error<ShapeError>(
      [] {
        conv2d(x4(), ones({2, 4, 3}));
      },
      "[conv2d] weight must be 4-D (C_out, C_in/groups, kH, kW); got "
      "weight=(2, 4, 3)");
  expect_error<ShapeError>(
      [] {
        conv1d(ones({1, 4, 5, 5}), ones({2, 4, 3}));
      },
      "[conv1d] x must be 2-D (C_in, L) or 3-D (N, C_in, L); got "
      "x=(1, 4, 5, 5)");
  expect_error<ShapeError>(
      [] {
        conv1d(ones({1, 4, 5}), w4());
      },
      "[conv1d] weight must be 3-D (C_out, C_in/groups, k); got "
      "weight=(2, 4, 3, 3)");
  expect_error<ShapeError>(
      [] {
        conv_transpose2d(ones({4, 5}), w4());
      },
      "[conv_transpose2d] x must be 3-D (C_in, H, W) or 4-D (N, C_in, H, W); "
      "got x=(4, 5)");
  expect_error<ShapeError>(
      [] {
        conv_transpose2d(x4(), ones({4, 2, 3}));
      },
      "[conv_transpose2d] weight must be 4-D (C_in, C_out/groups, kH, kW); "
      "got weight=(4, 2, 3)");
}

TEST(ConvErrors, ChannelsAndGroups) {
  expect_error<ShapeError>(
      [] {
        conv2d(ones({1, 3, 5, 5}), w4());
      },
      "[conv2d] x's channels must equal weight.shape[1] * groups; got "
      "x=(1, 3, 5, 5), weight=(2, 4, 3, 3), groups=1");
  expect_error<ShapeError>(
      [] {
        conv2d(x4(), ones({4, 2, 3, 3}), {}, {.groups = 4});
      },
      "[conv2d] x's channels must equal weight.shape[1] * groups; got "
      "x=(1, 4, 5, 5), weight=(4, 2, 3, 3), groups=4");
  expect_error<ShapeError>(
      [] {
        conv2d(x4(), ones({3, 2, 3, 3}), {}, {.groups = 2});
      },
      "[conv2d] weight.shape[0] (C_out) must be divisible by groups; got "
      "weight=(3, 2, 3, 3), groups=2");
  expect_error<ValueError>([] { conv2d(x4(), w4(), {}, {.groups = 0}); },
                           "[conv2d] groups must be >= 1; got groups=0");
  expect_error<ShapeError>(
      [] {
        conv1d(ones({2, 6, 9}), ones({4, 2, 3}), {}, {.groups = 2});
      },
      "[conv1d] x's channels must equal weight.shape[1] * groups; got "
      "x=(2, 6, 9), weight=(4, 2, 3), groups=2");
  expect_error<ShapeError>(
      [] {
        conv_transpose2d(ones({1, 3, 5, 5}), ones({4, 2, 3, 3}));
      },
      "[conv_transpose2d] x's channels must equal weight.shape[0] (C_in); "
      "got x=(1, 3, 5, 5), weight=(4, 2, 3, 3)");
  expect_error<ShapeError>(
      [] {
        conv_transpose2d(ones({1, 3, 5, 5}), ones({3, 2, 3, 3}), {}, {.groups = 2});
      },
      "[conv_transpose2d] weight.shape[0] (C_in) must be divisible by groups; got "
      "weight=(3, 2, 3, 3), groups=2");
}

TEST(ConvErrors, BiasShape) {
  expect_error<ShapeError>([] { conv2d(x4(), w4(), ones({3})); },
                           "[conv2d] bias must have shape (C_out,) = (2,); got "
                           "weight=(2, 4, 3, 3), bias=(3)");
  expect_error<ShapeError>(
      [] {
        conv2d(x4(), w4(), ones({1, 2}));
      },
      "[conv2d] bias must have shape (C_out,) = (2,); got "
      "weight=(2, 4, 3, 3), bias=(1, 2)");
  expect_error<ShapeError>(
      [] {
        conv_transpose2d(x4(), ones({4, 3, 3, 3}), ones({4}), {.groups = 2});
      },
      "[conv_transpose2d] bias must have shape (C_out,) = (6,) (weight.shape[1] * groups); got "
      "weight=(4, 3, 3, 3), groups=2, bias=(4)");
}

TEST(ConvErrors, KernelLargerThanPaddedInput) {
  expect_error<ShapeError>(
      [] {
        conv2d(ones({1, 1, 2, 2}), ones({1, 1, 3, 3}));
      },
      "[conv2d] the dilated kernel must fit in the padded input; got "
      "x=(1, 1, 2, 2), weight=(1, 1, 3, 3), padded input (2, 2), dilated "
      "kernel (3, 3)");
  expect_error<ShapeError>(
      [] {
        conv2d(ones({1, 1, 5, 5}), ones({1, 1, 3, 3}), {}, {.padding = {0, 1}, .dilation = 3});
      },
      "[conv2d] the dilated kernel must fit in the padded input; got x=(1, 1, 5, 5), "
      "weight=(1, 1, 3, 3), padded input (5, 7), dilated kernel (7, 7)");
  expect_error<ShapeError>(
      [] {
        conv1d(ones({1, 1, 4}), ones({1, 1, 3}), {}, {.dilation = 2});
      },
      "[conv1d] the dilated kernel must fit in the padded input; got "
      "x=(1, 1, 4), weight=(1, 1, 3), padded input (4), dilated kernel (5)");
  expect_error<ShapeError>(
      [] {
        conv_transpose2d(ones({1, 1, 2, 2}), ones({1, 1, 1, 1}), {}, {.padding = 1});
      },
      "[conv_transpose2d] the output size must be >= 1; got x=(1, 1, 2, 2), "
      "weight=(1, 1, 1, 1), output size (0, 0)");
}

TEST(ConvErrors, StrideDilationPadding) {
  expect_error<ValueError>(
      [] {
        conv2d(x4(), w4(), {}, {.stride = {0, 1}});
      },
      "[conv2d] stride must be >= 1; got stride=(0, 1)");
  expect_error<ValueError>(
      [] {
        conv2d(x4(), w4(), {}, {.stride = {1, 2, 3}});
      },
      "[conv2d] stride needs 1 or 2 values; got stride=(1, 2, 3)");
  expect_error<ValueError>([] { conv2d(x4(), w4(), {}, {.dilation = -1}); },
                           "[conv2d] dilation must be >= 1; got dilation=(-1)");
  expect_error<ValueError>(
      [] {
        conv2d(x4(), w4(), {}, {.padding = {1, -1}});
      },
      "[conv2d] padding must be >= 0; got padding=(1, -1)");
  expect_error<ValueError>(
      [] {
        conv1d(ones({1, 4, 5}), ones({2, 4, 3}), {}, {.stride = {1, 1}});
      },
      "[conv1d] stride needs 1 value; got stride=(1, 1)");
  expect_error<ValueError>([] { conv2d(x4(), w4(), {}, {.padding = "full"}); },
                           "[conv2d] padding must be 'same', 'valid' or sizes; got padding='full'");
  expect_error<ValueError>(
      [] {
        conv2d(x4(), w4(), {}, {.stride = {1, 2}, .padding = "same"});
      },
      "[conv2d] padding='same' needs stride 1 (PyTorch's rule); got "
      "stride=(1, 2)");
  expect_error<ValueError>(
      [] {
        conv1d(ones({1, 4, 5}), ones({2, 4, 3}), {}, {.stride = 2, .padding = "same"});
      },
      "[conv1d] padding='same' needs stride 1 (PyTorch's rule); got stride=(2)");
  expect_error<ValueError>(
      [] {
        conv_transpose2d(x4(), ones({4, 2, 3, 3}), {}, {.padding = -1});
      },
      "[conv_transpose2d] padding must be >= 0; got padding=(-1)");
  expect_error<ValueError>(
      [] {
        conv_transpose2d(x4(), ones({4, 2, 3, 3}), {}, {.stride = 2, .output_padding = {0, 2}});
      },
      "[conv_transpose2d] output_padding must be smaller than stride or dilation in each dim; got "
      "output_padding=(0, 2), stride=(2, 2), dilation=(1, 1)");
  expect_error<ValueError>(
      [] {
        conv_transpose2d(x4(), ones({4, 2, 3, 3}), {}, {.output_padding = 1});
      },
      "[conv_transpose2d] output_padding must be smaller than stride or "
      "dilation in each dim; got output_padding=(1, 1), stride=(1, 1), "
      "dilation=(1, 1)");
}

TEST(ConvErrors, DTypes) {
  expect_error<DTypeError>(
      [] {
        conv2d(ones({1, 4, 5, 5}, DType::Int64), w4());
      },
      "[conv2d] expects floating-point inputs; got x=int64, weight=float32");
  expect_error<DTypeError>([] { conv2d(x4(), w4(), ones({2}, DType::Int32)); },
                           "[conv2d] expects floating-point inputs; got x=float32, weight=float32, "
                           "bias=int32");
  expect_error<DTypeError>(
      [] {
        conv2d(x4(), ones({2, 4, 3, 3}, DType::Float64));
      },
      "[conv2d] x, weight and bias must have the same dtype; got x=float32, "
      "weight=float64");
  expect_error<DTypeError>(
      [] {
        conv1d(ones({1, 4, 5}), ones({2, 4, 3}), ones({2}, DType::Float64));
      },
      "[conv1d] x, weight and bias must have the same dtype; got x=float32, "
      "weight=float32, bias=float64");
  expect_error<DTypeError>(
      [] {
        conv_transpose2d(ones({1, 4, 5, 5}, DType::Bool), ones({4, 2, 3, 3}));
      },
      "[conv_transpose2d] expects floating-point inputs; got x=bool, "
      "weight=float32");
}

TEST(ConvErrors, Undefined) {
  expect_error<ValueError>([] { conv2d(Tensor(), w4()); }, "[conv2d] x is undefined");
  expect_error<ValueError>(
      [] {
        conv1d(ones({1, 4, 5}), Tensor());
      },
      "[conv1d] weight is undefined");
}

TEST(ConvErrors, Primitives) {
  const Attrs ok{{"stride", std::vector<int64_t>{1, 1}},
                 {"padding", std::vector<int64_t>{0, 0}},
                 {"dilation", std::vector<int64_t>{1, 1}},
                 {"groups", int64_t{1}},
                 {"output_size", std::vector<int64_t>{3, 3}}};
  expect_error<ShapeError>(
      [&] {
        detail::call(OpId::conv2d_forward, {x4(), ones({2, 3, 3, 3}), ones({2})}, ok);
      },
      "[conv2d_forward] needs weight (C_out, C_in/groups, kH, kW) and bias (C_out) matching x (N, "
      "C_in, H, W); got x=(1, 4, 5, 5), weight=(2, 3, 3, 3), bias=(2), groups=1");
  Attrs bad = ok;
  bad.set("stride", std::vector<int64_t>{1});
  expect_error<ValueError>(
      [&] {
        detail::call(OpId::conv2d_forward, {x4(), w4(), ones({2})}, bad);
      },
      "[conv2d_forward] attribute 'stride' must hold 2 values (height, width); got (1)");
  bad = ok;
  bad.set("groups", int64_t{0});
  expect_error<ValueError>(
      [&] {
        detail::call(OpId::conv2d_forward, {x4(), w4(), ones({2})}, bad);
      },
      "[conv2d_forward] needs stride, dilation, groups >= 1 and padding >= 0; got stride=(1, 1), "
      "padding=(0, 0), dilation=(1, 1), groups=0");
  Attrs in = ok;
  in.set("input_size", std::vector<int64_t>{5, 5});
  expect_error<ShapeError>(
      [&] {
        detail::call(OpId::conv2d_input_grad, {ones({1, 3, 3, 3}), w4()}, in);
      },
      "[conv2d_input_grad] needs grad_y (N, C_out, H_out, W_out) and weight (C_out, C_in/groups, "
      "kH, kW) with C_out divisible by groups; got grad_y=(1, 3, 3, 3), weight=(2, 4, 3, 3), "
      "groups=1");
  Attrs k = ok;
  k.set("kernel_size", std::vector<int64_t>{3, -3});
  expect_error<ValueError>(
      [&] {
        detail::call(OpId::conv2d_weight_grad, {x4(), ones({1, 2, 3, 3})}, k);
      },
      "[conv2d_weight_grad] attribute 'kernel_size' must be >= 0; got (3, -3)");
  k.set("kernel_size", std::vector<int64_t>{3, 3});
  expect_error<DTypeError>(
      [&] {
        detail::call(OpId::conv2d_weight_grad,
                     {ones({1, 4, 5, 5}, DType::Int64), ones({1, 2, 3, 3}, DType::Int64)}, k);
      },
      "[conv2d_weight_grad] expects floating-point input; got int64");
}

// The fused primitives: conv2d_relu_forward names itself; conv2d_backward
// checks its output_mask, its input count, every shape and relu's y.
TEST(ConvErrors, FusedPrimitives) {
  const Attrs ok{{"stride", std::vector<int64_t>{1, 1}},
                 {"padding", std::vector<int64_t>{0, 0}},
                 {"dilation", std::vector<int64_t>{1, 1}},
                 {"groups", int64_t{1}},
                 {"output_size", std::vector<int64_t>{3, 3}}};
  expect_error<ShapeError>(
      [&] {
        detail::call(OpId::conv2d_relu_forward, {x4(), ones({2, 3, 3, 3}), ones({2})}, ok);
      },
      "[conv2d_relu_forward] needs weight (C_out, C_in/groups, kH, kW) and bias (C_out) matching "
      "x (N, C_in, H, W); got x=(1, 4, 5, 5), weight=(2, 3, 3, 3), bias=(2), groups=1");
  Attrs b = ok;
  b.set("output_mask", std::vector<int64_t>{1, 2, 1});
  const Tensor gy = ones({1, 2, 3, 3});
  expect_error<ValueError>(
      [&] {
        detail::call(OpId::conv2d_backward, {x4(), gy, w4()}, b);
      },
      "[conv2d_backward] output_mask must hold 3 values, each 0 or 1; got (1, 2, 1)");
  b.set("output_mask", std::vector<int64_t>{1, 1, 1});
  expect_error<ValueError>(
      [&] {
        detail::call(OpId::conv2d_backward, {x4(), gy}, b);
      },
      "[conv2d_backward] takes x, grad_y, weight and optionally y; got 2 inputs");
  expect_error<ShapeError>(
      [&] {
        detail::call(OpId::conv2d_backward, {x4(), ones({1, 3, 3, 3}), w4()}, b);
      },
      "[conv2d_backward] needs x (N, C_in, H, W), grad_y (N, C_out, H_out, W_out) and weight "
      "(C_out, C_in/groups, kH, kW); got x=(1, 4, 5, 5), grad_y=(1, 3, 3, 3), weight=(2, 4, 3, 3), "
      "groups=1");
  expect_error<ShapeError>(
      [&] {
        detail::call(OpId::conv2d_backward, {x4(), gy, w4(), ones({1, 2, 3, 4})}, b);
      },
      "[conv2d_backward] y must have grad_y's shape; got grad_y=(1, 2, 3, 3), y=(1, 2, 3, 4)");
}

// Conv2d -> ReLU -> MaxPool2d(2) as one op: the window must fit the
// convolution's output; the backward checks the pooled gradient and the codes.
TEST(ConvErrors, FusedReluMaxPool) {
  Attrs a{{"stride", std::vector<int64_t>{1, 1}},
          {"padding", std::vector<int64_t>{0, 0}},
          {"dilation", std::vector<int64_t>{1, 1}},
          {"groups", int64_t{1}},
          {"output_size", std::vector<int64_t>{1, 3}}};
  expect_error<ShapeError>(
      [&] {
        detail::call(OpId::conv2d_relu_maxpool_forward, {ones({1, 4, 3, 5}), w4(), ones({2})}, a);
      },
      "[conv2d_relu_maxpool_forward] the 2x2 pool needs a convolution output of at least 2x2; "
      "got output_size=(1, 3)");
  a.set("output_size", std::vector<int64_t>{3, 3});
  a.set("output_mask", std::vector<int64_t>{1, 1, 1});
  const Tensor codes = zeros({1, 1, 1, 1, 16}, DType::UInt8);
  expect_error<ShapeError>(
      [&] {
        detail::call(OpId::conv2d_relu_maxpool_backward, {x4(), ones({1, 2, 3, 3}), w4(), codes},
                     a);
      },
      "[conv2d_relu_maxpool_backward] grad_y must be the pooled output (N, C_out, OH / 2, OW / "
      "2) = (1, 2, 1, 1); got (1, 2, 3, 3)");
  expect_error<ShapeError>(
      [&] {
        detail::call(OpId::conv2d_relu_maxpool_backward,
                     {x4(), ones({1, 2, 1, 1}), w4(), zeros({1, 1, 1, 1, 16})}, a);
      },
      "[conv2d_relu_maxpool_backward] codes must be uint8 (1, 1, 1, 1, 16) (N, ceil(C_out / 16), "
      "OH / 2, OW / 2, 16); got float32 (1, 1, 1, 1, 16)");
  expect_error<ShapeError>(
      [&] {
        detail::call(OpId::conv2d_relu_maxpool_backward,
                     {ones({1, 64, 5, 5}), ones({1, 2, 1, 1}), ones({2, 1, 3, 3}), codes}, a);
      },
      "[conv2d_relu_maxpool_backward] needs x (N, C_in, H, W) and weight (C_out, C_in/groups, kH, "
      "kW); got x=(1, 64, 5, 5), weight=(2, 1, 3, 3), groups=1");
}
