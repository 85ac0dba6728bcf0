// TensorDataset, Subset, random_split, collate_stack.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "braid/braid.hpp"
#include "core/test_util.hpp"
#include "data/data_test_util.hpp"

namespace braid::data {
namespace {

using testing::expect_same;

std::shared_ptr<TensorDataset> counting(int64_t n) {
  // Row i of x is (i, 10 i, 100 i); y[i] = i.
  Tensor i = arange(n).to(DType::Float32).unsqueeze(1);
  return std::make_shared<TensorDataset>(cat({i, i * 10, i * 100}, 1), arange(n));
}

TEST(TensorDataset, RowsAndErrors) {
  auto ds = counting(5);
  EXPECT_EQ(ds->size(), 5);
  Example e = ds->get(3);
  EXPECT_EQ(e.data.to_vector<float>(), (std::vector<float>{3, 30, 300}));
  EXPECT_EQ(e.target.item<int64_t>(), 3);
  BRAID_EXPECT_THROW_MSG(ds->get(5), IndexError,
                         "[TensorDataset] index 5 is out of range for a dataset of size 5");
  BRAID_EXPECT_THROW_MSG((void)TensorDataset(zeros({4, 2}), zeros({3})), ShapeError,
                         "[TensorDataset] x and y must have the same first dim (one row per "
                         "example); got x (4, 2), y (3)");
  BRAID_EXPECT_THROW_MSG((void)TensorDataset(scalar_tensor(1.0)), ShapeError,
                         "[TensorDataset] x must have a first (example) dim; got shape ()");
  TensorDataset unlabelled(zeros({2, 2}));
  EXPECT_FALSE(unlabelled.get(1).target.defined());
  EXPECT_FALSE(unlabelled.get_batch(std::vector<int64_t>{1, 0}, {}).target.defined());
}

TEST(TensorDataset, BatchGatherEqualsStackOfGets) {
  auto ds = counting(7);
  std::vector<int64_t> idx = {6, 0, 3, 3};
  Example fast = ds->get_batch(idx, {});
  std::vector<Example> ex;
  for (int64_t i : idx) ex.push_back(ds->get(i));
  Example slow = collate_stack(ex);
  expect_same(fast.data, slow.data);
  expect_same(fast.target, slow.target);
  // The generic path (Dataset::get_batch) through a wrapper that hides the type.
  struct Plain : Dataset {
    std::shared_ptr<TensorDataset> d;
    int64_t size() const override { return d->size(); }
    Example get(int64_t i) const override { return d->get(i); }
  } plain;
  plain.d = ds;
  expect_same(plain.get_batch(idx, {}).data, fast.data);
  BRAID_EXPECT_THROW_MSG(plain.get_batch(std::vector<int64_t>{9}, {}), IndexError,
                         "[get_batch] index 9 is out of range for a dataset of size 7");
  BRAID_EXPECT_THROW_MSG(ds->get_batch(std::vector<int64_t>{-1}, {}), IndexError,
                         "[TensorDataset] index -1 is out of range for a dataset of size 7");
}

TEST(CollateStack, Errors) {
  Example a{zeros({2}), zeros({})}, b{zeros({3}), zeros({})}, c{zeros({2}), {}};
  BRAID_EXPECT_THROW_MSG(collate_stack({a, b}), ShapeError,
                         "[collate_stack] every example must have the same data shape; example 0 "
                         "has (2), example 1 has (3)");
  BRAID_EXPECT_THROW_MSG(collate_stack({a, c}), ValueError,
                         "[collate_stack] example 0 has a target but example 1 has none");
  BRAID_EXPECT_THROW_MSG(collate_stack({}), ValueError, "[collate_stack] no examples to stack");
}

TEST(Subset, MapsIndices) {
  auto ds = counting(10);
  Subset s(ds, {9, 2, 4});
  EXPECT_EQ(s.size(), 3);
  EXPECT_EQ(s.get(1).target.item<int64_t>(), 2);
  EXPECT_EQ(s.get_batch(std::vector<int64_t>{2, 0}, {}).target.to_vector<int64_t>(),
            (std::vector<int64_t>{4, 9}));
  BRAID_EXPECT_THROW_MSG((void)Subset(ds, {1, 10}), IndexError,
                         "[Subset] indices[1] = 10 is out of range for a base dataset of size 10");
  BRAID_EXPECT_THROW_MSG(s.get(3), IndexError,
                         "[Subset] index 3 is out of range for a dataset of size 3");
}

TEST(RandomSplit, DeterministicDisjointAndComplete) {
  auto ds = counting(100);
  auto a = random_split(ds, {70, 30}, 7);
  auto b = random_split(ds, {70, 30}, 7);
  auto c = random_split(ds, {70, 30}, 8);
  ASSERT_EQ(a.size(), 2u);
  EXPECT_EQ(a[0]->size(), 70);
  EXPECT_EQ(a[1]->size(), 30);
  EXPECT_EQ(a[0]->indices(), b[0]->indices());
  EXPECT_EQ(a[1]->indices(), b[1]->indices());
  EXPECT_NE(a[0]->indices(), c[0]->indices());
  std::set<int64_t> all(a[0]->indices().begin(), a[0]->indices().end());
  all.insert(a[1]->indices().begin(), a[1]->indices().end());
  EXPECT_EQ(all.size(), 100u);
  // Shuffled, not the first 70.
  EXPECT_FALSE(std::is_sorted(a[0]->indices().begin(), a[0]->indices().end()));
  // A vector of sizes works too.
  std::vector<int64_t> sizes = {70, 30};
  EXPECT_EQ(random_split(ds, sizes, 7)[1]->indices(), a[1]->indices());
}

TEST(RandomSplit, FractionsAndErrors) {
  auto ds = counting(10);
  auto parts = random_split(ds, {0.33, 0.33, 0.34}, 1);
  // floor gives 3, 3, 3; the one left over goes to the first.
  EXPECT_EQ(parts[0]->size(), 4);
  EXPECT_EQ(parts[1]->size(), 3);
  EXPECT_EQ(parts[2]->size(), 3);
  BRAID_EXPECT_THROW_MSG(random_split(ds, {6, 5}), ValueError,
                         "[random_split] lengths must sum to the dataset size 10; got [6, 5] (sum "
                         "11)");
  BRAID_EXPECT_THROW_MSG(random_split(ds, {0.5, 0.2}), ValueError,
                         "[random_split] lengths must be whole sizes summing to 10 or fractions "
                         "summing to 1; got [0.5, 0.2]");
  BRAID_EXPECT_THROW_MSG(random_split(ds, {12, -2}), ValueError,
                         "[random_split] lengths must be finite and >= 0; got [12, -2]");
}

}  // namespace
}  // namespace braid::data
