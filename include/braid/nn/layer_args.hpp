#pragma once
/// Argument types shared by the layers: an int-or-tuple size that remembers
/// how it was written (PyTorch prints pooling sizes as given), and Python's
/// spelling of numbers and bools for extra_repr().
#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

namespace braid::nn {

/// One int for every spatial dim (`2`) or one per dim (`{2, 1}`); default:
/// not given (PyTorch's None).
struct SizeArg {
  std::vector<int64_t> values;
  bool is_int = false;
  SizeArg() = default;
  SizeArg(int64_t v) : values{v}, is_int(true) {}  // NOLINT: `.stride = 2` reads naturally
  SizeArg(std::initializer_list<int64_t> v) : values(v) {}
  SizeArg(std::vector<int64_t> v) : values(std::move(v)) {}  // NOLINT: as above
  bool given() const { return !values.empty(); }
  /// Python's repr: "2", "(2, 2)", "(3,)".
  std::string repr() const;
  /// One value per dim for `dims` spatial dims. Throws ValueError naming
  /// `layer` and `what` for a wrong count.
  std::vector<int64_t> expand(int dims, const char* layer, const char* what) const;
};

/// Python's repr of a float: "0.1", "1e-05", "1.0".
std::string py_float(double v);
/// "True" / "False".
inline const char* py_bool(bool b) { return b ? "True" : "False"; }
/// Python's repr of an int tuple: "(10,)", "(2, 5)".
std::string py_tuple(const std::vector<int64_t>& v);

}  // namespace braid::nn
