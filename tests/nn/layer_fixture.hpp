#pragma once
// Reading tests/fixtures/nn/*.json (written by scripts/gen_nn_fixtures.py)
// and comparing braid tensors with the PyTorch values in them.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>

#include "braid/braid.hpp"

namespace braid::nn_test {

using json = nlohmann::json;

inline const json& nn_fixture(const std::string& file) {
  static std::map<std::string, json> cache;
  auto it = cache.find(file);
  if (it == cache.end()) {
    const std::string path = std::string(BRAID_FIXTURE_DIR) + "/nn/" + file;
    std::ifstream f(path);
    if (!f) throw std::runtime_error("cannot open " + path);
    std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    it = cache.emplace(file, json::parse(text)).first;
  }
  return it->second;
}

inline Shape shape_of(const json& t) {
  Shape s;
  for (const json& d : t.at("shape")) s.push_back(d.get<int64_t>());
  return s;
}

/// {"dtype", "shape", "values"} -> a contiguous tensor.
inline Tensor tensor_of(const json& t) {
  const Shape s = shape_of(t);
  // tensor(values, {}) makes a 1-D tensor; a 0-dim one is reshaped to ().
  Tensor r = t.at("dtype") == "int64" ? tensor(t.at("values").get<std::vector<int64_t>>(), s)
                                      : tensor(t.at("values").get<std::vector<float>>(), s);
  return s.empty() ? r.reshape(Shape{}) : r;
}

/// Checks `actual` against the fixture tensor: shape, then every value within
/// atol + rtol * |expected|; reports the worst element.
inline ::testing::AssertionResult close(const Tensor& actual, const json& expected,
                                        double rtol = 1e-5, double atol = 1e-6) {
  if (!actual.defined()) return ::testing::AssertionFailure() << "undefined tensor";
  if (actual.shape() != shape_of(expected))
    return ::testing::AssertionFailure()
           << "shape " << shape_str(actual.shape()) << " vs " << shape_str(shape_of(expected));
  const std::vector<double> a = actual.to_vector<double>();
  const std::vector<double> e = expected.at("values").get<std::vector<double>>();
  double worst = 0;
  size_t at = 0;
  bool ok = true;
  for (size_t i = 0; i < a.size(); ++i) {
    const double d = std::abs(a[i] - e[i]);
    if (!(d <= atol + rtol * std::abs(e[i]))) ok = false;
    if (!(d <= worst)) {
      worst = d;
      at = i;
    }
  }
  if (ok) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "max |diff| " << worst << " at flat index " << at << ": braid " << a[at] << " vs torch "
         << e[at] << " (regenerate: /usr/bin/python3 scripts/gen_nn_fixtures.py)";
}

/// The fixture's state list as a StateDict.
inline nn::StateDict state_of(const json& entries) {
  nn::StateDict sd;
  for (const json& e : entries) sd.insert(e.at("key").get<std::string>(), tensor_of(e));
  return sd;
}

}  // namespace braid::nn_test
