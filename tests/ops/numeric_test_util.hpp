#pragma once
// Helpers shared by the loss and recurrent tests: comparing against a naive
// double-precision reference, and running a computation on 1 and 2 threads.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <utility>
#include <vector>

#include "braid/core/parallel.hpp"

namespace braid::testing {

/// |got - want| <= tol * max(1, |want|), element by element.
inline void expect_close(const std::vector<double>& got, const std::vector<double>& want,
                         double tol = 1e-12) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i)
    EXPECT_NEAR(got[i], want[i], tol * std::max(1.0, std::fabs(want[i]))) << "element " << i;
}

/// fn() run with 1 thread, then with 2; the thread count is restored after.
template <class Fn>
auto on_one_and_two_threads(const Fn& fn) {
  const int before = get_num_threads();
  set_num_threads(1);
  auto one = fn();
  set_num_threads(2);
  auto two = fn();
  set_num_threads(before);
  return std::pair{std::move(one), std::move(two)};
}

}  // namespace braid::testing
