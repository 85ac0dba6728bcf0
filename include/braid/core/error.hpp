#pragma once
/// braid's exceptions. Every user-facing error derives from braid::Error and
/// reads "[op] rule; got ...". Modules append their path as they unwind.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <stdexcept>
#include <string>

namespace braid {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& msg) : std::runtime_error(msg), msg_(msg) {}
  const char* what() const noexcept override { return msg_.c_str(); }
  /// Whether a module already said where the error happened.
  bool has_context() const { return has_context_; }
  /// Appends "\n  in <where>" once: the innermost module that sees the
  /// error names its full path; the modules around it leave it alone.
  void add_context(const std::string& where) {
    if (has_context_) return;
    msg_ += "\n  in " + where;
    has_context_ = true;
  }

 private:
  std::string msg_;
  bool has_context_ = false;
};
class ShapeError : public Error {
  using Error::Error;
};
class DTypeError : public Error {
  using Error::Error;
};
class IndexError : public Error {
  using Error::Error;
};
class ValueError : public Error {
  using Error::Error;
};
/// Autograd misuse: backward through freed or modified tensors, NaN in anomaly mode.
class AutogradError : public Error {
  using Error::Error;
};
class IOError : public Error {
  using Error::Error;
};

namespace detail {
/// Internal invariant; a failure is a braid bug, never a user error.
[[noreturn]] void assert_fail(const char* cond, const char* file, int line);
}  // namespace detail

}  // namespace braid

/// Throws `Type` with "[op] message" when `cond` is false. The message is only
/// formatted on failure.
#define BRAID_CHECK(cond, Type, op, ...)                                \
  do {                                                                  \
    if (!(cond)) [[unlikely]]                                           \
      throw Type(fmt::format("[{}] {}", op, fmt::format(__VA_ARGS__))); \
  } while (0)

#define BRAID_ASSERT(cond)                                     \
  do {                                                         \
    if (!(cond)) [[unlikely]]                                  \
      ::braid::detail::assert_fail(#cond, __FILE__, __LINE__); \
  } while (0)
