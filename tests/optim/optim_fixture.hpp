#pragma once
// Shared by the optimizer and scheduler tests: reading the PyTorch fixtures
// (scripts/gen_optim_fixtures.py) and building braid optimizers from them.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "braid/braid.hpp"

namespace braid::optim_test {

using json = nlohmann::json;

inline constexpr const char* kRegenerate =
    "regenerate with: /usr/bin/python3 scripts/gen_optim_fixtures.py (PyTorch 1.13)";

inline const json& fixture(const std::string& file) {
  static std::map<std::string, json> cache;
  auto it = cache.find(file);
  if (it != cache.end()) return it->second;
  std::ifstream in(std::string(BRAID_FIXTURE_DIR) + "/optim/" + file);
  if (!in) throw std::runtime_error("missing fixture optim/" + file + "; " + kRegenerate);
  return cache[file] = json::parse(in);
}

inline const json& find_case(const std::string& file, const std::string& name) {
  for (const json& c : fixture(file)["cases"])
    if (c["name"] == name) return c;
  throw std::runtime_error("no case " + name + " in optim/" + file + "; " + kRegenerate);
}

/// The case names, for INSTANTIATE_TEST_SUITE_P (runs before main, so a
/// missing fixture becomes one failing case instead of a crash).
inline std::vector<std::string> case_names(const std::string& file) {
  std::vector<std::string> names;
  try {
    for (const json& c : fixture(file)["cases"]) names.push_back(c["name"]);
  } catch (const std::exception&) {
    names = {"missing_fixture"};
  }
  return names;
}

/// Options of type O from {"lr": .., "beta1": .., "amsgrad": true, ...}.
template <class O>
O options_from(const json& j) {
  O o;
  o.fields([&](std::string_view n, auto& v) {
    std::string key(n);
    if (j.contains(key)) v = j[key].get<std::decay_t<decltype(v)>>();
  });
  return o;
}

/// An optimizer of kind `name` without groups (Keras style).
inline std::unique_ptr<optim::GroupedOptimizer> make_optimizer(const std::string& name) {
  if (name == "SGD") return std::make_unique<optim::SGD>();
  if (name == "Adam") return std::make_unique<optim::Adam>();
  if (name == "AdamW") return std::make_unique<optim::AdamW>();
  if (name == "RMSprop") return std::make_unique<optim::RMSprop>();
  if (name == "Adagrad") return std::make_unique<optim::Adagrad>();
  throw std::runtime_error("unknown optimizer " + name);
}

/// Adds a group with options from JSON to an optimizer of kind `name`.
inline void add_group(optim::GroupedOptimizer& opt, const std::string& name,
                      std::vector<Tensor> params, const json& options) {
  if (name == "SGD")
    dynamic_cast<optim::SGD&>(opt).add_param_group(params,
                                                   options_from<optim::SGDOptions>(options));
  else if (name == "Adam")
    dynamic_cast<optim::Adam&>(opt).add_param_group(params,
                                                    options_from<optim::AdamOptions>(options));
  else if (name == "AdamW")
    dynamic_cast<optim::AdamW&>(opt).add_param_group(params,
                                                     options_from<optim::AdamWOptions>(options));
  else if (name == "RMSprop")
    dynamic_cast<optim::RMSprop&>(opt).add_param_group(
        params, options_from<optim::RMSpropOptions>(options));
  else
    dynamic_cast<optim::Adagrad&>(opt).add_param_group(
        params, options_from<optim::AdagradOptions>(options));
}

inline Tensor tensor_from(const json& values, const json& shape, DType dtype) {
  std::vector<double> v = values.get<std::vector<double>>();
  Shape s = shape.get<std::vector<int64_t>>();
  return tensor(v, s).to(dtype);
}

/// Expects |got - want| <= atol + rtol |want| everywhere; reports the first
/// mismatch with both values and the regeneration command.
inline void expect_close(const Tensor& got, const json& want, double rtol, double atol,
                         const std::string& what) {
  std::vector<double> g = got.to_vector<double>();
  std::vector<double> w = want.get<std::vector<double>>();
  ASSERT_EQ(g.size(), w.size()) << what;
  double max_diff = 0;
  size_t bad = g.size();
  for (size_t i = 0; i < g.size(); ++i) {
    double d = std::abs(g[i] - w[i]);
    max_diff = std::max(max_diff, d);
    if (!(d <= atol + rtol * std::abs(w[i])) && bad == g.size()) bad = i;
  }
  EXPECT_EQ(bad, g.size()) << what << ": element " << bad << " is " << g[bad] << ", torch has "
                           << w[bad] << " (max |diff| " << max_diff << "); " << kRegenerate;
}

}  // namespace braid::optim_test
