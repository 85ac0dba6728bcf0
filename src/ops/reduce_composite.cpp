// Composite reductions (STYLE "Small primitive set"): var, std, norm,
// logsumexp, softmax, log_softmax, written with braid ops, so autograd and
// second derivatives come from the ops they call. A fused kernel may replace
// one later when a benchmark shows it pays; this stays as the reference.
#include <algorithm>
#include <cmath>

#include "ops/common.hpp"
#include "ops/reduce_common.hpp"

namespace braid {
namespace detail {
namespace {
using V = std::vector<Tensor>;

// Reduction composites take one tensor.
OpDef reduce_def(CompositeFn fn, std::string_view onnx, std::string_view onnx_note = {}) {
  OpDef d = composite_def(fn, 1, onnx, onnx_note);
  d.traits = kReduction;
  return d;
}

void check_float(std::string_view op, const Tensor& x) {
  check_floating(op, std::span<const Tensor>(&x, 1));
}

// sum((x - mean)^2) / max(0, n - correction): a zero divisor gives inf, or
// NaN for a zero sum, as in PyTorch.
Tensor variance(std::string_view op, const Tensor& x, const Attrs& a) {
  check_float(op, x);
  RedDims r = red_dims(op, a, x.dim());
  int64_t correction = a.i(op, "correction");
  Tensor centered = x - mean(x, r.dims, true);
  Tensor ss = sum(square(centered), r.dims, r.keepdim);
  double n = static_cast<double>(reduced_numel(x.shape(), r.dims));
  return ss / std::max(0.0, n - static_cast<double>(correction));
}

// p-norm. The p = 2 form sqrt(sum(x^2)) has an infinite (NaN) gradient when
// the whole block is 0, where PyTorch gives 0; p = 1 has abs's kink at 0.
Tensor p_norm(const Tensor& x, const Attrs& a) {
  check_float("norm", x);
  double p = a.f("norm", "p");
  RedDims r = red_dims("norm", a, x.dim());
  if (p == 2) return sqrt(sum(square(x), r.dims, r.keepdim));
  if (p == 1) return sum(abs(x), r.dims, r.keepdim);
  if (p == 0) return sum(x != 0, r.dims, r.keepdim, x.dtype());
  if (std::isinf(p)) {
    for (int64_t d : r.dims)
      BRAID_CHECK(d >= x.dim() || x.shape()[d] != 0, IndexError, "norm",
                  "the {}inf norm over dim {} of size 0 has no identity; got shape {}",
                  p < 0 ? "-" : "", d, shape_str(x.shape()));
    return p > 0 ? amax(abs(x), r.dims, r.keepdim) : amin(abs(x), r.dims, r.keepdim);
  }
  return pow(sum(pow(abs(x), p), r.dims, r.keepdim), 1.0 / p);
}

// log(sum(exp(x))) computed as m + log(sum(exp(x - m))) with m the block's
// max, detached: the gradient through m cancels exactly, and detaching it
// keeps amax's tie rule out of the result's gradient.
Tensor logsumexp_of(const Tensor& x0, const Attrs& a) {
  Tensor x = x0.is_floating_point() ? x0 : to(x0, DType::Float32);  // PyTorch promotes integers
  RedDims r = red_dims("logsumexp", a, x.dim());
  if (x.numel() == 0) return log(sum(exp(x), r.dims, r.keepdim));  // -inf over empty blocks
  Tensor m = amax(x, r.dims, true).detach();
  // An infinite max would make x - m NaN; shifting by 0 is exact there.
  m = where(abs(m) == INFINITY, zeros({}, m.dtype()), m);
  Tensor s = log(sum(exp(x - m), r.dims, true)) + m;
  return r.keepdim ? s : reshape(s, reduced_shape(x.shape(), r.dims, false));
}

// softmax and log_softmax along dim, shifted by the detached max (stable).
Tensor softmax_of(std::string_view op, const Tensor& x, const Attrs& a, bool log_form) {
  check_float(op, x);
  int64_t d = wrap_dim(op, a.i(op, "dim"), x.dim());
  if (x.numel() == 0) return clone(x);
  Tensor s = x - amax(x, {d}, true).detach();
  if (log_form) return s - log(sum(exp(s), {d}, true));
  Tensor e = exp(s);
  return e / sum(e, {d}, true);
}
}  // namespace

OpDef make_def_var() {
  return reduce_def(
      [](std::span<const Tensor> in, const Attrs& a) -> V { return {variance("var", in[0], a)}; },
      "", "composite: exported as its parts (ReduceMean, Sub, Mul, ReduceSum, Div)");
}
OpDef make_def_std() {
  return reduce_def([](std::span<const Tensor> in,
                       const Attrs& a) -> V { return {sqrt(variance("std", in[0], a))}; },
                    "", "composite: exported as its parts (var, then Sqrt)");
}
OpDef make_def_norm() {
  return reduce_def(
      [](std::span<const Tensor> in, const Attrs& a) -> V { return {p_norm(in[0], a)}; }, "",
      "composite: exported as its parts (ReduceL1/ReduceL2 patterns for p = 1, 2)");
}
OpDef make_def_logsumexp() {
  return reduce_def(
      [](std::span<const Tensor> in, const Attrs& a) -> V { return {logsumexp_of(in[0], a)}; },
      "ReduceLogSumExp");
}
OpDef make_def_softmax() {
  return reduce_def([](std::span<const Tensor> in,
                       const Attrs& a) -> V { return {softmax_of("softmax", in[0], a, false)}; },
                    "Softmax");
}
OpDef make_def_log_softmax() {
  return reduce_def([](std::span<const Tensor> in,
                       const Attrs& a) -> V { return {softmax_of("log_softmax", in[0], a, true)}; },
                    "LogSoftmax");
}

}  // namespace detail

using detail::call1;
Tensor var(const Tensor& x, std::vector<int64_t> dims, int64_t correction, bool keepdim) {
  return call1(OpId::var, {x},
               {{"dims", std::move(dims)}, {"correction", correction}, {"keepdim", keepdim}});
}
Tensor std(const Tensor& x, std::vector<int64_t> dims, int64_t correction, bool keepdim) {
  return call1(OpId::std, {x},
               {{"dims", std::move(dims)}, {"correction", correction}, {"keepdim", keepdim}});
}
Tensor norm(const Tensor& x, double p, std::vector<int64_t> dims, bool keepdim) {
  return call1(OpId::norm, {x}, {{"p", p}, {"dims", std::move(dims)}, {"keepdim", keepdim}});
}
Tensor logsumexp(const Tensor& x, std::vector<int64_t> dims, bool keepdim) {
  return call1(OpId::logsumexp, {x}, {{"dims", std::move(dims)}, {"keepdim", keepdim}});
}
Tensor softmax(const Tensor& x, int64_t dim) { return call1(OpId::softmax, {x}, {{"dim", dim}}); }
Tensor log_softmax(const Tensor& x, int64_t dim) {
  return call1(OpId::log_softmax, {x}, {{"dim", dim}});
}

}  // namespace braid
