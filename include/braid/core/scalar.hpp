#pragma once
/// A number passed to an op without a tensor: keeps whether it was written as
/// a bool, an integer or a float, because type promotion depends on it
/// (int tensor + 2 stays int, int tensor + 2.5 becomes float32).
#include <cstdint>
#include <type_traits>

#include "braid/core/dtype.hpp"

namespace braid {

class Scalar {
 public:
  enum class Kind : uint8_t { Bool, Int, Float };
  Scalar() : kind_(Kind::Int), i_(0) {}
  template <class T, std::enable_if_t<std::is_arithmetic_v<T>, int> = 0>
  Scalar(T v) {  // NOLINT: numbers convert implicitly, as in PyTorch
    if constexpr (std::is_same_v<T, bool>) {
      kind_ = Kind::Bool;
      i_ = v;
    } else if constexpr (std::is_integral_v<T>) {
      kind_ = Kind::Int;
      i_ = static_cast<int64_t>(v);
    } else {
      kind_ = Kind::Float;
      d_ = static_cast<double>(v);
    }
  }
  Kind kind() const { return kind_; }
  bool is_floating() const { return kind_ == Kind::Float; }
  double to_double() const { return kind_ == Kind::Float ? d_ : static_cast<double>(i_); }
  int64_t to_int() const { return kind_ == Kind::Float ? static_cast<int64_t>(d_) : i_; }
  /// The dtype a tensor made from this number alone gets.
  DType dtype() const {
    return kind_ == Kind::Float ? DType::Float64 : kind_ == Kind::Int ? DType::Int64 : DType::Bool;
  }
  template <class T>
  T to() const {
    if constexpr (std::is_same_v<T, bool>) {
      return to_double() != 0;
    } else {
      return kind_ == Kind::Float ? static_cast<T>(d_) : static_cast<T>(i_);
    }
  }

 private:
  Kind kind_;
  union {
    int64_t i_;
    double d_;
  };
};

}  // namespace braid
