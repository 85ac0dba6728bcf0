// dtypes: names and sizes, PyTorch's promotion table and its rules for 0-dim
// tensors and numbers written in a call, and the two 16-bit float formats.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>

#include "braid/braid.hpp"

namespace braid {
namespace {

constexpr DType kAll[] = {DType::Bool,     DType::UInt8,   DType::Int8,
                          DType::Int32,    DType::Int64,   DType::Float16,
                          DType::BFloat16, DType::Float32, DType::Float64};

TEST(DType, NamesSizesAndParsing) {
  const char* names[] = {"bool",    "uint8",    "int8",    "int32",  "int64",
                         "float16", "bfloat16", "float32", "float64"};
  const size_t sizes[] = {1, 1, 1, 4, 8, 2, 2, 4, 8};
  for (int i = 0; i < kNumDTypes; ++i) {
    EXPECT_EQ(dtype_name(kAll[i]), names[i]);
    EXPECT_EQ(dtype_size(kAll[i]), sizes[i]) << names[i];
    EXPECT_EQ(dtype_from_name(names[i]), kAll[i]);
  }
  try {
    dtype_from_name("float");
    FAIL();
  } catch (const ValueError& e) {
    EXPECT_STREQ(
        e.what(),
        "[dtype] unknown dtype 'float'; valid: bool, uint8, int8, int32, int64, float16, bfloat16, "
        "float32, float64");
  }
}

TEST(DType, Categories) {
  EXPECT_TRUE(is_floating(DType::Float16));
  EXPECT_TRUE(is_floating(DType::BFloat16));
  EXPECT_FALSE(is_floating(DType::Int64));
  EXPECT_FALSE(is_integral(DType::Bool));
  EXPECT_TRUE(is_integral(DType::Bool, /*include_bool=*/true));
  EXPECT_TRUE(is_integral(DType::UInt8));
  EXPECT_EQ(to_float_dtype(DType::Int32), DType::Float32);
  EXPECT_EQ(to_float_dtype(DType::BFloat16), DType::BFloat16);
}

// torch.promote_types for every pair, with one documented difference: braid
// has no int16, so uint8 with int8 gives int32 (PyTorch: int16).
TEST(DType, PromotionTableMatchesPyTorch) {
  using D = DType;
  const D b = D::Bool, u1 = D::UInt8, i1 = D::Int8, i4 = D::Int32, i8 = D::Int64, f2 = D::Float16,
          bf = D::BFloat16, f4 = D::Float32, f8 = D::Float64;
  const D table[9][9] = {
      /*        b   u1  i1  i4  i8  f2  bf  f4  f8 */
      /* b  */ {b, u1, i1, i4, i8, f2, bf, f4, f8},
      /* u1 */ {u1, u1, i4, i4, i8, f2, bf, f4, f8},
      /* i1 */ {i1, i4, i1, i4, i8, f2, bf, f4, f8},
      /* i4 */ {i4, i4, i4, i4, i8, f2, bf, f4, f8},
      /* i8 */ {i8, i8, i8, i8, i8, f2, bf, f4, f8},
      /* f2 */ {f2, f2, f2, f2, f2, f2, f4, f4, f8},
      /* bf */ {bf, bf, bf, bf, bf, f4, bf, f4, f8},
      /* f4 */ {f4, f4, f4, f4, f4, f4, f4, f4, f8},
      /* f8 */ {f8, f8, f8, f8, f8, f8, f8, f8, f8},
  };
  for (int i = 0; i < 9; ++i)
    for (int j = 0; j < 9; ++j)
      EXPECT_EQ(promote_types(kAll[i], kAll[j]), table[i][j])
          << dtype_name(kAll[i]) << " with " << dtype_name(kAll[j]) << " gives "
          << dtype_name(promote_types(kAll[i], kAll[j]));
}

Tensor dims(DType t) { return zeros({2}, t); }
Tensor zero_dim(DType t) { return zeros({}, t); }
Tensor number(Scalar v) { return scalar_tensor(v, std::nullopt, /*wrapped=*/true); }

// PyTorch's rule: dimensioned tensors decide; a 0-dim tensor or a written
// number only counts when it is of a higher category (bool < int < float),
// and a written float then means the default float32.
TEST(DType, ResultTypeZeroDimAndWrappedNumbers) {
  using D = DType;
  EXPECT_EQ(result_type(dims(D::Int32), dims(D::Int64)), D::Int64);
  EXPECT_EQ(result_type(dims(D::Int32), zero_dim(D::Int64)), D::Int32);
  EXPECT_EQ(result_type(dims(D::Int32), number(5)), D::Int32);
  EXPECT_EQ(result_type(dims(D::Int32), number(5.5)), D::Float32);
  EXPECT_EQ(result_type(dims(D::Int64), zero_dim(D::Float64)), D::Float64);
  EXPECT_EQ(result_type(dims(D::Float32), zero_dim(D::Float64)), D::Float32);
  EXPECT_EQ(result_type(dims(D::Float16), zero_dim(D::Float32)), D::Float16);
  EXPECT_EQ(result_type(dims(D::Float16), number(2.0)), D::Float16);
  EXPECT_EQ(result_type(dims(D::BFloat16), number(2)), D::BFloat16);
  EXPECT_EQ(result_type(dims(D::UInt8), number(1000)), D::UInt8);
  EXPECT_EQ(result_type(dims(D::Bool), number(1)), D::Int64);
  EXPECT_EQ(result_type(dims(D::Bool), number(true)), D::Bool);
  EXPECT_EQ(result_type(dims(D::Bool), zero_dim(D::UInt8)), D::UInt8);
  EXPECT_EQ(result_type(dims(D::Bool), dims(D::Int32)), D::Int32);
  EXPECT_EQ(result_type(dims(D::Int64), dims(D::Float32)), D::Float32);
  EXPECT_EQ(result_type(dims(D::Float32), dims(D::Float64)), D::Float64);
  // Only 0-dim operands: they decide among themselves, numbers still weaker.
  EXPECT_EQ(result_type(zero_dim(D::Int32), zero_dim(D::Int64)), D::Int64);
  EXPECT_EQ(result_type(zero_dim(D::Int64), number(2.5)), D::Float32);
  EXPECT_EQ(result_type(zero_dim(D::Float64), number(2.5)), D::Float64);
  EXPECT_EQ(result_type(zero_dim(D::Float16), number(2.5)), D::Float16);
  EXPECT_EQ(result_type(number(1), number(2.5)), D::Float32);
  EXPECT_EQ(result_type(number(1), number(2)), D::Int64);
}

// The operators follow the same rules for the numbers written in them.
TEST(DType, ScalarOperatorsPromoteLikePyTorch) {
  EXPECT_EQ((dims(DType::Int32) * 2.5).dtype(), DType::Float32);
  EXPECT_EQ((dims(DType::Int32) * 2).dtype(), DType::Int32);
  EXPECT_EQ((dims(DType::Float16) + 2.0).dtype(), DType::Float16);
  EXPECT_EQ((2.0 * dims(DType::BFloat16)).dtype(), DType::BFloat16);
  EXPECT_EQ((dims(DType::Float64) + 1).dtype(), DType::Float64);
  EXPECT_EQ((dims(DType::Bool) + 1).dtype(), DType::Int64);
  EXPECT_EQ((dims(DType::UInt8) + 1).dtype(), DType::UInt8);
  EXPECT_EQ((dims(DType::Int64) / 2).dtype(), DType::Float32);  // true division
  EXPECT_EQ((zero_dim(DType::Int64) + 2.5).dtype(), DType::Float32);
}

// -- 16-bit floats ---------------------------------------------------------------

uint32_t float_bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}
float bits_float(uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

TEST(Half, EveryBitPatternRoundTrips) {
  for (uint32_t b = 0; b < 65536; ++b) {
    Half h;
    h.bits = static_cast<uint16_t>(b);
    float f = h;
    bool nan = (b & 0x7c00u) == 0x7c00u && (b & 0x3ffu) != 0;
    if (nan) {
      EXPECT_TRUE(std::isnan(f)) << std::hex << b;
      EXPECT_TRUE(std::isnan(static_cast<float>(Half(f)))) << std::hex << b;
      continue;
    }
    ASSERT_EQ(Half(f).bits, b) << std::hex << "bits 0x" << b << " -> " << f;
  }
}

TEST(Half, KnownValues) {
  EXPECT_EQ(Half(1.0f).bits, 0x3c00);
  EXPECT_EQ(Half(-2.0f).bits, 0xc000);
  EXPECT_EQ(Half(0.0f).bits, 0x0000);
  EXPECT_EQ(Half(-0.0f).bits, 0x8000);
  EXPECT_EQ(Half(65504.0f).bits, 0x7bff);               // largest finite
  EXPECT_EQ(Half(std::ldexp(1.0f, -14)).bits, 0x0400);  // smallest normal
  EXPECT_EQ(Half(std::ldexp(1.0f, -24)).bits, 0x0001);  // smallest subnormal
  EXPECT_EQ(Half(std::numeric_limits<float>::infinity()).bits, 0x7c00);
  EXPECT_EQ(Half(-std::numeric_limits<float>::infinity()).bits, 0xfc00);
  EXPECT_TRUE(std::isnan(static_cast<float>(Half(std::nanf("")))));
  EXPECT_FLOAT_EQ(static_cast<float>(Half(0.1f)), 0.0999755859375f);
}

TEST(Half, RoundsToNearestEven) {
  // Halfway between 1 and the next half (1 + 2^-10): ties go to the even 1.
  EXPECT_EQ(Half(1.0f + std::ldexp(1.0f, -11)).bits, 0x3c00);
  // Halfway between 1 + 2^-10 (odd) and 1 + 2^-9 (even): up.
  EXPECT_EQ(Half(1.0f + 3 * std::ldexp(1.0f, -11)).bits, 0x3c02);
  // Just above halfway rounds up.
  EXPECT_EQ(Half(bits_float(float_bits(1.0f + std::ldexp(1.0f, -11)) + 1)).bits, 0x3c01);
  // Overflow: 65519 rounds down to 65504, 65520 (halfway to 2^16) to inf.
  EXPECT_EQ(Half(65519.0f).bits, 0x7bff);
  EXPECT_EQ(Half(65520.0f).bits, 0x7c00);
  // Subnormals: 2^-25 is halfway between 0 and 2^-24 -> 0 (even); 3 * 2^-26 -> 2^-24.
  EXPECT_EQ(Half(std::ldexp(1.0f, -25)).bits, 0x0000);
  EXPECT_EQ(Half(3 * std::ldexp(1.0f, -26)).bits, 0x0001);
  EXPECT_EQ(Half(3 * std::ldexp(1.0f, -25)).bits, 0x0002);  // 1.5 * 2^-24: tie -> even 2
}

TEST(BFloat16, EveryBitPatternRoundTrips) {
  for (uint32_t b = 0; b < 65536; ++b) {
    BFloat16 h;
    h.bits = static_cast<uint16_t>(b);
    float f = h;
    if (std::isnan(f)) {
      EXPECT_TRUE(std::isnan(static_cast<float>(BFloat16(f))));
      continue;
    }
    ASSERT_EQ(BFloat16(f).bits, b) << std::hex << b;
  }
}

TEST(BFloat16, KnownValuesAndRounding) {
  EXPECT_EQ(BFloat16(1.0f).bits, 0x3f80);
  EXPECT_EQ(BFloat16(-1.0f).bits, 0xbf80);
  EXPECT_EQ(BFloat16(1.0f + std::ldexp(1.0f, -8)).bits, 0x3f80);      // tie -> even
  EXPECT_EQ(BFloat16(1.0f + 3 * std::ldexp(1.0f, -8)).bits, 0x3f82);  // tie -> even (up)
  EXPECT_EQ(BFloat16(bits_float(0x3f808001u)).bits, 0x3f81);          // above the tie
  EXPECT_EQ(BFloat16(std::numeric_limits<float>::infinity()).bits, 0x7f80);
  BFloat16 nan(std::nanf(""));
  EXPECT_TRUE(std::isnan(static_cast<float>(nan)));
  EXPECT_NE(nan.bits & 0x40, 0) << "NaN must stay quiet";
  EXPECT_FLOAT_EQ(static_cast<float>(BFloat16(3.14159f)), 3.140625f);
}

TEST(HalfTensors, CastRoundTripAndRounding) {
  Tensor x = tensor({1.0, 0.1, 65504.0, 70000.0, -3.5});
  Tensor h = x.to(DType::Float16);
  EXPECT_EQ(h.dtype(), DType::Float16);
  std::vector<float> back = h.to(DType::Float32).to_vector<float>();
  EXPECT_EQ(back[0], 1.0f);
  EXPECT_EQ(back[1], 0.0999755859375f);
  EXPECT_EQ(back[2], 65504.0f);
  EXPECT_TRUE(std::isinf(back[3]));
  EXPECT_EQ(back[4], -3.5f);
  std::vector<float> bf = x.to(DType::BFloat16).to(DType::Float32).to_vector<float>();
  EXPECT_EQ(bf[0], 1.0f);
  EXPECT_EQ(bf[1], 0.10009765625f);
  EXPECT_EQ(bf[3], 70144.0f);
  // Arithmetic in float16 computes in float32 and rounds once on the way back.
  Tensor s = tensor({1.0}).to(DType::Float16) + tensor({std::ldexp(1.0, -11)}).to(DType::Float16);
  EXPECT_EQ(s.dtype(), DType::Float16);
  EXPECT_EQ(s.to_vector<float>()[0], 1.0f);
}

}  // namespace
}  // namespace braid
