// Gradcheck samples for the reductions (src/ops/reduce.cpp,
// src/ops/reduce_composite.cpp). Each op: all dims, one and several dims
// (negative ones too), keepdim true and false, a non-contiguous input, and
// the values each formula is sensitive to: exact zeros for prod (its
// gradient is multilinear, so central differences are exact there) and a
// two-way tie for amax/amin (the even split is what central differences give).
#include "braid/braid.hpp"
#include "braid/testing/op_samples.hpp"

namespace braid::testing {

namespace {
using Samples = std::vector<OpSample>;
using Ints = std::vector<int64_t>;

Attrs red(Ints dims, bool keepdim) { return {{"dims", std::move(dims)}, {"keepdim", keepdim}}; }
Attrs one_dim(int64_t dim, bool keepdim) { return {{"dim", dim}, {"keepdim", keepdim}}; }

Tensor given(std::vector<double> values, const Shape& shape) {
  Tensor t = tensor(values, shape);
  t.requires_grad_();
  return t;
}

// Samples for an op taking dims + keepdim, from `seed` on.
Samples dims_samples(uint64_t seed) {
  return Samples{{"all", {sample_randn({3, 4}, seed)}, red({}, false)},
                 {"all_keepdim", {sample_randn({2, 3, 2}, seed + 1)}, red({}, true)},
                 {"dim1_keepdim", {sample_randn({2, 3, 4}, seed + 2)}, red({1}, true)},
                 {"multi_negative", {sample_randn({2, 3, 4}, seed + 3)}, red({-1, 0}, false)},
                 {"noncontiguous", {sample_noncontiguous({3, 4}, seed + 4)}, red({0}, false)},
                 {"0dim", {sample_randn({}, seed + 5)}, red({}, false)}};
}

void add_sums(SampleTable& t) {
  t["sum"] = [] {
    Samples s = dims_samples(2000);
    s.push_back({"dtype_attr",
                 {sample_randn({2, 3}, 2010)},
                 {{"dims", Ints{1}}, {"keepdim", false}, {"dtype", std::string("float64")}}});
    return s;
  };
  t["mean"] = [] { return dims_samples(2020); };
  t["prod"] = [] {
    Samples s;
    // |x| in [0.5, 1.5] with mixed signs keeps the products well scaled.
    Tensor signs = tensor(std::vector<double>{1.0, -1.0, 1.0, -1.0}, {4});
    Tensor a = (sample_uniform({2, 3, 4}, 0.5, 1.5, 2040, false) * signs).detach();
    s.push_back({"dim1_keepdim", {a.requires_grad_()}, red({1}, true)});
    s.push_back({"all", {sample_uniform({3, 4}, 0.5, 1.5, 2041)}, red({}, false)});
    s.push_back(
        {"multi_negative", {sample_uniform({2, 3, 2}, 0.5, 1.5, 2042)}, red({-1, 0}, false)});
    s.push_back({"noncontiguous",
                 {transpose(sample_uniform({4, 3}, 0.5, 1.5, 2043, false), 0, 1).requires_grad_()},
                 red({1}, false)});
    // Rows with no zero, one zero and two zeros (Note [prod backward]).
    s.push_back({"zeros",
                 {given({0.7, 1.2, -0.9, 0.0, 1.1, 0.8, 0.0, 1.3, 0.0}, {3, 3})},
                 red({1}, false)});
    s.push_back({"zeros_all", {given({0.7, 0.0, -1.2, 1.5}, {2, 2})}, red({}, true)});
    return s;
  };
}

void add_extremes(SampleTable& t) {
  for (const char* op : {"amax", "amin"}) {
    t[op] = [] {
      Samples s = dims_samples(2060);
      s.push_back(
          {"two_way_tie", {given({1.0, 3.0, 3.0, 2.0, 0.5, 2.0}, {2, 3})}, red({1}, false)});
      return s;
    };
  }
  for (const char* op : {"max", "min"}) {
    t[op] = [] {
      return Samples{{"dim1", {sample_randn({3, 4}, 2080)}, one_dim(1, false)},
                     {"dim0_keepdim", {sample_randn({3, 4}, 2081)}, one_dim(0, true)},
                     {"negative_3d", {sample_randn({2, 3, 4}, 2082)}, one_dim(-2, false)},
                     {"noncontiguous", {sample_noncontiguous({3, 4}, 2083)}, one_dim(1, true)},
                     {"0dim", {sample_randn({}, 2084)}, one_dim(0, false)}};
    };
  }
}

void add_statistics(SampleTable& t) {
  for (const char* op : {"var", "std"}) {
    t[op] = [] {
      auto vs = [](Ints dims, int64_t correction, bool keepdim) {
        return Attrs{{"dims", std::move(dims)}, {"correction", correction}, {"keepdim", keepdim}};
      };
      return Samples{{"all", {sample_randn({3, 4}, 2100)}, vs({}, 1, false)},
                     {"dim1_population_keepdim", {sample_randn({2, 3, 4}, 2101)}, vs({1}, 0, true)},
                     {"multi_negative", {sample_randn({2, 3, 4}, 2102)}, vs({-1, 0}, 1, false)},
                     {"correction2", {sample_randn({5, 2}, 2103)}, vs({0}, 2, false)},
                     {"noncontiguous", {sample_noncontiguous({3, 4}, 2104)}, vs({1}, 1, false)}};
    };
  }
  t["norm"] = [] {
    auto ns = [](double p, Ints dims, bool keepdim) {
      return Attrs{{"p", p}, {"dims", std::move(dims)}, {"keepdim", keepdim}};
    };
    // randn values sit far (> 1e-6) from abs's kink at 0 and have no ties.
    return Samples{{"p2_all", {sample_randn({3, 4}, 2120)}, ns(2, {}, false)},
                   {"p2_dim1_keepdim", {sample_randn({2, 3, 4}, 2121)}, ns(2, {1}, true)},
                   {"p1", {sample_randn({3, 4}, 2122)}, ns(1, {-1}, false)},
                   {"inf", {sample_randn({3, 4}, 2123)}, ns(INFINITY, {1}, false)},
                   {"neg_inf", {sample_randn({3, 4}, 2124)}, ns(-INFINITY, {0}, true)},
                   {"p3_noncontiguous", {sample_noncontiguous({3, 4}, 2125)}, ns(3, {0, 1}, false)},
                   {"p0.5", {sample_uniform({2, 3}, 0.5, 2.0, 2126)}, ns(0.5, {1}, false)}};
  };
  t["logsumexp"] = [] {
    Samples s = dims_samples(2140);
    s.push_back({"large",
                 {(sample_randn({2, 3}, 2146, false) * 3.0 + 100.0).detach().requires_grad_()},
                 red({1}, false)});
    return s;
  };
}

void add_softmax_cumsum(SampleTable& t) {
  for (const char* op : {"softmax", "log_softmax"}) {
    t[op] = [] {
      auto d = [](int64_t dim) { return Attrs{{"dim", dim}}; };
      return Samples{{"last", {sample_randn({3, 4}, 2160)}, d(-1)},
                     {"dim0", {sample_randn({3, 4}, 2161)}, d(0)},
                     {"middle_3d", {sample_randn({2, 3, 4}, 2162)}, d(1)},
                     {"noncontiguous", {sample_noncontiguous({3, 4}, 2163)}, d(1)},
                     {"large",
                      {(sample_randn({2, 3}, 2164, false) * 3.0 + 100.0).detach().requires_grad_()},
                      d(1)}};
    };
  }
  t["cumsum"] = [] {
    auto d = [](int64_t dim) { return Attrs{{"dim", dim}}; };
    return Samples{{"dim1", {sample_randn({3, 4}, 2180)}, d(1)},
                   {"dim0", {sample_randn({3, 4}, 2181)}, d(0)},
                   {"negative_3d", {sample_randn({2, 3, 4}, 2182)}, d(-2)},
                   {"noncontiguous", {sample_noncontiguous({3, 4}, 2183)}, d(0)},
                   {"0dim", {sample_randn({}, 2184)}, d(0)}};
  };
}
}  // namespace

void add_reduce_samples(SampleTable& t) {
  add_sums(t);
  add_extremes(t);
  add_statistics(t);
  add_softmax_cumsum(t);
}

}  // namespace braid::testing
