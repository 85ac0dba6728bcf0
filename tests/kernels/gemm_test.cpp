// gemm_portable and gemm_x86 against the naive triple loop (gemm_reference),
// over shapes, strides, broadcast batches, accumulate and thread counts.
#include "kernels/portable/gemm.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#ifdef _OPENMP
#include <omp.h>
#endif
#ifdef BRAID_HAVE_DNNL
#include "kernels/x86/gemm_avx512.hpp"
#include "kernels/x86/gemm_dnnl.hpp"
#endif

namespace braid::kernels {
namespace {

// How one case lays out its operands. trans: the matrix is stored column-
// major (unit row stride); pad: extra elements per stored row or column;
// broadcast: batch stride 0.
struct Layout {
  bool a_trans = false, b_trans = false, c_trans = false;
  int64_t pad = 0;
  bool a_broadcast = false, b_broadcast = false;
  bool accumulate = false;
};

struct Shape {
  int64_t batch, m, n, k;
};

std::string describe(const Shape& s, const Layout& l) {
  return "batch=" + std::to_string(s.batch) + " m=" + std::to_string(s.m) +
         " n=" + std::to_string(s.n) + " k=" + std::to_string(s.k) +
         " a_trans=" + std::to_string(l.a_trans) + " b_trans=" + std::to_string(l.b_trans) +
         " c_trans=" + std::to_string(l.c_trans) + " pad=" + std::to_string(l.pad) +
         " a_bcast=" + std::to_string(l.a_broadcast) + " b_bcast=" + std::to_string(l.b_broadcast) +
         " acc=" + std::to_string(l.accumulate);
}

// Strides of one (rows, cols) matrix and the elements one batch occupies.
void matrix_strides(int64_t rows, int64_t cols, bool trans, int64_t pad, int64_t& rs, int64_t& cs,
                    int64_t& size) {
  if (trans) {
    rs = 1, cs = rows + pad, size = cs * cols;
  } else {
    rs = cols + pad, cs = 1, size = rs * rows;
  }
}

GemmArgs make_args(const Shape& s, const Layout& l, size_t& a_len, size_t& b_len, size_t& c_len) {
  GemmArgs g;
  g.batch = s.batch, g.m = s.m, g.n = s.n, g.k = s.k, g.accumulate = l.accumulate;
  int64_t a_size, b_size, c_size;
  matrix_strides(s.m, s.k, l.a_trans, l.pad, g.a_rs, g.a_cs, a_size);
  matrix_strides(s.k, s.n, l.b_trans, l.pad, g.b_rs, g.b_cs, b_size);
  matrix_strides(s.m, s.n, l.c_trans, l.pad, g.c_rs, g.c_cs, c_size);
  g.a_bs = l.a_broadcast ? 0 : a_size + l.pad;
  g.b_bs = l.b_broadcast ? 0 : b_size + l.pad;
  g.c_bs = c_size + l.pad;
  a_len = static_cast<size_t>(std::max<int64_t>(1, l.a_broadcast ? a_size : g.a_bs * s.batch));
  b_len = static_cast<size_t>(std::max<int64_t>(1, l.b_broadcast ? b_size : g.b_bs * s.batch));
  c_len = static_cast<size_t>(std::max<int64_t>(1, g.c_bs * s.batch));
  return g;
}

// Small integers make float and double sums exact in any order, so those
// runs can be compared bit for bit; `real` draws rounding-sensitive values.
template <class T>
std::vector<T> random_values(size_t len, uint32_t seed, bool real) {
  std::mt19937 rng(seed);
  std::vector<T> v(len);
  std::uniform_int_distribution<int> small(-4, 4);
  std::uniform_real_distribution<double> unit(-1.0, 1.0);
  for (auto& x : v) x = real ? static_cast<T>(unit(rng)) : static_cast<T>(small(rng));
  return v;
}

// A value no correct kernel writes: C's padding must keep it, and a
// non-accumulating kernel must ignore it (NaN * 0 would leak through beta).
template <class T>
T sentinel() {
  if constexpr (std::is_floating_point_v<T>) return std::numeric_limits<T>::quiet_NaN();
  return T{77};
}

template <class T>
bool same(T x, T y) {
  if constexpr (std::is_floating_point_v<T>) return (std::isnan(x) && std::isnan(y)) || x == y;
  return x == y;
}

// Runs `kernel` on one case and checks it against gemm_reference: exact for
// integer-valued data, else within k * eps * sum|a||b| per element.
template <class T, class Kernel>
void check_case(const Shape& s, const Layout& l, bool real, Kernel kernel) {
  size_t a_len, b_len, c_len;
  const GemmArgs g = make_args(s, l, a_len, b_len, c_len);
  const auto a = random_values<T>(a_len, 1, real), b = random_values<T>(b_len, 2, real);
  std::vector<T> c(c_len, sentinel<T>());
  if (l.accumulate) c = random_values<T>(c_len, 3, real);
  std::vector<T> want = c;
  gemm_reference(g, a.data(), b.data(), want.data());
  const std::vector<T> before = c;
  if (!kernel(g, a.data(), b.data(), c.data())) {
    for (size_t i = 0; i < c_len; ++i)
      ASSERT_TRUE(same(c[i], before[i])) << describe(s, l) << ": declined but wrote C[" << i << "]";
    return;
  }
  // |a| |b| summed, as the rounding-error scale of each output element.
  GemmArgs abs_args = g;
  abs_args.accumulate = false;
  std::vector<T> abs_a(a), abs_b(b), scale(c_len, T{});
  for (auto& x : abs_a) x = x < 0 ? -x : x;
  for (auto& x : abs_b) x = x < 0 ? -x : x;
  if (real) gemm_reference(abs_args, abs_a.data(), abs_b.data(), scale.data());
  const double eps = std::is_floating_point_v<T> ? std::numeric_limits<T>::epsilon() : 0.0;
  for (size_t i = 0; i < c_len; ++i) {
    const double tol = real ? 2.0 * (s.k + 2) * eps * (std::fabs(double(scale[i])) + 1.0) : 0.0;
    const bool ok = real && !std::isnan(double(want[i]))
                        ? std::fabs(double(c[i]) - double(want[i])) <= tol
                        : same(c[i], want[i]);
    ASSERT_TRUE(ok) << describe(s, l) << " at flat index " << i << ": got " << c[i] << ", want "
                    << want[i];
  }
}

const std::vector<Shape> kShapes = {
    {1, 1, 1, 1},    {1, 0, 5, 3},     {1, 4, 0, 3}, {1, 4, 5, 0},    {0, 4, 5, 3},
    {1, 1, 7, 9},    {1, 7, 1, 9},     {1, 5, 6, 1}, {1, 17, 33, 65}, {1, 6, 16, 256},
    {1, 7, 17, 257}, {1, 37, 50, 300}, {3, 5, 7, 9}, {4, 17, 33, 65}, {2, 0, 3, 4},
    {3, 4, 5, 0},    {5, 1, 1, 1},
};

std::vector<Layout> all_layouts() {
  std::vector<Layout> out;
  for (int bits = 0; bits < 64; ++bits) {
    Layout l;
    l.a_trans = bits & 1, l.b_trans = bits & 2, l.c_trans = bits & 4;
    l.pad = (bits & 8) ? 3 : 0;
    l.accumulate = bits & 16;
    l.a_broadcast = (bits & 32) && !(bits & 1);
    l.b_broadcast = (bits & 32) && (bits & 1);
    out.push_back(l);
  }
  return out;
}

template <class T>
bool run_portable(const GemmArgs& g, const T* a, const T* b, T* c) {
  gemm_portable(g, a, b, c);
  return true;
}

template <class T>
class GemmPortable : public ::testing::Test {};
using GemmTypes = ::testing::Types<float, double, int32_t, int64_t>;
TYPED_TEST_SUITE(GemmPortable, GemmTypes);

TYPED_TEST(GemmPortable, MatchesReferenceExactlyOnIntegerData) {
  for (const Shape& s : kShapes)
    for (const Layout& l : all_layouts())
      check_case<TypeParam>(s, l, false, run_portable<TypeParam>);
}

TYPED_TEST(GemmPortable, MatchesReferenceOnRealData) {
  if constexpr (std::is_floating_point_v<TypeParam>) {
    for (const Shape& s : kShapes)
      for (const Layout& l : all_layouts())
        check_case<TypeParam>(s, l, true, run_portable<TypeParam>);
  }
}

TEST(GemmPortable, BlockEdgesMatchReference) {
  // Past every blocking boundary: rows > kMbig (1536) and > kMc, columns >
  // kNc (2048), k over several slices, with parallel tiles.
  const std::vector<Shape> shapes = {
      {1, 1600, 40, 20}, {1, 5, 2100, 20}, {1, 200, 100, 600}, {1, 64, 128, 784}};
  for (const Shape& s : shapes) {
    for (const Layout& l : {Layout{}, Layout{true, true, true, 2, false, false, true}}) {
      check_case<float>(s, l, true, run_portable<float>);
      check_case<double>(s, l, true, run_portable<double>);
      check_case<int32_t>(s, l, false, run_portable<int32_t>);
    }
  }
}

TEST(GemmReference, SmallHandWorkedProduct) {
  // [1 2; 3 4] @ [5 6; 7 8] = [19 22; 43 50]
  const float a[] = {1, 2, 3, 4}, b[] = {5, 6, 7, 8};
  float c[4] = {};
  gemm_reference(gemm_args_row_major(2, 2, 2), a, b, c);
  EXPECT_EQ(c[0], 19);
  EXPECT_EQ(c[1], 22);
  EXPECT_EQ(c[2], 43);
  EXPECT_EQ(c[3], 50);
}

TEST(GemmPortable, IntegerProductsWrapLikeTwosComplement) {
  const int32_t a[] = {1 << 20, 3}, b[] = {1 << 20, 5};
  int32_t c = 0;
  gemm_portable(gemm_args_row_major(1, 1, 2), a, b, &c);
  EXPECT_EQ(c, 15);  // 2^40 wraps to 0 in 32 bits
}

TEST(GemmPortable, SharedOutputBatchesSumInOrder) {
  // c_bs == 0: each batch adds its product into the one C.
  const float a[] = {1, 2, 3}, b[] = {10, 20, 30};
  float c = 1;
  GemmArgs g = gemm_args_row_major(1, 1, 1, /*accumulate=*/true);
  g.batch = 3, g.a_bs = 1, g.b_bs = 1, g.c_bs = 0;
  gemm_portable(g, a, b, &c);
  EXPECT_EQ(c, 1 + 10 + 40 + 90);
}

TEST(GemmPortable, GeneralStridesWithNoUnitStride) {
  // Every other row and column of larger buffers, and a zero (expanded) stride.
  Shape s{2, 9, 11, 13};
  GemmArgs g;
  g.batch = s.batch, g.m = s.m, g.n = s.n, g.k = s.k;
  g.a_rs = 2 * 2 * s.k + 1, g.a_cs = 2, g.a_bs = g.a_rs * s.m * 2;
  g.b_rs = 0, g.b_cs = 3, g.b_bs = 3 * s.n;
  g.c_rs = 2, g.c_cs = 2 * s.m + 1, g.c_bs = g.c_cs * s.n + 1;
  const auto a = random_values<double>(size_t(g.a_bs * s.batch), 4, true);
  const auto b = random_values<double>(size_t(g.b_bs * s.batch), 5, true);
  std::vector<double> c(size_t(g.c_bs * s.batch), 0.5), want = c;
  gemm_reference(g, a.data(), b.data(), want.data());
  gemm_portable(g, a.data(), b.data(), c.data());
  for (size_t i = 0; i < c.size(); ++i) EXPECT_NEAR(c[i], want[i], 1e-12) << "index " << i;
}

#ifdef _OPENMP
// Note [deterministic gemm]: the bits must not depend on the thread count.
template <class T>
std::vector<T> run_with_threads(int threads, const Shape& s, const Layout& l) {
  size_t a_len, b_len, c_len;
  const GemmArgs g = make_args(s, l, a_len, b_len, c_len);
  const auto a = random_values<T>(a_len, 7, true), b = random_values<T>(b_len, 8, true);
  std::vector<T> c = random_values<T>(c_len, 9, true);
  const int saved = omp_get_max_threads();
  omp_set_num_threads(threads);
  gemm_portable(g, a.data(), b.data(), c.data());
  omp_set_num_threads(saved);
  return c;
}

TEST(GemmPortable, BitIdenticalForAnyThreadCount) {
  const std::vector<Shape> shapes = {{1, 300, 200, 170}, {1, 64, 128, 784}, {1, 2048, 33, 600},
                                     {64, 20, 30, 40},   {3, 100, 90, 800}, {1, 13, 2100, 50}};
  for (const Shape& s : shapes) {
    for (const Layout& l : {Layout{}, Layout{true, true, false, 1, false, true, true}}) {
      const auto one = run_with_threads<float>(1, s, l);
      for (int threads : {2, 3}) {
        const auto many = run_with_threads<float>(threads, s, l);
        ASSERT_EQ(0, std::memcmp(one.data(), many.data(), one.size() * sizeof(float)))
            << describe(s, l) << " threads=" << threads;
      }
      const auto d1 = run_with_threads<double>(1, s, l), d2 = run_with_threads<double>(2, s, l);
      ASSERT_EQ(0, std::memcmp(d1.data(), d2.data(), d1.size() * sizeof(double))) << describe(s, l);
    }
  }
}

TEST(GemmPortable, BatchedCallMatchesSeparateCallsBitForBit) {
  // The batch runs one product per thread; a lone product of this size is
  // split over the team. Both must give the same bits.
  const Shape s{6, 40, 50, 300};
  size_t a_len, b_len, c_len;
  const GemmArgs g = make_args(s, Layout{}, a_len, b_len, c_len);
  const auto a = random_values<float>(a_len, 11, true), b = random_values<float>(b_len, 12, true);
  std::vector<float> batched(c_len, 0), separate(c_len, 0);
  gemm_portable(g, a.data(), b.data(), batched.data());
  GemmArgs one = g;
  one.batch = 1;
  for (int64_t i = 0; i < s.batch; ++i)
    gemm_portable(one, a.data() + i * g.a_bs, b.data() + i * g.b_bs, separate.data() + i * g.c_bs);
  ASSERT_EQ(0, std::memcmp(batched.data(), separate.data(), c_len * sizeof(float)));
}
#endif

#ifdef BRAID_HAVE_DNNL
// Returns whatever gemm_x86 returns; a false must leave C untouched.
bool run_x86(const GemmArgs& g, const float* a, const float* b, float* c) {
  return gemm_x86(g, a, b, c);
}

TEST(GemmX86, MatchesReferenceOnRealAndIntegerData) {
  for (const Shape& s : kShapes) {
    for (const Layout& l : all_layouts()) {
      check_case<float>(s, l, true, run_x86);
      check_case<float>(s, l, false, run_x86);
    }
  }
}

TEST(GemmX86, LargeShapesMatchReference) {
  const std::vector<Shape> shapes = {{1, 64, 128, 784}, {1, 300, 200, 170}, {8, 33, 65, 100}};
  for (const Shape& s : shapes) {
    for (const Layout& l : {Layout{}, Layout{true, true, true, 2, false, false, true},
                            Layout{false, true, false, 0, false, true, false}}) {
      check_case<float>(s, l, true, run_x86);
    }
  }
}

TEST(GemmX86, HandlesEveryUnitStrideLayout) {
  // Unit row or column strides are what oneDNN expresses: it must not decline.
  for (const Shape& s : kShapes) {
    for (const Layout& l : all_layouts()) {
      size_t a_len, b_len, c_len;
      const GemmArgs g = make_args(s, l, a_len, b_len, c_len);
      std::vector<float> a(a_len, 1), b(b_len, 1), c(c_len, 0);
      EXPECT_TRUE(gemm_x86(g, a.data(), b.data(), c.data())) << describe(s, l);
    }
  }
}

// braid's own kernels (Note [own small gemm]) on their own, with shapes
// that leave every tail: rows past a multiple of 6 and 4, columns past 16,
// 64 and 6, k past 16 and past the 128-deep block, and k long enough for the
// dot form's 1024-deep blocks (the last one short and not a multiple of 16).
bool run_avx512(const GemmArgs& g, const float* a, const float* b, float* c) {
  return gemm_avx512(g, a, b, c);
}

TEST(GemmAvx512, MatchesReferenceOnEveryLayoutItTakes) {
  std::vector<Shape> shapes = kShapes;
  for (Shape s : std::vector<Shape>{{1, 64, 128, 784},
                                    {1, 128, 784, 64},
                                    {1, 13, 81, 129},
                                    {1, 7, 10, 300},
                                    {1, 64, 10, 128},
                                    {1, 1, 1, 17},
                                    {1, 3, 65, 16},
                                    {1, 9, 13, 5000}})
    shapes.push_back(s);
  for (const Shape& s : shapes) {
    for (const Layout& l : all_layouts()) {
      check_case<float>(s, l, true, run_avx512);
      check_case<float>(s, l, false, run_avx512);
    }
  }
}

TEST(GemmAvx512, TakesTheThreeTrainingForms) {
  if (!__builtin_cpu_supports("avx512f")) GTEST_SKIP() << "no AVX-512 on this CPU";
  // NT (x W^T), TN (the weight gradient g^T x) and NN (g W), row-major C.
  for (const Layout& l : {Layout{false, true}, Layout{true, false}, Layout{}}) {
    size_t a_len, b_len, c_len;
    const GemmArgs g = make_args({1, 9, 20, 33}, l, a_len, b_len, c_len);
    std::vector<float> a(a_len, 1), b(b_len, 1), c(c_len, 0);
    EXPECT_TRUE(gemm_avx512(g, a.data(), b.data(), c.data())) << describe({1, 9, 20, 33}, l);
    EXPECT_EQ(c[0], 33.0f);
  }
}

TEST(GemmAvx512, TeamGivesTheSameBitsAsOneThread) {
  if (!__builtin_cpu_supports("avx512f")) GTEST_SKIP() << "no AVX-512 on this CPU";
  // Threads split C's tiles, never a sum (Note [own gemm]).
  for (const Shape& s : std::vector<Shape>{{1, 70, 150, 300}, {1, 30, 20, 5000}})
    for (const Layout& l : {Layout{false, true}, Layout{true, false}, Layout{}}) {
      size_t a_len, b_len, c_len;
      const GemmArgs g = make_args(s, l, a_len, b_len, c_len);
      const auto a = random_values<float>(a_len, 1, true), b = random_values<float>(b_len, 2, true);
      std::vector<float> one(c_len, 0), two(c_len, 0);
      ASSERT_TRUE(gemm_avx512(g, a.data(), b.data(), one.data(), 1));
      ASSERT_TRUE(gemm_avx512(g, a.data(), b.data(), two.data(), 2));
      EXPECT_EQ(0, std::memcmp(one.data(), two.data(), c_len * sizeof(float))) << describe(s, l);
    }
}

TEST(GemmX86, DeclinesLayoutsWithoutUnitStrideAndLeavesCUntouched) {
  GemmArgs g = gemm_args_row_major(4, 5, 6);
  g.a_rs = 12, g.a_cs = 2;  // every other column of a wider matrix
  g.b_rs = 10, g.b_cs = 2;  // and of B
  std::vector<float> a(48, 1), b(64, 1), c(20, -3);
  EXPECT_FALSE(gemm_x86(g, a.data(), b.data(), c.data()));
  for (float x : c) EXPECT_EQ(x, -3);
  GemmArgs shared = gemm_args_row_major(2, 2, 2, true);
  shared.batch = 2, shared.a_bs = 4, shared.b_bs = 4, shared.c_bs = 0;
  EXPECT_FALSE(gemm_x86(shared, a.data(), b.data(), c.data()));
}
#endif

}  // namespace
}  // namespace braid::kernels
