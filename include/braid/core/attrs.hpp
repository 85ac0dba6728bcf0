#pragma once
/// An op's attributes: a small ordered list of named values. The same list is
/// what the autograd node keeps, what a printed graph shows and (later) what a
/// model file stores, so every op's attributes serialize the same way.
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "braid/core/scalar.hpp"

namespace braid {

using AttrValue = std::variant<int64_t, double, bool, std::vector<int64_t>, std::string, Scalar>;

class Attrs {
 public:
  Attrs() = default;
  Attrs(std::initializer_list<std::pair<std::string, AttrValue>> init) : items_(init) {}

  Attrs& set(std::string name, AttrValue v);
  bool has(std::string_view name) const { return find(name) != nullptr; }
  const AttrValue* find(std::string_view name) const;

  // Typed reads. Throw ValueError "[op] attribute 'name' ..." when absent or of
  // another kind; numbers convert (an int is a valid float, a Scalar a number).
  int64_t i(std::string_view op, std::string_view name) const;
  double f(std::string_view op, std::string_view name) const;
  bool b(std::string_view op, std::string_view name) const;
  const std::vector<int64_t>& ints(std::string_view op, std::string_view name) const;
  const std::string& s(std::string_view op, std::string_view name) const;
  Scalar scalar(std::string_view op, std::string_view name) const;

  const std::vector<std::pair<std::string, AttrValue>>& items() const { return items_; }
  /// "dim=1, keepdim=true"
  std::string str() const;

 private:
  const AttrValue& get(std::string_view op, std::string_view name) const;
  std::vector<std::pair<std::string, AttrValue>> items_;
};

}  // namespace braid
