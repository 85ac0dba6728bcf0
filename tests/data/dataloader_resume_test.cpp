// DataLoader::set_position: a pass resumed at batch k of epoch e gives the
// batches an uninterrupted run gives from there, for any worker count, and
// never makes the skipped ones.
#include <gtest/gtest.h>

#include <atomic>

#include "braid/braid.hpp"
#include "core/test_util.hpp"

namespace braid::data {
namespace {

// Counts the examples it makes, and scales each by a random factor drawn
// from (seed, epoch, index) (Note [example randomness]).
class Counting : public Dataset {
 public:
  explicit Counting(int64_t n) : n_(n) {}
  int64_t size() const override { return n_; }
  Example get(int64_t i) const override { return draw(i, {}); }
  Example draw(int64_t i, const DrawContext& ctx) const override {
    ++made;
    DataRng rng(ctx.seed, {uint64_t(ctx.epoch), uint64_t(i)});
    return {full({1}, double(i) * (1 + rng.uniform())), full({}, i, DType::Int64)};
  }
  mutable std::atomic<int64_t> made{0};

 private:
  int64_t n_;
};

std::vector<std::vector<float>> pass(DataLoader& loader) {
  std::vector<std::vector<float>> out;
  for (const Example& b : loader) out.push_back(b.data.to_vector<float>());
  return out;
}

TEST(DataLoaderResume, SetPositionResumesWithTheSameBatches) {
  auto ds = std::make_shared<Counting>(23);
  const DataLoaderOptions opt{.batch_size = 4, .shuffle = true, .seed = 9};
  DataLoader full(ds, opt);
  std::vector<std::vector<std::vector<float>>> epochs;
  for (int e = 0; e < 3; ++e) epochs.push_back(pass(full));
  ASSERT_NE(epochs[1], epochs[2]);
  for (int workers : {0, 1, 3}) {
    for (int64_t start : {int64_t{0}, int64_t{1}, int64_t{5}, int64_t{6}}) {
      SCOPED_TRACE(::testing::Message() << workers << " workers, from batch " << start);
      DataLoaderOptions o = opt;
      o.num_workers = workers;
      DataLoader resumed(ds, o);
      resumed.set_position(1, start);
      EXPECT_EQ(resumed.epoch(), 1);
      EXPECT_EQ(resumed.start_batch(), start);
      ds->made = 0;
      const auto got = pass(resumed);
      EXPECT_EQ(ds->made, 23 - std::min<int64_t>(23, start * 4)) << "skipped batches are not made";
      EXPECT_EQ(got, std::vector<std::vector<float>>(epochs[1].begin() + start, epochs[1].end()));
      EXPECT_EQ(resumed.start_batch(), 0) << "later passes start at batch 0";
      EXPECT_EQ(pass(resumed), epochs[2]);
    }
  }
  DataLoader l(ds, opt);
  l.set_position(2, 3);
  l.set_epoch(0);
  EXPECT_EQ(l.start_batch(), 0) << "set_epoch starts the pass at its beginning";
  BRAID_EXPECT_THROW_HAS(l.set_position(0, 7), ValueError,
                         "[DataLoader] set_position(0, 7): need epoch >= 0 and 0 <= batch <= 6");
  BRAID_EXPECT_THROW_HAS(l.set_position(-1, 0), ValueError, "set_position(-1, 0)");
}

}  // namespace
}  // namespace braid::data
