// Printing like PyTorch: a common number format for all values, rows aligned,
// "..." past 3 edge items when the tensor has more than 1000 elements.
#include <cmath>
#include <ostream>

#include "braid/core/node.hpp"
#include "braid/core/strided.hpp"
#include "braid/core/tensor.hpp"

namespace braid {

namespace {
constexpr int64_t kThreshold = 1000;
constexpr int64_t kEdge = 3;

struct Fmt {
  bool floating = false, sci = false;
  int width = 1;
  std::string one(double v) const {
    if (!floating) return fmt::format("{}", static_cast<int64_t>(v));
    if (std::isnan(v)) return "nan";
    if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
    return sci ? fmt::format("{:.4e}", v) : fmt::format("{:.4f}", v);
  }
};

// Offsets of the elements that will be shown along each dim.
std::vector<int64_t> shown(int64_t n, bool summarise) {
  std::vector<int64_t> idx;
  if (!summarise || n <= 2 * kEdge) {
    for (int64_t i = 0; i < n; ++i) idx.push_back(i);
  } else {
    for (int64_t i = 0; i < kEdge; ++i) idx.push_back(i);
    idx.push_back(-1);  // the "..." marker
    for (int64_t i = n - kEdge; i < n; ++i) idx.push_back(i);
  }
  return idx;
}

void collect(const Tensor& t, const Shape& sh, size_t d, int64_t off, bool summ,
             std::vector<double>& vals) {
  if (d == sh.size()) {
    vals.push_back(detail::load_as_double(static_cast<const char*>(t.storage()->data()) +
                                              off * static_cast<int64_t>(t.element_size()),
                                          t.dtype()));
    return;
  }
  for (int64_t i : shown(sh[d], summ))
    if (i >= 0) collect(t, sh, d + 1, off + i * t.strides()[d], summ, vals);
}

void emit(std::string& out, const Tensor& t, size_t d, int64_t off, bool summ, const Fmt& f,
          int indent) {
  const Shape& sh = t.shape();
  if (d == sh.size()) {
    double v = detail::load_as_double(static_cast<const char*>(t.storage()->data()) +
                                          off * static_cast<int64_t>(t.element_size()),
                                      t.dtype());
    if (t.dtype() == DType::Bool) {
      out += fmt::format("{:>{}}", v != 0 ? "True" : "False", f.width);
      return;
    }
    out += fmt::format("{:>{}}", f.one(v), f.width);
    return;
  }
  out += "[";
  auto idx = shown(sh[d], summ);
  for (size_t k = 0; k < idx.size(); ++k) {
    if (k > 0) {
      out += ",";
      if (d + 1 == sh.size())
        out += " ";
      else
        out += std::string(sh.size() - d - 1, '\n') + std::string(indent + d + 1, ' ');
    }
    if (idx[k] < 0)
      out += "...";
    else
      emit(out, t, d + 1, off + idx[k] * t.strides()[d], summ, f, indent);
  }
  out += "]";
}
}  // namespace

std::string Tensor::str() const {
  if (!defined()) return "tensor(undefined)";
  bool summ = numel() > kThreshold;
  std::vector<double> vals;
  collect(*this, shape(), 0, storage_offset(), summ, vals);
  Fmt f;
  f.floating = is_floating_point();
  if (f.floating) {
    double mx = 0, mn = INFINITY;
    for (double v : vals)
      if (std::isfinite(v) && v != 0) {
        mx = std::max(mx, std::fabs(v));
        mn = std::min(mn, std::fabs(v));
      }
    f.sci = mx >= 1e8 || (mn < 1e-4 && mx > 0);
  }
  for (double v : vals)
    f.width = std::max<int>(
        f.width, static_cast<int>(dtype() == DType::Bool ? (v != 0 ? 4 : 5) : f.one(v).size()));
  std::string out = "tensor(";
  if (numel() == 0)
    out += "[]";
  else
    emit(out, *this, 0, storage_offset(), summ, f, 7);
  out += fmt::format(", shape={}, dtype={}", shape_str(shape()), dtype_name(dtype()));
  if (!is_leaf())
    out += fmt::format(", grad_fn=<{}>", grad_fn_name());
  else if (requires_grad())
    out += ", requires_grad=True";
  return out + ")";
}

std::ostream& operator<<(std::ostream& os, const Tensor& t) { return os << t.str(); }

}  // namespace braid
