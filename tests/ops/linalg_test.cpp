// matmul, linear, bmm, outer: shapes and values against a naive oracle,
// views without copies, dtypes, the x86 path against the portable one,
// thread-count independence, error texts, and gradients.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "braid/braid.hpp"
#include "braid/testing/op_samples.hpp"
#include "kernels/portable/matmul.hpp"
#ifdef BRAID_HAVE_DNNL
#include "kernels/x86/matmul_x86.hpp"
#endif

using namespace braid;

namespace {

// The oracle: NumPy's matmul rules with a triple loop in double.
struct Ref {
  Shape shape;
  std::vector<double> v;
};

int64_t broadcast_index(const Shape& batch, const Shape& idx, const Shape& own) {
  int64_t flat = 0;
  const size_t off = batch.size() - own.size();
  for (size_t j = 0; j < own.size(); ++j) flat = flat * own[j] + (own[j] == 1 ? 0 : idx[off + j]);
  return flat;
}

Ref ref_matmul(const Tensor& a, const Tensor& b) {
  Shape sa = a.shape(), sb = b.shape();
  if (sa.size() == 1) sa.insert(sa.begin(), 1);
  if (sb.size() == 1) sb.push_back(1);
  const int64_t m = sa[sa.size() - 2], k = sa.back(), n = sb.back();
  const Shape ba(sa.begin(), sa.end() - 2), bb(sb.begin(), sb.end() - 2);
  const Shape batch = broadcast_shapes("ref", ba, bb);
  const std::vector<double> va = a.to_vector<double>(), vb = b.to_vector<double>();
  Ref r;
  r.v.assign(static_cast<size_t>(numel_of(batch) * m * n), 0.0);
  for (int64_t t = 0; t < numel_of(batch); ++t) {
    Shape idx(batch.size());
    for (int64_t d = static_cast<int64_t>(batch.size()) - 1, rem = t; d >= 0; --d) {
      idx[d] = rem % batch[d];
      rem /= batch[d];
    }
    const int64_t ia = broadcast_index(batch, idx, ba), ib = broadcast_index(batch, idx, bb);
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j)
        for (int64_t p = 0; p < k; ++p)
          r.v[t * m * n + i * n + j] += va[ia * m * k + i * k + p] * vb[ib * k * n + p * n + j];
  }
  r.shape = batch;
  if (a.dim() >= 2) r.shape.push_back(m);
  if (b.dim() >= 2) r.shape.push_back(n);
  return r;
}

void expect_matches(const Tensor& out, const Ref& ref, double tol, const std::string& what) {
  ASSERT_EQ(out.shape(), ref.shape) << what;
  const std::vector<double> got = out.to_vector<double>();
  double worst = 0;
  size_t at = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    const double err = std::abs(got[i] - ref.v[i]) / (1 + std::abs(ref.v[i]));
    if (err > worst) worst = err, at = i;
  }
  EXPECT_LE(worst, tol) << what << ": element " << at << " is " << got[at] << ", expected "
                        << ref.v[at];
}

// The exception's text, or what happened instead.
template <class E, class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const E& e) {
    return e.what();
  } catch (const std::exception& e) {
    return std::string("other exception: ") + e.what();
  }
  return "no exception";
}

Tensor randn_t(const Shape& shape, bool transposed, DType dt = DType::Float32) {
  if (!transposed || shape.size() < 2) return randn(shape, dt);
  Shape sw = shape;
  std::swap(sw[sw.size() - 1], sw[sw.size() - 2]);
  return transpose(randn(sw, dt), -1, -2);
}

// Bytes allocated at the peak of fn() beyond what was live before it.
template <class F>
int64_t extra_peak_bytes(F&& fn) {
  allocator::reset_peak();
  const int64_t before = allocator::stats().current_bytes;
  fn();
  return allocator::stats().peak_bytes - before;
}

struct ShapeCase {
  Shape a, b;
};

const std::vector<ShapeCase> kShapeCases = {
    {{3, 4}, {4, 5}},
    {{2, 3, 4}, {2, 4, 5}},
    {{1, 3, 4}, {6, 4, 5}},
    {{2, 1, 3, 4}, {5, 4, 2}},
    {{2, 3, 4}, {4, 5}},
    {{3, 4}, {2, 4, 5}},
    {{4}, {4}},
    {{4}, {4, 3}},
    {{4}, {2, 4, 3}},
    {{3, 4}, {4}},
    {{2, 3, 4}, {4}},
    {{1, 1}, {1, 1}},
    {{0, 4}, {4, 5}},
    {{3, 0}, {0, 5}},
    {{3, 4}, {4, 0}},
    {{2, 0, 3, 4}, {4, 5}},
    {{0}, {0}},
    {{0, 3, 4}, {1, 4, 2}},
};

}  // namespace

TEST(Linalg, MatmulSmallValues) {
  Tensor c = matmul(tensor({{1.0, 2.0}, {3.0, 4.0}}), tensor({{5.0, 6.0}, {7.0, 8.0}}));
  EXPECT_EQ(c.to_vector<float>(), (std::vector<float>{19, 22, 43, 50}));
  EXPECT_EQ(matmul(tensor({1.0, 2.0, 3.0}), tensor({4.0, 5.0, 6.0})).item<double>(), 32.0);
  EXPECT_EQ(c.grad_fn_name(), "");
}

TEST(Linalg, MatmulShapesAgainstOracle) {
  manual_seed(1);
  for (DType dt : {DType::Float32, DType::Float64}) {
    for (const auto& sc : kShapeCases) {
      Tensor a = randn(sc.a, dt), b = randn(sc.b, dt);
      Tensor c = matmul(a, b);
      EXPECT_EQ(c.dtype(), dt);
      expect_matches(c, ref_matmul(a, b), dt == DType::Float32 ? 1e-5 : 1e-12,
                     shape_str(sc.a) + " @ " + shape_str(sc.b));
    }
  }
}

TEST(Linalg, MatmulZeroInnerDimGivesZeros) {
  Tensor c = matmul(ones({3, 0}), ones({0, 5}));
  EXPECT_EQ(c.shape(), (Shape{3, 5}));
  for (float v : c.to_vector<float>()) EXPECT_EQ(v, 0.0f);
  EXPECT_EQ(matmul(ones({0}, DType::Float64), ones({0}, DType::Float64)).item<double>(), 0.0);
}

TEST(Linalg, MatmulStridedViews) {
  manual_seed(2);
  struct Case {
    Tensor a, b;
    std::string what;
  };
  std::vector<Case> cases = {
      {randn_t({5, 7}, true), randn_t({7, 3}, true), "both transposed"},
      {randn({4, 9}).slice(1, 1, 8, 2), randn({4, 6}).slice(1, 0, 6, 2), "column-sliced"},
      {randn({3, 5, 2, 4}).permute({2, 0, 1, 3}), randn({4, 6}),
       "permuted batch (no single stride)"},
      {randn({1, 4}).expand({3, 4}), randn({4, 2}), "expanded rows (stride 0 in a matrix)"},
      {randn({2, 3, 4}), randn({4, 5}).expand({2, 4, 5}), "expanded batch"},
      {randn({9}).slice(0, 0, 9, 3), randn_t({2, 3, 5}, true), "strided vector"},
      {randn_t({2, 3, 6, 4}, true).slice(2, 1, 5), randn({3, 4, 2}), "sliced batched"},
  };
  for (const auto& c : cases) expect_matches(matmul(c.a, c.b), ref_matmul(c.a, c.b), 1e-5, c.what);
}

TEST(Linalg, MatmulTransposedOperandsNeedNoCopy) {
  // A copy of either operand would be 512 KiB; the output is 8 KiB.
  manual_seed(3);
  Tensor a = randn({512, 256}).t(), b = randn({8, 512}).t();
  Tensor c;
  const int64_t extra = extra_peak_bytes([&] { c = matmul(a, b); });
  EXPECT_LE(extra, 64 * 1024);
  // fp32 over k = 512 terms of size ~1: rounding grows like sqrt(k) * 2^-24 * |partial
  // sums|, about 3e-5 here, and differs with the GEMM's blocking (AVX2 vs AVX-512).
  expect_matches(c, ref_matmul(a, b), 1e-4, "transposed");
  Tensor a64 = a.to(DType::Float64), b64 = b.to(DType::Float64);
  Tensor at = a64.t().contiguous().t(), bt = b64.t().contiguous().t();  // portable path
  EXPECT_LE(extra_peak_bytes([&] { c = matmul(at, bt); }), 64 * 1024);
  expect_matches(c, ref_matmul(at, bt), 1e-12, "transposed float64");
}

TEST(Linalg, MnistLayerNeedsNoCopy) {
  // The (64, 784) x (784, 128) layer: straight to the GEMM, contiguous or
  // with the weight read transposed in place (linear).
  manual_seed(4);
  Tensor x = randn({64, 784}), w = randn({128, 784}), b = randn({128});
  Tensor wt_contig = w.t().contiguous();
  const int64_t out_bytes = 64 * 128 * 4;
  EXPECT_LE(extra_peak_bytes([&] { matmul(x, wt_contig); }), out_bytes + 4096);
  EXPECT_LE(extra_peak_bytes([&] { matmul(x, w.t()); }), out_bytes + 4096);
  EXPECT_LE(extra_peak_bytes([&] { linear(x, w); }), out_bytes + 4096);
  EXPECT_LE(extra_peak_bytes([&] { linear(x, w, b); }), 2 * out_bytes + 4096);
#ifdef BRAID_HAVE_DNNL
  Tensor out = empty({64, 128});
  EXPECT_TRUE(kernels::matmul_x86(out, x, w.t()));
  EXPECT_TRUE(kernels::matmul_x86(out, x, wt_contig));
#endif
}

TEST(Linalg, MatmulIntegers) {
  Tensor a = tensor({{1, 2}, {3, 4}}), b = tensor({{5, 6}, {7, 8}});
  EXPECT_EQ(matmul(a, b).dtype(), DType::Int64);
  EXPECT_EQ(matmul(a, b).to_vector<int64_t>(), (std::vector<int64_t>{19, 22, 43, 50}));
  Tensor c32 = matmul(a.to(DType::Int32), b.to(DType::Int32));
  EXPECT_EQ(c32.dtype(), DType::Int32);
  EXPECT_EQ(c32.to_vector<int32_t>(), (std::vector<int32_t>{19, 22, 43, 50}));
  // Narrow ints wrap like PyTorch: 100 * 3 = 300 = 44 (mod 256).
  Tensor i8 = matmul(tensor({{100}}, DType::Int8), tensor({{3}}, DType::Int8));
  EXPECT_EQ(i8.dtype(), DType::Int8);
  EXPECT_EQ(i8.item<int64_t>(), 44);
  Tensor u8 = matmul(tensor({{200, 100}}, DType::UInt8), tensor({{2}, {1}}, DType::UInt8));
  EXPECT_EQ(u8.item<int64_t>(), (400 + 100) % 256);
  // int64 wraps modulo 2^64, batched and transposed.
  manual_seed(5);
  Tensor x = randint(-50, 50, {2, 4, 3}), y = randint(-50, 50, {5, 3});
  Tensor z = matmul(x, y.t());
  const Ref r = ref_matmul(x, y.t());
  EXPECT_EQ(z.to_vector<double>(), r.v);
}

TEST(Linalg, MatmulPromotesMixedDtypes) {
  Tensor c = matmul(tensor({{1, 2}}), tensor({{0.5}, {0.25}}));
  EXPECT_EQ(c.dtype(), DType::Float32);
  EXPECT_FLOAT_EQ(c.item<float>(), 1.0f);
  Tensor d = matmul(ones({2, 3}, DType::Float32), ones({3, 2}, DType::Float64));
  EXPECT_EQ(d.dtype(), DType::Float64);
}

TEST(Linalg, MatmulHalfComputesInFloat) {
  for (DType dt : {DType::Float16, DType::BFloat16}) {
    Tensor c = matmul(tensor({{1.0, 2.0}, {3.0, 4.0}}, dt), tensor({{0.5}, {0.25}}, dt));
    EXPECT_EQ(c.dtype(), dt);
    EXPECT_EQ(c.to_vector<float>(), (std::vector<float>{1.0f, 2.5f}));
  }
}

#ifdef BRAID_HAVE_DNNL
TEST(Linalg, X86AgreesWithPortable) {
  std::mt19937 rng(7);
  auto dim = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  manual_seed(7);
  for (int t = 0; t < 60; ++t) {
    const int64_t m = dim(0, 70), n = dim(0, 70), k = dim(0, 300), batch = dim(1, 4);
    const int kind = dim(0, 5);
    Shape sa = {m, k}, sb = {k, n};
    if (kind == 1) sa.insert(sa.begin(), batch), sb.insert(sb.begin(), batch);
    if (kind == 2) sa.insert(sa.begin(), 1), sb.insert(sb.begin(), batch);
    if (kind == 3) sa.insert(sa.begin(), {2, batch});
    if (kind == 4) sa = {k};
    if (kind == 5) sb = {k}, sa.insert(sa.begin(), batch);
    Tensor a = randn_t(sa, dim(0, 1) == 1), b = randn_t(sb, dim(0, 1) == 1);
    const Ref ref = ref_matmul(a, b);
    Tensor port = empty(ref.shape), fast = empty(ref.shape);
    kernels::matmul_portable(port, a, b);
    ASSERT_TRUE(kernels::matmul_x86(fast, a, b)) << shape_str(sa) << " @ " << shape_str(sb);
    const std::vector<float> vp = port.to_vector<float>(), vf = fast.to_vector<float>();
    for (size_t i = 0; i < vp.size(); ++i)
      ASSERT_NEAR(vp[i], vf[i], 1e-5 * static_cast<double>(k + 1))
          << shape_str(sa) << " @ " << shape_str(sb) << " element " << i;
    expect_matches(port, ref, 1e-4, "portable " + shape_str(sa) + " @ " + shape_str(sb));
  }
}

TEST(Linalg, X86DeclinesOtherDtypes) {
  Tensor a = ones({2, 2}, DType::Float64);
  Tensor out = empty({2, 2}, DType::Float64);
  EXPECT_FALSE(kernels::matmul_x86(out, a, a));
}
#endif

TEST(Linalg, PortableIsThreadCountIndependent) {
  // Large enough for the portable GEMM to split the work across threads.
  manual_seed(8);
  const int saved = get_num_threads();
  struct Case {
    Tensor a, b;
  };
  std::vector<Case> cases = {{randn({200, 300}), randn({300, 150})},
                             {randn_t({3, 97, 260}, true), randn({260, 130})},
                             {randn({1, 64, 500}), randn_t({4, 500, 90}, true)}};
  for (const auto& c : cases) {
    std::vector<std::vector<float>> runs;
    for (int threads : {1, 2, 3}) {
      set_num_threads(threads);
      Tensor out = empty(matmul(c.a, c.b).shape());
      kernels::matmul_portable(out, c.a, c.b);
      runs.push_back(out.to_vector<float>());
    }
    EXPECT_EQ(runs[0], runs[1]);
    EXPECT_EQ(runs[0], runs[2]);
  }
  // float64 takes the portable kernel through the op itself.
  Tensor a = randn({150, 400}, DType::Float64), b = randn({400, 120}, DType::Float64);
  set_num_threads(1);
  const std::vector<double> one = matmul(a, b).to_vector<double>();
  set_num_threads(2);
  EXPECT_EQ(one, matmul(a, b).to_vector<double>());
  set_num_threads(saved);
}

TEST(Linalg, MatmulErrors) {
  EXPECT_EQ(error_of<ShapeError>([] {
              matmul(ones({64, 784}), ones({128, 10}));
            }),
            "[matmul] a.shape[-1] must equal b.shape[-2]; got a=(64, 784), b=(128, 10)");
  EXPECT_EQ(error_of<ShapeError>([] {
              matmul(ones({2, 3}), ones({4}));
            }),
            "[matmul] a.shape[-1] must equal b.shape[0]; got a=(2, 3), b=(4)");
  EXPECT_EQ(error_of<ShapeError>([] {
              matmul(ones({3}), ones({4, 2}));
            }),
            "[matmul] a.shape[-1] must equal b.shape[-2]; got a=(3), b=(4, 2)");
  EXPECT_EQ(error_of<ShapeError>([] { matmul(scalar_tensor(2.0), ones({3})); }),
            "[matmul] both operands must have at least 1 dim; got a=(), b=(3)");
  EXPECT_EQ(error_of<ShapeError>([] {
              matmul(ones({3, 3}), scalar_tensor(2.0));
            }),
            "[matmul] both operands must have at least 1 dim; got a=(3, 3), b=()");
  EXPECT_EQ(
      error_of<ShapeError>([] {
        matmul(ones({2, 3, 4}), ones({3, 4, 5}));
      }),
      "[matmul] batch dims (all but the last two) must broadcast; got a=(2, 3, 4), b=(3, 4, 5)");
  EXPECT_EQ(error_of<DTypeError>([] {
              matmul(ones({2, 2}, DType::Bool), ones({2, 2}, DType::Bool));
            }),
            "[matmul] bool operands are not supported; got a=bool, b=bool");
  EXPECT_EQ(error_of<ValueError>([] { matmul(Tensor(), ones({2})); }),
            "[matmul] input 0 is undefined");
}

TEST(Linalg, LinearMatchesMatmul) {
  manual_seed(9);
  Tensor x = randn({4, 3}, DType::Float64), w = randn({5, 3}, DType::Float64);
  Tensor b = randn({5}, DType::Float64);
  Tensor y = linear(x, w, b);
  EXPECT_EQ(y.shape(), (Shape{4, 5}));
  Ref r = ref_matmul(x, w.t());
  const std::vector<double> bv = b.to_vector<double>();
  for (size_t i = 0; i < r.v.size(); ++i) r.v[i] += bv[i % 5];
  expect_matches(y, r, 1e-12, "linear with bias");
  expect_matches(linear(x, w), ref_matmul(x, w.t()), 1e-12, "linear without bias");
  Tensor x3 = randn({2, 4, 3}, DType::Float64);
  EXPECT_EQ(linear(x3, w, b).shape(), (Shape{2, 4, 5}));
  expect_matches(linear(x3, w), ref_matmul(x3, w.t()), 1e-12, "linear 3-D");
  EXPECT_EQ(linear(randn({3}), randn({5, 3})).shape(), (Shape{5}));
}

TEST(Linalg, LinearThroughGenericCallWithUndefinedBias) {
  manual_seed(10);
  Tensor x = randn({2, 3}), w = randn({4, 3});
  Tensor y = detail::call1(op_id("linear"), {x, w, Tensor()});
  expect_matches(y, ref_matmul(x, w.t()), 1e-5, "linear via detail::call");
}

TEST(Linalg, LinearErrors) {
  EXPECT_EQ(error_of<ShapeError>([] {
              linear(ones({64, 784}), ones({10, 128}));
            }),
            "[linear] x.shape[-1] must equal weight.shape[1] (in_features); got x=(64, 784), "
            "weight=(10, 128)");
  EXPECT_EQ(error_of<ShapeError>([] {
              linear(ones({2, 3}), ones({3}));
            }),
            "[linear] weight must be 2-D (out_features, in_features); got x=(2, 3), weight=(3)");
  EXPECT_EQ(error_of<ShapeError>([] {
              linear(ones({2, 3}), ones({4, 3}), ones({5}));
            }),
            "[linear] bias must have shape (out_features,) = (4); got weight=(4, 3), bias=(5)");
  EXPECT_EQ(
      error_of<ShapeError>([] {
        linear(scalar_tensor(1.0), ones({4, 3}));
      }),
      "[linear] x.shape[-1] must equal weight.shape[1] (in_features); got x=(), weight=(4, 3)");
  EXPECT_EQ(error_of<ValueError>([] {
              linear(Tensor(), ones({4, 3}));
            }),
            "[linear] x is undefined");
}

TEST(Linalg, BmmValuesAndErrors) {
  manual_seed(11);
  Tensor a = randn({3, 2, 4}), b = randn_t({3, 4, 5}, true);
  expect_matches(bmm(a, b), ref_matmul(a, b), 1e-5, "bmm");
  EXPECT_EQ(error_of<ShapeError>([] {
              bmm(ones({2, 3}), ones({2, 3, 4}));
            }),
            "[bmm] expects 3-D operands; got a=(2, 3), b=(2, 3, 4)");
  EXPECT_EQ(
      error_of<ShapeError>([] {
        bmm(ones({1, 2, 3}), ones({4, 3, 5}));
      }),
      "[bmm] a.shape[0] must equal b.shape[0] (no broadcasting); got a=(1, 2, 3), b=(4, 3, 5)");
  EXPECT_EQ(error_of<ShapeError>([] {
              bmm(ones({2, 2, 3}), ones({2, 4, 5}));
            }),
            "[bmm] a.shape[2] must equal b.shape[1]; got a=(2, 2, 3), b=(2, 4, 5)");
}

TEST(Linalg, OuterValuesAndErrors) {
  Tensor o = outer(tensor({1.0, 2.0}), tensor({3.0, 4.0, 5.0}));
  EXPECT_EQ(o.shape(), (Shape{2, 3}));
  EXPECT_EQ(o.to_vector<float>(), (std::vector<float>{3, 4, 5, 6, 8, 10}));
  EXPECT_EQ(outer(tensor({1, 2}), tensor({3})).dtype(), DType::Int64);
  EXPECT_EQ(error_of<ShapeError>([] {
              outer(ones({2, 2}), ones({3}));
            }),
            "[outer] expects 1-D operands; got a=(2, 2), b=(3)");
}

TEST(LinalgGrad, MatmulGradientFormula) {
  manual_seed(12);
  Tensor a = randn({3, 4}, DType::Float64).requires_grad_();
  Tensor b = randn({4, 2}, DType::Float64).requires_grad_();
  Tensor c = matmul(a, b);
  EXPECT_EQ(c.grad_fn_name(), "matmul");
  Tensor g = randn({3, 2}, DType::Float64);
  c.backward(g);
  expect_matches(a.grad(), ref_matmul(g, b.detach().t()), 1e-12, "grad a");
  expect_matches(b.grad(), ref_matmul(a.detach().t(), g), 1e-12, "grad b");
}

TEST(LinalgGrad, Gradcheck) {
  for (const char* op : {"matmul", "linear", "bmm", "outer"}) {
    ASSERT_TRUE(braid::testing::has_samples(op)) << op;
    for (const auto& s : braid::testing::sample_table().find(op)->second()) {
      const OpId id = op_id(op);
      auto fn = [&](const std::vector<Tensor>& in) { return detail::call(id, in, s.attrs); };
      const auto r = autograd::gradcheck(fn, s.inputs, 1e-6, s.atol, s.rtol);
      EXPECT_TRUE(r.ok) << op << "/" << s.label << ": " << r.message;
    }
  }
}

TEST(LinalgGrad, Gradgradcheck) {
  for (const char* op : {"matmul", "linear"}) {
    for (const auto& s : braid::testing::sample_table().find(op)->second()) {
      const OpId id = op_id(op);
      auto fn = [&](const std::vector<Tensor>& in) { return detail::call(id, in, s.attrs); };
      const auto r = autograd::gradgradcheck(fn, s.inputs, 1e-6, s.atol, s.rtol);
      EXPECT_TRUE(r.ok) << op << "/" << s.label << ": " << r.message;
    }
  }
}
