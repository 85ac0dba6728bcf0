#pragma once
// Reading the module parity fixtures (scripts/gen_rnn_fixtures.py) and
// comparing against them: tensors are {"shape", "dtype", "data"}.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <iterator>
#include <limits>
#include <string>

#include <nlohmann/json.hpp>

#include "braid/braid.hpp"

namespace braid::testing_nn {

using json = nlohmann::json;

inline constexpr const char* kRegenerateRnn =
    "/usr/bin/python3 scripts/gen_rnn_fixtures.py (PyTorch 1.13)";

inline json read_fixture(const std::string& name) {
  const std::string path = std::string(BRAID_FIXTURE_DIR) + "/rnn/" + name;
  std::ifstream f(path);
  if (!f) throw std::runtime_error("cannot open " + path + "; regenerate: " + kRegenerateRnn);
  std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  return json::parse(text);
}

inline double json_number(const json& v) {
  if (v.is_string()) {
    const std::string s = v.get<std::string>();
    if (s == "nan") return std::numeric_limits<double>::quiet_NaN();
    return s == "-inf" ? -std::numeric_limits<double>::infinity()
                       : std::numeric_limits<double>::infinity();
  }
  return v.get<double>();
}

inline Tensor from_json(const json& j) {
  Shape shape = j.at("shape").get<std::vector<int64_t>>();
  const std::string dtype = j.at("dtype").get<std::string>();
  const json& data = j.at("data");
  if (dtype == "int64") return tensor(data.get<std::vector<int64_t>>(), shape);
  if (dtype == "bool") {
    std::vector<int64_t> v;
    for (const auto& b : data) v.push_back(b.get<bool>() ? 1 : 0);
    return tensor(v, shape).to(DType::Bool);
  }
  std::vector<float> v;
  for (const auto& x : data) v.push_back(static_cast<float>(json_number(x)));
  return tensor(v, shape);
}

/// |got - want| <= atol + rtol |want| elementwise, shapes equal; on failure
/// names the case, the first values, the max difference and how to regenerate.
inline void expect_close(const Tensor& got, const json& want_j, const std::string& what,
                         double rtol = 1e-4, double atol = 1e-5) {
  const Tensor want = from_json(want_j);
  ASSERT_TRUE(got.defined()) << what << " is undefined";
  ASSERT_EQ(shape_str(got.shape()), shape_str(want.shape())) << what;
  const std::vector<double> g = got.to_vector<double>(), w = want.to_vector<double>();
  double max_diff = 0;
  size_t bad = 0, first_bad = g.size();
  for (size_t i = 0; i < g.size(); ++i) {
    if (std::isinf(w[i]) && g[i] == w[i]) continue;
    const double diff = std::abs(g[i] - w[i]);
    if (!(diff <= atol + rtol * std::abs(w[i]))) {
      if (first_bad == g.size()) first_bad = i;
      ++bad;
    }
    if (std::isfinite(diff)) max_diff = std::max(max_diff, diff);
  }
  if (bad == 0) return;
  std::string first;
  for (size_t i = first_bad; i < std::min(g.size(), first_bad + 4); ++i)
    first += fmt::format(" [{}] braid={:.7g} torch={:.7g};", i, g[i], w[i]);
  ADD_FAILURE() << what << ": " << bad << " of " << g.size()
                << " values differ; max |diff| = " << max_diff << ";" << first
                << "\n  regenerate: " << kRegenerateRnn;
}

/// The loss the fixtures differentiate: sum_k sum(out_k * probe_k).
inline Tensor probe_loss(const std::vector<Tensor>& outs, const json& probes) {
  Tensor loss;
  for (size_t k = 0; k < outs.size(); ++k) {
    Tensor term = (outs[k] * from_json(probes.at(k))).sum();
    loss = loss.defined() ? loss + term : term;
  }
  return loss;
}

inline nn::StateDict state_from_json(const json& j) {
  nn::StateDict sd;
  for (const auto& [k, v] : j.items()) sd.insert(k, from_json(v));
  return sd;
}

}  // namespace braid::testing_nn
