#include <gtest/gtest.h>

#include "braid/braid.hpp"

using namespace braid;

TEST(Smoke, AddAndPrint) {
  Tensor a = tensor({{1.0, 2.0}, {3.0, 4.0}});
  Tensor b = a + a * 2.0;
  EXPECT_EQ(b.to_vector<float>(), (std::vector<float>{3, 6, 9, 12}));
}
