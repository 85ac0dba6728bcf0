#include "kernels/portable/index.hpp"

#include <cstring>
#include <type_traits>

#include "braid/core/strided.hpp"
#include "kernels/portable/cast.hpp"
#include "kernels/portable/copy.hpp"

namespace braid::kernels {

namespace {
// Calls fn(I{}) with I the index tensor's element type (int32_t or int64_t).
template <class F>
void with_index_type(DType dt, const F& fn) {
  if (dt == DType::Int32) {
    fn(int32_t{});
  } else {
    BRAID_ASSERT(dt == DType::Int64);
    fn(int64_t{});
  }
}

// o += v for every dtype: bool adds as "or", halves add in float.
template <class T>
void accumulate(T& o, T v) {
  if constexpr (std::is_same_v<T, bool>) {
    o = o || v;
  } else if constexpr (is_half_v<T>) {
    o = T(static_cast<float>(o) + static_cast<float>(v));
  } else {
    o = static_cast<T>(o + v);
  }
}

template <class T>
T* ptr(const Tensor& t) {
  return static_cast<T*>(t.raw_data());
}

// Rows: when every dim before `dim` has size 1 and the dims after it form
// one contiguous run in both tensors (an embedding table, dim 0 of a
// matrix), index_select/index_add move whole runs; walking the generic
// lines (one element of each picked row at a time) was 4-6x slower than
// PyTorch there. Returns the run's length, or 0 when the layout differs or
// the run is too short to pay.
int64_t row_run(const Shape& shape, int64_t dim, const Tensor& a, const Tensor& b) {
  for (int64_t d = 0; d < dim; ++d)
    if (shape[d] != 1) return 0;
  int64_t len = 1;
  for (int64_t d = static_cast<int64_t>(shape.size()) - 1; d > dim; --d) {
    if (shape[d] != 1 && (a.strides()[d] != len || b.strides()[d] != len)) return 0;
    len *= shape[d];
  }
  return len >= 8 ? len : 0;
}

template <class T>
void index_select_impl(const Tensor& out, const Tensor& x, int64_t dim,
                       const std::vector<int64_t>& idx) {
  int64_t m = static_cast<int64_t>(idx.size()), os = out.strides()[dim], xs = x.strides()[dim];
  T* o = ptr<T>(out);
  const T* xp = ptr<T>(x);
  if (int64_t len = row_run(out.shape(), dim, out, x)) {
    parallel_for(m, std::max<int64_t>(1, kGrain / len), [&](int64_t b, int64_t e) {
      for (int64_t j = b; j < e; ++j)
        std::copy(xp + idx[j] * xs, xp + idx[j] * xs + len, o + j * os);
    });
    return;
  }
  for_each_line<2>(out.shape(), dim, {&out, &x}, [&](const std::array<int64_t, 2>& b) {
    for (int64_t j = 0; j < m; ++j) o[b[0] + j * os] = xp[b[1] + idx[j] * xs];
  });
}

template <class T>
void index_add_impl(const Tensor& out, int64_t dim, const std::vector<int64_t>& idx,
                    const Tensor& src) {
  int64_t m = static_cast<int64_t>(idx.size()), os = out.strides()[dim], ss = src.strides()[dim];
  T* o = ptr<T>(out);
  const T* sp = ptr<T>(src);
  // Note [deterministic scatter]: one line of out per call, sources in order.
  if (int64_t len = row_run(src.shape(), dim, out, src)) {
    // Threads split the run (columns); each adds the sources in index order,
    // so every element sums in the same order as on the generic path.
    parallel_for(len, std::max<int64_t>(16, kGrain / std::max<int64_t>(m, 1)),
                 [&](int64_t k0, int64_t k1) {
                   for (int64_t j = 0; j < m; ++j) {
                     T* dst = o + idx[j] * os;
                     const T* s = sp + j * ss;
                     for (int64_t k = k0; k < k1; ++k) accumulate(dst[k], s[k]);
                   }
                 });
    return;
  }
  for_each_line<2>(src.shape(), dim, {&out, &src}, [&](const std::array<int64_t, 2>& b) {
    for (int64_t j = 0; j < m; ++j) accumulate(o[b[0] + idx[j] * os], sp[b[1] + j * ss]);
  });
}

template <class T, class I>
void gather_impl(const Tensor& out, const Tensor& x, int64_t dim, const Tensor& index) {
  int64_t len = index.shape()[dim];
  int64_t os = out.strides()[dim], xs = x.strides()[dim], is = index.strides()[dim];
  T* o = ptr<T>(out);
  const T* xp = ptr<T>(x);
  const I* ip = ptr<I>(index);
  for_each_line<3>(index.shape(), dim, {&out, &x, &index}, [&](const std::array<int64_t, 3>& b) {
    for (int64_t j = 0; j < len; ++j)
      o[b[0] + j * os] = xp[b[1] + static_cast<int64_t>(ip[b[2] + j * is]) * xs];
  });
}

template <class T, class I>
void scatter_impl(const Tensor& out, int64_t dim, const Tensor& index, const Tensor& src,
                  bool add) {
  int64_t len = index.shape()[dim];
  int64_t os = out.strides()[dim], ss = src.strides()[dim], is = index.strides()[dim];
  T* o = ptr<T>(out);
  const T* sp = ptr<T>(src);
  const I* ip = ptr<I>(index);
  // Note [deterministic scatter]: lines share no output element.
  for_each_line<3>(index.shape(), dim, {&out, &src, &index}, [&](const std::array<int64_t, 3>& b) {
    for (int64_t j = 0; j < len; ++j) {
      T& dst = o[b[0] + static_cast<int64_t>(ip[b[2] + j * is]) * os];
      if (add) {
        accumulate(dst, sp[b[1] + j * ss]);
      } else {
        dst = sp[b[1] + j * ss];
      }
    }
  });
}

template <class T>
void collect_nonzero(const Tensor& x, std::vector<int64_t>& flat) {
  const T* p = static_cast<const T*>(x.storage()->data());
  int64_t pos = 0;
  detail::for_each_offset(x.shape(), x.strides(), x.storage_offset(), [&](int64_t off) {
    if (cast_value<bool>(p[off])) flat.push_back(pos);
    ++pos;
  });
}
}  // namespace

Tensor at_least_1d(const Tensor& t) {
  return t.dim() > 0 ? t : as_strided(t, {1}, {1}, t.storage_offset());
}

std::optional<BadIndex> find_bad_index(const Tensor& index, int64_t size) {
  std::optional<BadIndex> bad;
  with_index_type(index.dtype(), [&](auto tag) {
    using I = decltype(tag);
    const I* p = static_cast<const I*>(index.storage()->data());
    int64_t pos = 0, first = -1;
    // Serial and first-in-order, so the message names the same element every run.
    detail::for_each_offset(index.shape(), index.strides(), index.storage_offset(),
                            [&](int64_t off) {
                              int64_t v = static_cast<int64_t>(p[off]);
                              if (first < 0 && (v < 0 || v >= size)) {
                                first = pos;
                                bad = BadIndex{v, {}};
                              }
                              ++pos;
                            });
    if (!bad) return;
    Shape coords(index.shape().size());
    for (size_t d = coords.size(); d-- > 0;) {
      coords[d] = first % index.shape()[d];
      first /= index.shape()[d];
    }
    bad->position = std::move(coords);
  });
  return bad;
}

std::vector<int64_t> index_values(const Tensor& index) {
  std::vector<int64_t> v;
  v.reserve(static_cast<size_t>(index.numel()));
  with_index_type(index.dtype(), [&](auto tag) {
    using I = decltype(tag);
    const I* p = static_cast<const I*>(index.storage()->data());
    detail::for_each_offset(index.shape(), index.strides(), index.storage_offset(),
                            [&](int64_t off) { v.push_back(static_cast<int64_t>(p[off])); });
  });
  return v;
}

void cat(const Tensor& out, std::span<const Tensor> ins, int64_t dim) {
  int64_t pos = 0;
  for (const Tensor& in : ins) {
    // A legacy (0,) input of another rank has no extent along dim.
    if (in.dim() != out.dim()) continue;
    int64_t len = in.shape()[dim];
    if (in.numel() > 0) {
      Shape sh = out.shape();
      sh[dim] = len;
      copy(as_strided(out, sh, out.strides(), out.storage_offset() + pos * out.strides()[dim]), in);
    }
    pos += len;
  }
}

void index_select(const Tensor& out, const Tensor& x, int64_t dim, const Tensor& index) {
  std::vector<int64_t> idx = index_values(index);
  BRAID_DISPATCH_ALL(out.dtype(), "index_select",
                     [&] { index_select_impl<scalar_t>(out, x, dim, idx); });
}

void index_add(const Tensor& out, int64_t dim, const Tensor& index, const Tensor& src) {
  std::vector<int64_t> idx = index_values(index);
  BRAID_DISPATCH_ALL(out.dtype(), "index_add",
                     [&] { index_add_impl<scalar_t>(out, dim, idx, src); });
}

void gather(const Tensor& out, const Tensor& x, int64_t dim, const Tensor& index) {
  BRAID_DISPATCH_ALL(out.dtype(), "gather", [&] {
    with_index_type(index.dtype(),
                    [&](auto tag) { gather_impl<scalar_t, decltype(tag)>(out, x, dim, index); });
  });
}

void scatter(const Tensor& out, int64_t dim, const Tensor& index, const Tensor& src, bool add) {
  BRAID_DISPATCH_ALL(out.dtype(), "scatter", [&] {
    with_index_type(index.dtype(), [&](auto tag) {
      scatter_impl<scalar_t, decltype(tag)>(out, dim, index, src, add);
    });
  });
}

Tensor nonzero(const Tensor& x) {
  std::vector<int64_t> flat;
  BRAID_DISPATCH_ALL(x.dtype(), "nonzero", [&] { collect_nonzero<scalar_t>(x, flat); });
  int64_t n = static_cast<int64_t>(flat.size()), r = x.dim();
  Tensor out = empty({n, r}, DType::Int64);
  int64_t* o = ptr<int64_t>(out);
  for (int64_t i = 0; i < n; ++i) {
    int64_t rem = flat[i];
    for (int64_t d = r; d-- > 0;) {
      o[i * r + d] = rem % x.shape()[d];
      rem /= x.shape()[d];
    }
  }
  return out;
}

void flip(const Tensor& out, const Tensor& x, const std::vector<int64_t>& dims) {
  if (x.numel() == 0) return;
  // Read x through a view with the flipped dims' strides negated; the copy
  // loop takes any strides.
  Shape st = x.strides();
  int64_t off = x.storage_offset();
  for (int64_t d : dims) {
    off += (x.shape()[d] - 1) * st[d];
    st[d] = -st[d];
  }
  copy(out, as_strided(x, x.shape(), st, off));
}

void triangle(const Tensor& out, const Tensor& x, int64_t diagonal, bool lower) {
  copy(out, x);
  int64_t r = out.dim(), rows = out.shape()[r - 2], cols = out.shape()[r - 1];
  if (out.numel() == 0) return;
  // out is contiguous: zero a run of each row. All-zero bytes are zero in every dtype.
  auto* base = static_cast<char*>(out.raw_data());
  size_t es = out.element_size();
  parallel_for(out.numel() / cols, std::max<int64_t>(1, kGrain / cols), [&](int64_t b, int64_t e) {
    for (int64_t row = b; row < e; ++row) {
      int64_t i = row % rows;
      int64_t from = lower ? std::clamp<int64_t>(i + diagonal + 1, 0, cols) : 0;
      int64_t to = lower ? cols : std::clamp<int64_t>(i + diagonal, 0, cols);
      if (to > from)
        std::memset(base + (row * cols + from) * es, 0, static_cast<size_t>(to - from) * es);
    }
  });
}

}  // namespace braid::kernels
