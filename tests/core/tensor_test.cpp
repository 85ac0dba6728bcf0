// Tensors: handles share storage, views never copy, geometry errors, item(),
// nested lists, buffers owned elsewhere.
#include <gtest/gtest.h>

#include "braid/braid.hpp"
#include "core/test_util.hpp"

namespace braid {
namespace {

// Views alias `base`: same storage object, and a write through the view shows in base.
void expect_view_of(const Tensor& view, const Tensor& base) {
  EXPECT_EQ(view.storage().get(), base.storage().get());
}

Tensor iota(const Shape& shape) {
  return arange(numel_of(shape)).to(DType::Float32).reshape(shape);
}

TEST(Tensor, HandlesShareStorage) {
  Tensor a = zeros({3});
  Tensor b = a;  // a handle copy, like PyTorch
  b.fill_(7);
  EXPECT_EQ(a.to_vector<float>(), (std::vector<float>{7, 7, 7}));
  EXPECT_TRUE(a.is_same(b));
}

TEST(Tensor, ViewsNeverCopy) {
  Tensor x = iota({2, 3, 4});
  int64_t before = allocator::stats().current_bytes;
  std::vector<Tensor> views = {x.reshape({6, 4}),
                               x.view({4, 6}),
                               x.view({-1}),
                               x.permute({2, 0, 1}),
                               x.transpose(0, 2),
                               x.slice(1, 0, 3, 2),
                               x.narrow(2, 1, 2),
                               x.select(0, 1),
                               x[1],
                               x.unsqueeze(1),
                               x.unsqueeze(1).squeeze(),
                               x.flatten(),
                               x.flatten(1),
                               x.slice(0, 0, 1).expand({5, 3, 4}),
                               x.select(2, 0).t(),
                               x.squeeze({0})};
  for (const Tensor& v : views) expect_view_of(v, x);
  // Holding all those views costs no buffer memory.
  EXPECT_EQ(allocator::stats().current_bytes, before);
  // Writes through a view reach the base.
  views[3].select(0, 3).select(0, 1).select(0, 2).fill_(-1);  // x[1, 2, 3]
  EXPECT_EQ(x.select(0, 1).select(0, 2).select(0, 3).item<float>(), -1.0f);
}

TEST(Tensor, WritesThroughViewsShowInTheBase) {
  Tensor x = zeros({3, 4});
  x.select(0, 1).fill_(1);
  x.slice(1, 0, 4, 2).select(0, 2).fill_(2);
  x.t().select(0, 3).select(0, 0).fill_(3);
  EXPECT_EQ(x.to_vector<float>(), (std::vector<float>{0, 0, 0, 3, 1, 1, 1, 1, 2, 0, 2, 0}));
}

TEST(Tensor, ViewGeometry) {
  Tensor x = iota({2, 3, 4});
  Tensor p = x.permute({2, 0, 1});
  EXPECT_EQ(p.shape(), (Shape{4, 2, 3}));
  EXPECT_EQ(p.strides(), (Shape{1, 12, 4}));
  EXPECT_FALSE(p.is_contiguous());
  Tensor s = x.slice(2, 1, 4, 2);
  EXPECT_EQ(s.shape(), (Shape{2, 3, 2}));
  EXPECT_EQ(s.strides(), (Shape{12, 4, 2}));
  EXPECT_EQ(s.storage_offset(), 1);
  EXPECT_EQ(s.to_vector<float>(), (std::vector<float>{1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23}));
  Tensor e = tensor({1.0f, 2.0f}).unsqueeze(1).expand({2, 3});
  EXPECT_EQ(e.strides(), (Shape{1, 0}));
  EXPECT_EQ(e.to_vector<float>(), (std::vector<float>{1, 1, 1, 2, 2, 2}));
  EXPECT_EQ(x.select(1, -1).to_vector<float>(), (std::vector<float>{8, 9, 10, 11, 20, 21, 22, 23}));
  EXPECT_EQ(x.size(-1), 4);
  EXPECT_EQ(x.stride(0), 12);
  EXPECT_EQ(x.unsqueeze(-1).shape(), (Shape{2, 3, 4, 1}));
  EXPECT_EQ(zeros({1, 3, 1}).squeeze().shape(), (Shape{3}));
  EXPECT_EQ(zeros({1, 3, 1}).squeeze({2}).shape(), (Shape{1, 3}));
  EXPECT_EQ(zeros({1, 3, 1}).squeeze({1}).shape(), (Shape{1, 3, 1}));  // PyTorch: non-1 dims stay
  EXPECT_EQ(x.flatten(0, 1).shape(), (Shape{6, 4}));
  EXPECT_EQ(x.slice(0, 5, 9).shape(), (Shape{0, 3, 4}));  // clamped, empty
}

TEST(Tensor, ContiguousCopiesOnlyWhenNeeded) {
  Tensor x = iota({3, 4});
  EXPECT_TRUE(x.contiguous().is_same(x));
  Tensor t = x.t();
  Tensor c = t.contiguous();
  EXPECT_TRUE(c.is_contiguous());
  EXPECT_NE(c.storage().get(), x.storage().get());
  EXPECT_EQ(c.to_vector<float>(), t.to_vector<float>());
  EXPECT_EQ(c.strides(), (Shape{3, 1}));
  // reshape of a non-viewable layout copies; view refuses and says to use reshape.
  Tensor r = t.reshape({12});
  EXPECT_NE(r.storage().get(), x.storage().get());
  EXPECT_EQ(r.to_vector<float>(), (std::vector<float>{0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11}));
  BRAID_EXPECT_THROW_MSG(
      t.view({12}), ShapeError,
      "[view] cannot view a tensor of shape (4, 3) strides (1, 4) as (12) without a copy; "
      "use reshape()");
}

TEST(Tensor, ViewErrors) {
  Tensor x = zeros({2, 3});
  BRAID_EXPECT_THROW_MSG(x.view({4, 2}), ShapeError,
                         "[view] shape (4, 2) is invalid for input of shape (2, 3) (6 elements)");
  BRAID_EXPECT_THROW_MSG(x.view({-1, -1}), ShapeError,
                         "[view] only one dim can be -1; got (-1, -1)");
  BRAID_EXPECT_THROW_MSG(x.reshape({4, -1}), ShapeError,
                         "[reshape] shape (4, -1) is invalid for input of shape (2, 3)");
  BRAID_EXPECT_THROW_MSG(x.permute({0}), ShapeError,
                         "[permute] dims (0) must name each of the 2 dims once");
  BRAID_EXPECT_THROW_MSG(x.permute({0, 0}), IndexError,
                         "[permute] dim 0 appears more than once in dims (0, 0)");
  BRAID_EXPECT_THROW_MSG(
      x.transpose(0, 2), IndexError,
      "[transpose] dim 2 is out of range for a tensor of rank 2 (valid: -2 to 1)");
  BRAID_EXPECT_THROW_MSG(
      x.expand({4, 3}), ShapeError,
      "[expand] cannot expand shape (2, 3) to (4, 3): dim 0 is 2 (only size-1 dims expand)");
  BRAID_EXPECT_THROW_MSG(x.expand({3}), ShapeError,
                         "[expand] target shape (3) has fewer dims than the input (2, 3)");
  BRAID_EXPECT_THROW_MSG(x.select(1, 3), IndexError,
                         "[select] index 3 is out of range for dim 1 of size 3 (shape (2, 3))");
  BRAID_EXPECT_THROW_MSG(x.narrow(1, 2, 2), IndexError,
                         "[narrow] start 2 + length 2 exceeds dim 1 of size 3 (shape (2, 3))");
  BRAID_EXPECT_THROW_MSG(x.slice(1, 0, 3, 0), ValueError, "[slice] step must be positive; got 0");
  BRAID_EXPECT_THROW_MSG(
      x.unsqueeze(3), IndexError,
      "[unsqueeze] dim 3 is out of range for a tensor of rank 2 (valid: -3 to 2)");
  BRAID_EXPECT_THROW_MSG(x.flatten(1, 0), IndexError,
                         "[flatten] start_dim 1 comes after end_dim 0");
  BRAID_EXPECT_THROW_MSG(zeros({}).select(0, 0), IndexError,
                         "[select] cannot select from a 0-dim tensor");
  BRAID_EXPECT_THROW_MSG(x.size(2), IndexError,
                         "[size] dim 2 is out of range for a tensor of rank 2 (valid: -2 to 1)");
  BRAID_EXPECT_THROW_MSG(zeros({2, 2, 2}).t(), ShapeError,
                         "[t] expects a tensor of at most 2 dims; got shape (2, 2, 2)");
}

TEST(Tensor, AsStridedChecksBounds) {
  Tensor x = iota({2, 3});
  Tensor v = as_strided(x, {3, 2}, {1, 3}, 0);
  EXPECT_EQ(v.to_vector<float>(), (std::vector<float>{0, 3, 1, 4, 2, 5}));
  expect_view_of(v, x);
  EXPECT_EQ(as_strided(x, {2}, {2}, 1).to_vector<float>(), (std::vector<float>{1, 3}));
  EXPECT_EQ(as_strided(x, {0, 100}, {100, 1}, 6).numel(), 0);  // empty views may point anywhere
  BRAID_EXPECT_THROW_MSG(
      as_strided(x, {2, 3}, {3, 1}, 1), IndexError,
      "[as_strided] view of shape (2, 3) strides (3, 1) offset 1 reaches outside a storage of 6 "
      "elements");
  BRAID_EXPECT_THROW_MSG(as_strided(x, {2}, {-1}, 0), IndexError,
                         "[as_strided] view of shape (2) strides (-1) offset 0 reaches outside a "
                         "storage of 6 elements");
  BRAID_EXPECT_THROW_MSG(as_strided(x, {2}, {1, 1}, 0), ShapeError,
                         "[as_strided] shape (2) and strides (1, 1) differ in length");
}

TEST(Tensor, ItemAndItsErrors) {
  EXPECT_EQ(tensor({{2.5}}).item<double>(), 2.5);
  EXPECT_EQ(scalar_tensor(7).item<int64_t>(), 7);
  EXPECT_EQ(scalar_tensor(7).item().kind(), Scalar::Kind::Int);
  EXPECT_EQ(tensor({true}).item().kind(), Scalar::Kind::Bool);
  EXPECT_EQ(tensor({1.5}).to(DType::Float16).item<float>(), 1.5f);
  EXPECT_EQ(iota({2, 3}).select(1, 2).select(0, 1).item<float>(), 5.0f);  // a view with an offset
  BRAID_EXPECT_THROW_MSG(zeros({2}).item(), ValueError,
                         "[item] only a one-element tensor has an item; got shape (2)");
  BRAID_EXPECT_THROW_MSG(zeros({0}).item(), ValueError,
                         "[item] only a one-element tensor has an item; got shape (0)");
  BRAID_EXPECT_THROW_MSG(Tensor().item(), ValueError,
                         "[tensor] the tensor is undefined (default-constructed or moved from)");
  BRAID_EXPECT_THROW_MSG(zeros({2}).data_ptr<double>(), DTypeError,
                         "[data_ptr] tensor has dtype float32, asked for float64");
}

TEST(Tensor, NestedLists) {
  Tensor a = tensor({{1, 2, 3}, {4, 5, 6}});
  EXPECT_EQ(a.shape(), (Shape{2, 3}));
  EXPECT_EQ(a.dtype(), DType::Int64);
  EXPECT_EQ(tensor({1, 2.5}).dtype(), DType::Float32);
  EXPECT_EQ(tensor({true, false}).dtype(), DType::Bool);
  EXPECT_EQ(tensor({1, 2}, DType::Float64).dtype(), DType::Float64);
  EXPECT_EQ(tensor({{{1}, {2}}}).shape(), (Shape{1, 2, 1}));
  EXPECT_EQ(tensor(3.5).shape(), (Shape{}));
  BRAID_EXPECT_THROW_MSG(tensor({{1, 2}, {3}}), ShapeError,
                         "[tensor] nested list is ragged: expected 2 items at depth 1");
  BRAID_EXPECT_THROW_MSG(tensor({1, {2, 3}}), ShapeError,
                         "[tensor] nested list is ragged: expected a number at depth 1");
  BRAID_EXPECT_THROW_MSG(tensor({{1, 2}, 3}), ShapeError,
                         "[tensor] nested list is ragged: expected 2 items at depth 1");
}

TEST(Tensor, FromVectorAndBlob) {
  Tensor v = tensor(std::vector<float>{1, 2, 3, 4, 5, 6}, {2, 3});
  EXPECT_EQ(v.shape(), (Shape{2, 3}));
  EXPECT_EQ(v.select(1, 1).to_vector<float>(), (std::vector<float>{2, 5}));
  EXPECT_EQ(tensor(std::vector<int32_t>{1, 2}).dtype(), DType::Int32);
  BRAID_EXPECT_THROW_MSG(tensor(std::vector<float>{1, 2, 3}, {2, 2}), ShapeError,
                         "[tensor] 3 values do not fill shape (2, 2)");
  double buf[4] = {1, 2, 3, 4};
  int deleted = 0;
  {
    Tensor b = from_blob(buf, {2, 2}, DType::Float64, [&](void* p) {
      EXPECT_EQ(p, buf);
      ++deleted;
    });
    Tensor view = b.t();
    b.select(0, 0).fill_(9);  // writes go to the caller's buffer
    EXPECT_EQ(buf[0], 9);
    EXPECT_EQ(view.to_vector<double>(), (std::vector<double>{9, 3, 9, 4}));
  }
  EXPECT_EQ(deleted, 1);  // the deleter ran once, when the last view died
}

TEST(Tensor, ToCastsAndKeepsSameDtypeHandles) {
  Tensor x = tensor({1.7, -2.2, 0.0});
  EXPECT_TRUE(x.to(DType::Float32).is_same(x));
  EXPECT_EQ(x.to(DType::Int32).to_vector<int32_t>(), (std::vector<int32_t>{1, -2, 0}));
  EXPECT_EQ(x.to(DType::Bool).to_vector<bool>(), (std::vector<bool>{true, true, false}));
  EXPECT_EQ(x.t().to(DType::Float64).dtype(), DType::Float64);
  EXPECT_EQ(tensor({255, 256}).to(DType::UInt8).to_vector<int64_t>(),
            (std::vector<int64_t>{255, 0}));
}

}  // namespace
}  // namespace braid
