// Transforms: values, determinism for (seed, epoch, index), composition, errors.
#include <gtest/gtest.h>

#include <set>

#include "braid/braid.hpp"
#include "core/test_util.hpp"
#include "data/data_test_util.hpp"

namespace braid::data {
namespace {

using testing::expect_same;

void expect_near(const Tensor& t, const std::vector<float>& want) {
  std::vector<float> got = t.to_vector<float>();
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], 1e-6) << "element " << i;
}

TEST(Transforms, ToFloatScaleNormalize) {
  Tensor img = tensor({{{0, 255}, {51, 102}}}, DType::UInt8);  // (1, 2, 2)
  Tensor f = to_float()(img);
  EXPECT_EQ(f.dtype(), DType::Float32);
  EXPECT_EQ(f.to_vector<float>(), (std::vector<float>{0, 255, 51, 102}));
  Tensor s = compose({to_float(), scale(1.0 / 255)})(img);
  expect_near(s, {0.f, 1.f, 0.2f, 0.4f});
  EXPECT_EQ(scale(2)(img).dtype(), DType::Float32);
  Tensor n = normalize({0.5}, {0.25})(s);
  expect_near(n, {-2.f, 2.f, -1.2f, -0.4f});
  // Per channel along dim 0.
  Tensor two = tensor({{{1.f, 2.f}}, {{10.f, 20.f}}});  // (2, 1, 2)
  EXPECT_EQ(normalize({1, 10}, {1, 10})(two).to_vector<float>(), (std::vector<float>{0, 1, 0, 1}));
  BRAID_EXPECT_THROW_MSG(normalize({1, 10, 5}, {1, 1, 1})(two), ShapeError,
                         "[normalize] 3 means and stds need x of shape (C=3, ...); got (2, 1, 2)");
  BRAID_EXPECT_THROW_MSG(normalize({0.5}, {0.5})(img), DTypeError,
                         "[normalize] x must be floating (apply to_float first); got uint8");
  BRAID_EXPECT_THROW_MSG(normalize({0.5}, {0}), ValueError, "[normalize] std must be > 0; got [0]");
  BRAID_EXPECT_THROW_MSG(normalize({0.5, 1}, {1}), ShapeError,
                         "[normalize] mean and std need the same number of channels (>= 1); got 2 "
                         "and 1");
}

// (3, 4) image with value 10 * row + col + 1, so every crop is recognisable.
Tensor grid() { return (arange(3).unsqueeze(1) * 10 + arange(4) + 1).to(DType::UInt8); }

TEST(Transforms, RandomCropPicksAWindowOfThePaddedImage) {
  Tensor img = grid();
  expect_same(random_crop({3, 4})(img), img);  // the only window
  std::set<std::vector<int>> seen;
  for (uint64_t i = 0; i < 40; ++i) {
    DataRng rng(5, {0, i});
    Tensor c = random_crop({2, 3}, 1)(img, rng);
    ASSERT_EQ(c.shape(), (Shape{2, 3}));
    std::vector<int> v = c.to_vector<int>();
    seen.insert(v);
    // Find the offset: the window of the zero-padded (5, 6) image that matches.
    bool found = false;
    for (int oy = -1; oy <= 2 && !found; ++oy)
      for (int ox = -1; ox <= 2 && !found; ++ox) {
        bool ok = true;
        for (int y = 0; y < 2; ++y)
          for (int x = 0; x < 3; ++x) {
            int sy = y + oy, sx = x + ox;
            int want = sy >= 0 && sy < 3 && sx >= 0 && sx < 4 ? 10 * sy + sx + 1 : 0;
            ok = ok && v[size_t(y * 3 + x)] == want;
          }
        found = ok;
      }
    EXPECT_TRUE(found) << c;
  }
  // 4 x 4 offsets are possible; 40 draws see most of them.
  EXPECT_GE(seen.size(), 8u);
  // Channels share the window.
  Tensor chw = stack({img, img + 100});
  DataRng rng(1, {2, 3});
  Tensor c = random_crop(2, 1)(chw, rng);
  EXPECT_EQ(c.shape(), (Shape{2, 2, 2}));
  auto v = c.to_vector<int>();
  for (size_t k = 0; k < 4; ++k) EXPECT_EQ(v[4 + k], v[k] == 0 ? 0 : v[k] + 100);
  BRAID_EXPECT_THROW_MSG(random_crop(6, 1)(img), ShapeError,
                         "[random_crop] the window (6, 6) is larger than the padded image (5, 6); "
                         "got x (3, 4), padding 1");
  BRAID_EXPECT_THROW_MSG(random_crop(2)(zeros({2})), ShapeError,
                         "[random_crop] x must be (H, W) or (C, H, W); got (2)");
}

TEST(Transforms, FlipProbability) {
  Tensor img = grid();
  expect_same(random_horizontal_flip(0)(img), img);
  expect_same(random_horizontal_flip(1)(img), flip(img, {-1}));
  int flipped = 0;
  for (uint64_t i = 0; i < 200; ++i) {
    DataRng rng(9, {0, i});
    Tensor f = random_horizontal_flip()(img, rng);
    flipped += f.to_vector<int>()[0] != img.to_vector<int>()[0];
  }
  EXPECT_GT(flipped, 70);
  EXPECT_LT(flipped, 130);
  BRAID_EXPECT_THROW_MSG(random_horizontal_flip(1.5), ValueError,
                         "[random_horizontal_flip] p must be in [0, 1]; got 1.5");
}

TEST(Transforms, MappedDatasetIsDeterministicPerSeedEpochIndex) {
  manual_seed(0);
  auto base =
      std::make_shared<TensorDataset>(randint(0, 256, {8, 1, 6, 6}).to(DType::UInt8), arange(8));
  MappedDataset ds(
      base, compose({random_crop(6, 2), random_horizontal_flip(), to_float(), scale(1.0 / 255)}),
      [](const Tensor& y) { return y * 2; });
  Example a = ds.draw(3, {7, 1}), b = ds.draw(3, {7, 1});
  expect_same(a.data, b.data);
  EXPECT_EQ(a.data.shape(), (Shape{1, 6, 6}));
  EXPECT_EQ(a.data.dtype(), DType::Float32);
  EXPECT_EQ(a.target.item<int64_t>(), 6);
  // Other epochs, seeds or indices draw other crops (most of the time).
  int differ = 0;
  for (int64_t e = 2; e < 12; ++e)
    differ += ds.draw(3, {7, e}).data.to_vector<float>() != a.data.to_vector<float>();
  EXPECT_GE(differ, 7);
  // get() is draw(i) in epoch 0 of seed 0.
  expect_same(ds.get(5).data, ds.draw(5, {}).data);
  // A whole-example function.
  MappedDataset swap(base, [](const Example& e, DataRng&) { return Example{e.target, e.data}; });
  EXPECT_EQ(swap.get(2).data.item<int64_t>(), 2);
}

}  // namespace
}  // namespace braid::data
