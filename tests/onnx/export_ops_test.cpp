// The exporter against the op registry (every op with an ONNX name has a
// translation), its errors, and op families traced and run in ONNX Runtime
// against the executor (tests/onnx/ort_helper.hpp).
#include <gtest/gtest.h>

#include <fstream>

#include "braid/graph/trace.hpp"
#include "onnx/ort_helper.hpp"

namespace braid {
namespace {

using runtime::Graph;
using testing::expect_ort_matches;

// STYLE "One op list": the exporter's table is keyed by the registry, and
// every op that names an ONNX operator has a translation; the others say
// why not (onnx_note).
TEST(OnnxExportRegistry, EveryOpWithAnOnnxNameHasATranslation) {
  int translated = 0;
  std::vector<std::string> without;
  for (size_t i = 0; i < all_ops().size(); ++i) {
    const OpDef& d = all_ops()[i];
    bool has = onnx::detail::has_translation(static_cast<OpId>(i));
    translated += has;
    if (!d.onnx.empty())
      EXPECT_TRUE(has) << d.name << " names ONNX " << d.onnx << " but has no translation";
    if (!has) {
      EXPECT_FALSE(d.onnx_note.empty())
          << d.name << " has no translation and no onnx_note saying why";
      without.push_back(std::string(d.name));
    }
  }
  std::cout << "[onnx] " << translated << " of " << all_ops().size()
            << " ops export; not: " << fmt::format("{}", fmt::join(without, ", ")) << "\n";
}

// Op tests capture constants of the traced batch size: no second batch.
Graph trace_fn(const graph::TraceFn& fn, const std::vector<Tensor>& inputs,
               graph::TraceOptions o = {.check_batch = false}) {
  return graph::trace(fn, inputs, std::move(o));
}

// The message of export_onnx_bytes(g), or "" when it exports.
std::string export_error(const Graph& g) {
  try {
    onnx::export_onnx_bytes(g);
  } catch (const ValueError& e) {
    return e.what();
  }
  return "";
}

TEST(OnnxExportErrors, AnOpWithoutOnnxFormNamesNodeOpAndScope) {
  graph::TraceOptions o{.check_batch = false};
  o.scope = [] { return std::string("encoder/0"); };
  Graph g = trace_fn(
      [](const std::vector<Tensor>& in) {
        return std::vector<Tensor>{avg_pool2d_backward(relu(in[0]), {4, 4}, {2, 2})};
      },
      {randn({1, 1, 2, 2})}, o);
  std::string msg = export_error(g);
  EXPECT_NE(msg.find("[onnx] node 1 (avg_pool2d_backward) in encoder/0: the op has no ONNX form "
                     "(a gradient op"),
            std::string::npos)
      << msg;
}

TEST(OnnxExportErrors, AnAttributeWithoutOnnxFormNamesTheNode) {
  Graph g = trace_fn(
      [](const std::vector<Tensor>& in) {
        return std::vector<Tensor>{adaptive_avg_pool2d(in[0], {3, 3})};
      },
      {randn({1, 2, 7, 7})});
  std::string msg = export_error(g);
  EXPECT_NE(msg.find("[onnx] node 0 (adaptive_avg_pool2d): output size (3, 3) does not divide"),
            std::string::npos)
      << msg;
}

TEST(OnnxExportErrors, TrainingModeDropoutAndOtherOpsetsAreRefused) {
  Graph g = trace_fn(
      [](const std::vector<Tensor>& in) { return std::vector<Tensor>{dropout(in[0], 0.5, true)}; },
      {randn({4, 3})}, {.check_batch = false});
  EXPECT_THROW(
      {
        try {
          onnx::export_onnx_bytes(g);
        } catch (const ValueError& e) {
          EXPECT_NE(std::string(e.what()).find("node 0 (dropout)"), std::string::npos) << e.what();
          throw;
        }
      },
      ValueError);
  Graph ok = trace_fn(
      [](const std::vector<Tensor>& in) { return std::vector<Tensor>{relu(in[0])}; }, {randn({2})});
  EXPECT_THROW(onnx::export_onnx_bytes(ok, {.opset = 13}), ValueError);
}

TEST(OnnxExportFile, WritesTheModelAtomically) {
  Graph g = trace_fn([](const std::vector<Tensor>& in) { return std::vector<Tensor>{relu(in[0])}; },
                     {randn({2, 3})});
  testing::TempDir dir;
  auto path = dir.path / "relu.onnx";
  onnx::export_onnx(g, path);
  std::ifstream f(path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  EXPECT_EQ(bytes, onnx::export_onnx_bytes(g));
  EXPECT_FALSE(std::filesystem::exists(dir.path / "relu.onnx.tmp"));
  // An unwritable place: IOError, and no file left.
  EXPECT_THROW(onnx::export_onnx(g, dir.path / "missing" / "x.onnx"), IOError);
}

// -- op families in ONNX Runtime ------------------------------------------------------

TEST(OnnxExportOps, ElementwiseWithPromotion) {
  manual_seed(101);
  Tensor x = randn({3, 4}), i = randint(-3, 4, {3, 4}), b = randn({4}) > 0;
  Graph g = trace_fn(
      [](const std::vector<Tensor>& in) {
        const Tensor &x = in[0], &i = in[1], &b = in[2];
        Tensor p = abs(x) + 0.5;
        return std::vector<Tensor>{
            exp(x) - log1p(p) * 2 + sqrt(p) / rsqrt(p) - expm1(x * 0.1) + square(x),
            sin(x) * cos(x) + tanh(x) - sigmoid(x) + erf(x) + reciprocal(p) + sign(x) - neg(x),
            leaky_relu(x, 0.2) + elu(x, 0.7) + gelu(x) + gelu(x, "tanh") + silu(x) +
                softplus(x, 2.0, 1.0) + clamp(x, -0.5, 0.5) + relu(x),
            i * 3 + i / 2 + i +
                x,  // int + wrapped int stays int; int / int and int + float promote
            pow(p, 1.5) + pow(p, x) + maximum(x, i) + minimum(x, 0.25 * x) + sub(x, i, 2) +
                add(x, x, 0.5),
            logical_and(x > 0, b) || logical_not(i == 1) || (x <= i) || (i != 2) || (x >= 0.3) ||
                (x < -1),
            where(b, x, i) + masked_fill(x, b, -2.0) + clamp(i, 0, 2) + clone(x).to(DType::Int32),
            rescale(x, -1.5, 0.25) + rescale(i, 0.5, -1.0),  // integer input: Cast first
        };
      },
      {x, i, b});
  expect_ort_matches(g, {x, i, b}, "elementwise ops");
}

TEST(OnnxExportOps, Reductions) {
  manual_seed(102);
  Tensor x = randn({3, 4, 5}), m = randn({3, 4, 5}) > 0.5;
  Graph g = trace_fn(
      [](const std::vector<Tensor>& in) {
        const Tensor &x = in[0], &m = in[1];
        auto mx = max(x, 1, true);
        auto mn = min(x, -1);
        return std::vector<Tensor>{
            sum(x) + mean(x, {1}).sum() + prod(x * 0.1 + 1, {0, 2}).sum(),
            amax(x, {2}, true) + amin(x, {1, 2}, true) + mx.values + logsumexp(x, {1}, true),
            mx.indices + mn.indices.unsqueeze(2) + argmax(x, 2, true) + argmin(x),
            cumsum(x, 1) + softmax(x, -1) + log_softmax(x, 0),
            var(x, {1}) + braid::std(x, {0, 2}, 0).sum(),
            norm(x) + norm(x, 1, {1}).sum() + norm(x, INFINITY, {2}).sum() +
                norm(x, 3.0, {0}).sum(),
            all(m, {1}) || any(m, {1}),
            sum(m, {2}) + sum(x > 0),
        };
      },
      {x, m});
  expect_ort_matches(g, {x, m}, "reductions");
}

TEST(OnnxExportOps, ViewsJoinsAndIndexing) {
  manual_seed(103);
  Tensor x = randn({2, 3, 4}), idx = tensor(std::vector<int64_t>{2, 0, 1, 2});
  Graph g = trace_fn(
      [](const std::vector<Tensor>& in) {
        const Tensor &x = in[0], &idx = in[1];
        auto parts = split(x, std::vector<int64_t>{1, 3}, 2);
        auto chunks = chunk(x, 2, 1);  // sizes 2 and 1
        Tensor gi = tensor(std::vector<int64_t>{0, 2, 1, 1, 0, 2, 2, 0}, {2, 1, 4});
        return std::vector<Tensor>{
            reshape(x, {6, 4}) + view(x, {-1, 4}) + flatten(x, 0, 1) +
                permute(x, {1, 0, 2}).reshape({6, 4}),
            expand(slice(x, 1, 1, 3), {3, 2, 2, 4}).sum({0}) + narrow(x, 1, -2, 2).sum({2}, true),
            select(x, 1, -1) + squeeze(unsqueeze(x, 1), {1}).sum({1}) +
                flatten(x, 1).narrow(1, 0, 4),
            cat({parts[1], parts[0]}, -1) + stack({x, x, x, x, x}, 2).sum({2}) * 0.1 +
                cat({chunks[1], chunks[0]}, 1),
            repeat(x, {2, 1, 1, 1}).sum({0}) + tile(x, {1, 1}) + flip(x, {0, 2}) +
                roll(x, {1, -1}, {1, 2}),
            tril(x, 1) - triu(x, -1) + roll(x, {3}, {}),
            index_select(x, 2, idx).sum({2}, true) + gather(x, 1, gi).sum({1}, true),
            scatter(zeros({2, 3, 4}), 1, gi, ones({2, 2, 4})) + scatter_add(x, 1, gi, x) +
                take_along_dim(x, gi, 1).sum({1}, true),
            one_hot(idx, 3) + nonzero(idx).sum(),
            index_add(x, 2, idx, x) + slice_scatter(x, ones({2, 2, 4}), 1, -2, 3) +
                slice_scatter(x, zeros({2, 3, 2}), 2, 0, 4, 2),
        };
      },
      {x, idx});
  expect_ort_matches(g, {x, idx}, "views, joins and indexing");
}

TEST(OnnxExportOps, SortingTopkAndEmbedding) {
  manual_seed(104);
  Tensor x = randn({3, 6}), w = randn({7, 4}),
         ids = tensor(std::vector<int64_t>{1, 6, 0, 3, 3, 2}, {2, 3});
  Graph g = trace_fn(
      [](const std::vector<Tensor>& in) {
        auto t = topk(in[0], 2, 1);
        auto s = sort(in[0], 0, true);
        return std::vector<Tensor>{t.values, t.indices, s.values, s.indices,
                                   embedding(in[1], in[2])};
      },
      {x, w, ids});
  expect_ort_matches(g, {x, w, ids}, "topk, sort, embedding");
}

TEST(OnnxExportOps, ConvolutionPoolingAndNorms) {
  manual_seed(105);
  Tensor x = randn({2, 4, 9, 8});
  Tensor w1 = randn({6, 4, 3, 3}) * 0.2, b1 = randn({6}), w2 = randn({4, 2, 2, 3}) * 0.2;
  Tensor wt = randn({6, 3, 3, 3}) * 0.2, w1d = randn({5, 4, 3}) * 0.2;
  Tensor rm = randn({6}) * 0.1, rv = rand({6}) + 0.5, gw = randn({6}), gb = randn({6});
  Graph g = trace_fn(
      [&](const std::vector<Tensor>& in) {
        const Tensor& x = in[0];
        Tensor y = conv2d(x, w1, b1, {.stride = {2, 1}, .padding = {1, 2}, .dilation = {1, 2}});
        Tensor same = conv2d(x, w2, {}, {.padding = "same", .groups = 2});
        Tensor up = conv_transpose2d(y, wt, {}, {.stride = 2, .padding = 1, .output_padding = 1});
        Tensor c1 = conv1d(x.flatten(2), w1d, {}, {.stride = 3, .padding = 1});
        Tensor maxed =
            max_pool2d(y, {3, 2}, {.stride = {2, 1}, .padding = {1, 1}, .ceil_mode = true});
        Tensor avg = avg_pool2d(y, {2, 2}, {.padding = {1}, .count_include_pad = false});
        Tensor norms = batch_norm(y, rm, rv, gw, gb, {.training = false}) +
                       native_batch_norm(y, gw, gb, rm, rv, false, 0.1, 1e-3).output +
                       instance_norm(y, {}, {}, gw, gb) + group_norm(y, 3, gw, gb) +
                       layer_norm(y, {5, 8}) * 0.5;
        return std::vector<Tensor>{
            y,
            same,
            up,
            c1,
            maxed,
            avg,
            norms,
            adaptive_avg_pool2d(x, {1, 1}) + amax(adaptive_max_pool2d(x, {3, 4}), {2, 3}, true),
            pad(x, {1, 2, 0, 1}) + 0,
            pad(x, {2, 1, 1, 0}, "reflect"),
            pad(x, {1, 1, 2, 0}, "replicate"),
            interpolate(x, {.size = {12, 5}}),
            interpolate(x, {.scale_factor = {2.0}, .mode = "bilinear"}),
            interpolate(x, {.size = {5, 13}, .mode = "bilinear", .align_corners = true}),
        };
      },
      {x});
  expect_ort_matches(g, {x}, "convolution, pooling, padding, resizing, norms");
}

TEST(OnnxExportOps, CellsAttentionAndLosses) {
  manual_seed(106);
  Tensor x = randn({3, 5}), h = randn({3, 4}), c = randn({3, 4});
  Tensor wi = randn({12, 5}) * 0.3, wh = randn({12, 4}) * 0.3, bi = randn({12}), bh = randn({12});
  Tensor q = randn({2, 3, 4, 8}), k = randn({2, 3, 6, 8}), v = randn({2, 3, 6, 5});
  Tensor mask = randn({4, 6}) > -0.5, target = tensor(std::vector<int64_t>{1, 4, -100});
  Graph g = trace_fn(
      [&](const std::vector<Tensor>& in) {
        Tensor li = randn({16, 5}) * 0.3, lh = randn({16, 4}) * 0.3;  // constants
        LstmState s = lstm_cell(in[0], in[1], in[2], li, lh, {}, randn({16}));
        return std::vector<Tensor>{
            s.h,
            s.c,
            gru_cell(in[0], in[1], wi, wh, bi, bh),
            gru_cell(in[0].select(0, 0), in[1].select(0, 1), wi, wh, {}, {}),
            scaled_dot_product_attention(q, k, v, {.attn_mask = mask}),
            scaled_dot_product_attention(q, k.narrow(2, 0, 4), v.narrow(2, 0, 4),
                                         {.is_causal = true, .scale = 0.3}),
            scaled_dot_product_attention(q, k, v, {.attn_mask = randn({4, 6})}),
            cross_entropy(in[0], target) +
                nll_loss(log_softmax(in[0], 1), target, {.reduction = "sum"}),
            cross_entropy(in[0], target, {.weight = rand({5}), .reduction = "none"}),
            cross_entropy(in[0], softmax(in[0] * 2, 1), {.weight = rand({5})}) +
                cross_entropy(in[0], softmax(in[0] * 2, 1), {.label_smoothing = 0.2}) +
                cross_entropy(in[0], target, {.weight = rand({5}), .label_smoothing = 0.1}) +
                cross_entropy(in[0], target, {.reduction = "sum", .label_smoothing = 0.3}),
            cross_entropy(in[0], target, {.reduction = "none", .label_smoothing = 0.1}),
            mse_loss(in[1], in[2]) + l1_loss(in[1], in[2], "sum") +
                mse_loss(in[1], in[2], "none").sum(),
            smooth_l1_loss(in[1], in[2]) + huber_loss(in[1], in[2], "sum", 0.5) +
                smooth_l1_loss(in[1], in[2], "none", 0.0).sum(),
            binary_cross_entropy(sigmoid(in[1]), sigmoid(in[2])) +
                binary_cross_entropy_with_logits(in[1], sigmoid(in[2]), {.pos_weight = rand({4})}) +
                kl_div(log_softmax(in[1], 1), softmax(in[2], 1), "batchmean"),
        };
      },
      {x, h, c});
  expect_ort_matches(g, {x, h, c}, "cells, attention, losses");
}

}  // namespace
}  // namespace braid
