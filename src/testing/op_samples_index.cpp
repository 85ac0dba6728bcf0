// Gradcheck samples for joining, indexing and sorting (src/ops/index.cpp,
// join.cpp, sort.cpp). These ops move values, so any values do, except:
// sort/topk need distinct values (a tie is a kink), and scatter needs distinct
// targets per line (a duplicate makes the overwritten source's numeric
// gradient 0 while PyTorch's formula, which braid follows, gives it one).
// Index inputs are int64 tensors that do not require grad.
#include "braid/braid.hpp"
#include "braid/testing/op_samples.hpp"

namespace braid::testing {

namespace {
using Samples = std::vector<OpSample>;
using Ints = std::vector<int64_t>;

Tensor idx(const Ints& v, const Shape& shape = {}) {
  return tensor(v, shape.empty() ? Shape{int64_t(v.size())} : shape);
}
Attrs dim_attr(int64_t d) { return {{"dim", d}}; }

void add_join(SampleTable& t) {
  t["cat"] = [] {
    return Samples{
        {"dim0",
         {sample_randn({2, 3}, 501), sample_randn({1, 3}, 502), sample_randn({3, 3}, 503)},
         dim_attr(0)},
        {"neg_dim_noncontiguous",
         {sample_noncontiguous({2, 3}, 504), sample_randn({2, 2}, 505)},
         dim_attr(-1)},
        {"promote_int", {sample_randn({2, 2}, 506), tensor({{1, 2}})}, dim_attr(0)},
        {"legacy_empty", {sample_randn({0}, 507), sample_randn({2, 3}, 508)}, dim_attr(1)},
        {"one", {sample_randn({2, 3, 2}, 509)}, dim_attr(2)}};
  };
  t["stack"] = [] {
    return Samples{{"dim1", {sample_randn({2, 3}, 511), sample_randn({2, 3}, 512)}, dim_attr(1)},
                   {"last_noncontiguous",
                    {sample_noncontiguous({3, 2}, 513), sample_randn({3, 2}, 514)},
                    dim_attr(-1)},
                   {"0dim",
                    {sample_randn({}, 515), sample_randn({}, 516), sample_randn({}, 517)},
                    dim_attr(0)}};
  };
  t["split"] = [] {
    return Samples{
        {"even", {sample_randn({6, 2}, 521)}, {{"split_size", int64_t{2}}, {"dim", int64_t{0}}}},
        {"uneven_neg_dim",
         {sample_randn({3, 7}, 522)},
         {{"split_size", int64_t{3}}, {"dim", int64_t{-1}}}},
        {"sizes", {sample_randn({2, 6}, 523)}, {{"sizes", Ints{1, 0, 5}}, {"dim", int64_t{1}}}},
        {"noncontiguous",
         {sample_noncontiguous({5, 3}, 524)},
         {{"split_size", int64_t{2}}, {"dim", int64_t{0}}}}};
  };
  t["chunk"] = [] {
    return Samples{
        {"even", {sample_randn({6, 2}, 531)}, {{"chunks", int64_t{3}}, {"dim", int64_t{0}}}},
        {"fewer", {sample_randn({2, 5}, 532)}, {{"chunks", int64_t{4}}, {"dim", int64_t{-1}}}},
        {"noncontiguous",
         {sample_noncontiguous({4, 3}, 533)},
         {{"chunks", int64_t{2}}, {"dim", int64_t{1}}}}};
  };
  t["repeat"] = [] {
    return Samples{
        {"2d", {sample_randn({2, 3}, 541)}, {{"repeats", Ints{2, 1}}}},
        {"more_dims", {sample_randn({2, 3}, 542)}, {{"repeats", Ints{2, 1, 3}}}},
        {"noncontiguous", {sample_noncontiguous({3, 2}, 543)}, {{"repeats", Ints{1, 2}}}},
        {"0dim", {sample_randn({}, 544)}, {{"repeats", Ints{3}}}}};
  };
  t["tile"] = [] {
    return Samples{{"fewer_reps", {sample_randn({2, 3, 2}, 551)}, {{"reps", Ints{2}}}},
                   {"more_reps", {sample_randn({3}, 552)}, {{"reps", Ints{2, 2}}}},
                   {"noncontiguous", {sample_noncontiguous({2, 3}, 553)}, {{"reps", Ints{2, 1}}}}};
  };
}

void add_rearrange(SampleTable& t) {
  t["roll"] = [] {
    return Samples{
        {"dim1", {sample_randn({3, 4}, 561)}, {{"shifts", Ints{1}}, {"dims", Ints{1}}}},
        {"two_dims", {sample_randn({3, 4}, 562)}, {{"shifts", Ints{-1, 5}}, {"dims", Ints{0, -1}}}},
        {"flat", {sample_randn({2, 3}, 563)}, {{"shifts", Ints{2}}, {"dims", Ints{}}}},
        {"noncontiguous",
         {sample_noncontiguous({4, 3}, 564)},
         {{"shifts", Ints{2}}, {"dims", Ints{0}}}}};
  };
  t["flip"] = [] {
    return Samples{{"dim0", {sample_randn({3, 4}, 571)}, {{"dims", Ints{0}}}},
                   {"3d_two_dims", {sample_randn({2, 3, 4}, 572)}, {{"dims", Ints{-1, 0}}}},
                   {"noncontiguous", {sample_noncontiguous({3, 4}, 573)}, {{"dims", Ints{1}}}}};
  };
  for (const char* name : {"tril", "triu"}) {
    t[name] = [] {
      return Samples{
          {"square", {sample_randn({4, 4}, 581)}, {{"diagonal", int64_t{0}}}},
          {"wide_positive", {sample_randn({3, 5}, 582)}, {{"diagonal", int64_t{1}}}},
          {"batched_negative", {sample_randn({2, 4, 3}, 583)}, {{"diagonal", int64_t{-1}}}},
          {"noncontiguous", {sample_noncontiguous({3, 4}, 584)}, {{"diagonal", int64_t{0}}}}};
    };
  }
}

void add_index(SampleTable& t) {
  t["index_select"] = [] {
    return Samples{
        {"dim0_repeats", {sample_randn({4, 3}, 601), idx({3, 0, 0, 2})}, dim_attr(0)},
        {"neg_dim_noncontiguous", {sample_noncontiguous({3, 4}, 602), idx({1, 3})}, dim_attr(-1)},
        {"0d_index", {sample_randn({3, 2}, 603), scalar_tensor(1, DType::Int64)}, dim_attr(1)},
        {"int32_index",
         {sample_randn({5}, 604), tensor(std::vector<int32_t>{4, 1, 1})},
         dim_attr(0)}};
  };
  t["index_add"] = [] {
    return Samples{
        {"dim0_repeats",
         {sample_randn({4, 3}, 611), idx({3, 0, 3}), sample_randn({3, 3}, 612)},
         dim_attr(0)},
        {"dim1", {sample_randn({2, 5}, 613), idx({4, 1}), sample_randn({2, 2}, 614)}, dim_attr(-1)},
        {"noncontiguous",
         {sample_noncontiguous({3, 4}, 615), idx({2, 2}), sample_noncontiguous({2, 4}, 616)},
         dim_attr(0)}};
  };
  t["gather"] = [] {
    return Samples{
        {"dim1_wider",
         {sample_randn({3, 4}, 621), idx({0, 3, 3, 1, 2, 0, 1, 1, 2, 3, 0, 0}, {2, 6})},
         dim_attr(1)},
        {"dim0_smaller", {sample_randn({4, 3}, 622), idx({3, 0, 1, 1}, {2, 2})}, dim_attr(0)},
        {"noncontiguous",
         {sample_noncontiguous({3, 4}, 623), idx({2, 0, 0, 1, 1, 2}, {3, 2})},
         dim_attr(-1)}};
  };
  // scatter: distinct targets within each line along dim (see the top note).
  t["scatter"] = [] {
    return Samples{
        {"dim1",
         {sample_randn({3, 5}, 631), idx({4, 0, 2, 1, 3, 0}, {3, 2}), sample_randn({3, 3}, 632)},
         dim_attr(1)},
        {"dim0",
         {sample_randn({4, 2}, 633), idx({3, 0, 1, 3}, {2, 2}), sample_randn({2, 2}, 634)},
         dim_attr(0)},
        {"noncontiguous",
         {sample_noncontiguous({3, 4}, 635), idx({2, 0}, {1, 2}),
          sample_noncontiguous({2, 3}, 636)},
         dim_attr(-2)}};
  };
  t["scatter_add"] = [] {
    return Samples{
        {"dim1_repeats",
         {sample_randn({3, 4}, 641), idx({1, 1, 3, 0, 0, 0}, {3, 2}), sample_randn({3, 3}, 642)},
         dim_attr(1)},
        {"dim0",
         {sample_randn({3, 2}, 643), idx({2, 0, 2, 2}, {2, 2}), sample_randn({2, 2}, 644)},
         dim_attr(0)},
        {"noncontiguous",
         {sample_noncontiguous({3, 4}, 645), idx({2, 2, 1}, {1, 3}),
          sample_noncontiguous({2, 4}, 646)},
         dim_attr(0)}};
  };
  t["take_along_dim"] = [] {
    return Samples{
        {"dim1", {sample_randn({3, 4}, 651), idx({3, 0, 1, 1, 2, 2}, {3, 2})}, dim_attr(1)},
        {"broadcast", {sample_randn({3, 1}, 652), idx({0, 0, 0, 0}, {1, 4})}, dim_attr(0)},
        {"flat", {sample_randn({3, 4}, 653), idx({11, 0, 5, 5})}, {}},
        {"noncontiguous",
         {sample_noncontiguous({3, 4}, 654), idx({1, 0, 2, 0, 1, 2, 2, 2}, {2, 4})},
         dim_attr(0)}};
  };
}

void add_sort(SampleTable& t) {
  // randn values are distinct (almost surely), so no sample sits on a tie.
  t["sort"] = [] {
    return Samples{
        {"last", {sample_randn({3, 5}, 661)}, {{"dim", int64_t{-1}}, {"descending", false}}},
        {"dim0_descending",
         {sample_randn({4, 3}, 662)},
         {{"dim", int64_t{0}}, {"descending", true}}},
        {"noncontiguous",
         {sample_noncontiguous({3, 4}, 663)},
         {{"dim", int64_t{1}}, {"descending", false}}},
        {"0dim", {sample_randn({}, 664)}, {{"dim", int64_t{0}}, {"descending", false}}}};
  };
  t["topk"] = [] {
    auto a = [](int64_t k, int64_t dim, bool largest) {
      return Attrs{{"k", k}, {"dim", dim}, {"largest", largest}, {"sorted", true}};
    };
    return Samples{{"largest", {sample_randn({3, 5}, 671)}, a(2, -1, true)},
                   {"smallest_dim0", {sample_randn({4, 3}, 672)}, a(3, 0, false)},
                   {"noncontiguous", {sample_noncontiguous({3, 4}, 673)}, a(1, 1, true)},
                   {"k_all", {sample_randn({5}, 674)}, a(5, 0, false)}};
  };
}
}  // namespace

void add_index_samples(SampleTable& t) {
  add_join(t);
  add_rearrange(t);
  add_index(t);
  add_sort(t);
}

}  // namespace braid::testing
