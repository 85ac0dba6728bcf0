// Factories: tensors made from nothing but a shape (and the default generator).
#include <cmath>

#include "braid/core/rng.hpp"
#include "core/philox.hpp"
#include "kernels/portable/copy.hpp"
#include "kernels/portable/loops.hpp"
#include "ops/common.hpp"

namespace braid {

Tensor zeros(const Shape& shape, DType dtype) { return full(shape, 0, dtype); }
Tensor ones(const Shape& shape, DType dtype) { return full(shape, 1, dtype); }

Tensor full(const Shape& shape, Scalar value, std::optional<DType> dtype) {
  DType dt = dtype.value_or(value.is_floating() ? DType::Float32 : value.dtype());
  Tensor t = empty(shape, dt);
  kernels::fill(t, value);
  return t;
}

Tensor zeros_like(const Tensor& t, std::optional<DType> dtype) {
  return zeros(t.shape(), dtype.value_or(t.dtype()));
}
Tensor ones_like(const Tensor& t, std::optional<DType> dtype) {
  return ones(t.shape(), dtype.value_or(t.dtype()));
}
Tensor full_like(const Tensor& t, Scalar value, std::optional<DType> dtype) {
  return full(t.shape(), value, dtype.value_or(t.dtype()));
}
Tensor empty_like(const Tensor& t, std::optional<DType> dtype) {
  return empty(t.shape(), dtype.value_or(t.dtype()));
}

Tensor arange(Scalar end) { return arange(0, end, 1); }

Tensor arange(Scalar start, Scalar end, Scalar step, std::optional<DType> dtype) {
  double s = start.to_double(), e = end.to_double(), st = step.to_double();
  BRAID_CHECK(st != 0, ValueError, "arange", "step must be non-zero");
  BRAID_CHECK((e - s) / st >= 0 || s == e, ValueError, "arange",
              "the range [{}, {}) cannot be walked with step {}", s, e, st);
  bool fl = start.is_floating() || end.is_floating() || step.is_floating();
  DType dt = dtype.value_or(fl ? DType::Float32 : DType::Int64);
  auto n = static_cast<int64_t>(std::ceil((e - s) / st));
  Tensor t = empty({std::max<int64_t>(n, 0)}, dt);
  BRAID_DISPATCH_ALL(dt, "arange", [&] {
    auto* p = static_cast<scalar_t*>(t.raw_data());
    for (int64_t i = 0; i < n; ++i)
      p[i] = fl ? static_cast<scalar_t>(s + static_cast<double>(i) * st)
                : static_cast<scalar_t>(start.to_int() + i * step.to_int());
  });
  return t;
}

Tensor linspace(double start, double end, int64_t steps, DType dtype) {
  BRAID_CHECK(steps >= 0, ValueError, "linspace", "steps must be >= 0; got {}", steps);
  Tensor t = empty({steps}, dtype);
  double step = steps > 1 ? (end - start) / static_cast<double>(steps - 1) : 0;
  BRAID_DISPATCH_FLOAT(dtype, "linspace", [&] {
    auto* p = static_cast<scalar_t*>(t.raw_data());
    // Fill from both ends, as PyTorch does, so the last value is exactly `end`
    // (and a single step gives `start`).
    int64_t half = steps == 1 ? 1 : steps / 2;
    for (int64_t i = 0; i < steps; ++i)
      p[i] = static_cast<scalar_t>(i < half ? start + step * static_cast<double>(i)
                                            : end - step * static_cast<double>(steps - 1 - i));
  });
  return t;
}

Tensor eye(int64_t n, std::optional<int64_t> m, DType dtype) {
  int64_t cols = m.value_or(n);
  BRAID_CHECK(n >= 0 && cols >= 0, ValueError, "eye", "sizes must be >= 0; got {} x {}", n, cols);
  Tensor t = zeros({n, cols}, dtype);
  BRAID_DISPATCH_ALL(dtype, "eye", [&] {
    auto* p = static_cast<scalar_t*>(t.raw_data());
    for (int64_t i = 0; i < std::min(n, cols); ++i) p[i * cols + i] = static_cast<scalar_t>(1);
  });
  return t;
}

// -- random --------------------------------------------------------------------
// Note [counter-based random]: value i of a call uses Philox counter
// (offset + i / 4), word i % 4, so the result is fixed by (seed, offset)
// whatever the thread count or chunking.
namespace {
template <class F>
void fill_random(const Tensor& t, uint64_t words_per_value, const F& f) {
  int64_t n = t.numel();
  uint64_t per_ctr = 4 / words_per_value;
  uint64_t n_ctr = (static_cast<uint64_t>(n) + per_ctr - 1) / per_ctr;
  Generator& g = default_generator();
  uint64_t seed = g.seed(), first = g.advance(n_ctr);
  parallel_for(static_cast<int64_t>(n_ctr), 4096, [&](int64_t b, int64_t e) {
    uint32_t w[4];
    for (int64_t c = b; c < e; ++c) {
      detail::philox4x32(seed, first + static_cast<uint64_t>(c), w);
      for (uint64_t k = 0; k < per_ctr; ++k) {
        int64_t i = c * static_cast<int64_t>(per_ctr) + static_cast<int64_t>(k);
        if (i < n) f(i, w + k * words_per_value);
      }
    }
  });
}
double unit(const uint32_t* w, bool dbl) {
  return dbl ? detail::u64_to_unit_double((uint64_t(w[0]) << 32) | w[1])
             : detail::u32_to_unit_float(w[0]);
}
}  // namespace

Tensor rand(const Shape& shape, DType dtype) {
  BRAID_CHECK(is_floating(dtype), DTypeError, "rand", "dtype must be floating; got {}",
              dtype_name(dtype));
  Tensor t = empty(shape, DType::Float64);
  double* p = static_cast<double*>(t.raw_data());
  bool dbl = dtype == DType::Float64;
  fill_random(t, dbl ? 2 : 1, [&](int64_t i, const uint32_t* w) { p[i] = unit(w, dbl); });
  return to(t, dtype);
}

Tensor normal(double mean, double std, const Shape& shape, DType dtype) {
  BRAID_CHECK(is_floating(dtype), DTypeError, "normal", "dtype must be floating; got {}",
              dtype_name(dtype));
  BRAID_CHECK(std >= 0, ValueError, "normal", "std must be >= 0; got {}", std);
  Tensor t = empty(shape, DType::Float64);
  double* p = static_cast<double*>(t.raw_data());
  // Box-Muller on two uniforms per value; 1 - u keeps the log argument in (0, 1].
  fill_random(t, 2, [&](int64_t i, const uint32_t* w) {
    double u1 = 1.0 - detail::u32_to_unit_float(w[0]), u2 = detail::u32_to_unit_float(w[1]);
    p[i] = mean + std * std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  });
  return to(t, dtype);
}

Tensor randn(const Shape& shape, DType dtype) { return normal(0.0, 1.0, shape, dtype); }

Tensor randint(int64_t low, int64_t high, const Shape& shape, DType dtype) {
  BRAID_CHECK(high > low, ValueError, "randint", "high ({}) must be greater than low ({})", high,
              low);
  Tensor t = empty(shape, DType::Int64);
  auto* p = static_cast<int64_t*>(t.raw_data());
  auto range = static_cast<uint64_t>(high - low);
  fill_random(t, 2, [&](int64_t i, const uint32_t* w) {
    uint64_t r = (uint64_t(w[0]) << 32) | w[1];
    p[i] = low + static_cast<int64_t>(r % range);
  });
  return to(t, dtype);
}

Tensor bernoulli(const Tensor& prob) {
  BRAID_CHECK(prob.is_floating_point(), DTypeError, "bernoulli", "p must be floating; got {}",
              dtype_name(prob.dtype()));
  Tensor pr = contiguous(to(prob, DType::Float64).detach());
  const double* pp = static_cast<const double*>(pr.raw_data());
  for (int64_t i = 0; i < pr.numel(); ++i)
    BRAID_CHECK(pp[i] >= 0 && pp[i] <= 1, ValueError, "bernoulli",
                "p must be in [0, 1]; got {} at {}", pp[i], i);
  Tensor t = empty(prob.shape(), DType::Float64);
  double* p = static_cast<double*>(t.raw_data());
  fill_random(t, 1, [&](int64_t i, const uint32_t* w) {
    p[i] = detail::u32_to_unit_float(w[0]) < pp[i] ? 1 : 0;
  });
  return to(t, prob.dtype());
}

// A scalar probability needs no probability tensor: value i is 1 when its
// word's top 24 bits, as a unit float, are below p, that is when they are
// below ceil(p * 2^24) (the same draw and test as bernoulli(prob) above).
Tensor bernoulli(const Shape& shape, double p, DType dtype) {
  return detail::bernoulli_scaled(shape, p, 1.0, dtype);
}

Tensor detail::bernoulli_scaled(const Shape& shape, double p, double value, DType dtype) {
  BRAID_CHECK(is_floating(dtype), DTypeError, "bernoulli", "dtype must be floating; got {}",
              dtype_name(dtype));
  BRAID_CHECK(p >= 0 && p <= 1, ValueError, "bernoulli", "p must be in [0, 1]; got {}", p);
  Tensor t = empty(shape, dtype);
  const int64_t n = t.numel();
  const uint64_t n_ctr = (static_cast<uint64_t>(n) + 3) / 4;
  Generator& g = default_generator();
  const uint64_t seed = g.seed(), first = g.advance(n_ctr);
  const uint32_t threshold = static_cast<uint32_t>(std::ceil(p * 16777216.0));
  BRAID_DISPATCH_FLOAT(dtype, "bernoulli", [&] {
    auto* out = static_cast<scalar_t*>(t.raw_data());
    parallel_for(static_cast<int64_t>(n_ctr), 4096, [&](int64_t b, int64_t e) {
      constexpr int64_t kBlock = 256;  // counters per philox batch (4 KiB of words)
      // Locals, not captures: a store through `out` could alias a captured
      // scalar_t, and g++ then reloads it every element and does not vectorise.
      const scalar_t one = static_cast<scalar_t>(value);
      const uint32_t below = threshold;
      scalar_t* const dst = out;
      uint32_t w[4 * kBlock];
      for (int64_t c = b; c < e; c += kBlock) {
        const int64_t m = std::min(kBlock, e - c);
        detail::philox4x32_many(seed, first + static_cast<uint64_t>(c), m, w);
        const int64_t lo = 4 * c, hi = std::min(n, 4 * (c + m));
        for (int64_t i = lo; i < hi; ++i) dst[i] = (w[i - lo] >> 8) < below ? one : scalar_t(0);
      }
    });
  });
  return t;
}

}  // namespace braid
