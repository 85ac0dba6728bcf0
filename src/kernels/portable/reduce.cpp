// Reduction kernels. See Note [deterministic reductions] and Note [sum
// accumulation] in reduce.hpp.
#include "kernels/portable/reduce.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>

#include "braid/core/parallel.hpp"
#include "braid/core/strided.hpp"
#include "kernels/portable/copy.hpp"
#include "kernels/portable/loops.hpp"

namespace braid::kernels {
namespace {

// Drops nothing, merges neighbours (in the given order) whose memory is
// contiguous with each other: (4, 5) with strides (5, 1) becomes (20) stride 1.
void merge_dims(const Shape& s, const Shape& st, Shape& out_s, Shape& out_st) {
  for (size_t i = 0; i < s.size(); ++i) {
    if (!out_s.empty() && out_st.back() == st[i] * s[i]) {
      out_s.back() *= s[i];
      out_st.back() = st[i];
    } else {
      out_s.push_back(s[i]);
      out_st.push_back(st[i]);
    }
  }
}

// Geometry of one reduction: the kept dims (one output each, row-major) and
// the reduced dims (walked for each output), size-1 dims dropped and
// contiguous neighbours merged, so inner loops are as long as possible.
struct Geom {
  Shape kept_shape, kept_st, red_shape, red_st, kept_cs;
  int64_t base = 0, n_out = 1, n_red = 1;

  // order_free: the result does not depend on the walk order (sum, max), so
  // the reduced dims are sorted by decreasing stride, which makes a transposed
  // input walk its memory in order.
  Geom(const Tensor& in, const std::vector<int64_t>& dims, bool order_free) {
    Shape ks, kst, rs, rst;
    size_t di = 0;
    for (size_t d = 0; d < in.shape().size(); ++d) {
      bool red = di < dims.size() && dims[di] == static_cast<int64_t>(d);
      if (red) ++di;
      int64_t n = in.shape()[d];
      (red ? n_red : n_out) *= n;
      if (n == 1) continue;
      (red ? rs : ks).push_back(n);
      (red ? rst : kst).push_back(in.strides()[d]);
    }
    if (order_free && rs.size() > 1) {
      std::vector<size_t> idx(rs.size());
      for (size_t i = 0; i < idx.size(); ++i) idx[i] = i;
      std::stable_sort(idx.begin(), idx.end(), [&](size_t a, size_t b) { return rst[a] > rst[b]; });
      Shape s2, st2;
      for (size_t i : idx) {
        s2.push_back(rs[i]);
        st2.push_back(rst[i]);
      }
      rs = s2;
      rst = st2;
    }
    merge_dims(ks, kst, kept_shape, kept_st);
    merge_dims(rs, rst, red_shape, red_st);
    kept_cs = contiguous_strides(kept_shape);
    base = in.storage_offset();
  }

  // Element offset in the input where output j's block starts.
  int64_t offset(int64_t j) const {
    int64_t off = base;
    for (size_t d = 0; d < kept_shape.size(); ++d) {
      off += (j / kept_cs[d]) * kept_st[d];
      j %= kept_cs[d];
    }
    return off;
  }
  int64_t grain() const { return std::max<int64_t>(1, kGrain / std::max<int64_t>(n_red, 1)); }
};

template <class T>
bool is_nan(T x) {
  if constexpr (std::is_floating_point_v<T>)
    return std::isnan(x);
  else
    return false;
}

// Calls f.operator()<T>() for every dtype a reduction kernel takes (all but
// the 16-bit floats, which the dispatcher widens to float32).
template <class F>
void dispatch_real(DType dt, std::string_view op, const F& f) {
  switch (dt) {
    case DType::Bool: return f.template operator()<bool>();
    case DType::UInt8: return f.template operator()<uint8_t>();
    case DType::Int8: return f.template operator()<int8_t>();
    case DType::Int32: return f.template operator()<int32_t>();
    case DType::Int64: return f.template operator()<int64_t>();
    case DType::Float32: return f.template operator()<float>();
    case DType::Float64: return f.template operator()<double>();
    default: braid::detail::throw_unsupported_dtype(op, dt);
  }
}

// For each output j: acc = init; acc = step(acc, x) over its block in row-major
// order; out[j] = fin(acc). One thread per output.
template <class T, class Out, class Acc, class Step, class Fin>
void fold(const Geom& g, const T* p, Out* o, Acc init, const Step& step, const Fin& fin) {
  parallel_for(g.n_out, g.grain(), [&](int64_t b, int64_t e) {
    for (int64_t j = b; j < e; ++j) {
      Acc acc = init;
      braid::detail::for_each_offset(g.red_shape, g.red_st, g.offset(j),
                                     [&](int64_t off) { acc = step(acc, p[off]); });
      o[j] = fin(acc);
    }
  });
}

// -- fast paths shared by sum and max/min ------------------------------------------
constexpr int kLanes = 16;

// The innermost reduced dim is contiguous: each output's block is a set of
// contiguous rows, each cut into chunks of kSumChunk elements, and
// acc = combine(acc, run(chunk)) over the chunks in order (from `init`).
template <class T, class Out, class Acc, class Run, class Combine, class Fin>
void inner_rows(const Geom& g, const T* p, Out* o, Acc init, const Run& run, const Combine& combine,
                const Fin& fin) {
  int64_t len = g.red_shape.back();
  int64_t nc = (len + kSumChunk - 1) / kSumChunk;
  auto chunk = [&](const T* row, int64_t c) {
    return run(row + c * kSumChunk, std::min(kSumChunk, len - c * kSumChunk));
  };
  Shape os(g.red_shape.begin(), g.red_shape.end() - 1), ost(g.red_st.begin(), g.red_st.end() - 1);
  if (os.empty() && g.n_out < 64 && nc > 1) {
    // Few long rows (a full sum): the chunks are spread over the threads, then
    // combined in order -- the same operations as the loop below.
    std::vector<Acc> part(static_cast<size_t>(g.n_out * nc));
    parallel_for(g.n_out * nc, 1, [&](int64_t b, int64_t e) {
      for (int64_t t = b; t < e; ++t) part[t] = chunk(p + g.offset(t / nc), t % nc);
    });
    for (int64_t j = 0; j < g.n_out; ++j) {
      Acc acc = init;
      for (int64_t c = 0; c < nc; ++c) acc = combine(acc, part[j * nc + c]);
      o[j] = fin(acc);
    }
    return;
  }
  // Neighbouring outputs are walked together, row by row. When outer dims
  // are reduced too (a conv bias gradient: (N, C, H, W) summed over N, H, W)
  // one output's rows lie C rows apart, and walking one output at a time
  // started a new prefetch stream every row: the MNIST CNN's two bias
  // gradients took 3.5 ms a step. Each acc[k] still combines its own chunks
  // in the same order, so the bits are as before.
  constexpr int64_t kBlock = 16;
  const int64_t blocks = (g.n_out + kBlock - 1) / kBlock;
  parallel_for(blocks, std::max<int64_t>(1, g.grain() / kBlock), [&](int64_t b, int64_t e) {
    for (int64_t blk = b; blk < e; ++blk) {
      const int64_t j0 = blk * kBlock, w = std::min(kBlock, g.n_out - j0);
      Acc acc[kBlock];
      int64_t base[kBlock];
      for (int64_t k = 0; k < w; ++k) acc[k] = init, base[k] = g.offset(j0 + k);
      braid::detail::for_each_offset(os, ost, 0, [&](int64_t off) {
        for (int64_t k = 0; k < w; ++k)
          for (int64_t c = 0; c < nc; ++c) acc[k] = combine(acc[k], chunk(p + base[k] + off, c));
      });
      for (int64_t k = 0; k < w; ++k) o[j0 + k] = fin(acc[k]);
    }
  });
}

// The innermost kept dim is contiguous (a sum over rows, as in a bias
// gradient): blocks of neighbouring outputs step through whole rows at once.
template <class T, class Out, class Acc, class Step, class Fin>
void outer_cols(const Geom& g, const T* p, Out* o, Acc init, const Step& step, const Fin& fin) {
  constexpr int64_t kCols = 64;
  int64_t cols = g.kept_shape.back(), rows = g.n_out / cols;
  int64_t nb = (cols + kCols - 1) / kCols;
  int64_t grain = std::max<int64_t>(1, kGrain / std::max<int64_t>(g.n_red * kCols, 1));
  parallel_for(rows * nb, grain, [&](int64_t b, int64_t e) {
    for (int64_t t = b; t < e; ++t) {
      int64_t j0 = (t / nb) * cols + (t % nb) * kCols, w = std::min(kCols, cols - (t % nb) * kCols);
      Acc acc[kCols];
      std::fill(acc, acc + kCols, init);
      braid::detail::for_each_offset(g.red_shape, g.red_st, g.offset(j0), [&](int64_t off) {
        const T* q = p + off;
        for (int64_t k = 0; k < w; ++k) acc[k] = step(acc[k], q[k]);
      });
      for (int64_t k = 0; k < w; ++k) o[j0 + k] = fin(acc[k]);
    }
  });
}

// Picks the fastest walk for this geometry; all give fixed-order results.
template <class T, class Out, class Acc, class Run, class Combine, class Step, class Fin>
void reduce_paths(const Geom& g, const T* p, Out* o, Acc init, const Run& run,
                  const Combine& combine, const Step& step, const Fin& fin) {
  if (!g.red_shape.empty() && g.red_st.back() == 1)
    inner_rows(g, p, o, init, run, combine, fin);
  else if (!g.kept_shape.empty() && g.kept_st.back() == 1)
    outer_cols(g, p, o, init, step, fin);
  else
    fold(g, p, o, init, step, fin);
}

// -- sum --------------------------------------------------------------------------
// Sum of a contiguous run: interleaved lanes, combined pairwise. The fixed
// lane structure is what lets the compiler vectorise without reassociating.
// Long runs take 64 lanes: float sums accumulate in double, so 16 lanes are
// two vector registers, two chains of dependent adds, and ran at 4 floats a
// cycle (16 GB/s on a conv bias gradient, half the memory's rate); 64 give
// eight independent chains. A run shorter than 64 sums exactly as before.
template <class T, class Acc>
Acc sum_run(const T* p, int64_t n) {
  constexpr int kWide = 4 * kLanes;
  Acc lane[kWide] = {};
  int64_t i = 0;
  for (; i + kWide <= n; i += kWide)
    for (int k = 0; k < kWide; ++k) lane[k] += static_cast<Acc>(p[i + k]);
  for (; i + kLanes <= n; i += kLanes)
    for (int k = 0; k < kLanes; ++k) lane[k] += static_cast<Acc>(p[i + k]);
  Acc tail = 0;
  for (; i < n; ++i) tail += static_cast<Acc>(p[i]);
  for (int w = kWide / 2; w >= 1; w /= 2)
    for (int k = 0; k < w; ++k) lane[k] += lane[k + w];
  return lane[0] + tail;
}

// -- max/min ----------------------------------------------------------------------
// A NaN x replaces a; once a is NaN no comparison is true, so it stays. Written
// as compare-select then NaN-select (no branch, no ||) so that GCC turns the
// lane and column loops into vector max + blend.
template <bool Max, class T>
T pick(T a, T x) {
  T m = (Max ? x > a : x < a) ? x : a;
  return x != x ? x : m;
}

// Extreme of a contiguous run in interleaved lanes (32: with 16, GCC 12 does
// not vectorise this loop).
template <bool Max, class T>
T extreme_run(const T* p, int64_t n, T init) {
  constexpr int kExtremeLanes = 32;
  T lane[kExtremeLanes];
  std::fill(lane, lane + kExtremeLanes, init);
  int64_t i = 0;
  for (; i + kExtremeLanes <= n; i += kExtremeLanes)
    for (int k = 0; k < kExtremeLanes; ++k) lane[k] = pick<Max>(lane[k], p[i + k]);
  T acc = init;
  for (; i < n; ++i) acc = pick<Max>(acc, p[i]);
  for (int k = 0; k < kExtremeLanes; ++k) acc = pick<Max>(acc, lane[k]);
  return acc;
}

template <class T, class Acc>
void sum_impl(const Tensor& out, const Tensor& in, const std::vector<int64_t>& dims, bool mean) {
  Geom g(in, dims, /*order_free=*/true);
  T* o = static_cast<T*>(out.raw_data());
  const T* p = static_cast<const T*>(in.storage()->data());
  if (g.n_out == 0) return;
  double n = static_cast<double>(g.n_red);
  auto fin = [&](Acc a) -> T {
    if constexpr (std::is_floating_point_v<Acc>)
      return static_cast<T>(mean ? a / n : a);
    else
      return static_cast<T>(a);
  };
  if (g.n_red == 0) {
    for (int64_t j = 0; j < g.n_out; ++j) o[j] = mean ? static_cast<T>(NAN) : T(0);
    return;
  }
  reduce_paths(
      g, p, o, Acc(0), [](const T* q, int64_t len) { return sum_run<T, Acc>(q, len); },
      [](Acc a, Acc b) { return a + b; }, [](Acc a, T x) { return a + static_cast<Acc>(x); }, fin);
}

// -- cumsum ---------------------------------------------------------------------
template <class T, class Acc>
void cumsum_impl(const Tensor& out, const Tensor& in, int64_t dim) {
  const T* p = static_cast<const T*>(in.raw_data());  // contiguous
  T* o = static_cast<T*>(out.raw_data());
  const Shape& s = in.shape();
  if (in.numel() == 0) return;
  int64_t len = s.empty() ? 1 : s[dim], outer = 1, inner = 1;
  for (int64_t d = 0; d < dim; ++d) outer *= s[d];
  for (size_t d = dim + 1; d < s.size(); ++d) inner *= s[d];
  constexpr int64_t kCols = 64;
  int64_t nb = (inner + kCols - 1) / kCols;
  // Each task: one outer index and a block of up to kCols neighbouring lines,
  // walked together so memory is read in order.
  parallel_for(outer * nb, std::max<int64_t>(1, kGrain / (len * std::min(inner, kCols))),
               [&](int64_t b, int64_t e) {
                 for (int64_t t = b; t < e; ++t) {
                   int64_t k0 = (t % nb) * kCols, w = std::min(kCols, inner - k0);
                   int64_t start = (t / nb) * len * inner + k0;
                   Acc acc[kCols] = {};
                   for (int64_t l = 0; l < len; ++l) {
                     int64_t row = start + l * inner;
                     for (int64_t k = 0; k < w; ++k) {
                       acc[k] += static_cast<Acc>(p[row + k]);
                       o[row + k] = static_cast<T>(acc[k]);
                     }
                   }
                 }
               });
}

}  // namespace

void sum(const Tensor& out, const Tensor& in, const std::vector<int64_t>& dims, bool mean) {
  switch (in.dtype()) {
    case DType::Float32: return sum_impl<float, double>(out, in, dims, mean);
    case DType::Float64: return sum_impl<double, double>(out, in, dims, mean);
    case DType::Int64: return sum_impl<int64_t, int64_t>(out, in, dims, mean);
    default: braid::detail::throw_unsupported_dtype(mean ? "mean" : "sum", in.dtype());
  }
}

void prod(const Tensor& out, const Tensor& in, const std::vector<int64_t>& dims) {
  auto run = [&]<class T, class Acc>() {
    Geom g(in, dims, true);
    fold(
        g, static_cast<const T*>(in.storage()->data()), static_cast<T*>(out.raw_data()), Acc(1),
        [](Acc a, T x) { return a * static_cast<Acc>(x); },
        [](Acc a) { return static_cast<T>(a); });
  };
  switch (in.dtype()) {
    case DType::Float32: return run.template operator()<float, double>();
    case DType::Float64: return run.template operator()<double, double>();
    case DType::Int64: return run.template operator()<int64_t, int64_t>();
    default: braid::detail::throw_unsupported_dtype("prod", in.dtype());
  }
}

void extreme(Extreme op, const Tensor& out, const Tensor& in, const std::vector<int64_t>& dims) {
  dispatch_real(in.dtype(), op == Extreme::Max ? "amax" : "amin", [&]<class T>() {
    Geom g(in, dims, true);
    const T* p = static_cast<const T*>(in.storage()->data());
    T* o = static_cast<T*>(out.raw_data());
    auto run = [&]<bool Max>() {
      // Start below (above) every value; NaN wins over it too.
      T init = Max ? std::numeric_limits<T>::lowest() : std::numeric_limits<T>::max();
      if constexpr (std::is_floating_point_v<T>) init = Max ? -INFINITY : INFINITY;
      reduce_paths(
          g, p, o, init, [init](const T* q, int64_t n) { return extreme_run<Max>(q, n, init); },
          [](T a, T b) { return pick<Max>(a, b); }, [](T a, T x) { return pick<Max>(a, x); },
          [](T a) { return a; });
    };
    if (op == Extreme::Max)
      run.template operator()<true>();
    else
      run.template operator()<false>();
  });
}

void arg_extreme(Extreme op, const Tensor& values, const Tensor& indices, const Tensor& in,
                 const std::vector<int64_t>& dims) {
  dispatch_real(in.dtype(), op == Extreme::Max ? "argmax" : "argmin", [&]<class T>() {
    Geom g(in, dims, /*order_free=*/false);  // positions count row-major
    const T* p = static_cast<const T*>(in.storage()->data());
    T* vo = values.defined() ? static_cast<T*>(values.raw_data()) : nullptr;
    auto* io = static_cast<int64_t*>(indices.raw_data());
    bool mx = op == Extreme::Max;
    parallel_for(g.n_out, g.grain(), [&](int64_t b, int64_t e) {
      for (int64_t j = b; j < e; ++j) {
        T best{};
        int64_t bi = -1, pos = 0;
        braid::detail::for_each_offset(g.red_shape, g.red_st, g.offset(j), [&](int64_t off) {
          T x = p[off];
          // Strict comparisons keep the first of equal values; a NaN beats all.
          if (bi < 0 || (!is_nan(best) && (is_nan(x) || (mx ? x > best : x < best)))) {
            best = x;
            bi = pos;
          }
          ++pos;
        });
        io[j] = bi;
        if (vo) vo[j] = best;
      }
    });
  });
}

void logical(Logical op, const Tensor& out, const Tensor& in, const std::vector<int64_t>& dims) {
  dispatch_real(in.dtype(), op == Logical::All ? "all" : "any", [&]<class T>() {
    Geom g(in, dims, true);
    bool all = op == Logical::All;
    fold(
        g, static_cast<const T*>(in.storage()->data()), static_cast<bool*>(out.raw_data()), all,
        [all](bool a, T x) { return all ? (a && x != T(0)) : (a || x != T(0)); },
        [](bool a) { return a; });
  });
}

void cumsum(const Tensor& out, const Tensor& in, int64_t dim) {
  Tensor c = in;
  if (!in.is_contiguous()) {
    c = empty(in.shape(), in.dtype());
    copy(c, in);
  }
  switch (in.dtype()) {
    case DType::Float32: return cumsum_impl<float, double>(out, c, dim);
    case DType::Float64: return cumsum_impl<double, double>(out, c, dim);
    case DType::Int64: return cumsum_impl<int64_t, int64_t>(out, c, dim);
    default: braid::detail::throw_unsupported_dtype("cumsum", in.dtype());
  }
}

}  // namespace braid::kernels
