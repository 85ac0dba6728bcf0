// The default generator: seeded, counter-based, so values depend on the seed
// and the draw order only, never on the thread count.
#include <gtest/gtest.h>

#include <cmath>

#include "braid/braid.hpp"
#include "core/philox.hpp"
#include "core/test_util.hpp"

namespace braid {
namespace {

// Restores the thread count a test changed.
struct ThreadCount {
  int saved = get_num_threads();
  ~ThreadCount() { set_num_threads(saved); }
};

// One of each random factory, big enough to span several parallel chunks.
std::vector<std::vector<double>> draw_all(uint64_t seed) {
  manual_seed(seed);
  std::vector<std::vector<double>> out;
  const Shape big{300, 301};
  out.push_back(rand(big).to_vector<double>());
  out.push_back(rand(big, DType::Float64).to_vector<double>());
  out.push_back(randn(big).to_vector<double>());
  out.push_back(normal(2.0, 0.5, big, DType::Float64).to_vector<double>());
  out.push_back(randint(-5, 17, big).to_vector<double>());
  out.push_back(bernoulli(big, 0.3).to_vector<double>());
  out.push_back(bernoulli(full({1000}, 0.7, DType::Float64)).to_vector<double>());
  return out;
}

TEST(Rng, SameSeedSameValues) {
  auto a = draw_all(42), b = draw_all(42);
  EXPECT_EQ(a, b);
  auto c = draw_all(43);
  for (size_t i = 0; i < a.size(); ++i) EXPECT_NE(a[i], c[i]) << "factory #" << i;
}

TEST(Rng, SuccessiveDrawsDiffer) {
  manual_seed(1);
  Tensor a = rand({100}), b = rand({100});
  EXPECT_NE(a.to_vector<float>(), b.to_vector<float>());
  EXPECT_GT(default_generator().offset(), 0u);
  manual_seed(1);
  EXPECT_EQ(default_generator().offset(), 0u);
  EXPECT_EQ(rand({100}).to_vector<float>(), a.to_vector<float>());
}

TEST(Rng, ValuesDoNotDependOnThreadCount) {
  ThreadCount restore;
  set_num_threads(1);
  auto one = draw_all(7);
  set_num_threads(2);
  auto two = draw_all(7);
  EXPECT_EQ(one, two);
  BRAID_EXPECT_THROW_MSG(set_num_threads(0), ValueError,
                         "[set_num_threads] thread count must be >= 1; got 0");
}

TEST(Rng, DistributionsRoughlyRight) {
  manual_seed(123);
  const int64_t n = 100000;
  std::vector<double> u = rand({n}, DType::Float64).to_vector<double>();
  double mean = 0;
  for (double v : u) {
    ASSERT_GE(v, 0.0);
    ASSERT_LT(v, 1.0);
    mean += v / n;
  }
  EXPECT_NEAR(mean, 0.5, 0.01);
  std::vector<float> uf = rand({n}).to_vector<float>();
  for (float v : uf) ASSERT_TRUE(v >= 0.0f && v < 1.0f) << v;

  // Sanity, not a statistical test: generous bounds.
  std::vector<double> g = normal(3.0, 2.0, {n}, DType::Float64).to_vector<double>();
  double m = 0, var = 0;
  for (double v : g) m += v / n;
  for (double v : g) var += (v - m) * (v - m) / (n - 1);
  EXPECT_NEAR(m, 3.0, 0.05);
  EXPECT_NEAR(std::sqrt(var), 2.0, 0.05);
  std::vector<float> z = randn({n}).to_vector<float>();
  double zm = 0, zv = 0;
  for (float v : z) zm += v / n;
  for (float v : z) zv += (v - zm) * (v - zm) / (n - 1);
  EXPECT_NEAR(zm, 0.0, 0.03);
  EXPECT_NEAR(zv, 1.0, 0.03);

  std::vector<int64_t> r = randint(-3, 4, {n}).to_vector<int64_t>();
  std::vector<int64_t> count(7, 0);
  for (int64_t v : r) {
    ASSERT_GE(v, -3);
    ASSERT_LT(v, 4);
    ++count[v + 3];
  }
  for (int64_t c : count) EXPECT_NEAR(static_cast<double>(c) / n, 1.0 / 7, 0.01);

  std::vector<float> b = bernoulli({n}, 0.3).to_vector<float>();
  double ones_frac = 0;
  for (float v : b) {
    ASSERT_TRUE(v == 0.0f || v == 1.0f);
    ones_frac += v / n;
  }
  EXPECT_NEAR(ones_frac, 0.3, 0.01);
}

TEST(Rng, PhiloxManyMatchesOneCounterAtATime) {
  for (int64_t n : {1, 15, 16, 17, 100}) {
    const uint64_t seed = 0x123456789abcdefull, first = 0xfffffff0ull;  // crosses 2^32
    std::vector<uint32_t> many(4 * n);
    detail::philox4x32_many(seed, first, n, many.data());
    for (int64_t c = 0; c < n; ++c) {
      uint32_t w[4];
      detail::philox4x32(seed, first + c, w);
      for (int k = 0; k < 4; ++k) ASSERT_EQ(many[4 * c + k], w[k]) << "n " << n << " c " << c;
    }
  }
}

// The scalar-p bernoulli draws exactly what bernoulli of a probability
// tensor draws from the same generator state, whatever the dtype.
TEST(Rng, ScalarBernoulliMatchesTensorBernoulli) {
  ThreadCount keep;
  for (int threads : {1, 2})
    for (double p : {0.0, 0.2, 0.5, 0.8, 1.0, 1.0 / 3})
      for (int64_t n : {1, 7, 4099, 40000}) {
        set_num_threads(threads);
        manual_seed(5);
        Tensor a = bernoulli({n}, p, DType::Float32);
        manual_seed(5);
        Tensor b = bernoulli(full({n}, p, DType::Float32));
        ASSERT_EQ(a.to_vector<float>(), b.to_vector<float>()) << "p " << p << " n " << n;
      }
  BRAID_EXPECT_THROW_MSG(bernoulli({2}, 1.5), ValueError,
                         "[bernoulli] p must be in [0, 1]; got 1.5");
}

TEST(Rng, StateRoundTripsAndReplaysTheDraws) {
  manual_seed(21);
  (void)rand({5});
  const GeneratorState saved = default_generator().get_state();
  EXPECT_EQ(saved.seed, 21u);
  EXPECT_GT(saved.offset, 0u);
  const std::vector<float> want = rand({7}).to_vector<float>();
  manual_seed(99);
  default_generator().set_state(saved);
  EXPECT_EQ(default_generator().get_state(), saved);
  EXPECT_EQ(rand({7}).to_vector<float>(), want);
}

TEST(Rng, DtypesAndErrors) {
  EXPECT_EQ(rand({2}, DType::Float16).dtype(), DType::Float16);
  EXPECT_EQ(randn({2}, DType::BFloat16).dtype(), DType::BFloat16);
  EXPECT_EQ(randint(0, 2, {2}, DType::Int32).dtype(), DType::Int32);
  EXPECT_EQ(bernoulli(full({2}, 0.5, DType::Float64)).dtype(), DType::Float64);
  BRAID_EXPECT_THROW_MSG(rand({2}, DType::Int32), DTypeError,
                         "[rand] dtype must be floating; got int32");
  BRAID_EXPECT_THROW_MSG(normal(0, -1, {2}), ValueError, "[normal] std must be >= 0; got -1");
  BRAID_EXPECT_THROW_MSG(randint(3, 3, {2}), ValueError,
                         "[randint] high (3) must be greater than low (3)");
  BRAID_EXPECT_THROW_MSG(bernoulli(tensor({0.5, 1.5})), ValueError,
                         "[bernoulli] p must be in [0, 1]; got 1.5 at 1");
  BRAID_EXPECT_THROW_MSG(bernoulli(tensor({1, 0})), DTypeError,
                         "[bernoulli] p must be floating; got int64");
}

}  // namespace
}  // namespace braid
