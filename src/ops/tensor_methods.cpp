// Tensor's methods that call ops, and the in-place ops.
#include "braid/core/node.hpp"
#include "kernels/portable/copy.hpp"
#include "ops/common.hpp"

namespace braid {

Tensor Tensor::reshape(const Shape& s) const { return braid::reshape(*this, s); }
Tensor Tensor::view(const Shape& s) const { return braid::view(*this, s); }
Tensor Tensor::permute(const std::vector<int64_t>& d) const { return braid::permute(*this, d); }
Tensor Tensor::transpose(int64_t d0, int64_t d1) const { return braid::transpose(*this, d0, d1); }
Tensor Tensor::t() const {
  BRAID_CHECK(dim() <= 2, ShapeError, "t", "expects a tensor of at most 2 dims; got shape {}",
              shape_str(shape()));
  return dim() < 2 ? *this : braid::transpose(*this, 0, 1);
}
Tensor Tensor::narrow(int64_t d, int64_t s, int64_t l) const {
  return braid::narrow(*this, d, s, l);
}
Tensor Tensor::slice(int64_t d, int64_t s, int64_t e, int64_t st) const {
  return braid::slice(*this, d, s, e, st);
}
Tensor Tensor::select(int64_t d, int64_t i) const { return braid::select(*this, d, i); }
Tensor Tensor::expand(const Shape& s) const { return braid::expand(*this, s); }
Tensor Tensor::squeeze(std::vector<int64_t> d) const { return braid::squeeze(*this, std::move(d)); }
Tensor Tensor::unsqueeze(int64_t d) const { return braid::unsqueeze(*this, d); }
Tensor Tensor::flatten(int64_t s, int64_t e) const { return braid::flatten(*this, s, e); }
Tensor Tensor::sum(std::vector<int64_t> d, bool k) const {
  return braid::sum(*this, std::move(d), k);
}
Tensor Tensor::mean(std::vector<int64_t> d, bool k) const {
  return braid::mean(*this, std::move(d), k);
}
Tensor Tensor::abs() const { return braid::abs(*this); }
Tensor Tensor::exp() const { return braid::exp(*this); }
Tensor Tensor::log() const { return braid::log(*this); }
Tensor Tensor::sqrt() const { return braid::sqrt(*this); }
Tensor Tensor::pow(Scalar e) const { return braid::pow(*this, e); }
Tensor Tensor::matmul(const Tensor& o) const { return braid::matmul(*this, o); }
Tensor Tensor::argmax(int64_t d, bool k) const { return braid::argmax(*this, d, k); }

// -- in place ----------------------------------------------------------------------
// Note [in-place and autograd]: with grad recording on, an in-place op runs
// out of place and the result is copied back, then this tensor takes over the
// result's place in the graph (its grad_fn). Saved copies of the old value
// see the version bump and refuse to be used. The op itself reads a clone of
// the old value when it records a node: it may save that input for backward
// (mul_ does), and the buffer it is about to overwrite cannot serve. Without
// recording, the result is written straight into this tensor's buffer.
namespace {
void check_inplace_allowed(const Tensor& self, const char* op) {
  if (!is_grad_enabled() || !self.requires_grad()) return;
  BRAID_CHECK(
      !self.is_leaf(), AutogradError, op,
      "a leaf tensor that requires grad cannot be modified in place while grad is recorded; "
      "wrap the update in NoGradGuard");
  const auto& fn = self.grad_fn();
  BRAID_CHECK(
      fn->op < 0 || op_def(static_cast<OpId>(fn->op)).kind != OpKind::View, AutogradError, op,
      "in-place modification of a view ('{}') of a tensor that requires grad is not supported yet; "
      "clone() the view first",
      fn->name);
}

Tensor& assign_result(Tensor& self, const Tensor& r, const char* op) {
  BRAID_CHECK(
      r.shape() == self.shape(), ShapeError, op,
      "result of shape {} does not fit the tensor of shape {} (in-place ops cannot broadcast self)",
      shape_str(r.shape()), shape_str(self.shape()));
  BRAID_CHECK(r.dtype() == self.dtype() || promote_types(r.dtype(), self.dtype()) == self.dtype(),
              DTypeError, op, "result type {} cannot be cast to the tensor's dtype {}",
              dtype_name(r.dtype()), dtype_name(self.dtype()));
  kernels::copy(self, r);
  self.storage()->bump_version();
  if (!is_grad_enabled()) return self;
  auto& m = self.impl().autograd_meta();
  if (r.requires_grad()) {
    Tensor rr = r.dtype() == self.dtype() ? r : to(r, self.dtype());
    m.requires_grad = true;
    m.grad_fn = rr.grad_fn();
    m.output_nr = rr.impl().autograd->output_nr;
  } else if (m.grad_fn) {  // copy_ of a constant: the old value no longer matters
    m.grad_fn = nullptr;
    m.requires_grad = false;
  }
  return self;
}

// `compute(old)` returns the new value from `old`, this tensor's value before
// the op (a clone when a graph is recorded, see the note above).
template <class F>
Tensor& inplace(Tensor& self, const char* op, const Tensor* other, const F& compute) {
  check_inplace_allowed(self, op);
  bool records = is_grad_enabled() && (self.requires_grad() || (other && other->requires_grad()));
  Tensor r = compute(records ? braid::clone(self) : self);
  return assign_result(self, r, op);
}
}  // namespace

Tensor& Tensor::add_(const Tensor& o, Scalar alpha) {
  return inplace(*this, "add_", &o, [&](const Tensor& s) { return braid::add(s, o, alpha); });
}
Tensor& Tensor::sub_(const Tensor& o, Scalar alpha) {
  return inplace(*this, "sub_", &o, [&](const Tensor& s) { return braid::sub(s, o, alpha); });
}
Tensor& Tensor::mul_(const Tensor& o) {
  return inplace(*this, "mul_", &o, [&](const Tensor& s) { return braid::mul(s, o); });
}
Tensor& Tensor::div_(const Tensor& o) {
  return inplace(*this, "div_", &o, [&](const Tensor& s) { return braid::div(s, o); });
}
Tensor& Tensor::add_(Scalar o) {
  return inplace(*this, "add_", nullptr, [&](const Tensor& s) { return s + o; });
}
Tensor& Tensor::mul_(Scalar o) {
  return inplace(*this, "mul_", nullptr, [&](const Tensor& s) { return s * o; });
}
Tensor& Tensor::clamp_(Scalar lo, Scalar hi) {
  return inplace(*this, "clamp_", nullptr,
                 [&](const Tensor& s) { return braid::clamp(s, lo, hi); });
}

Tensor& Tensor::fill_(Scalar v) {
  check_inplace_allowed(*this, "fill_");
  kernels::fill(*this, v);
  storage()->bump_version();
  if (requires_grad() && is_grad_enabled()) {  // the old value no longer matters: cut the history
    impl().autograd_meta().grad_fn = nullptr;
    impl().autograd_meta().requires_grad = false;
  }
  return *this;
}
Tensor& Tensor::zero_() { return fill_(0); }

Tensor& Tensor::copy_(const Tensor& src) {
  broadcast_shapes("copy_", src.shape(), shape());
  BRAID_CHECK(src.dim() <= dim() && broadcast_shapes("copy_", src.shape(), shape()) == shape(),
              ShapeError, "copy_", "source of shape {} does not broadcast to {}",
              shape_str(src.shape()), shape_str(shape()));
  // The new value does not read the old one, so no clone of it is needed.
  return inplace(*this, "copy_", nullptr, [&](const Tensor&) {
    return braid::clone(braid::expand(braid::to(src, dtype()), shape()));
  });
}

}  // namespace braid
