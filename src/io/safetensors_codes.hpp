#pragma once
// safetensors dtype codes, shared by the reader and the writer.
#include <string_view>
#include <utility>

#include "braid/core/dtype.hpp"
#include "braid/core/error.hpp"

namespace braid::io::detail {

inline constexpr std::pair<DType, std::string_view> kCodes[] = {
    {DType::Bool, "BOOL"},     {DType::UInt8, "U8"},    {DType::Int8, "I8"},
    {DType::Int32, "I32"},     {DType::Int64, "I64"},   {DType::Float16, "F16"},
    {DType::BFloat16, "BF16"}, {DType::Float32, "F32"}, {DType::Float64, "F64"}};
// In the format but without a braid dtype: refused by name, not as garbage.
inline constexpr std::string_view kUnsupported[] = {
    "I16", "U16", "U32", "U64", "F8_E4M3", "F8_E5M2", "F8_E8M0", "F6_E2M3", "F6_E3M2", "F4", "C64"};

inline std::string_view code_of(DType t) {
  for (const auto& [d, c] : kCodes)
    if (d == t) return c;
  BRAID_ASSERT(false);
  return {};
}

}  // namespace braid::io::detail
