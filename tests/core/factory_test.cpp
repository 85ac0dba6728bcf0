// Factories: zeros .. eye, arange and linspace edge cases (PyTorch's results).
#include <gtest/gtest.h>

#include "braid/braid.hpp"
#include "core/test_util.hpp"

namespace braid {
namespace {

TEST(Factory, FilledTensors) {
  Tensor z = zeros({2, 3});
  EXPECT_EQ(z.dtype(), DType::Float32);
  EXPECT_EQ(z.shape(), (Shape{2, 3}));
  EXPECT_TRUE(z.is_contiguous());
  EXPECT_EQ(z.to_vector<float>(), std::vector<float>(6, 0.0f));
  EXPECT_EQ(ones({2}, DType::Int32).to_vector<int32_t>(), (std::vector<int32_t>{1, 1}));
  EXPECT_EQ(ones({2}, DType::Float16).to_vector<float>(), (std::vector<float>{1, 1}));
  // full's dtype follows the value unless given, as torch.full.
  EXPECT_EQ(full({2}, 1.5).dtype(), DType::Float32);
  EXPECT_EQ(full({2}, 3).dtype(), DType::Int64);
  EXPECT_EQ(full({2}, true).dtype(), DType::Bool);
  EXPECT_EQ(full({2}, 3, DType::Float64).to_vector<double>(), (std::vector<double>{3, 3}));
  EXPECT_EQ(full({}, 2.5).shape(), (Shape{}));
  EXPECT_EQ(zeros({0, 3}).numel(), 0);
  Tensor t = tensor({{1, 2}, {3, 4}}).t();
  EXPECT_EQ(zeros_like(t).shape(), (Shape{2, 2}));
  EXPECT_EQ(zeros_like(t).dtype(), DType::Int64);
  EXPECT_EQ(ones_like(t, DType::Bool).dtype(), DType::Bool);
  EXPECT_EQ(full_like(t, 7).to_vector<int64_t>(), (std::vector<int64_t>{7, 7, 7, 7}));
  EXPECT_EQ(empty_like(t, DType::Float64).dtype(), DType::Float64);
  EXPECT_EQ(empty({3, 0, 2}).numel(), 0);
  BRAID_EXPECT_THROW_MSG(zeros({2, -1}), ShapeError,
                         "[empty] sizes must be non-negative; got shape (2, -1)");
}

TEST(Factory, Arange) {
  EXPECT_EQ(arange(5).to_vector<int64_t>(), (std::vector<int64_t>{0, 1, 2, 3, 4}));
  EXPECT_EQ(arange(5).dtype(), DType::Int64);
  EXPECT_EQ(arange(0, 10, 3).to_vector<int64_t>(), (std::vector<int64_t>{0, 3, 6, 9}));
  EXPECT_EQ(arange(10, 0, -3).to_vector<int64_t>(), (std::vector<int64_t>{10, 7, 4, 1}));
  EXPECT_EQ(arange(-2, 2).to_vector<int64_t>(), (std::vector<int64_t>{-2, -1, 0, 1}));
  EXPECT_EQ(arange(5, 5).numel(), 0);
  EXPECT_EQ(arange(0).numel(), 0);
  Tensor f = arange(0, 1, 0.25);
  EXPECT_EQ(f.dtype(), DType::Float32);
  EXPECT_EQ(f.to_vector<float>(), (std::vector<float>{0, 0.25f, 0.5f, 0.75f}));
  EXPECT_EQ(arange(2.5).to_vector<float>(), (std::vector<float>{0, 1, 2}));
  EXPECT_EQ(arange(1, 2.5).dtype(), DType::Float32);
  EXPECT_EQ(arange(0, 1, 0.1).numel(), 10);  // torch.arange(0, 1, 0.1) has 10 values
  EXPECT_EQ(arange(1, 4, 1, DType::Float64).to_vector<double>(), (std::vector<double>{1, 2, 3}));
  EXPECT_EQ(arange(0, 3, 1, DType::Float16).to_vector<float>(), (std::vector<float>{0, 1, 2}));
  BRAID_EXPECT_THROW_MSG(arange(0, 5, 0), ValueError, "[arange] step must be non-zero");
  BRAID_EXPECT_THROW_MSG(arange(5, 0, 1), ValueError,
                         "[arange] the range [5, 0) cannot be walked with step 1");
  BRAID_EXPECT_THROW_MSG(arange(0, 5, -1), ValueError,
                         "[arange] the range [0, 5) cannot be walked with step -1");
}

TEST(Factory, Linspace) {
  EXPECT_EQ(linspace(0, 1, 5).to_vector<float>(), (std::vector<float>{0, 0.25f, 0.5f, 0.75f, 1}));
  EXPECT_EQ(linspace(0, 10, 0).numel(), 0);
  EXPECT_EQ(linspace(3, 10, 1).to_vector<float>(), (std::vector<float>{3}));  // torch gives start
  EXPECT_EQ(linspace(3, 10, 2).to_vector<float>(), (std::vector<float>{3, 10}));
  EXPECT_EQ(linspace(1, -1, 3).to_vector<float>(), (std::vector<float>{1, 0, -1}));
  std::vector<double> v = linspace(0.1, 0.7, 7, DType::Float64).to_vector<double>();
  EXPECT_EQ(v.front(), 0.1);
  EXPECT_EQ(v.back(), 0.7);  // filled from both ends, so the end is exact
  for (size_t i = 1; i < v.size(); ++i) EXPECT_NEAR(v[i] - v[i - 1], 0.1, 1e-12);
  BRAID_EXPECT_THROW_MSG(linspace(0, 1, -1), ValueError, "[linspace] steps must be >= 0; got -1");
}

TEST(Factory, Eye) {
  EXPECT_EQ(eye(3).to_vector<float>(), (std::vector<float>{1, 0, 0, 0, 1, 0, 0, 0, 1}));
  EXPECT_EQ(eye(2, 3).to_vector<float>(), (std::vector<float>{1, 0, 0, 0, 1, 0}));
  EXPECT_EQ(eye(3, 2).to_vector<float>(), (std::vector<float>{1, 0, 0, 1, 0, 0}));
  EXPECT_EQ(eye(2, std::nullopt, DType::Int64).to_vector<int64_t>(),
            (std::vector<int64_t>{1, 0, 0, 1}));
  EXPECT_EQ(eye(2, 2, DType::Bool).to_vector<bool>(),
            (std::vector<bool>{true, false, false, true}));
  EXPECT_EQ(eye(0).shape(), (Shape{0, 0}));
  BRAID_EXPECT_THROW_MSG(eye(-1), ValueError, "[eye] sizes must be >= 0; got -1 x -1");
}

}  // namespace
}  // namespace braid
