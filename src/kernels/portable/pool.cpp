#include "kernels/portable/pool.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "braid/core/parallel.hpp"
#include "kernels/portable/loops.hpp"

namespace braid::kernels {

PoolAxis window_axis(int64_t in, int64_t out, int64_t kernel, int64_t stride, int64_t padding,
                     int64_t dilation, bool count_include_pad) {
  PoolAxis a;
  a.in = in;
  a.step = dilation;
  for (int64_t o = 0; o < out; ++o) {
    const int64_t s = o * stride - padding;
    const int64_t e = s + (kernel - 1) * dilation + 1;
    // The first tap at or after 0 (taps stay on the dilation grid).
    const int64_t start = s < 0 ? s + (-s + dilation - 1) / dilation * dilation : s;
    const int64_t end = std::min(e, in);
    const int64_t taps = end > start ? (end - start + dilation - 1) / dilation : 0;
    a.start.push_back(start);
    a.end.push_back(end);
    // PyTorch's avg_pool2d counts the padding but not what lies past it (ceil_mode).
    a.count.push_back(count_include_pad ? std::min(e, in + padding) - s : taps);
  }
  return a;
}

PoolAxis adaptive_axis(int64_t in, int64_t out) {
  PoolAxis a;
  a.in = in;
  for (int64_t o = 0; o < out; ++o) {
    a.start.push_back(o * in / out);                  // floor(o * in / out)
    a.end.push_back(((o + 1) * in + out - 1) / out);  // ceil((o + 1) * in / out)
    a.count.push_back(a.end.back() - a.start.back());
  }
  return a;
}

bool pool_pairs(const PoolAxis& a) {
  for (int64_t o = 0; o < a.out(); ++o)
    if (a.start[o] != 2 * o || a.end[o] != 2 * o + 2) return false;
  return a.step == 1;
}

namespace {

// Planes per parallel chunk: about kGrain elements of work, at least one plane.
int64_t plane_grain(int64_t plane_elems) {
  return std::max<int64_t>(1, kGrain / std::max<int64_t>(plane_elems, 1));
}

template <class T>
void max_plane(const T* x, T* out, int64_t* idx, const PoolAxis& r, const PoolAxis& c) {
  const int64_t w = c.in;
  for (int64_t i = 0; i < r.out(); ++i) {
    for (int64_t j = 0; j < c.out(); ++j) {
      T m = -std::numeric_limits<T>::infinity();
      int64_t k = r.start[i] * w + c.start[j];
      for (int64_t h = r.start[i]; h < r.end[i]; h += r.step) {
        for (int64_t v = c.start[j]; v < c.end[j]; v += c.step) {
          const T val = x[h * w + v];
          if (val > m || std::isnan(val)) {
            m = val;
            k = h * w + v;
          }
        }
      }
      *out++ = m;
      *idx++ = k;
    }
  }
}

// The 2x2 stride-2 case: the same comparisons in the same order as
// max_plane, written branch-free over one output row so it vectorises.
template <class T>
void max_plane_2x2(const T* x, T* out, int64_t* idx, int64_t oh, int64_t ow, int64_t w) {
  for (int64_t i = 0; i < oh; ++i) {
    const T* r0 = x + 2 * i * w;
    const T* r1 = r0 + w;
    T* o = out + i * ow;
    int64_t* id = idx + i * ow;
    const int64_t base = 2 * i * w;
    for (int64_t j = 0; j < ow; ++j) {
      const T a = r0[2 * j], b = r0[2 * j + 1], c = r1[2 * j], d = r1[2 * j + 1];
      T m = a;
      int64_t k = 0;
      const bool tb = b > m || b != b;
      m = tb ? b : m;
      k = tb ? 1 : k;
      const bool tc = c > m || c != c;
      m = tc ? c : m;
      k = tc ? w : k;
      const bool td = d > m || d != d;
      m = td ? d : m;
      k = td ? w + 1 : k;
      o[j] = m;
      id[j] = base + 2 * j + k;
    }
  }
}

template <class T>
void max_pool_impl(const Tensor& out, const Tensor& indices, const Tensor& x, const PoolAxis& r,
                   const PoolAxis& c) {
  const int64_t hw = r.in * c.in, ohw = r.out() * c.out();
  const int64_t planes = ohw == 0 ? 0 : out.numel() / ohw;
  const T* xp = static_cast<const T*>(x.raw_data());
  T* op = static_cast<T*>(out.raw_data());
  int64_t* ip = static_cast<int64_t*>(indices.raw_data());
  const bool fast = pool_pairs(r) && pool_pairs(c);
  parallel_for(planes, plane_grain(hw), [&](int64_t b, int64_t e) {
    for (int64_t p = b; p < e; ++p) {
      if (fast) {
        max_plane_2x2(xp + p * hw, op + p * ohw, ip + p * ohw, r.out(), c.out(), c.in);
      } else {
        max_plane(xp + p * hw, op + p * ohw, ip + p * ohw, r, c);
      }
    }
  });
}

template <class T>
void max_backward_impl(const Tensor& gx, const Tensor& g, const Tensor& indices) {
  const int64_t ohw = g.dim() >= 2 ? g.size(-1) * g.size(-2) : 1;
  const int64_t hw = gx.dim() >= 2 ? gx.size(-1) * gx.size(-2) : 1;
  const int64_t planes = hw == 0 ? 0 : gx.numel() / hw;
  T* gxp = static_cast<T*>(gx.raw_data());
  const T* gp = static_cast<const T*>(g.raw_data());
  const int64_t* ip = static_cast<const int64_t*>(indices.raw_data());
  // Note [pool determinism]: a plane is zeroed and filled by one thread, in k order.
  parallel_for(planes, plane_grain(hw), [&](int64_t b, int64_t e) {
    for (int64_t p = b; p < e; ++p) {
      T* dst = gxp + p * hw;
      std::memset(dst, 0, static_cast<size_t>(hw) * sizeof(T));
      const T* src = gp + p * ohw;
      const int64_t* id = ip + p * ohw;
      for (int64_t k = 0; k < ohw; ++k) dst[id[k]] += src[k];
    }
  });
}

// The value every element of window (i, j) is divided by, as the kernel's
// accumulator type does it (PyTorch divides by an integer product, or, for
// adaptive pooling, by each axis in turn).
template <class T>
T average(T sum, int64_t ci, int64_t cj, AvgDivisor d) {
  switch (d.kind) {
    case AvgDivisor::kEachAxis: return sum / static_cast<T>(ci) / static_cast<T>(cj);
    case AvgDivisor::kFixed: return sum / static_cast<T>(d.fixed);
    case AvgDivisor::kProduct: break;
  }
  return sum / static_cast<T>(ci * cj);
}

template <class T>
void avg_plane(const T* x, T* out, const PoolAxis& r, const PoolAxis& c, AvgDivisor d) {
  const int64_t w = c.in;
  for (int64_t i = 0; i < r.out(); ++i) {
    for (int64_t j = 0; j < c.out(); ++j) {
      if (r.start[i] >= r.end[i] || c.start[j] >= c.end[j]) {
        *out++ = T(0);
        continue;
      }
      T sum = 0;
      for (int64_t h = r.start[i]; h < r.end[i]; ++h)
        for (int64_t v = c.start[j]; v < c.end[j]; ++v) sum += x[h * w + v];
      *out++ = average(sum, r.count[i], c.count[j], d);
    }
  }
}

template <class T>
void avg_backward_plane(T* gx, const T* g, const PoolAxis& r, const PoolAxis& c, AvgDivisor d) {
  const int64_t w = c.in;
  std::memset(gx, 0, static_cast<size_t>(r.in * w) * sizeof(T));
  for (int64_t i = 0; i < r.out(); ++i) {
    for (int64_t j = 0; j < c.out(); ++j, ++g) {
      if (r.start[i] >= r.end[i] || c.start[j] >= c.end[j]) continue;  // its count may be 0
      const T share = average(*g, r.count[i], c.count[j], d);
      for (int64_t h = r.start[i]; h < r.end[i]; ++h)
        for (int64_t v = c.start[j]; v < c.end[j]; ++v) gx[h * w + v] += share;
    }
  }
}

template <class T>
void avg_impl(const Tensor& y, const Tensor& x, const PoolAxis& r, const PoolAxis& c, AvgDivisor d,
              bool adjoint) {
  // Forward: x is the (P, H, W) input, y the (P, OH, OW) output; adjoint: the reverse.
  const int64_t hw = r.in * c.in, ohw = r.out() * c.out();
  const Tensor& big = adjoint ? y : x;
  const int64_t planes = hw == 0 ? 0 : big.numel() / hw;
  const T* xp = static_cast<const T*>(x.raw_data());
  T* yp = static_cast<T*>(y.raw_data());
  parallel_for(planes, plane_grain(hw), [&](int64_t b, int64_t e) {
    for (int64_t p = b; p < e; ++p) {
      if (adjoint) {
        avg_backward_plane(yp + p * hw, xp + p * ohw, r, c, d);
      } else {
        avg_plane(xp + p * hw, yp + p * ohw, r, c, d);
      }
    }
  });
}
}  // namespace

void max_pool2d(const Tensor& out, const Tensor& indices, const Tensor& x, const PoolAxis& rows,
                const PoolAxis& cols) {
  BRAID_DISPATCH_FLOAT(x.dtype(), "max_pool2d",
                       [&] { max_pool_impl<scalar_t>(out, indices, x, rows, cols); });
}

bool indices_in_range(const Tensor& indices, int64_t n) {
  BRAID_ASSERT(indices.dtype() == DType::Int64 && indices.is_contiguous());
  const int64_t* p = static_cast<const int64_t*>(indices.raw_data());
  const int64_t total = indices.numel();
  std::vector<char> bad(static_cast<size_t>((total + kGrain - 1) / kGrain), 0);
  parallel_for(total, kGrain, [&](int64_t b, int64_t e) {
    // Unsigned: a negative index wraps to a huge value, so one compare covers both ends.
    const auto limit = static_cast<uint64_t>(n);
    int64_t any = 0;
    for (int64_t i = b; i < e; ++i) any |= static_cast<uint64_t>(p[i]) >= limit;
    bad[static_cast<size_t>(b / kGrain)] = any != 0;
  });
  return std::find(bad.begin(), bad.end(), 1) == bad.end();
}

void max_pool2d_backward(const Tensor& gx, const Tensor& g, const Tensor& indices) {
  BRAID_DISPATCH_FLOAT(gx.dtype(), "max_pool2d_backward",
                       [&] { max_backward_impl<scalar_t>(gx, g, indices); });
}

void avg_pool2d(const Tensor& out, const Tensor& x, const PoolAxis& rows, const PoolAxis& cols,
                AvgDivisor divisor) {
  // int64 as PyTorch: an int64 sum, divided with truncation.
  if (x.dtype() == DType::Int64) return avg_impl<int64_t>(out, x, rows, cols, divisor, false);
  BRAID_DISPATCH_FLOAT(x.dtype(), "avg_pool2d",
                       [&] { avg_impl<scalar_t>(out, x, rows, cols, divisor, false); });
}

void avg_pool2d_backward(const Tensor& gx, const Tensor& g, const PoolAxis& rows,
                         const PoolAxis& cols, AvgDivisor divisor) {
  BRAID_DISPATCH_FLOAT(g.dtype(), "avg_pool2d_backward",
                       [&] { avg_impl<scalar_t>(gx, g, rows, cols, divisor, true); });
}

}  // namespace braid::kernels
