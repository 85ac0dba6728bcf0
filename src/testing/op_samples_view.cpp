// Gradcheck samples for the view ops and the composites built on them
// (src/ops/view.cpp). Views are linear, so any values do; the samples vary
// the geometry: negative dims, steps, size-1 dims, non-contiguous inputs.
#include "braid/braid.hpp"
#include "braid/testing/op_samples.hpp"

namespace braid::testing {

namespace {
using Samples = std::vector<OpSample>;
using Ints = std::vector<int64_t>;

Attrs slice_attrs(int64_t dim, int64_t start, int64_t end, int64_t step) {
  return {{"dim", dim}, {"start", start}, {"end", end}, {"step", step}};
}

void add_reshaping(SampleTable& t) {
  t["view"] = [] {
    return Samples{
        {"merge", {sample_randn({2, 3, 4}, 101)}, {{"shape", Ints{6, 4}}}},
        {"flat_minus_one", {sample_randn({2, 3, 4}, 102)}, {{"shape", Ints{-1}}}},
        {"split", {sample_randn({4, 6}, 103)}, {{"shape", Ints{2, 2, 6}}}},
        {"0dim_to_1", {sample_randn({}, 104)}, {{"shape", Ints{1, 1}}}},
        // A transposed (3, 4): its dim of 4 may still be split.
        {"noncontiguous_split", {sample_noncontiguous({3, 4}, 105)}, {{"shape", Ints{3, 2, 2}}}}};
  };
  t["reshape"] = [] {
    return Samples{
        {"view_path", {sample_randn({2, 3, 4}, 111)}, {{"shape", Ints{4, -1}}}},
        {"copy_path_noncontiguous", {sample_noncontiguous({3, 4}, 112)}, {{"shape", Ints{12}}}},
        {"to_0dim", {sample_randn({1}, 113)}, {{"shape", Ints{}}}}};
  };
  t["flatten"] = [] {
    return Samples{
        {"all",
         {sample_randn({2, 3, 4}, 121)},
         {{"start_dim", int64_t{0}}, {"end_dim", int64_t{-1}}}},
        {"inner",
         {sample_randn({2, 3, 4}, 122)},
         {{"start_dim", int64_t{1}}, {"end_dim", int64_t{2}}}},
        {"noncontiguous",
         {sample_noncontiguous({2, 3, 4}, 123)},
         {{"start_dim", int64_t{0}}, {"end_dim", int64_t{1}}}},
        {"0dim", {sample_randn({}, 124)}, {{"start_dim", int64_t{0}}, {"end_dim", int64_t{-1}}}}};
  };
  t["squeeze"] = [] {
    return Samples{{"all", {sample_randn({1, 3, 1, 2}, 131)}, {{"dims", Ints{}}}},
                   {"one_dim", {sample_randn({1, 3, 1, 2}, 132)}, {{"dims", Ints{-2}}}},
                   {"non_1_dim_kept", {sample_randn({1, 3}, 133)}, {{"dims", Ints{1}}}},
                   {"noncontiguous", {sample_noncontiguous({3, 1, 2}, 134)}, {{"dims", Ints{1}}}}};
  };
  t["unsqueeze"] = [] {
    return Samples{{"front", {sample_randn({2, 3}, 141)}, {{"dim", int64_t{0}}}},
                   {"back_negative", {sample_randn({2, 3}, 142)}, {{"dim", int64_t{-1}}}},
                   {"0dim", {sample_randn({}, 143)}, {{"dim", int64_t{0}}}},
                   {"noncontiguous", {sample_noncontiguous({3, 4}, 144)}, {{"dim", int64_t{1}}}}};
  };
}

void add_reordering(SampleTable& t) {
  t["permute"] = [] {
    return Samples{{"3d", {sample_randn({2, 3, 4}, 151)}, {{"dims", Ints{2, 0, 1}}}},
                   {"negative_dims", {sample_randn({2, 3, 4}, 152)}, {{"dims", Ints{-1, 0, 1}}}},
                   {"noncontiguous", {sample_noncontiguous({3, 4}, 153)}, {{"dims", Ints{1, 0}}}}};
  };
  t["transpose"] = [] {
    return Samples{
        {"2d", {sample_randn({2, 3}, 161)}, {{"dim0", int64_t{0}}, {"dim1", int64_t{1}}}},
        {"3d_negative",
         {sample_randn({2, 3, 4}, 162)},
         {{"dim0", int64_t{-1}}, {"dim1", int64_t{-3}}}},
        {"noncontiguous",
         {sample_noncontiguous({3, 4}, 163)},
         {{"dim0", int64_t{0}}, {"dim1", int64_t{1}}}}};
  };
  t["expand"] = [] {
    return Samples{
        {"new_leading_dims", {sample_randn({3, 1}, 171)}, {{"shape", Ints{2, 3, 4}}}},
        {"size_1_to_5", {sample_randn({1}, 172)}, {{"shape", Ints{5}}}},
        {"minus_one_keeps", {sample_randn({3, 1}, 173)}, {{"shape", Ints{-1, 4}}}},
        {"0dim", {sample_randn({}, 174)}, {{"shape", Ints{2, 2}}}},
        {"noncontiguous", {sample_noncontiguous({3, 1, 2}, 175)}, {{"shape", Ints{3, 4, 2}}}}};
  };
}

void add_slicing(SampleTable& t) {
  t["slice"] = [] {
    return Samples{{"step_2", {sample_randn({3, 5}, 181)}, slice_attrs(1, 1, 4, 2)},
                   {"negative_start", {sample_randn({5, 2}, 182)}, slice_attrs(0, -3, 5, 1)},
                   {"end_past_size", {sample_randn({4, 3}, 183)}, slice_attrs(-1, 1, 100, 1)},
                   {"noncontiguous", {sample_noncontiguous({4, 5}, 184)}, slice_attrs(0, 0, 4, 3)}};
  };
  t["narrow"] = [] {
    return Samples{{"dim0",
                    {sample_randn({4, 3}, 191)},
                    {{"dim", int64_t{0}}, {"start", int64_t{1}}, {"length", int64_t{2}}}},
                   {"negative_start",
                    {sample_randn({3, 5}, 192)},
                    {{"dim", int64_t{-1}}, {"start", int64_t{-3}}, {"length", int64_t{2}}}},
                   {"noncontiguous",
                    {sample_noncontiguous({4, 5}, 193)},
                    {{"dim", int64_t{1}}, {"start", int64_t{2}}, {"length", int64_t{3}}}}};
  };
  t["select"] = [] {
    return Samples{
        {"dim0", {sample_randn({3, 4}, 201)}, {{"dim", int64_t{0}}, {"index", int64_t{1}}}},
        {"last_negative",
         {sample_randn({2, 3, 4}, 202)},
         {{"dim", int64_t{-1}}, {"index", int64_t{-1}}}},
        {"to_0dim", {sample_randn({3}, 203)}, {{"dim", int64_t{0}}, {"index", int64_t{2}}}},
        {"noncontiguous",
         {sample_noncontiguous({3, 4}, 204)},
         {{"dim", int64_t{1}}, {"index", int64_t{0}}}}};
  };
  t["slice_scatter"] = [] {
    return Samples{
        {"step_2", {sample_randn({4, 5}, 211), sample_randn({4, 2}, 212)}, slice_attrs(1, 1, 5, 2)},
        {"rows", {sample_randn({5, 3}, 213), sample_randn({2, 3}, 214)}, slice_attrs(0, -2, 5, 1)},
        {"noncontiguous",
         {sample_noncontiguous({4, 3}, 215), sample_noncontiguous({2, 3}, 216)},
         slice_attrs(0, 0, 4, 2)}};
  };
}
}  // namespace

void add_view_samples(SampleTable& t) {
  add_reshaping(t);
  add_reordering(t);
  add_slicing(t);
}

}  // namespace braid::testing
