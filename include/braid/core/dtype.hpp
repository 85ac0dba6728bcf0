#pragma once
/// Element types, their sizes and names, the two 16-bit float formats, and
/// PyTorch's type-promotion rules.
#include <cstdint>
#include <cstring>
#include <string_view>

namespace braid {

enum class DType : uint8_t { Bool, UInt8, Int8, Int32, Int64, Float16, BFloat16, Float32, Float64 };
inline constexpr int kNumDTypes = 9;

/// IEEE binary16, storage and conversion only: ops compute in float32.
struct Half {
  uint16_t bits = 0;
  Half() = default;
  Half(float f);  // NOLINT: implicit like a built-in float type
  operator float() const;
};

/// bfloat16 (the top half of a float32), storage and conversion only.
struct BFloat16 {
  uint16_t bits = 0;
  BFloat16() = default;
  BFloat16(float f) {  // NOLINT
    uint32_t u;
    std::memcpy(&u, &f, 4);
    if ((u & 0x7fffffffu) > 0x7f800000u) {  // NaN stays a quiet NaN
      bits = static_cast<uint16_t>((u >> 16) | 0x40);
      return;
    }
    u += 0x7fffu + ((u >> 16) & 1u);  // round to nearest even
    bits = static_cast<uint16_t>(u >> 16);
  }
  operator float() const {
    uint32_t u = uint32_t(bits) << 16;
    float f;
    std::memcpy(&f, &u, 4);
    return f;
  }
};

size_t dtype_size(DType t);
std::string_view dtype_name(DType t);
/// Parses "float32", "int64", ... Throws ValueError naming the valid names.
DType dtype_from_name(std::string_view name);

inline bool is_floating(DType t) { return t >= DType::Float16; }
inline bool is_integral(DType t, bool include_bool = false) {
  return (t != DType::Bool || include_bool) && t < DType::Float16;
}
/// The float type that an op computes in for `t` (integers -> float32).
inline DType to_float_dtype(DType t) { return is_floating(t) ? t : DType::Float32; }

/// torch.promote_types: the smallest type that holds both.
DType promote_types(DType a, DType b);

template <class T>
struct DTypeOf;
#define BRAID_DTYPE_OF(T, D)                 \
  template <>                                \
  struct DTypeOf<T> {                        \
    static constexpr DType value = DType::D; \
  };
BRAID_DTYPE_OF(bool, Bool)
BRAID_DTYPE_OF(uint8_t, UInt8)
BRAID_DTYPE_OF(int8_t, Int8)
BRAID_DTYPE_OF(int32_t, Int32)
BRAID_DTYPE_OF(int64_t, Int64)
BRAID_DTYPE_OF(Half, Float16)
BRAID_DTYPE_OF(BFloat16, BFloat16)
BRAID_DTYPE_OF(float, Float32)
BRAID_DTYPE_OF(double, Float64)
#undef BRAID_DTYPE_OF
template <class T>
inline constexpr DType dtype_of = DTypeOf<T>::value;

}  // namespace braid

// Calls the code once with `scalar_t` bound to the C++ type of `dt`.
// Types a kernel does not list throw DTypeError naming the op.
// The lambda is not a template, so `if constexpr` inside it does not discard
// the branches for other types: put type-specific code in a template helper.
#define BRAID_DT_CASE(D, T, ...) \
  case ::braid::DType::D: {      \
    using scalar_t = T;          \
    __VA_ARGS__();               \
    break;                       \
  }
#define BRAID_DISPATCH_FLOAT(dt, op, ...)                      \
  switch (dt) {                                                \
    BRAID_DT_CASE(Float32, float, __VA_ARGS__)                 \
    BRAID_DT_CASE(Float64, double, __VA_ARGS__)                \
    default: ::braid::detail::throw_unsupported_dtype(op, dt); \
  }
#define BRAID_DISPATCH_NUMERIC(dt, op, ...)                    \
  switch (dt) {                                                \
    BRAID_DT_CASE(UInt8, uint8_t, __VA_ARGS__)                 \
    BRAID_DT_CASE(Int8, int8_t, __VA_ARGS__)                   \
    BRAID_DT_CASE(Int32, int32_t, __VA_ARGS__)                 \
    BRAID_DT_CASE(Int64, int64_t, __VA_ARGS__)                 \
    BRAID_DT_CASE(Float32, float, __VA_ARGS__)                 \
    BRAID_DT_CASE(Float64, double, __VA_ARGS__)                \
    default: ::braid::detail::throw_unsupported_dtype(op, dt); \
  }
#define BRAID_DISPATCH_ALL(dt, op, ...)                     \
  switch (dt) {                                             \
    BRAID_DT_CASE(Bool, bool, __VA_ARGS__)                  \
    BRAID_DT_CASE(UInt8, uint8_t, __VA_ARGS__)              \
    BRAID_DT_CASE(Int8, int8_t, __VA_ARGS__)                \
    BRAID_DT_CASE(Int32, int32_t, __VA_ARGS__)              \
    BRAID_DT_CASE(Int64, int64_t, __VA_ARGS__)              \
    BRAID_DT_CASE(Float16, ::braid::Half, __VA_ARGS__)      \
    BRAID_DT_CASE(BFloat16, ::braid::BFloat16, __VA_ARGS__) \
    BRAID_DT_CASE(Float32, float, __VA_ARGS__)              \
    BRAID_DT_CASE(Float64, double, __VA_ARGS__)             \
  }

namespace braid::detail {
[[noreturn]] void throw_unsupported_dtype(std::string_view op, DType dt);
}
