// Field-by-field reading of a layer config; see io/config_reader.hpp.
#include "io/config_reader.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <limits>

namespace braid::io::detail {

using nlohmann::json;

std::string shown(const json& v) {
  std::string s = v.dump(-1, ' ', false, json::error_handler_t::replace);
  if (s.size() > 60) s = s.substr(0, 57) + "...";
  return s;
}

void fail(const std::string& where, const std::string& message) {
  throw ConfigError(fmt::format("[layer_from_config] {}: {}", where, message));
}

void BuildState::reserve(int64_t n, const std::string& where) {
  if (n > limits.max_elements - elements)
    fail(where, fmt::format("would hold {} elements, more than the {} left of "
                            "ConfigLimits::max_elements = {}",
                            n, limits.max_elements - elements, limits.max_elements));
  elements += n;
}

ConfigReader::ConfigReader(const json& config, std::string where, std::string path, int depth,
                           BuildState& state)
    : config_(config),
      where_(std::move(where)),
      path_(std::move(path)),
      depth_(depth),
      state_(state) {
  if (!config_.is_object()) fail(where_, "'config' must be an object; got " + shown(config_));
}

const json* ConfigReader::find(const char* key) {
  if (std::find(asked_.begin(), asked_.end(), key) == asked_.end()) asked_.push_back(key);
  auto it = config_.find(key);
  return it == config_.end() ? nullptr : &*it;
}

const json& ConfigReader::required(const char* key) {
  const json* v = find(key);
  if (v == nullptr) fail(where_, fmt::format("field '{}' is missing", key));
  return *v;
}

void ConfigReader::bad(const char* key, const std::string& want, const json& got) const {
  fail(where_, fmt::format("field '{}' must be {}; got {}", key, want, shown(got)));
}

int64_t ConfigReader::int_value(const char* key, const json& v, int64_t lo, int64_t hi,
                                const std::string& want) const {
  // Unsigned JSON numbers above int64's range would wrap in get<int64_t>.
  if (!v.is_number_integer() ||
      (v.is_number_unsigned() && v.get<uint64_t>() > uint64_t(std::numeric_limits<int64_t>::max())))
    bad(key, want, v);
  const int64_t n = v.get<int64_t>();
  if (n < lo || n > hi) bad(key, want, v);
  return n;
}

int64_t ConfigReader::integer(const char* key, std::optional<int64_t> def, int64_t lo, int64_t hi) {
  const json* v = def ? find(key) : &required(key);
  if (v == nullptr) return *def;
  return int_value(key, *v, lo, hi, fmt::format("an integer in [{}, {}]", lo, hi));
}

std::optional<int64_t> ConfigReader::nullable_integer(const char* key, int64_t lo, int64_t hi) {
  const json* v = find(key);
  if (v == nullptr || v->is_null()) return std::nullopt;
  return int_value(key, *v, lo, hi, fmt::format("null or an integer in [{}, {}]", lo, hi));
}

double ConfigReader::number(const char* key, std::optional<double> def, double lo, double hi) {
  const json* v = def ? find(key) : &required(key);
  if (v == nullptr) return *def;
  const std::string want = fmt::format("a number in [{}, {}]", lo, hi);
  if (!v->is_number()) bad(key, want, *v);
  const double x = v->get<double>();
  if (!std::isfinite(x) || x < lo || x > hi) bad(key, want, *v);
  return x;
}

std::optional<double> ConfigReader::nullable_number(const char* key, std::optional<double> def,
                                                    double lo, double hi) {
  const json* v = find(key);
  if (v == nullptr) return def;
  if (v->is_null()) return std::nullopt;
  return number(key, std::nullopt, lo, hi);
}

bool ConfigReader::boolean(const char* key, std::optional<bool> def) {
  const json* v = def ? find(key) : &required(key);
  if (v == nullptr) return *def;
  if (!v->is_boolean()) bad(key, "true or false", *v);
  return v->get<bool>();
}

std::string ConfigReader::choice(const char* key, std::optional<std::string> def,
                                 std::initializer_list<const char*> allowed) {
  const json* v = def ? find(key) : &required(key);
  if (v == nullptr) return *def;
  std::string want = "one of";
  for (const char* a : allowed) want += fmt::format(" \"{}\"", a);
  if (!v->is_string()) bad(key, want, *v);
  const std::string s = v->get<std::string>();
  for (const char* a : allowed)
    if (s == a) return s;
  bad(key, want, *v);
}

nn::SizeArg ConfigReader::size(const char* key, std::optional<nn::SizeArg> def, int dims,
                               int64_t lo) {
  const json* v = def ? find(key) : &required(key);
  if (v == nullptr) return *def;
  const std::string want =
      fmt::format("an integer or a list of {} integers, each in [{}, {}]", dims, lo, kMaxSize);
  if (v->is_array()) {
    if (v->size() != size_t(dims)) bad(key, want, *v);
    std::vector<int64_t> values;
    for (const json& e : *v) values.push_back(int_value(key, e, lo, kMaxSize, want));
    return nn::SizeArg(std::move(values));
  }
  return nn::SizeArg(int_value(key, *v, lo, kMaxSize, want));
}

nn::SizeArg ConfigReader::nullable_size(const char* key, int dims, int64_t lo) {
  const json* v = find(key);
  if (v == nullptr || v->is_null()) return {};
  return size(key, std::nullopt, dims, lo);
}

std::vector<int64_t> ConfigReader::int_list(const char* key, int64_t lo, bool int_ok,
                                            bool minus_one_ok) {
  const json& v = required(key);
  const std::string want = fmt::format("{}a non-empty list of at most {} integers in [{}, {}]{}",
                                       int_ok ? "an integer or " : "", kMaxRank, lo, kMaxSize,
                                       minus_one_ok ? " or -1" : "");
  if (int_ok && !v.is_array()) return {int_value(key, v, lo, kMaxSize, want)};
  if (!v.is_array() || v.empty() || v.size() > size_t(kMaxRank)) bad(key, want, v);
  std::vector<int64_t> out;
  for (const json& e : v) {
    const int64_t n = int_value(key, e, minus_one_ok ? -1 : lo, kMaxSize, want);
    if (n < lo && n != -1) bad(key, want, v);
    out.push_back(n);
  }
  return out;
}

ConvPadding ConfigReader::conv_padding(const char* key, int dims) {
  const json* v = find(key);
  if (v == nullptr) return ConvPadding(0);
  if (v->is_string()) return ConvPadding(choice(key, std::nullopt, {"same", "valid"}));
  ConvPadding p(0);
  p.sizes = size(key, std::nullopt, dims, 0).values;
  return p;
}

void ConfigReader::reserve(std::initializer_list<int64_t> factors) {
  int64_t n = 1;
  for (int64_t f : factors)
    if (f < 0 || __builtin_mul_overflow(n, f, &n)) n = std::numeric_limits<int64_t>::max();
  state_.reserve(n, where_);
}

void ConfigReader::finish() const {
  for (const auto& [key, value] : config_.items()) {
    if (std::find(asked_.begin(), asked_.end(), key) != asked_.end()) continue;
    fail(where_, fmt::format("unknown field {}; {}", shown(json(key)),
                             asked_.empty() ? std::string("it takes none")
                                            : fmt::format("fields: {}", fmt::join(asked_, ", "))));
  }
}

}  // namespace braid::io::detail
