// Gradcheck samples for the conv family: the public conv1d, conv2d and
// conv_transpose2d (strides, padding incl. "same" with an even kernel,
// dilation, groups, depthwise, unbatched, non-contiguous) and the three
// primitives they are written with. conv2d and conv_transpose2d also run
// gradgradcheck: their second derivatives go through every primitive's vjp.
#include "braid/braid.hpp"
#include "braid/testing/op_samples.hpp"

namespace braid::testing {
namespace {
using Ints = std::vector<int64_t>;

OpSample conv(std::string label, Tensor x, Tensor w, Tensor b, Attrs attrs, bool gradgrad = false) {
  OpSample s{std::move(label), {std::move(x), std::move(w), std::move(b)}, std::move(attrs)};
  s.gradgrad = gradgrad;
  return s;
}

Attrs conv_attrs(Ints stride, AttrValue padding, Ints dilation, int64_t groups) {
  return Attrs{{"stride", std::move(stride)},
               {"padding", std::move(padding)},
               {"dilation", std::move(dilation)},
               {"groups", groups}};
}

std::vector<OpSample> conv2d_samples() {
  return {
      conv("3x3", sample_randn({2, 2, 5, 4}, 1), sample_randn({3, 2, 3, 3}, 2),
           sample_randn({3}, 3), {}, true),
      conv("stride_padding_dilation", sample_randn({1, 2, 6, 7}, 4), sample_randn({2, 2, 2, 3}, 5),
           sample_randn({2}, 6), conv_attrs({2, 1}, Ints{1, 2}, {2, 1}, 1), true),
      conv("groups", sample_randn({1, 4, 4, 4}, 7), sample_randn({4, 2, 2, 2}, 8), Tensor(),
           conv_attrs({1}, Ints{0}, {1}, 2), true),
      conv("depthwise", sample_randn({1, 3, 4, 5}, 9), sample_randn({3, 1, 3, 3}, 10),
           sample_randn({3}, 11), conv_attrs({1}, Ints{1}, {1}, 3)),
      conv("same_even_kernel", sample_randn({1, 2, 4, 5}, 12), sample_randn({2, 2, 2, 4}, 13),
           Tensor(), conv_attrs({1}, std::string("same"), {1}, 1), true),
      conv("unbatched", sample_randn({2, 4, 4}, 14), sample_randn({2, 2, 3, 3}, 15),
           sample_randn({2}, 16), conv_attrs({2}, std::string("valid"), {1}, 1)),
      conv("noncontiguous", sample_noncontiguous({2, 2, 4, 5}, 17),
           sample_noncontiguous({3, 2, 2, 3}, 18), Tensor(), {}),
  };
}

std::vector<OpSample> conv1d_samples() {
  return {
      conv("plain", sample_randn({2, 2, 7}, 21), sample_randn({3, 2, 3}, 22), sample_randn({3}, 23),
           {}),
      conv("stride_groups_dilation", sample_randn({1, 4, 9}, 24), sample_randn({2, 2, 2}, 25),
           Tensor(), conv_attrs({2}, Ints{1}, {2}, 2)),
      conv("same", sample_randn({3, 6}, 26), sample_randn({2, 3, 4}, 27), sample_randn({2}, 28),
           conv_attrs({1}, std::string("same"), {1}, 1)),
  };
}

Attrs transpose_attrs(Ints stride, Ints padding, Ints output_padding, int64_t groups,
                      Ints dilation) {
  return Attrs{{"stride", std::move(stride)},
               {"padding", std::move(padding)},
               {"output_padding", std::move(output_padding)},
               {"groups", groups},
               {"dilation", std::move(dilation)}};
}

std::vector<OpSample> conv_transpose2d_samples() {
  return {
      conv("plain", sample_randn({2, 2, 3, 4}, 31), sample_randn({2, 3, 3, 2}, 32),
           sample_randn({3}, 33), {}, true),
      conv("stride_padding_output_padding", sample_randn({1, 2, 3, 3}, 34),
           sample_randn({2, 2, 3, 3}, 35), sample_randn({2}, 36),
           transpose_attrs({2}, {1}, {1, 0}, 1, {1}), true),
      conv("groups_dilation", sample_randn({1, 4, 3, 3}, 37), sample_randn({4, 1, 2, 2}, 38),
           Tensor(), transpose_attrs({1}, {0}, {1}, 2, {2}), true),
      conv("unbatched", sample_randn({2, 3, 2}, 39), sample_randn({2, 1, 2, 3}, 40), Tensor(), {}),
  };
}

// The primitives take every attribute, pairs only, and the third operand's size.
Attrs prim_attrs(Ints stride, Ints padding, Ints dilation, int64_t groups, const char* size_name,
                 Ints size) {
  return Attrs{{"stride", std::move(stride)},
               {"padding", std::move(padding)},
               {"dilation", std::move(dilation)},
               {"groups", groups},
               {size_name, std::move(size)}};
}

std::vector<OpSample> forward_samples() {
  return {
      conv("plain", sample_randn({2, 2, 4, 4}, 41), sample_randn({3, 2, 2, 3}, 42),
           sample_randn({3}, 43), prim_attrs({1, 1}, {0, 0}, {1, 1}, 1, "output_size", {3, 2})),
      // Output size 3 x 3 from a 5 x 4 input with top/left padding 1: the far
      // side is padded by 0 rows and 1 column.
      conv("strided_groups", sample_randn({1, 4, 5, 4}, 44), sample_randn({2, 2, 2, 2}, 45),
           sample_randn({2}, 46), prim_attrs({2, 2}, {1, 1}, {1, 1}, 2, "output_size", {3, 3})),
  };
}

// Conv2d -> ReLU -> MaxPool2d(2) as one op, with gradgradcheck (its
// create_graph vjp reruns the layers' ops): 3 channels pooled 2x2; an odd
// 5x7 output the pool leaves a row and a column of, with groups.
std::vector<OpSample> relu_maxpool_samples() {
  return {
      conv("plain", sample_randn({2, 2, 5, 6}, 47), sample_randn({3, 2, 2, 3}, 48),
           sample_randn({3}, 49), prim_attrs({1, 1}, {0, 0}, {1, 1}, 1, "output_size", {4, 4}),
           true),
      conv("odd_groups", sample_randn({1, 4, 5, 6}, 71), sample_randn({2, 2, 3, 2}, 72),
           sample_randn({2}, 73), prim_attrs({1, 1}, {1, 1}, {1, 1}, 2, "output_size", {5, 7}),
           true),
  };
}

OpSample pair(std::string label, Tensor a, Tensor b, Attrs attrs) {
  return OpSample{std::move(label), {std::move(a), std::move(b)}, std::move(attrs)};
}

std::vector<OpSample> input_grad_samples() {
  return {
      pair("plain", sample_randn({2, 3, 3, 2}, 51), sample_randn({3, 2, 2, 3}, 52),
           prim_attrs({1, 1}, {0, 0}, {1, 1}, 1, "input_size", {4, 4})),
      // conv_transpose2d with output_padding 2 > padding 1: the far side crops.
      pair("strided_dilated_crop", sample_randn({1, 2, 2, 3}, 53), sample_randn({2, 1, 2, 2}, 54),
           prim_attrs({3, 1}, {1, 0}, {1, 2}, 2, "input_size", {6, 5})),
  };
}

std::vector<OpSample> weight_grad_samples() {
  return {
      pair("plain", sample_randn({2, 2, 4, 4}, 61), sample_randn({2, 3, 3, 2}, 62),
           prim_attrs({1, 1}, {0, 0}, {1, 1}, 1, "kernel_size", {2, 3})),
      pair("strided_groups", sample_randn({1, 4, 5, 5}, 63), sample_randn({1, 2, 3, 2}, 64),
           prim_attrs({2, 2}, {1, 0}, {1, 2}, 2, "kernel_size", {2, 2})),
  };
}

}  // namespace

void add_conv_samples(SampleTable& t) {
  t["conv1d"] = conv1d_samples;
  t["conv2d"] = conv2d_samples;
  t["conv_transpose2d"] = conv_transpose2d_samples;
  t["conv2d_forward"] = forward_samples;
  t["conv2d_relu_forward"] = forward_samples;
  t["conv2d_relu_maxpool_forward"] = relu_maxpool_samples;
  t["conv2d_input_grad"] = input_grad_samples;
  t["conv2d_weight_grad"] = weight_grad_samples;
}

}  // namespace braid::testing
