#pragma once
// The two loop shapes most portable kernels are made of: an elementwise map
// over broadcast operands, and a reduction of some dims. Plain C++ so the
// WASM build and the test oracle share them.
#include <algorithm>
#include <array>
#include <bit>
#include <cstring>
#include <tuple>
#include <type_traits>
#include <utility>

#include "braid/core/parallel.hpp"
#include "braid/core/strided.hpp"
#include "braid/core/tensor.hpp"

namespace braid::kernels {

inline constexpr int64_t kGrain = int64_t{1} << 16;  // elements per parallel chunk

/// A dim list with inline storage: the loop set-up below runs on every op
/// call, and heap vectors there cost more than a small op's arithmetic.
struct Dims {
  int64_t v[16];
  size_t n = 0;
  bool empty() const { return n == 0; }
  size_t size() const { return n; }
  int64_t& back() { return v[n - 1]; }
  int64_t back() const { return v[n - 1]; }
  void push_back(int64_t x) { v[n++] = x; }
  int64_t& operator[](size_t i) { return v[i]; }
  int64_t operator[](size_t i) const { return v[i]; }
  const int64_t* begin() const { return v; }
  const int64_t* end() const { return v + n; }
};

inline Dims to_dims(const Shape& s) {
  Dims d;
  for (int64_t x : s) d.push_back(x);
  return d;
}

/// Strides of `t` seen from an output of shape `out` (0 on broadcast dims).
inline Dims broadcast_strides(const Tensor& t, const Shape& out) {
  Dims st;
  st.n = out.size();
  size_t off = out.size() - t.shape().size();
  for (size_t i = 0; i < off; ++i) st.v[i] = 0;
  for (size_t i = 0; i < t.shape().size(); ++i)
    st.v[off + i] = t.shape()[i] == 1 ? 0 : t.strides()[i];
  return st;
}

/// Geometry shared by K operands after dropping size-1 dims and merging
/// neighbouring dims that are contiguous in every operand.
template <size_t K>
struct Plan {
  Dims shape;
  std::array<Dims, K> strides;
  bool flat = true;  ///< every operand contiguous over the whole range

  Plan(const Shape& out, const std::array<Dims, K>& st) { build(out, st); }
  Plan(const Shape& out, const std::array<Shape, K>& st) {
    std::array<Dims, K> d;
    for (size_t k = 0; k < K; ++k) d[k] = to_dims(st[k]);
    build(out, d);
  }

 private:
  void build(const Shape& out, const std::array<Dims, K>& st) {
    for (size_t d = 0; d < out.size(); ++d) {
      if (out[d] == 1) continue;
      bool merge = !shape.empty();
      for (size_t k = 0; merge && k < K; ++k) merge = strides[k].back() == st[k][d] * out[d];
      if (merge) {
        shape.back() *= out[d];
        for (size_t k = 0; k < K; ++k) strides[k].back() = st[k][d];
      } else {
        shape.push_back(out[d]);
        for (size_t k = 0; k < K; ++k) strides[k].push_back(st[k][d]);
      }
    }
    for (size_t k = 0; k < K; ++k)
      flat = flat && (shape.empty() || (shape.size() == 1 && strides[k][0] == 1));
  }
};

namespace detail_loops {
template <class Out, class... In, class F, size_t... I>
void run_map(const F& f, Out* o, std::tuple<const In*...> p, const Plan<sizeof...(In) + 1>& plan,
             int64_t n, std::index_sequence<I...>) {
  constexpr size_t K = sizeof...(In) + 1;
  if (plan.flat) {
    parallel_for(n, kGrain, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) o[i] = f(std::get<I>(p)[i]...);
    });
    return;
  }
  // General case: an odometer over the outer dims, a strided inner loop.
  const Dims& sh = plan.shape;
  size_t r = sh.size();
  int64_t inner = sh[r - 1];
  int64_t outer = n / inner;
  std::array<int64_t, K> ist;
  for (size_t k = 0; k < K; ++k) ist[k] = plan.strides[k][r - 1];
  parallel_for(outer, std::max<int64_t>(1, kGrain / inner), [&](int64_t b, int64_t e) {
    std::array<int64_t, K> off{};
    int64_t idx[16] = {0};
    int64_t rem = b;
    for (size_t d = r - 1; d-- > 0;) {
      idx[d] = rem % sh[d];
      rem /= sh[d];
      for (size_t k = 0; k < K; ++k) off[k] += idx[d] * plan.strides[k][d];
    }
    for (int64_t row = b; row < e; ++row) {
      Out* oo = o + off[0];
      if (ist[0] == 1 && ((ist[I + 1] == 1) && ...)) {
        for (int64_t i = 0; i < inner; ++i) oo[i] = f(std::get<I>(p)[off[I + 1] + i]...);
      } else {
        for (int64_t i = 0; i < inner; ++i)
          oo[i * ist[0]] = f(std::get<I>(p)[off[I + 1] + i * ist[I + 1]]...);
      }
      for (size_t d = r - 1; d-- > 0;) {
        if (++idx[d] < sh[d]) {
          for (size_t k = 0; k < K; ++k) off[k] += plan.strides[k][d];
          break;
        }
        for (size_t k = 0; k < K; ++k) off[k] -= (sh[d] - 1) * plan.strides[k][d];
        idx[d] = 0;
      }
    }
  });
}
}  // namespace detail_loops

/// c ? x : y without a branch. On a random condition (a ReLU mask) the
/// branch mispredicts half the time, ~3 ns an element; through an all-ones or
/// zero bit mask the loop vectorises. 4- and 8-byte types; others select.
template <class T>
T branchless_select(bool c, T x, T y) {
  if constexpr (sizeof(T) == 4 || sizeof(T) == 8) {
    using U = std::conditional_t<sizeof(T) == 4, uint32_t, uint64_t>;
    const U m = U{0} - static_cast<U>(c);
    return std::bit_cast<T>((std::bit_cast<U>(x) & m) | (std::bit_cast<U>(y) & ~m));
  } else {
    return c ? x : y;
  }
}

/// out[i] = f(in0[i], in1[i], ...), operands broadcast to out's shape. `Out`
/// and `In...` are the element types. Chunks are fixed-size, so results do
/// not depend on the thread count.
template <class Out, class... In, class F, class... T>
void map(const F& f, const Tensor& out, const T&... ins) {
  static_assert(sizeof...(In) == sizeof...(T), "one element type per input");
  int64_t n = out.numel();
  if (n == 0) return;
  const Shape& os = out.shape();
  if (((ins.shape() == os) && ...) && out.is_contiguous() && (ins.is_contiguous() && ...)) {
    // Same shape, all dense: one flat loop, no plan (the common case).
    Out* o = static_cast<Out*>(out.raw_data());
    std::tuple<const In*...> p{static_cast<const In*>(ins.raw_data())...};
    parallel_for(n, kGrain, [&](int64_t b, int64_t e) {
      std::apply(
          [&](const In*... q) {
            for (int64_t i = b; i < e; ++i) o[i] = f(q[i]...);
          },
          p);
    });
    return;
  }
  Plan<sizeof...(In) + 1> plan(os, std::array<Dims, sizeof...(In) + 1>{
                                       to_dims(out.strides()), broadcast_strides(ins, os)...});
  detail_loops::run_map<Out, In...>(
      f, static_cast<Out*>(out.raw_data()),
      std::tuple<const In*...>{static_cast<const In*>(ins.raw_data())...}, plan, n,
      std::index_sequence_for<In...>{});
}

/// Reduces the dims in `dims` (sorted, unique) of `in` into `out`, which has
/// `in`'s shape with those dims removed or kept as 1. Each output element is
/// computed by one thread in a fixed order (Note [deterministic reductions]):
/// acc = init; acc = step(acc, x, index_within_reduced_block); out = fin(acc, count).
template <class In, class Out, class Acc, class Step, class Fin>
void reduce(const Tensor& in, const Tensor& out, const std::vector<int64_t>& dims, Acc init,
            const Step& step, const Fin& fin) {
  const Shape& is = in.shape();
  Shape kept_shape, kept_st, red_shape, red_st;
  size_t di = 0;
  for (size_t d = 0; d < is.size(); ++d) {
    bool red = di < dims.size() && dims[di] == static_cast<int64_t>(d);
    if (red) ++di;
    (red ? red_shape : kept_shape).push_back(is[d]);
    (red ? red_st : kept_st).push_back(in.strides()[d]);
  }
  Tensor o = out;  // output is contiguous (allocated by the dispatcher) in kept order
  Out* op = static_cast<Out*>(o.raw_data());
  const In* ip = static_cast<const In*>(in.storage()->data());
  int64_t base = in.storage_offset();
  int64_t n_out = numel_of(kept_shape), n_red = numel_of(red_shape);
  Shape kept_cs = contiguous_strides(kept_shape);
  parallel_for(n_out, std::max<int64_t>(1, kGrain / std::max<int64_t>(n_red, 1)),
               [&](int64_t b, int64_t e) {
                 for (int64_t j = b; j < e; ++j) {
                   int64_t off = base, rem = j;
                   for (size_t d = 0; d < kept_shape.size(); ++d) {
                     off += (rem / kept_cs[d]) * kept_st[d];
                     rem %= kept_cs[d];
                   }
                   Acc acc = init;
                   int64_t pos = 0;
                   braid::detail::for_each_offset(
                       red_shape, red_st, off, [&](int64_t o2) { acc = step(acc, ip[o2], pos++); });
                   op[j] = fin(acc, n_red);
                 }
               });
}

}  // namespace braid::kernels
