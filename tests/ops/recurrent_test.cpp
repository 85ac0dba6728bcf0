// lstm_cell, gru_cell and scaled_dot_product_attention (src/ops/recurrent.cpp):
// values against naive loops in double, unbatched inputs, optional biases,
// both mask kinds, causal masks, broadcast batch dims, attention dropout's
// statistics and reproducibility, thread-count independence, and every error
// text. PyTorch parity is in tests/fixtures/ops_recurrent.json.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "../core/test_util.hpp"
#include "braid/braid.hpp"
#include "numeric_test_util.hpp"

namespace braid {
namespace {

using D = std::vector<double>;

using testing::expect_close;

double sig(double v) { return 1 / (1 + std::exp(-v)); }

// Gate pre-activations of one row: x w_ih^T + b_ih (ih) and h w_hh^T + b_hh (hh).
struct Pre {
  D ih, hh;
};

Pre pre_activations(const D& x, const D& h, const Tensor& w_ih, const Tensor& w_hh,
                    const Tensor& b_ih, const Tensor& b_hh) {
  const int64_t rows = w_ih.size(0);
  const D wi = w_ih.to_vector<double>(), wh = w_hh.to_vector<double>();
  Pre p{D(rows, 0.0), D(rows, 0.0)};
  for (int64_t r = 0; r < rows; ++r) {
    for (size_t j = 0; j < x.size(); ++j) p.ih[r] += wi[r * x.size() + j] * x[j];
    for (size_t j = 0; j < h.size(); ++j) p.hh[r] += wh[r * h.size() + j] * h[j];
    if (b_ih.defined()) p.ih[r] += b_ih.to_vector<double>()[r];
    if (b_hh.defined()) p.hh[r] += b_hh.to_vector<double>()[r];
  }
  return p;
}

D row(const Tensor& t, int64_t n) { return select(t, 0, n).to_vector<double>(); }

// (h', c') of batch row n, PyTorch's gate order i, f, g, o.
std::pair<D, D> ref_lstm(const Tensor& x, const Tensor& h, const Tensor& c, const Tensor& w_ih,
                         const Tensor& w_hh, const Tensor& b_ih, const Tensor& b_hh, int64_t n) {
  const D hv = row(h, n), cv = row(c, n);
  Pre p = pre_activations(row(x, n), hv, w_ih, w_hh, b_ih, b_hh);
  const size_t hs = hv.size();
  D h1(hs), c1(hs);
  for (size_t j = 0; j < hs; ++j) {
    auto g = [&](size_t k) { return p.ih[k * hs + j] + p.hh[k * hs + j]; };
    c1[j] = sig(g(1)) * cv[j] + sig(g(0)) * std::tanh(g(2));
    h1[j] = sig(g(3)) * std::tanh(c1[j]);
  }
  return {h1, c1};
}

// h' of batch row n, gate order r, z, n; r scales (W_hn h + b_hn).
D ref_gru(const Tensor& x, const Tensor& h, const Tensor& w_ih, const Tensor& w_hh,
          const Tensor& b_ih, const Tensor& b_hh, int64_t n) {
  const D hv = row(h, n);
  Pre p = pre_activations(row(x, n), hv, w_ih, w_hh, b_ih, b_hh);
  const size_t hs = hv.size();
  D h1(hs);
  for (size_t j = 0; j < hs; ++j) {
    const double r = sig(p.ih[j] + p.hh[j]), z = sig(p.ih[hs + j] + p.hh[hs + j]);
    const double nn = std::tanh(p.ih[2 * hs + j] + r * p.hh[2 * hs + j]);
    h1[j] = (1 - z) * nn + z * hv[j];
  }
  return h1;
}

TEST(LstmCell, MatchesTheNaiveLoops) {
  manual_seed(10);
  auto r = [](Shape s) { return randn(s, DType::Float64); };
  Tensor x = r({3, 4}), h = r({3, 5}), c = r({3, 5}), wi = r({20, 4}), wh = r({20, 5}),
         bi = r({20}), bh = r({20});
  for (bool bias : {true, false}) {
    SCOPED_TRACE(bias);
    Tensor b1 = bias ? bi : Tensor(), b2 = bias ? bh : Tensor();
    auto [h1, c1] = lstm_cell(x, h, c, wi, wh, b1, b2);
    EXPECT_EQ(h1.shape(), (Shape{3, 5}));
    for (int64_t n = 0; n < 3; ++n) {
      auto [wh1, wc1] = ref_lstm(x, h, c, wi, wh, b1, b2, n);
      expect_close(row(h1, n), wh1);
      expect_close(row(c1, n), wc1);
    }
  }
  // Unbatched: the same step on 1-D tensors, shapes kept.
  auto [hu, cu] = lstm_cell(select(x, 0, 1), select(h, 0, 1), select(c, 0, 1), wi, wh, bi, bh);
  EXPECT_EQ(hu.shape(), (Shape{5}));
  auto [wh1, wc1] = ref_lstm(x, h, c, wi, wh, bi, bh, 1);
  expect_close(hu.to_vector<double>(), wh1);
  expect_close(cu.to_vector<double>(), wc1);
}

TEST(GruCell, MatchesTheNaiveLoops) {
  manual_seed(11);
  auto r = [](Shape s) { return randn(s, DType::Float64); };
  Tensor x = r({3, 4}), h = r({3, 5}), wi = r({15, 4}), wh = r({15, 5}), bi = r({15}), bh = r({15});
  for (bool bias : {true, false}) {
    SCOPED_TRACE(bias);
    Tensor b1 = bias ? bi : Tensor(), b2 = bias ? bh : Tensor();
    Tensor h1 = gru_cell(x, h, wi, wh, b1, b2);
    for (int64_t n = 0; n < 3; ++n) expect_close(row(h1, n), ref_gru(x, h, wi, wh, b1, b2, n));
  }
  Tensor hu = gru_cell(select(x, 0, 2), select(h, 0, 2), wi, wh, bi, bh);
  EXPECT_EQ(hu.shape(), (Shape{5}));
  expect_close(hu.to_vector<double>(), ref_gru(x, h, wi, wh, bi, bh, 2));
}

// -- attention ------------------------------------------------------------------------

// softmax(q k^T * scale + bias) v over contiguous (B, L, E), (B, S, E), (B, S, Ev);
// bias (B, L, S) (-inf where masked), or empty.
D ref_attention(const Tensor& q, const Tensor& k, const Tensor& v, const D& bias, double scale) {
  const int64_t b = q.size(0), l = q.size(1), e = q.size(2), s = k.size(1), ev = v.size(2);
  const D qv = q.to_vector<double>(), kv = k.to_vector<double>(), vv = v.to_vector<double>();
  D out(b * l * ev, 0.0);
  for (int64_t bi = 0; bi < b; ++bi)
    for (int64_t i = 0; i < l; ++i) {
      D sc(s);
      double m = -INFINITY, z = 0;
      for (int64_t j = 0; j < s; ++j) {
        double dot = 0;
        for (int64_t d = 0; d < e; ++d) dot += qv[(bi * l + i) * e + d] * kv[(bi * s + j) * e + d];
        sc[j] = dot * scale + (bias.empty() ? 0 : bias[(bi * l + i) * s + j]);
        m = std::max(m, sc[j]);
      }
      for (int64_t j = 0; j < s; ++j) z += std::exp(sc[j] - m);
      for (int64_t j = 0; j < s; ++j)
        for (int64_t d = 0; d < ev; ++d)
          out[(bi * l + i) * ev + d] += std::exp(sc[j] - m) / z * vv[(bi * s + j) * ev + d];
    }
  return out;
}

struct Qkv {
  Tensor q, k, v;
};

Qkv qkv(int64_t b, int64_t l, int64_t s, int64_t e, int64_t ev) {
  return {randn({b, l, e}, DType::Float64), randn({b, s, e}, DType::Float64),
          randn({b, s, ev}, DType::Float64)};
}

TEST(Attention, MatchesTheNaiveLoops) {
  manual_seed(12);
  Qkv a = qkv(2, 3, 5, 4, 6);
  const double scale = 0.5;  // 1 / sqrt(E)
  expect_close(scaled_dot_product_attention(a.q, a.k, a.v).to_vector<double>(),
               ref_attention(a.q, a.k, a.v, {}, scale));
  expect_close(scaled_dot_product_attention(a.q, a.k, a.v, {.scale = 1.7}).to_vector<double>(),
               ref_attention(a.q, a.k, a.v, {}, 1.7));
  // A float mask of (L, S) is added to every batch's scores.
  Tensor fm = randn({3, 5}, DType::Float64);
  D fbias;
  for (int b = 0; b < 2; ++b)
    for (double x : fm.to_vector<double>()) fbias.push_back(x);
  expect_close(scaled_dot_product_attention(a.q, a.k, a.v, {.attn_mask = fm}).to_vector<double>(),
               ref_attention(a.q, a.k, a.v, fbias, scale));
  // A bool mask of (B, 1, S): true attends, false is -inf.
  Tensor bm = tensor({{{true, false, true, true, false}}, {{false, true, true, true, true}}});
  D bbias;
  const std::vector<bool> bv{true, false, true, true, false, false, true, true, true, true};
  for (int b = 0; b < 2; ++b)
    for (int i = 0; i < 3; ++i)
      for (int j = 0; j < 5; ++j) bbias.push_back(bv[b * 5 + j] ? 0.0 : -INFINITY);
  expect_close(scaled_dot_product_attention(a.q, a.k, a.v, {.attn_mask = bm}).to_vector<double>(),
               ref_attention(a.q, a.k, a.v, bbias, scale));
}

TEST(Attention, CausalIsTopLeftLowerTriangular) {
  manual_seed(13);
  Qkv a = qkv(1, 3, 5, 4, 2);  // L < S: query i sees keys 0..i
  D bias;
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 5; ++j) bias.push_back(j <= i ? 0.0 : -INFINITY);
  expect_close(scaled_dot_product_attention(a.q, a.k, a.v, {.is_causal = true}).to_vector<double>(),
               ref_attention(a.q, a.k, a.v, bias, 0.5));
}

TEST(Attention, BatchDimsBroadcast) {
  manual_seed(14);
  Tensor q = randn({2, 1, 3, 4}, DType::Float64), k = randn({3, 5, 4}, DType::Float64),
         v = randn({1, 5, 2}, DType::Float64);
  Tensor out = scaled_dot_product_attention(q, k, v);
  ASSERT_EQ(out.shape(), (Shape{2, 3, 3, 2}));
  Shape full{2, 3};
  auto dense = [&](const Tensor& t, int64_t s, int64_t e) {
    Shape sh = full;
    sh.push_back(s);
    sh.push_back(e);
    return reshape(contiguous(expand(t, sh)), {6, s, e});
  };
  expect_close(out.to_vector<double>(),
               ref_attention(dense(q, 3, 4), dense(k, 5, 4), dense(v, 5, 2), {}, 0.5));
}

TEST(Attention, AFullyMaskedQueryIsNaN) {
  Qkv a = qkv(1, 2, 2, 3, 2);
  Tensor m = tensor({{true, true}, {false, false}});
  D out = scaled_dot_product_attention(a.q, a.k, a.v, {.attn_mask = m}).to_vector<double>();
  EXPECT_TRUE(std::isfinite(out[0]) && std::isfinite(out[1]));
  EXPECT_TRUE(std::isnan(out[2]) && std::isnan(out[3]));
}

// With v the identity, the output is the attention weights themselves.
Tensor dropped_weights(const Qkv& a, double p, uint64_t seed) {
  manual_seed(seed);
  Tensor eye_v = expand(eye(a.k.size(1), std::nullopt, DType::Float64),
                        {a.k.size(0), a.k.size(1), a.k.size(1)});
  return scaled_dot_product_attention(a.q, a.k, eye_v, {.dropout_p = p});
}

TEST(Attention, DropoutZeroesWeightsAndRescalesTheRest) {
  manual_seed(15);
  Qkv a = qkv(4, 64, 64, 8, 1);
  const D w0 = dropped_weights(a, 0.0, 1).to_vector<double>();
  const D w = dropped_weights(a, 0.3, 1).to_vector<double>();
  int64_t zeros_seen = 0;
  for (size_t i = 0; i < w.size(); ++i) {
    if (w[i] == 0) {
      ++zeros_seen;
    } else {
      ASSERT_NEAR(w[i], w0[i] / 0.7, 1e-12) << i;
    }
  }
  // 16384 independent draws: the kept fraction's std is 0.0036.
  EXPECT_NEAR(static_cast<double>(zeros_seen) / static_cast<double>(w.size()), 0.3, 0.02);
  // Reproducible from the seed, whatever the thread count; another seed differs.
  auto [one, two] = testing::on_one_and_two_threads(
      [&] { return dropped_weights(a, 0.3, 1).to_vector<double>(); });
  EXPECT_EQ(one, w);
  EXPECT_EQ(two, w);
  EXPECT_NE(dropped_weights(a, 0.3, 2).to_vector<double>(), w);
  for (double x : dropped_weights(a, 1.0, 1).to_vector<double>()) ASSERT_EQ(x, 0.0);
}

TEST(Recurrent, SameResultsForOneAndTwoThreads) {
  manual_seed(16);
  Tensor x = randn({65, 33}), h = randn({65, 40}), c = randn({65, 40});
  Tensor wi = randn({160, 33}), wh = randn({160, 40}), b = randn({160});
  Tensor q = randn({3, 70, 16}), k = randn({3, 90, 16}), v = randn({3, 90, 8});
  auto run = [&] {
    auto [h1, c1] = lstm_cell(x, h, c, wi, wh, b, b);
    Tensor g = gru_cell(x, h, narrow(wi, 0, 0, 120), narrow(wh, 0, 0, 120));
    return std::vector<Tensor>{h1, c1, g, scaled_dot_product_attention(q, k, v)};
  };
  auto [one, two] = testing::on_one_and_two_threads(run);
  for (size_t i = 0; i < one.size(); ++i)
    EXPECT_EQ(one[i].to_vector<float>(), two[i].to_vector<float>()) << "output " << i;
}

// -- errors: the exact texts -----------------------------------------------------------

TEST(RecurrentErrors, Cells) {
  Tensor x = randn({2, 3}), h = randn({2, 4}), c = randn({2, 4});
  Tensor wi = randn({16, 3}), wh = randn({16, 4});
  expect_error<ShapeError>(
      [&] {
        lstm_cell(randn({2, 2, 3}), h, c, wi, wh);
      },
      "[lstm_cell] input must be (N, I) or unbatched (I); got "
      "input=(2, 2, 3)");
  expect_error<ShapeError>(
      [&] {
        lstm_cell(x, h, c, wi, randn({12, 4}));
      },
      "[lstm_cell] w_hh must be (4H, H); got w_hh=(12, 4)");
  expect_error<ShapeError>(
      [&] {
        lstm_cell(x, h, c, randn({16, 5}), wh);
      },
      "[lstm_cell] w_ih must be (4H, I) = (16, 3); got input=(2, 3), "
      "w_ih=(16, 5), w_hh=(16, 4)");
  expect_error<ShapeError>(
      [&] {
        lstm_cell(x, randn({3, 4}), c, wi, wh);
      },
      "[lstm_cell] h must be (2, 4) (input's batch, H); got input=(2, 3), "
      "h=(3, 4), w_hh=(16, 4)");
  expect_error<ShapeError>(
      [&] {
        lstm_cell(x, h, randn({2, 5}), wi, wh);
      },
      "[lstm_cell] c must have h's shape (2, 4); got h=(2, 4), c=(2, 5)");
  expect_error<ShapeError>([&] { lstm_cell(x, h, c, wi, wh, randn({12})); },
                           "[lstm_cell] b_ih must be (4H) = (16); got b_ih=(12)");
  expect_error<ShapeError>(
      [&] {
        gru_cell(x, h, randn({12, 3}), randn({12, 4}), {}, randn({16}));
      },
      "[gru_cell] b_hh must be (3H) = (12); got b_hh=(16)");
  expect_error<ShapeError>(
      [&] {
        gru_cell(x, randn({4}), randn({12, 3}), randn({12, 4}));
      },
      "[gru_cell] h must be (2, 4) (input's batch, H); got input=(2, 3), "
      "h=(4), w_hh=(12, 4)");
  expect_error<DTypeError>(
      [&] {
        gru_cell(ones({2, 3}, DType::Int64), h, wi, wh);
      },
      "[gru_cell] input must be floating; got int64");
  expect_error<ValueError>([&] { lstm_cell(x, h, Tensor(), wi, wh); },
                           "[lstm_cell] c must be defined");
}

TEST(RecurrentErrors, Attention) {
  Tensor q = randn({2, 3, 4}), k = randn({2, 5, 4}), v = randn({2, 5, 6});
  const std::string op = "[scaled_dot_product_attention] ";
  expect_error<ShapeError>([&] { scaled_dot_product_attention(randn({4}), k, v); },
                           op + "q, k and v must be (..., L, E), (..., S, E), (..., S, Ev); got "
                                "q=(4), k=(2, 5, 4), v=(2, 5, 6)");
  expect_error<ShapeError>(
      [&] {
        scaled_dot_product_attention(q, randn({2, 5, 3}), v);
      },
      op + "q and k must share E (dim -1), k and v S (dim -2); got "
           "q=(2, 3, 4), k=(2, 5, 3), v=(2, 5, 6)");
  expect_error<ShapeError>(
      [&] {
        scaled_dot_product_attention(q, k, randn({2, 4, 6}));
      },
      op + "q and k must share E (dim -1), k and v S (dim -2); got "
           "q=(2, 3, 4), k=(2, 5, 4), v=(2, 4, 6)");
  expect_error<ShapeError>(
      [&] {
        scaled_dot_product_attention(q, randn({3, 5, 4}), v);
      },
      op + "the batch dims of q, k and v must broadcast; got q=(2, 3, 4), "
           "k=(3, 5, 4), v=(2, 5, 6)");
  expect_error<DTypeError>(
      [&] { scaled_dot_product_attention(q, to(k, DType::Float64), v); },
      op + "q, k and v must share one floating dtype; got q=float32, k=float64, v=float32");
  expect_error<DTypeError>(
      [&] {
        scaled_dot_product_attention(q, k, v, {.attn_mask = ones({3, 5}, DType::Int64)});
      },
      op + "attn_mask must be bool or floating; got int64");
  expect_error<ShapeError>(
      [&] {
        scaled_dot_product_attention(q, k, v, {.attn_mask = ones({3, 4})});
      },
      op + "attn_mask must broadcast to the scores (..., L, S) = (2, 3, 5); "
           "got q=(2, 3, 4), k=(2, 5, 4), attn_mask=(3, 4)");
  expect_error<ValueError>([&] { scaled_dot_product_attention(q, k, v, {.dropout_p = 1.5}); },
                           op + "dropout_p must be in [0, 1]; got 1.5");
  expect_error<ValueError>(
      [&] {
        scaled_dot_product_attention(q, k, v, {.attn_mask = ones({3, 5}), .is_causal = true});
      },
      op + "attn_mask and is_causal cannot both be set; got attn_mask=(3, 5) with is_causal");
}

}  // namespace
}  // namespace braid
