#include "kernels/portable/norm.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "braid/core/parallel.hpp"
#include "braid/core/strided.hpp"
#include "kernels/portable/copy.hpp"
#include "kernels/portable/loops.hpp"

namespace braid::kernels {
namespace {

// t itself when contiguous, else a contiguous copy (made here, outside autograd).
Tensor dense(const Tensor& t) {
  if (t.is_contiguous()) return t;
  Tensor c = empty(t.shape(), t.dtype());
  copy(c, t);
  return c;
}

constexpr int kLanes = 8;

// Pairwise sum of the lanes: a fixed order, so the result is reproducible.
double combine(const double (&acc)[kLanes]) {
  return ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
}

// sum(p[i]) over a row, in double, in kLanes interleaved lanes.
template <class T>
double row_sum(const T* p, int64_t n) {
  double acc[kLanes] = {};
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes)
    for (int l = 0; l < kLanes; ++l) acc[l] += static_cast<double>(p[i + l]);
  for (; i < n; ++i) acc[i % kLanes] += static_cast<double>(p[i]);
  return combine(acc);
}

// sum((p[i] - m)^2) over a row, as row_sum.
template <class T>
double row_sq_dev(const T* p, int64_t n, double m) {
  double acc[kLanes] = {};
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes)
    for (int l = 0; l < kLanes; ++l) {
      double d = static_cast<double>(p[i + l]) - m;
      acc[l] += d * d;
    }
  for (; i < n; ++i) {
    double d = static_cast<double>(p[i]) - m;
    acc[i % kLanes] += d * d;
  }
  return combine(acc);
}

// One channel's training statistics from x (N, C, S) contiguous: the mean,
// the sum of squared deviations, and the count n = N * S.
struct Moments {
  double mean, ss;
  int64_t n;
};
template <class T>
Moments channel_moments(const T* x, int64_t N, int64_t C, int64_t S, int64_t c) {
  double s = 0, ss = 0;
  const int64_t n = N * S;
  for (int64_t i = 0; i < N; ++i) s += row_sum(x + (i * C + c) * S, S);
  const double mean = n > 0 ? s / static_cast<double>(n) : 0.0;
  for (int64_t i = 0; i < N; ++i) ss += row_sq_dev(x + (i * C + c) * S, S, mean);
  return {mean, ss, n};
}

// Per-channel terms of y = ((x - hi) - lo) * scale + bias. The mean is split
// into hi + lo, both of x's type: x - hi is exact for x near the mean, so the
// centring keeps the mean's double precision at float speed.
template <class T>
struct Affine {
  std::vector<T> hi, lo, scale;
  explicit Affine(int64_t c) : hi(c), lo(c), scale(c) {}
  void set(int64_t c, double mean, double scale_c) {
    hi[c] = static_cast<T>(mean);
    lo[c] = static_cast<T>(mean - static_cast<double>(hi[c]));
    scale[c] = static_cast<T>(scale_c);
  }
};

template <class T>
void batch_norm_impl(const BatchNormArgs& a) {
  const Tensor x = dense(a.x), w = dense(a.weight), b = dense(a.bias);
  const Tensor rm = dense(a.running_mean), rv = dense(a.running_var);
  const int64_t N = x.size(0), C = x.size(1), S = C > 0 && N > 0 ? x.numel() / (N * C) : 0;
  const T *xp = static_cast<const T*>(x.raw_data()), *wp = static_cast<const T*>(w.raw_data());
  const T *bp = static_cast<const T*>(b.raw_data()), *rmp = static_cast<const T*>(rm.raw_data());
  const T* rvp = static_cast<const T*>(rv.raw_data());
  T *mean_out = static_cast<T*>(a.save_mean.raw_data()),
    *invstd_out = static_cast<T*>(a.save_invstd.raw_data());
  T *nrm = static_cast<T*>(a.new_running_mean.raw_data()),
    *nrv = static_cast<T*>(a.new_running_var.raw_data());
  Affine<T> aff(C);

  // Statistics, one channel per iteration (Note [batch norm statistics]).
  const int64_t grain = std::max<int64_t>(1, kGrain / std::max<int64_t>(N * S, 1));
  parallel_for(C, grain, [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; ++c) {
      double mean = rmp[c], var = rvp[c];
      nrm[c] = rmp[c];
      nrv[c] = rvp[c];
      if (a.training) {
        const Moments mo = channel_moments(xp, N, C, S, c);
        const double nd = static_cast<double>(mo.n), m = a.momentum;
        mean = mo.mean;
        var = mo.n > 0 ? mo.ss / nd : 0.0;
        const double unbiased = mo.n > 1 ? mo.ss / (nd - 1) : std::nan("");
        if (mo.n > 0) {  // an empty batch leaves the running statistics alone
          nrm[c] = static_cast<T>((1 - m) * rmp[c] + m * mean);
          nrv[c] = static_cast<T>((1 - m) * rvp[c] + m * unbiased);
        }
      }
      const double invstd = 1.0 / std::sqrt(var + a.eps);
      mean_out[c] = static_cast<T>(mean);
      invstd_out[c] = static_cast<T>(invstd);
      aff.set(c, mean, invstd * static_cast<double>(wp[c]));
    }
  });

  // y, one (n, c) row of S values per iteration.
  T* yp = static_cast<T*>(a.y.raw_data());
  parallel_for(N * C, std::max<int64_t>(1, kGrain / std::max<int64_t>(S, 1)),
               [&](int64_t r0, int64_t r1) {
                 for (int64_t r = r0; r < r1; ++r) {
                   const int64_t c = r % C;
                   const T hi = aff.hi[c], lo = aff.lo[c], sc = aff.scale[c], sh = bp[c];
                   const T* xr = xp + r * S;
                   T* yr = yp + r * S;
                   for (int64_t i = 0; i < S; ++i) yr[i] = ((xr[i] - hi) - lo) * sc + sh;
                 }
               });
}

// sum(g[i] * (p[i] - m)) over a row, as row_sum.
template <class T>
double row_dot_dev(const T* g, const T* p, int64_t n, double m) {
  double acc[kLanes] = {};
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes)
    for (int l = 0; l < kLanes; ++l)
      acc[l] += static_cast<double>(g[i + l]) * (static_cast<double>(p[i + l]) - m);
  for (; i < n; ++i) acc[i % kLanes] += static_cast<double>(g[i]) * (static_cast<double>(p[i]) - m);
  return combine(acc);
}

template <class T>
const T* data(const Tensor& t) {
  return static_cast<const T*>(t.raw_data());
}

template <class T>
void batch_norm_backward_impl(const BatchNormBackwardArgs& a) {
  const Tensor gy = dense(a.gy), x = dense(a.x), w = dense(a.weight), mu = dense(a.save_mean);
  const Tensor is = dense(a.save_invstd), shift = dense(a.grad_shift), scl = dense(a.grad_scale);
  const int64_t N = x.size(0), C = x.size(1), S = C > 0 && N > 0 ? x.numel() / (N * C) : 0;
  const double n = static_cast<double>(N * S), inv_n = n > 0 ? 1.0 / n : 0.0;
  const T *gp = data<T>(gy), *xp = data<T>(x);
  T *gw = static_cast<T*>(a.gw.raw_data()), *gb = static_cast<T*>(a.gb.raw_data());
  // gx = gy * k_gy[c] + (x - mean) * k_x[c] + k_0[c]. Centring first, as
  // the forward does: folding the mean into k_0 cancels for a large mean.
  std::vector<T> k_gy(C), k_x(C), k_0(C);
  parallel_for(C, std::max<int64_t>(1, kGrain / std::max<int64_t>(N * S, 1)),
               [&](int64_t c0, int64_t c1) {
                 for (int64_t c = c0; c < c1; ++c) {
                   const double m = data<T>(mu)[c], invstd = data<T>(is)[c];
                   double s = 0, sd = 0;
                   for (int64_t i = 0; i < N; ++i) {
                     const int64_t off = (i * C + c) * S;
                     s += row_sum(gp + off, S);
                     sd += row_dot_dev(gp + off, xp + off, S, m);
                   }
                   gb[c] = static_cast<T>(s);
                   gw[c] = static_cast<T>(sd * invstd);
                   const double ac = invstd * static_cast<double>(data<T>(w)[c]);
                   double b = 0, c0_ = 0;  // gx = gy * ac + xhat * b + c0_
                   if (a.training) {
                     b = static_cast<double>(data<T>(scl)[c]) - ac * sd * invstd * inv_n;
                     c0_ = static_cast<double>(data<T>(shift)[c]) - ac * s * inv_n;
                   }
                   k_gy[c] = static_cast<T>(ac);
                   k_x[c] = static_cast<T>(b * invstd);
                   k_0[c] = static_cast<T>(c0_);
                 }
               });
  T* gx = static_cast<T*>(a.gx.raw_data());
  parallel_for(N * C, std::max<int64_t>(1, kGrain / std::max<int64_t>(S, 1)),
               [&](int64_t r0, int64_t r1) {
                 for (int64_t r = r0; r < r1; ++r) {
                   const int64_t c = r % C;
                   const T kg = k_gy[c], kx = k_x[c], k0 = k_0[c], m = data<T>(mu)[c];
                   const T *g = gp + r * S, *xr = xp + r * S;
                   T* o = gx + r * S;
                   for (int64_t i = 0; i < S; ++i) o[i] = g[i] * kg + (xr[i] - m) * kx + k0;
                 }
               });
}

template <class I>
IntRange int_range_impl(const Tensor& index) {
  IntRange r{std::numeric_limits<int64_t>::max(), std::numeric_limits<int64_t>::min()};
  const I* p = static_cast<const I*>(index.storage()->data());
  braid::detail::for_each_offset(index.shape(), index.strides(), index.storage_offset(),
                                 [&](int64_t o) {
                                   r.min = std::min<int64_t>(r.min, p[o]);
                                   r.max = std::max<int64_t>(r.max, p[o]);
                                 });
  return r;
}
}  // namespace

void batch_norm_forward(const BatchNormArgs& a) {
  BRAID_DISPATCH_FLOAT(a.x.dtype(), "batch_norm", [&] { batch_norm_impl<scalar_t>(a); });
}

void batch_norm_backward(const BatchNormBackwardArgs& a) {
  BRAID_DISPATCH_FLOAT(a.x.dtype(), "native_batch_norm_backward",
                       [&] { batch_norm_backward_impl<scalar_t>(a); });
}

IntRange int_range(const Tensor& index) {
  return index.dtype() == DType::Int32 ? int_range_impl<int32_t>(index)
                                       : int_range_impl<int64_t>(index);
}

void one_hot(const Tensor& out, const Tensor& index) {
  const Tensor idx = dense(index.dtype() == DType::Int64 ? index : [&] {
    Tensor t = empty(index.shape(), DType::Int64);
    copy(t, index);
    return t;
  }());
  const int64_t* ip = static_cast<const int64_t*>(idx.raw_data());
  int64_t* op = static_cast<int64_t*>(out.raw_data());
  const int64_t m = idx.numel(), k = out.dim() > 0 ? out.size(-1) : 0;
  parallel_for(m, std::max<int64_t>(1, kGrain / std::max<int64_t>(k, 1)),
               [&](int64_t b, int64_t e) {
                 std::fill(op + b * k, op + e * k, int64_t{0});
                 for (int64_t i = b; i < e; ++i) op[i * k + ip[i]] = 1;
               });
}

}  // namespace braid::kernels
