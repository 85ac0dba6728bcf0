#pragma once
// Reads one layer's "config" object field by field for layer_from_config
// (see Note [layer config format] in braid/io/layer_config.hpp): each getter
// checks presence, JSON type and range and throws ConfigError naming the
// layer and the field; finish() rejects fields nobody asked for (typos).
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <typeinfo>
#include <vector>

#include "braid/core/error.hpp"
#include "braid/io/layer_config.hpp"
#include "braid/nn/layer_args.hpp"
#include "braid/ops/conv.hpp"

namespace braid::io::detail {

/// A ValueError raised while reading a config: already says where, so the
/// entries around it pass it on unchanged.
class ConfigError : public ValueError {
  using ValueError::ValueError;
};

/// Largest size (features, channels, kernel, ...) a config may ask for; the
/// element budget in ConfigLimits bounds their products.
inline constexpr int64_t kMaxSize = int64_t{1} << 31;
/// Dims (Softmax dim, Flatten start_dim) lie in [-kMaxRank, kMaxRank).
inline constexpr int64_t kMaxRank = 64;

/// `v` as short JSON text for an error message (invalid UTF-8 replaced).
std::string shown(const nlohmann::json& v);

/// Throws ConfigError "[layer_from_config] <where>: <message>".
[[noreturn]] void fail(const std::string& where, const std::string& message);

/// What a whole config has used so far, against its limits.
struct BuildState {
  ConfigLimits limits;
  int64_t elements = 0;
  int64_t layers = 0;
  /// Counts `n` more elements; throws when over limits.max_elements.
  void reserve(int64_t n, const std::string& where);
};

class ConfigReader {
 public:
  /// `config` must be an object (else ConfigError).
  ConfigReader(const nlohmann::json& config, std::string where, std::string path, int depth,
               BuildState& state);

  /// "layer 2 (Linear)": how errors name the layer.
  const std::string& where() const { return where_; }
  /// "2": the entry's index path, for entries nested in this one.
  const std::string& path() const { return path_; }
  int depth() const { return depth_; }
  BuildState& state() { return state_; }

  /// An integer in [lo, hi]; `def` when absent (required when nullopt).
  int64_t integer(const char* key, std::optional<int64_t> def, int64_t lo, int64_t hi = kMaxSize);
  /// An integer in [lo, hi] or null; null when absent.
  std::optional<int64_t> nullable_integer(const char* key, int64_t lo, int64_t hi);
  /// A finite number in [lo, hi].
  double number(const char* key, std::optional<double> def, double lo, double hi);
  /// As number, or null (absent: `def`).
  std::optional<double> nullable_number(const char* key, std::optional<double> def, double lo,
                                        double hi);
  bool boolean(const char* key, std::optional<bool> def);
  /// One of `allowed`.
  std::string choice(const char* key, std::optional<std::string> def,
                     std::initializer_list<const char*> allowed);
  /// An int, or a list of `dims` ints, each >= lo (and <= kMaxSize).
  nn::SizeArg size(const char* key, std::optional<nn::SizeArg> def, int dims, int64_t lo);
  /// As size, or null / absent: not given (pooling's stride).
  nn::SizeArg nullable_size(const char* key, int dims, int64_t lo);
  /// A non-empty list of at most kMaxRank ints in [lo, kMaxSize] (an int
  /// reads as a list of one when `int_ok`); -1 also allowed when `minus_one_ok`.
  std::vector<int64_t> int_list(const char* key, int64_t lo, bool int_ok, bool minus_one_ok);
  /// Conv padding: a size >= 0, or "same" / "valid".
  ConvPadding conv_padding(const char* key, int dims);
  /// The raw value of a required field (nested entries).
  const nlohmann::json& required(const char* key);

  /// Counts the product of `factors` as elements the layer will hold.
  void reserve(std::initializer_list<int64_t> factors);
  /// Throws for any field no getter read.
  void finish() const;

 private:
  /// The field (recorded as known); nullptr when absent.
  const nlohmann::json* find(const char* key);
  [[noreturn]] void bad(const char* key, const std::string& want, const nlohmann::json& got) const;
  int64_t int_value(const char* key, const nlohmann::json& v, int64_t lo, int64_t hi,
                    const std::string& want) const;

  const nlohmann::json& config_;
  std::string where_, path_;
  int depth_;
  BuildState& state_;
  std::vector<std::string> asked_;  ///< every key a getter asked for, in order
};

}  // namespace braid::io::detail

namespace braid::nn {
class Module;
}

namespace braid::io::detail {

/// One layer class braid can describe: its name, its exact C++ type, and
/// the two directions. `write` gets a module of exactly `type`; `read`
/// builds one from a reader over its "config" (and calls finish()).
struct LayerKind {
  const char* name;
  const std::type_info* type;
  nlohmann::json (*write)(const nn::Module& m, const std::string& path);
  std::unique_ptr<nn::Module> (*read)(ConfigReader& r);
};

/// Every layer except Sequential (which layer_config.cpp handles itself).
const std::vector<LayerKind>& layer_kinds();

/// The entry for `m` at `path` ("2.1"; "" for the root), class and config
/// only. Throws ValueError for a module without a config.
nlohmann::json write_entry(const nn::Module& m, const std::string& path);
/// Builds an entry at `path` at nesting `depth`. Throws ConfigError.
std::unique_ptr<nn::Module> build_entry(const nlohmann::json& entry, const std::string& path,
                                        int depth, BuildState& state);
/// "layer 2.1 (Linear)", or "Linear" for the root.
std::string describe(const std::string& path, const std::string& cls);

}  // namespace braid::io::detail
