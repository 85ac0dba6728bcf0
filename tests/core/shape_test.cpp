// Shape keeps up to 6 dims inline and the rest on the heap; it must behave
// exactly like the std::vector<int64_t> it replaced, across that boundary.
#include <gtest/gtest.h>

#include <vector>

#include "braid/core/error.hpp"
#include "braid/core/shape.hpp"

namespace braid {
namespace {

std::vector<int64_t> v(const Shape& s) { return s; }

TEST(Shape, BuildsLikeAVector) {
  EXPECT_EQ(v(Shape{}), std::vector<int64_t>{});
  EXPECT_EQ(v(Shape{3}), std::vector<int64_t>{3});
  EXPECT_EQ(v(Shape(3)), (std::vector<int64_t>{0, 0, 0}));
  EXPECT_EQ(v(Shape(2, 7)), (std::vector<int64_t>{7, 7}));
  const std::vector<int64_t> big{1, 2, 3, 4, 5, 6, 7, 8, 9};
  Shape from_vec = big;
  EXPECT_EQ(v(from_vec), big);
  EXPECT_EQ(v(Shape(big.begin() + 2, big.end() - 1)), (std::vector<int64_t>{3, 4, 5, 6, 7, 8}));
}

TEST(Shape, GrowsPastTheInlineDimsAndBack) {
  Shape s;
  std::vector<int64_t> ref;
  for (int64_t i = 0; i < 20; ++i) {
    s.push_back(i * 3);
    ref.push_back(i * 3);
    ASSERT_EQ(v(s), ref) << "after " << i + 1 << " dims";
  }
  Shape copy = s, moved = std::move(s);
  EXPECT_EQ(v(copy), ref);
  EXPECT_EQ(v(moved), ref);
  EXPECT_TRUE(s.empty()) << "a moved-from Shape is empty";
  moved.resize(2);
  copy = moved;  // heap to heap, shorter
  EXPECT_EQ(v(copy), (std::vector<int64_t>{0, 3}));
  Shape small{1, 2};
  small = copy;  // inline target
  EXPECT_EQ(small, copy);
  s = Shape{4, 5, 6};  // a moved-from Shape is usable again
  EXPECT_EQ(v(s), (std::vector<int64_t>{4, 5, 6}));
}

TEST(Shape, InsertAndEraseMatchTheVector) {
  Shape s{1, 2, 3, 4, 5};
  std::vector<int64_t> r{1, 2, 3, 4, 5};
  s.insert(s.begin() + 1, 9);
  r.insert(r.begin() + 1, 9);
  s.insert(s.end(), 2, 8);  // crosses to the heap
  r.insert(r.end(), 2, 8);
  s.insert(s.begin(), s.begin() + 2, s.begin() + 4);  // a range of itself
  const std::vector<int64_t> part(r.begin() + 2, r.begin() + 4);
  r.insert(r.begin(), part.begin(), part.end());
  EXPECT_EQ(v(s), r);
  s.erase(s.begin() + 3);
  r.erase(r.begin() + 3);
  s.erase(s.begin(), s.begin() + 2);
  r.erase(r.begin(), r.begin() + 2);
  EXPECT_EQ(v(s), r);
  EXPECT_EQ(s.front(), r.front());
  EXPECT_EQ(s.back(), r.back());
  EXPECT_EQ(std::vector<int64_t>(s.rbegin(), s.rend()), std::vector<int64_t>(r.rbegin(), r.rend()));
}

TEST(Shape, ComparesAndChecksBounds) {
  EXPECT_EQ((Shape{2, 3}), (Shape{2, 3}));
  EXPECT_NE((Shape{2, 3}), (Shape{2, 3, 1}));
  EXPECT_LT((Shape{2, 3}), (Shape{2, 4}));
  EXPECT_EQ((Shape{1, 2, 3, 4, 5, 6, 7}), (std::vector<int64_t>{1, 2, 3, 4, 5, 6, 7}));
  Shape s{1};
  EXPECT_THROW(s.at(1), IndexError) << "at() checks the index, as std::vector::at does";
  EXPECT_EQ(s.at(0), 1);
}

}  // namespace
}  // namespace braid
