#pragma once
/// Shapes, strides and the dimension helpers every op front function uses.
#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <iterator>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace braid {

/// A shape or a stride list: a vector of int64 that keeps up to 6 dims inline.
/// Every op call makes a few of them; on the heap they cost more than a small
/// op's arithmetic. It converts to and from std::vector<int64_t> and offers
/// the vector operations braid uses (iterators are pointers).
class Shape {
 public:
  using value_type = int64_t;
  using size_type = size_t;
  using iterator = int64_t*;
  using const_iterator = const int64_t*;
  using reverse_iterator = std::reverse_iterator<iterator>;
  using const_reverse_iterator = std::reverse_iterator<const_iterator>;

  Shape() = default;
  explicit Shape(size_t n, int64_t v = 0) { assign(n, v); }
  Shape(std::initializer_list<int64_t> v) { assign(v.begin(), v.end()); }
  template <class It, class = typename std::iterator_traits<It>::iterator_category>
  Shape(It first, It last) {
    assign(first, last);
  }
  Shape(const std::vector<int64_t>& v) { assign(v.begin(), v.end()); }  // NOLINT: implicit
  Shape(const Shape& o) {
    if (o.heap_)
      copy_from(o.data(), o.size_);
    else
      copy_inline(o);
  }
  Shape(Shape&& o) noexcept { steal(o); }
  Shape& operator=(const Shape& o) {
    if (this == &o) return *this;
    if (o.heap_ || heap_)
      copy_from(o.data(), o.size_);
    else
      copy_inline(o);
    return *this;
  }
  Shape& operator=(Shape&& o) noexcept {
    if (this != &o) steal(o);
    return *this;
  }
  Shape& operator=(std::initializer_list<int64_t> v) {
    assign(v.begin(), v.end());
    return *this;
  }
  operator std::vector<int64_t>() const { return {begin(), end()}; }  // NOLINT: implicit

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  size_t capacity() const { return cap_; }
  int64_t* data() { return heap_ ? heap_.get() : inline_; }
  const int64_t* data() const { return heap_ ? heap_.get() : inline_; }
  int64_t& operator[](size_t i) { return data()[i]; }
  int64_t operator[](size_t i) const { return data()[i]; }
  int64_t& at(size_t i);
  int64_t at(size_t i) const;
  int64_t& front() { return data()[0]; }
  int64_t front() const { return data()[0]; }
  int64_t& back() { return data()[size_ - 1]; }
  int64_t back() const { return data()[size_ - 1]; }
  iterator begin() { return data(); }
  iterator end() { return data() + size_; }
  const_iterator begin() const { return data(); }
  const_iterator end() const { return data() + size_; }
  const_iterator cbegin() const { return begin(); }
  const_iterator cend() const { return end(); }
  reverse_iterator rbegin() { return reverse_iterator(end()); }
  reverse_iterator rend() { return reverse_iterator(begin()); }
  const_reverse_iterator rbegin() const { return const_reverse_iterator(end()); }
  const_reverse_iterator rend() const { return const_reverse_iterator(begin()); }

  void reserve(size_t n) {
    if (n > cap_) grow(n);
  }
  void clear() { size_ = 0; }
  void push_back(int64_t v) {
    if (size_ == cap_) grow(cap_ * 2);
    data()[size_++] = v;
  }
  void emplace_back(int64_t v) { push_back(v); }
  void pop_back() { --size_; }
  void resize(size_t n, int64_t v = 0) {
    reserve(n);
    for (size_t i = size_; i < n; ++i) data()[i] = v;
    size_ = n;
  }
  void assign(size_t n, int64_t v) {
    size_ = 0;
    resize(n, v);
  }
  template <class It>
  void assign(It first, It last) {
    const size_t n = static_cast<size_t>(std::distance(first, last));
    size_ = 0;
    reserve(n);
    std::copy(first, last, data());
    size_ = n;
  }
  iterator insert(const_iterator pos, int64_t v) { return insert(pos, size_t(1), v); }
  iterator insert(const_iterator pos, size_t n, int64_t v);
  template <class It, class = typename std::iterator_traits<It>::iterator_category>
  iterator insert(const_iterator pos, It first, It last) {
    const Shape tmp(first, last);  // the range may alias *this
    const size_t at = static_cast<size_t>(pos - begin());
    open_gap(at, tmp.size());
    std::copy(tmp.begin(), tmp.end(), data() + at);
    return data() + at;
  }
  iterator insert(const_iterator pos, std::initializer_list<int64_t> v) {
    return insert(pos, v.begin(), v.end());
  }
  iterator erase(const_iterator pos) { return erase(pos, pos + 1); }
  iterator erase(const_iterator first, const_iterator last);

  friend bool operator==(const Shape& a, const Shape& b) {
    return std::equal(a.begin(), a.end(), b.begin(), b.end());
  }
  friend auto operator<=>(const Shape& a, const Shape& b) {
    return std::lexicographical_compare_three_way(a.begin(), a.end(), b.begin(), b.end());
  }

 private:
  static constexpr size_t kInline = 6;
  void grow(size_t n);
  void steal(Shape& o) {
    size_ = o.size_;
    if (o.heap_) {
      heap_ = std::move(o.heap_);
      cap_ = o.cap_;
      o.cap_ = kInline;
    } else {
      heap_.reset();
      cap_ = kInline;
      copy_inline(o);
    }
    o.size_ = 0;
  }
  // A plain loop: std::copy becomes a memmove call, dearer than 2-4 dims.
  void copy_from(const int64_t* p, size_t n) {
    size_ = 0;
    reserve(n);
    int64_t* d = data();
    for (size_t i = 0; i < n; ++i) d[i] = p[i];
    size_ = n;
  }
  // Inline to inline: all kInline words, a fixed-size copy the compiler
  // turns into a few moves (inline_ is zero-initialised, so all are defined).
  void copy_inline(const Shape& o) {
    for (size_t i = 0; i < kInline; ++i) inline_[i] = o.inline_[i];
    size_ = o.size_;
  }
  void open_gap(size_t at, size_t n);
  int64_t inline_[kInline] = {};
  std::unique_ptr<int64_t[]> heap_;  // holds the dims when more than kInline
  size_t size_ = 0, cap_ = kInline;
};

int64_t numel_of(const Shape& shape);
/// Row-major strides for `shape`, in elements.
Shape contiguous_strides(const Shape& shape);
/// "(2, 3)"; "()" for a scalar.
std::string shape_str(const Shape& shape);

/// NumPy broadcasting of two shapes. Throws ShapeError naming `op`.
Shape broadcast_shapes(std::string_view op, const Shape& a, const Shape& b);

/// Wraps a negative dim (-1 = last). Throws IndexError naming `op` and the valid range.
int64_t wrap_dim(std::string_view op, int64_t dim, int64_t rank);
/// Wraps and de-duplicates a list of dims; empty means "all dims" when `empty_is_all`.
std::vector<int64_t> wrap_dims(std::string_view op, const std::vector<int64_t>& dims, int64_t rank,
                               bool empty_is_all = true);

}  // namespace braid
