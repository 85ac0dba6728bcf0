#include "braid/nn/layer_args.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "braid/core/error.hpp"

namespace braid::nn {

std::string py_tuple(const std::vector<int64_t>& v) {
  if (v.size() == 1) return fmt::format("({},)", v[0]);
  return fmt::format("({})", fmt::join(v, ", "));
}

std::string SizeArg::repr() const {
  if (!given()) return "None";
  return is_int ? std::to_string(values[0]) : py_tuple(values);
}

std::vector<int64_t> SizeArg::expand(int dims, const char* layer, const char* what) const {
  BRAID_CHECK(values.size() == 1 || values.size() == size_t(dims), ValueError, layer,
              "{} must be one int or {} ints; got {}", what, dims, repr());
  if (values.size() == 1) return std::vector<int64_t>(size_t(dims), values[0]);
  return values;
}

std::string py_float(double v) {
  // fmt's shortest round-trip form switches to exponents where Python's
  // repr does (exp < -4 or >= 16); Python adds ".0" to integral values.
  std::string s = fmt::format("{}", v);
  if (s.find_first_of(".eni") == std::string::npos) s += ".0";
  return s;
}

}  // namespace braid::nn
