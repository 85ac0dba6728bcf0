// Gradcheck samples for the recurrent family (src/ops/recurrent.cpp): the
// cells batched and unbatched, with and without biases, with non-contiguous
// weights; attention with both mask kinds, causal, an explicit scale and
// broadcast batch dims. Every input but the masks is differentiated, and all
// three ops chain many ops, so they also run gradgradcheck. Attention with
// dropout draws a new mask per call, so it cannot be gradchecked: its
// statistics are tested in tests/ops/recurrent_test.cpp.
#include "braid/braid.hpp"
#include "braid/testing/op_samples.hpp"

namespace braid::testing {

namespace {
using Samples = std::vector<OpSample>;

// input, h, (c,) w_ih, w_hh, b_ih, b_hh for `gates` gates, input size 3,
// hidden size 2; batch 0 means unbatched.
std::vector<Tensor> cell_inputs(int64_t gates, int64_t batch, bool lstm, bool bias, uint64_t seed) {
  auto lead = [&](int64_t n) { return batch ? Shape{batch, n} : Shape{n}; };
  std::vector<Tensor> in{sample_randn(lead(3), seed), sample_randn(lead(2), seed + 1)};
  if (lstm) in.push_back(sample_randn(lead(2), seed + 2));
  in.push_back(sample_randn({gates * 2, 3}, seed + 3));
  in.push_back(sample_randn({gates * 2, 2}, seed + 4));
  in.push_back(bias ? sample_randn({gates * 2}, seed + 5) : Tensor());
  in.push_back(bias ? sample_randn({gates * 2}, seed + 6) : Tensor());
  return in;
}

Samples cell_samples(int64_t gates, bool lstm, uint64_t seed) {
  std::vector<Tensor> nc = cell_inputs(gates, 3, lstm, true, seed + 30);
  const size_t w = lstm ? 3 : 2;  // where w_ih sits
  nc[w] = sample_noncontiguous({gates * 2, 3}, seed + 40);
  nc[w + 1] = sample_noncontiguous({gates * 2, 2}, seed + 41);
  Samples s{{"batched", cell_inputs(gates, 3, lstm, true, seed), {}},
            {"unbatched", cell_inputs(gates, 0, lstm, true, seed + 10), {}},
            {"no_bias", cell_inputs(gates, 2, lstm, false, seed + 20), {}},
            {"noncontiguous_weights", nc, {}}};
  for (OpSample& x : s) x.gradgrad = true;
  return s;
}

Attrs attention(bool causal, std::optional<double> scale = std::nullopt) {
  Attrs a{{"dropout_p", 0.0}, {"is_causal", causal}};
  if (scale) a.set("scale", *scale);
  return a;
}

Samples attention_samples() {
  auto r = [](const Shape& s, uint64_t seed) { return sample_randn(s, seed); };
  // Every query keeps at least one key (a fully masked row is NaN, as PyTorch).
  Tensor bmask =
      tensor({{true, false, true, true}, {false, true, false, false}, {true, true, true, false}});
  Samples s{
      {"plain",
       {r({2, 3, 4}, 31100), r({2, 5, 4}, 31101), r({2, 5, 3}, 31102), Tensor()},
       attention(false)},
      {"bool_mask",
       {r({2, 3, 2}, 31103), r({2, 4, 2}, 31104), r({2, 4, 3}, 31105), bmask},
       attention(false)},
      {"float_mask_differentiated",
       {r({3, 2}, 31106), r({4, 2}, 31107), r({4, 2}, 31108), r({3, 4}, 31109)},
       attention(false)},
      {"causal_scale",
       {r({2, 4, 3}, 31110), r({2, 4, 3}, 31111), r({2, 4, 2}, 31112), Tensor()},
       attention(true, 0.7)},
      {"broadcast_batch",
       {r({2, 1, 3, 2}, 31113), r({3, 4, 2}, 31114), r({1, 4, 2}, 31115), Tensor()},
       attention(false)},
      {"noncontiguous",
       {sample_noncontiguous({3, 4}, 31116), r({5, 4}, 31117), sample_noncontiguous({5, 2}, 31118),
        Tensor()},
       attention(false)},
  };
  for (OpSample& x : s) x.gradgrad = true;
  return s;
}
}  // namespace

void add_recurrent_samples(SampleTable& t) {
  t["lstm_cell"] = [] { return cell_samples(4, true, 31000); };
  t["gru_cell"] = [] { return cell_samples(3, false, 31050); };
  t["scaled_dot_product_attention"] = attention_samples;
}

}  // namespace braid::testing
