#pragma once
// Data-movement kernels for joining and indexing: cat, index_select/index_add,
// gather/scatter, nonzero, flip, tril/triu; and sorting (sort.cpp).
// Plain C++ over any strides and dtypes (the WASM path and the test oracle).
//
// Index tensors are int32 or int64 of any strides. Kernels assume their
// indices were validated (find_bad_index) before anything was written.
//
// Note [deterministic scatter]: a scatter writes many sources into one
// output element. Work is split across threads only by "lines" -- every
// coordinate except the scattered dim -- so each output element is written by
// exactly one thread, which visits the sources in index order. Results (the
// sum of scatter_add, the last write of scatter) are then the same for any
// thread count.
#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "braid/core/parallel.hpp"
#include "braid/core/tensor.hpp"
#include "kernels/portable/loops.hpp"

namespace braid::kernels {

/// A 0-dim tensor seen as shape (1): dim-wise kernels then need no special case.
Tensor at_least_1d(const Tensor& t);

/// Calls fn(offsets) once per line of `shape` along `dim` -- each combination
/// of the other coordinates -- where offsets[k] is that line's first element
/// in tensor k (in elements from its raw_data()). Every tensor must cover
/// `shape` on the other dims. Lines run in parallel; one line is one call.
template <size_t K, class F>
void for_each_line(const Shape& shape, int64_t dim, const std::array<const Tensor*, K>& ts,
                   const F& fn) {
  Shape sh;
  std::array<Shape, K> st;
  for (size_t d = 0; d < shape.size(); ++d) {
    if (static_cast<int64_t>(d) == dim) continue;
    sh.push_back(shape[d]);
    for (size_t k = 0; k < K; ++k) st[k].push_back(ts[k]->strides()[d]);
  }
  int64_t lines = numel_of(sh), len = std::max<int64_t>(shape[dim], 1);
  parallel_for(lines, std::max<int64_t>(1, kGrain / len), [&](int64_t b, int64_t e) {
    for (int64_t l = b; l < e; ++l) {
      std::array<int64_t, K> off{};
      int64_t rem = l;
      for (size_t d = sh.size(); d-- > 0;) {
        int64_t c = rem % sh[d];
        rem /= sh[d];
        for (size_t k = 0; k < K; ++k) off[k] += c * st[k][d];
      }
      fn(off);
    }
  });
}

/// An index value outside [0, size), with its coordinates in the index tensor.
struct BadIndex {
  int64_t value;
  Shape position;
};
/// The first (row-major) value of `index` outside [0, size), if any.
std::optional<BadIndex> find_bad_index(const Tensor& index, int64_t size);
/// The values of a 0-d or 1-d index tensor, as int64.
std::vector<int64_t> index_values(const Tensor& index);

/// out = the inputs laid end to end along `dim`; each input is cast to out's
/// dtype. Inputs whose extent on `dim` is 0 contribute nothing and may be
/// legacy (0,)-shaped tensors of another rank.
void cat(const Tensor& out, std::span<const Tensor> ins, int64_t dim);

/// out.select(dim, j) = x.select(dim, index[j]). x, out: rank >= 1.
void index_select(const Tensor& out, const Tensor& x, int64_t dim, const Tensor& index);
/// out.select(dim, index[j]) += src.select(dim, j), j in order; out already holds x.
void index_add(const Tensor& out, int64_t dim, const Tensor& index, const Tensor& src);

/// out[p] = x[p with p[dim] = index[p]]; out has index's shape.
void gather(const Tensor& out, const Tensor& x, int64_t dim, const Tensor& index);
/// out[p with p[dim] = index[p]] = src[p] (or += when `add`), for p over
/// index's shape, in index order along `dim`; out already holds x.
void scatter(const Tensor& out, int64_t dim, const Tensor& index, const Tensor& src, bool add);

/// (n, x.dim()) int64 coordinates of the elements that are not zero
/// (NaN counts as non-zero), row-major.
Tensor nonzero(const Tensor& x);

/// out = x reversed along each dim in `dims` (wrapped, unique).
void flip(const Tensor& out, const Tensor& x, const std::vector<int64_t>& dims);
/// out = x with the elements above (lower = true: tril) or below (triu) the
/// `diagonal`-th diagonal of the last two dims set to zero.
void triangle(const Tensor& out, const Tensor& x, int64_t diagonal, bool lower);

/// Stable sort of each line along `dim`; NaN sorts as the greatest value.
/// values: x's dtype, indices: int64, both x's shape and contiguous.
void sort(const Tensor& values, const Tensor& indices, const Tensor& x, int64_t dim,
          bool descending);
/// The k largest (or smallest) of each line along `dim`, in sorted order; ties
/// go to the lower index. values/indices have x's shape with dim = k.
void topk(const Tensor& values, const Tensor& indices, const Tensor& x, int64_t k, int64_t dim,
          bool largest);

}  // namespace braid::kernels
