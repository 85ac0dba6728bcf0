#pragma once
// Comparing compiled and eager results (tests/compile/).
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <string>

#include "braid/braid.hpp"
#include "braid/compile/compile.hpp"
#include "braid/compile/passes.hpp"

namespace braid::testing_compile {

inline std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

/// Same shape, dtype and bytes.
inline ::testing::AssertionResult bit_equal(const Tensor& got, const Tensor& want) {
  if (got.shape() != want.shape() || got.dtype() != want.dtype())
    return ::testing::AssertionFailure()
           << "got " << dtype_name(got.dtype()) << shape_str(got.shape()) << ", want "
           << dtype_name(want.dtype()) << shape_str(want.shape());
  Tensor a = got.contiguous(), b = want.contiguous();
  if (std::memcmp(a.raw_data(), b.raw_data(), a.numel() * a.element_size()) == 0)
    return ::testing::AssertionSuccess();
  const auto x = a.to(DType::Float64).to_vector<double>(),
             y = b.to(DType::Float64).to_vector<double>();
  double worst = 0;
  size_t at = 0, differ = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    if (x[i] != y[i] && !(std::isnan(x[i]) && std::isnan(y[i]))) ++differ;
    if (std::abs(x[i] - y[i]) > worst) worst = std::abs(x[i] - y[i]), at = i;
  }
  if (differ == 0) return ::testing::AssertionSuccess();  // NaN payloads only
  return ::testing::AssertionFailure()
         << differ << " of " << x.size() << " elements differ; max |diff| " << worst << " at " << at
         << " (got " << x[at] << ", want " << y[at] << ")";
}

/// |got - want| <= tol * (1 + |want|) everywhere (NaN where want is NaN).
inline ::testing::AssertionResult close(const Tensor& got, const Tensor& want, double tol) {
  if (got.shape() != want.shape() || got.dtype() != want.dtype())
    return ::testing::AssertionFailure()
           << "got " << dtype_name(got.dtype()) << shape_str(got.shape()) << ", want "
           << dtype_name(want.dtype()) << shape_str(want.shape());
  const auto x = got.to(DType::Float64).to_vector<double>();
  const auto y = want.to(DType::Float64).to_vector<double>();
  double worst = 0;
  size_t at = 0;
  bool bad = false;
  for (size_t i = 0; i < x.size(); ++i) {
    const double d = std::abs(x[i] - y[i]);
    if (std::isnan(y[i]) ? !std::isnan(x[i]) : d > tol * (1 + std::abs(y[i]))) bad = true;
    if (d > worst) worst = d, at = i;
  }
  if (!bad) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "max |diff| " << worst << " at " << at << " (got " << x[at] << ", want " << y[at]
         << "), tolerance " << tol << " * (1 + |want|)";
}

}  // namespace braid::testing_compile
