#include "braid/core/attrs.hpp"

#include "braid/core/error.hpp"

namespace braid {

Attrs& Attrs::set(std::string name, AttrValue v) {
  for (auto& [k, val] : items_)
    if (k == name) {
      val = std::move(v);
      return *this;
    }
  items_.emplace_back(std::move(name), std::move(v));
  return *this;
}

const AttrValue* Attrs::find(std::string_view name) const {
  for (const auto& [k, v] : items_)
    if (k == name) return &v;
  return nullptr;
}

const AttrValue& Attrs::get(std::string_view op, std::string_view name) const {
  const AttrValue* v = find(name);
  BRAID_CHECK(v != nullptr, ValueError, op, "missing attribute '{}'", name);
  return *v;
}

namespace {
[[noreturn]] void wrong_kind(std::string_view op, std::string_view name, const char* want) {
  throw ValueError(fmt::format("[{}] attribute '{}' must be {}", op, name, want));
}
}  // namespace

int64_t Attrs::i(std::string_view op, std::string_view name) const {
  const AttrValue& v = get(op, name);
  if (auto p = std::get_if<int64_t>(&v)) return *p;
  if (auto p = std::get_if<bool>(&v)) return *p;
  if (auto p = std::get_if<Scalar>(&v); p && !p->is_floating()) return p->to_int();
  wrong_kind(op, name, "an integer");
}

double Attrs::f(std::string_view op, std::string_view name) const {
  const AttrValue& v = get(op, name);
  if (auto p = std::get_if<double>(&v)) return *p;
  if (auto p = std::get_if<int64_t>(&v)) return static_cast<double>(*p);
  if (auto p = std::get_if<Scalar>(&v)) return p->to_double();
  wrong_kind(op, name, "a number");
}

bool Attrs::b(std::string_view op, std::string_view name) const {
  const AttrValue& v = get(op, name);
  if (auto p = std::get_if<bool>(&v)) return *p;
  if (auto p = std::get_if<int64_t>(&v); p && (*p == 0 || *p == 1)) return *p;
  wrong_kind(op, name, "a bool");
}

const std::vector<int64_t>& Attrs::ints(std::string_view op, std::string_view name) const {
  const AttrValue& v = get(op, name);
  if (auto p = std::get_if<std::vector<int64_t>>(&v)) return *p;
  wrong_kind(op, name, "a list of integers");
}

const std::string& Attrs::s(std::string_view op, std::string_view name) const {
  const AttrValue& v = get(op, name);
  if (auto p = std::get_if<std::string>(&v)) return *p;
  wrong_kind(op, name, "a string");
}

Scalar Attrs::scalar(std::string_view op, std::string_view name) const {
  const AttrValue& v = get(op, name);
  if (auto p = std::get_if<Scalar>(&v)) return *p;
  if (auto p = std::get_if<double>(&v)) return Scalar(*p);
  if (auto p = std::get_if<int64_t>(&v)) return Scalar(*p);
  if (auto p = std::get_if<bool>(&v)) return Scalar(*p);
  wrong_kind(op, name, "a number");
}

std::string Attrs::str() const {
  std::string out;
  for (const auto& [k, v] : items_) {
    if (!out.empty()) out += ", ";
    out += k + "=";
    std::visit(
        [&](const auto& x) {
          using T = std::decay_t<decltype(x)>;
          if constexpr (std::is_same_v<T, std::vector<int64_t>>)
            out += fmt::format("[{}]", fmt::join(x, ", "));
          else if constexpr (std::is_same_v<T, Scalar>)
            out += fmt::format("{}", x.to_double());
          else if constexpr (std::is_same_v<T, std::string>)
            out += "'" + x + "'";
          else
            out += fmt::format("{}", x);
        },
        v);
  }
  return out;
}

}  // namespace braid
