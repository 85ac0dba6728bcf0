// DataLoader: sizes, drop_last, shuffle coverage, determinism across worker
// counts and epochs, custom collate, errors from workers, early exit.
#include <gtest/gtest.h>

#include <set>

#include "braid/braid.hpp"
#include "core/test_util.hpp"
#include "data/data_test_util.hpp"

namespace braid::data {
namespace {

using testing::expect_same;

std::shared_ptr<TensorDataset> counting(int64_t n) {
  return std::make_shared<TensorDataset>(arange(n).to(DType::Float32).unsqueeze(1) * 2, arange(n));
}

// Every batch of one pass: the targets (which are the dataset indices) and the data.
std::vector<std::vector<int64_t>> targets(DataLoader& loader) {
  std::vector<std::vector<int64_t>> out;
  for (const Example& b : loader) out.push_back(b.target.to_vector<int64_t>());
  return out;
}

TEST(DataLoader, SequentialBatchesAndDropLast) {
  auto ds = counting(10);
  DataLoader loader(ds, {.batch_size = 4});
  EXPECT_EQ(loader.size(), 3);
  auto t = targets(loader);
  EXPECT_EQ(t, (std::vector<std::vector<int64_t>>{{0, 1, 2, 3}, {4, 5, 6, 7}, {8, 9}}));
  DataLoader dropping(ds, {.batch_size = 4, .drop_last = true});
  EXPECT_EQ(dropping.size(), 2);
  EXPECT_EQ(targets(dropping).size(), 2u);
  int n = 0;
  for (const auto& [x, y] : loader) {
    EXPECT_EQ(x.size(1), 1);
    EXPECT_EQ(x.dtype(), DType::Float32);
    EXPECT_EQ(x.to_vector<float>()[0], 2.f * float(y.to_vector<int64_t>()[0]));
    ++n;
  }
  EXPECT_EQ(n, 3);
  DataLoader empty_pass(counting(3), {.batch_size = 4, .drop_last = true});
  EXPECT_EQ(empty_pass.size(), 0);
  EXPECT_TRUE(targets(empty_pass).empty());
}

TEST(DataLoader, ShuffleCoversEveryIndexOncePerEpoch) {
  DataLoader loader(counting(50), {.batch_size = 8, .shuffle = true, .seed = 3});
  std::vector<int64_t> first;
  for (int epoch = 0; epoch < 3; ++epoch) {
    std::vector<int64_t> seen;
    for (const auto& b : targets(loader)) seen.insert(seen.end(), b.begin(), b.end());
    std::set<int64_t> unique(seen.begin(), seen.end());
    EXPECT_EQ(seen.size(), 50u);
    EXPECT_EQ(unique.size(), 50u);
    EXPECT_FALSE(std::is_sorted(seen.begin(), seen.end()));
    if (epoch == 0)
      first = seen;
    else
      EXPECT_NE(seen, first) << "epoch " << epoch << " repeats epoch 0's order";
  }
  EXPECT_EQ(loader.epoch(), 3);
  // set_epoch replays an epoch.
  loader.set_epoch(0);
  std::vector<int64_t> again;
  for (const auto& b : targets(loader)) again.insert(again.end(), b.begin(), b.end());
  EXPECT_EQ(again, first);
}

// A random transform, so the data depends on (seed, epoch, index) as well as the order.
std::shared_ptr<MappedDataset> noisy(int64_t n) {
  return std::make_shared<MappedDataset>(
      counting(n), Transform([](const Tensor& x, DataRng& r) { return x + r.uniform(); }));
}

TEST(DataLoader, SameBatchesForAnyWorkerCount) {
  for (bool fast : {true, false}) {
    SCOPED_TRACE(fast ? "TensorDataset fast path" : "mapped dataset");
    std::shared_ptr<const Dataset> ds =
        fast ? std::shared_ptr<const Dataset>(counting(37)) : noisy(37);
    std::vector<std::vector<Example>> runs;
    for (int workers : {0, 1, 2, 3}) {
      DataLoader loader(ds, {.batch_size = 5,
                             .shuffle = true,
                             .seed = 11,
                             .num_workers = workers,
                             .prefetch_factor = 1});
      std::vector<Example> all;
      for (int epoch = 0; epoch < 2; ++epoch)
        for (const Example& b : loader) all.push_back(b);
      runs.push_back(all);
    }
    for (size_t r = 1; r < runs.size(); ++r) {
      ASSERT_EQ(runs[r].size(), runs[0].size());
      for (size_t b = 0; b < runs[0].size(); ++b) {
        expect_same(runs[r][b].data, runs[0][b].data);
        expect_same(runs[r][b].target, runs[0][b].target);
      }
    }
  }
}

TEST(DataLoader, RandomTransformsChangePerEpochAndSeed) {
  auto ds = noisy(6);
  auto pass = [&](uint64_t seed, int64_t epoch) {
    DataLoader loader(ds, {.batch_size = 6, .seed = seed});
    loader.set_epoch(epoch);
    return (*loader.begin()).data.to_vector<float>();
  };
  EXPECT_EQ(pass(1, 0), pass(1, 0));
  EXPECT_NE(pass(1, 0), pass(1, 1));
  EXPECT_NE(pass(1, 0), pass(2, 0));
  // A Subset keys the randomness on the base dataset's index.
  Subset sub(ds, {4});
  expect_same(sub.draw(0, {1, 0}).data, ds->draw(4, {1, 0}).data);
}

TEST(DataLoader, OverARandomSplit) {
  auto parts = random_split(counting(20), {15, 5}, 4);
  DataLoader loader(parts[1], {.batch_size = 2, .num_workers = 1});
  std::vector<int64_t> seen;
  for (const Example& b : loader) {
    auto t = b.target.to_vector<int64_t>();
    auto x = b.data.to_vector<float>();
    for (size_t k = 0; k < t.size(); ++k) EXPECT_EQ(x[k], 2.f * float(t[k]));
    seen.insert(seen.end(), t.begin(), t.end());
  }
  EXPECT_EQ(seen, parts[1]->indices());
}

TEST(DataLoader, CustomCollate) {
  DataLoader loader(counting(5), {.batch_size = 2, .collate = [](const std::vector<Example>& ex) {
                                    std::vector<Tensor> ys;
                                    for (const Example& e : ex) ys.push_back(e.target);
                                    return Example{stack(ys).sum(), {}};
                                  }});
  std::vector<int64_t> sums;
  for (const Example& b : loader) sums.push_back(b.data.item<int64_t>());
  EXPECT_EQ(sums, (std::vector<int64_t>{1, 5, 4}));
}

struct Failing : Dataset {
  int64_t size() const override { return 20; }
  Example get(int64_t i) const override {
    BRAID_CHECK(i != 13, ValueError, "Failing", "example {} is broken", i);
    return {scalar_tensor(double(i)), {}};
  }
};

TEST(DataLoader, WorkerErrorsSurfaceAtTheirBatch) {
  for (int workers : {0, 2}) {
    DataLoader loader(std::make_shared<Failing>(), {.batch_size = 4, .num_workers = workers});
    int seen = 0;
    BRAID_EXPECT_THROW_MSG(
        for (const Example& b
             : loader) {
          (void)b;
          ++seen;
        },
        ValueError, "[Failing] example 13 is broken");
    EXPECT_EQ(seen, 3) << workers << " workers";
  }
}

TEST(DataLoader, BreakingOutStopsTheWorkers) {
  DataLoader loader(counting(1000), {.batch_size = 1, .num_workers = 2, .prefetch_factor = 4});
  for (int k = 0; k < 3; ++k) {
    int n = 0;
    for (const Example& b : loader) {
      (void)b;
      if (++n == 2) break;
    }
    EXPECT_EQ(n, 2);
  }
}

TEST(DataLoader, OptionErrors) {
  auto ds = counting(3);
  BRAID_EXPECT_THROW_MSG((void)DataLoader(ds, {.batch_size = 0}), ValueError,
                         "[DataLoader] batch_size must be >= 1; got 0");
  BRAID_EXPECT_THROW_MSG((void)DataLoader(ds, {.num_workers = -1}), ValueError,
                         "[DataLoader] num_workers must be >= 0; got -1");
  BRAID_EXPECT_THROW_MSG((void)DataLoader(nullptr), ValueError, "[DataLoader] the dataset is null");
}

}  // namespace
}  // namespace braid::data
