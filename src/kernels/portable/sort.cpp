// sort and topk: one line along `dim` per task, so results never depend on
// the thread count. Order: NaN is the greatest value (as in PyTorch); equal
// values keep their original order (sort is stable, topk prefers lower indices).
#include <cmath>
#include <numeric>
#include <type_traits>

#include "kernels/portable/cast.hpp"
#include "kernels/portable/index.hpp"

namespace braid::kernels {

namespace {
// -1, 0 or 1 as a < b, a == b, a > b, with NaN above everything and all NaNs equal.
template <class T>
int compare(T a, T b) {
  if constexpr (is_half_v<T>) {
    return compare(static_cast<float>(a), static_cast<float>(b));
  } else if constexpr (std::is_floating_point_v<T>) {
    bool na = std::isnan(a), nb = std::isnan(b);
    if (na || nb) return static_cast<int>(na) - static_cast<int>(nb);
    return (a > b) - (a < b);
  } else {
    return (a > b) - (a < b);
  }
}

// One line's values (strided) copied out, with their positions 0..n-1.
template <class T>
struct Line {
  std::vector<T> v;
  std::vector<int64_t> order;
  Line(const T* p, int64_t base, int64_t n, int64_t stride)
      : v(static_cast<size_t>(n)), order(v.size()) {
    for (int64_t j = 0; j < n; ++j) v[j] = p[base + j * stride];
    std::iota(order.begin(), order.end(), int64_t{0});
  }
};

template <class T>
void sort_impl(const Tensor& values, const Tensor& indices, const Tensor& x, int64_t dim,
               bool descending) {
  int64_t n = x.shape()[dim];
  int64_t xs = x.strides()[dim], vs = values.strides()[dim], is = indices.strides()[dim];
  const T* xp = static_cast<const T*>(x.raw_data());
  T* vp = static_cast<T*>(values.raw_data());
  int64_t* ip = static_cast<int64_t*>(indices.raw_data());
  for_each_line<3>(x.shape(), dim, {&x, &values, &indices}, [&](const std::array<int64_t, 3>& b) {
    Line<T> line(xp, b[0], n, xs);
    std::stable_sort(line.order.begin(), line.order.end(), [&](int64_t i, int64_t j) {
      int c = compare(line.v[i], line.v[j]);
      return descending ? c > 0 : c < 0;
    });
    for (int64_t j = 0; j < n; ++j) {
      vp[b[1] + j * vs] = line.v[line.order[j]];
      ip[b[2] + j * is] = line.order[j];
    }
  });
}

template <class T>
void topk_impl(const Tensor& values, const Tensor& indices, const Tensor& x, int64_t k, int64_t dim,
               bool largest) {
  int64_t n = x.shape()[dim];
  int64_t xs = x.strides()[dim], vs = values.strides()[dim], is = indices.strides()[dim];
  const T* xp = static_cast<const T*>(x.raw_data());
  T* vp = static_cast<T*>(values.raw_data());
  int64_t* ip = static_cast<int64_t*>(indices.raw_data());
  for_each_line<3>(x.shape(), dim, {&x, &values, &indices}, [&](const std::array<int64_t, 3>& b) {
    Line<T> line(xp, b[0], n, xs);
    // The index tie-break makes the order total, so partial_sort (not stable)
    // still gives one answer.
    std::partial_sort(line.order.begin(), line.order.begin() + k, line.order.end(),
                      [&](int64_t i, int64_t j) {
                        int c = compare(line.v[i], line.v[j]);
                        if (c != 0) return largest ? c > 0 : c < 0;
                        return i < j;
                      });
    for (int64_t j = 0; j < k; ++j) {
      vp[b[1] + j * vs] = line.v[line.order[j]];
      ip[b[2] + j * is] = line.order[j];
    }
  });
}
}  // namespace

void sort(const Tensor& values, const Tensor& indices, const Tensor& x, int64_t dim,
          bool descending) {
  Tensor v = at_least_1d(values), i = at_least_1d(indices), xx = at_least_1d(x);
  BRAID_DISPATCH_ALL(x.dtype(), "sort", [&] { sort_impl<scalar_t>(v, i, xx, dim, descending); });
}

void topk(const Tensor& values, const Tensor& indices, const Tensor& x, int64_t k, int64_t dim,
          bool largest) {
  Tensor v = at_least_1d(values), i = at_least_1d(indices), xx = at_least_1d(x);
  BRAID_DISPATCH_ALL(x.dtype(), "topk", [&] { topk_impl<scalar_t>(v, i, xx, k, dim, largest); });
}

}  // namespace braid::kernels
