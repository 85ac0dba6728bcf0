#include "braid/core/dtype.hpp"

#include <array>

#include "braid/core/error.hpp"

namespace braid {

Half::Half(float f) {
  uint32_t x;
  std::memcpy(&x, &f, 4);
  uint32_t sign = (x >> 16) & 0x8000u;
  uint32_t mag = x & 0x7fffffffu;
  if (mag > 0x7f800000u) {  // NaN
    bits = static_cast<uint16_t>(sign | 0x7e00u);
    return;
  }
  if (mag >= 0x477ff000u) {  // rounds to >= 65520: overflow to inf
    bits = static_cast<uint16_t>(sign | 0x7c00u);
    return;
  }
  if (mag < 0x38800000u) {  // below the smallest normal half: subnormal or zero
    // Add 0.5 (as a float) so the FPU does the round-to-nearest-even for us.
    float v;
    std::memcpy(&v, &mag, 4);
    v += 0.5f;
    uint32_t r;
    std::memcpy(&r, &v, 4);
    bits = static_cast<uint16_t>(sign | (r - 0x3f000000u));
    return;
  }
  uint32_t odd = (mag >> 13) & 1u;
  mag += 0xc8000fffu + odd;  // rebias exponent (-112 << 23) and round to nearest even
  bits = static_cast<uint16_t>(sign | (mag >> 13));
}

Half::operator float() const {
  uint32_t sign = uint32_t(bits & 0x8000u) << 16;
  uint32_t exp = (bits >> 10) & 0x1fu;
  uint32_t man = bits & 0x3ffu;
  uint32_t out;
  if (exp == 0x1f) {
    out = sign | 0x7f800000u | (man << 13);
  } else if (exp == 0) {
    if (man == 0) {
      out = sign;
    } else {  // subnormal: value = man * 2^-24
      float v = static_cast<float>(man) * (1.0f / 16777216.0f);
      std::memcpy(&out, &v, 4);
      out |= sign;
    }
  } else {
    out = sign | ((exp + 112) << 23) | (man << 13);
  }
  float f;
  std::memcpy(&f, &out, 4);
  return f;
}

namespace {
constexpr std::array<std::string_view, kNumDTypes> kNames = {
    "bool", "uint8", "int8", "int32", "int64", "float16", "bfloat16", "float32", "float64"};
constexpr std::array<size_t, kNumDTypes> kSizes = {1, 1, 1, 4, 8, 2, 2, 4, 8};
}  // namespace

size_t dtype_size(DType t) { return kSizes[static_cast<int>(t)]; }
std::string_view dtype_name(DType t) { return kNames[static_cast<int>(t)]; }

DType dtype_from_name(std::string_view name) {
  for (int i = 0; i < kNumDTypes; ++i)
    if (kNames[i] == name) return static_cast<DType>(i);
  throw ValueError(
      fmt::format("[dtype] unknown dtype '{}'; valid: {}", name, fmt::join(kNames, ", ")));
}

DType promote_types(DType a, DType b) {
  if (a == b) return a;
  // Mixed float16/bfloat16 has no common 16-bit type: PyTorch gives float32.
  if ((a == DType::Float16 && b == DType::BFloat16) ||
      (a == DType::BFloat16 && b == DType::Float16))
    return DType::Float32;
  // uint8 with a signed integer needs a wider signed type (int16 is absent here).
  if ((a == DType::UInt8 && b == DType::Int8) || (a == DType::Int8 && b == DType::UInt8))
    return DType::Int32;
  // Otherwise the enum is ordered bool < uint8 < int8 < int32 < int64 < f16/bf16 < f32 < f64.
  return a > b ? a : b;
}

namespace detail {
void throw_unsupported_dtype(std::string_view op, DType dt) {
  throw DTypeError(fmt::format("[{}] dtype {} is not supported", op, dtype_name(dt)));
}
void assert_fail(const char* cond, const char* file, int line) {
  throw std::logic_error(fmt::format("braid internal error: {} failed at {}:{}", cond, file, line));
}
}  // namespace detail

}  // namespace braid
