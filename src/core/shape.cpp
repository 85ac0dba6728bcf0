#include "braid/core/shape.hpp"

#include <algorithm>

#include "braid/core/error.hpp"

namespace braid {

int64_t& Shape::at(size_t i) {
  BRAID_CHECK(i < size_, IndexError, "Shape", "index {} is out of range for {} dims", i, size_);
  return data()[i];
}
int64_t Shape::at(size_t i) const { return const_cast<Shape*>(this)->at(i); }

void Shape::grow(size_t n) {
  n = std::max(n, kInline * 2);
  auto h = std::make_unique<int64_t[]>(n);
  std::copy(begin(), end(), h.get());
  heap_ = std::move(h);
  cap_ = n;
}

void Shape::open_gap(size_t at, size_t n) {
  reserve(size_ + n);
  int64_t* d = data();
  std::copy_backward(d + at, d + size_, d + size_ + n);
  size_ += n;
}

Shape::iterator Shape::insert(const_iterator pos, size_t n, int64_t v) {
  const size_t at = static_cast<size_t>(pos - begin());
  open_gap(at, n);
  std::fill(data() + at, data() + at + n, v);
  return data() + at;
}

Shape::iterator Shape::erase(const_iterator first, const_iterator last) {
  int64_t* d = data();
  const size_t a = static_cast<size_t>(first - d), b = static_cast<size_t>(last - d);
  std::copy(d + b, d + size_, d + a);
  size_ -= b - a;
  return d + a;
}

int64_t numel_of(const Shape& shape) {
  int64_t n = 1;
  for (int64_t s : shape) n *= s;
  return n;
}

Shape contiguous_strides(const Shape& shape) {
  Shape st(shape.size());
  int64_t s = 1;
  for (size_t i = shape.size(); i-- > 0;) {
    st[i] = s;
    s *= std::max<int64_t>(shape[i], 1);
  }
  return st;
}

std::string shape_str(const Shape& shape) { return fmt::format("({})", fmt::join(shape, ", ")); }

Shape broadcast_shapes(std::string_view op, const Shape& a, const Shape& b) {
  if (a == b) return a;
  size_t n = std::max(a.size(), b.size());
  Shape out(n);
  for (size_t i = 0; i < n; ++i) {
    int64_t da = i < n - a.size() ? 1 : a[i - (n - a.size())];
    int64_t db = i < n - b.size() ? 1 : b[i - (n - b.size())];
    BRAID_CHECK(da == db || da == 1 || db == 1, ShapeError, op,
                "shapes {} and {} cannot be broadcast: dim {} is {} vs {}", shape_str(a),
                shape_str(b), static_cast<int64_t>(i) - static_cast<int64_t>(n), da, db);
    out[i] = da == 1 ? db : da;
  }
  return out;
}

int64_t wrap_dim(std::string_view op, int64_t dim, int64_t rank) {
  int64_t r = std::max<int64_t>(rank, 1);  // a scalar accepts dim 0 and -1, as in PyTorch
  BRAID_CHECK(dim >= -r && dim < r, IndexError, op,
              "dim {} is out of range for a tensor of rank {} (valid: {} to {})", dim, rank, -r,
              r - 1);
  return dim < 0 ? dim + r : dim;
}

std::vector<int64_t> wrap_dims(std::string_view op, const std::vector<int64_t>& dims, int64_t rank,
                               bool empty_is_all) {
  std::vector<int64_t> out;
  if (dims.empty() && empty_is_all) {
    for (int64_t i = 0; i < rank; ++i) out.push_back(i);
    return out;
  }
  for (int64_t d : dims) {
    int64_t w = wrap_dim(op, d, rank);
    BRAID_CHECK(std::find(out.begin(), out.end(), w) == out.end(), IndexError, op,
                "dim {} appears more than once in dims ({})", d, fmt::join(dims, ", "));
    out.push_back(w);
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace braid
