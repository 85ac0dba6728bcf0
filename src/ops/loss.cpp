// Losses (issue 3): composites of braid ops (STYLE "Small primitive set"), so
// their first and second derivatives come from the ops they call. Every check
// runs before the first op does, so bad input throws and computes nothing.
// Formulas follow PyTorch 1.13 (aten/src/ATen/native/Loss*.cpp) term by term,
// so values match it to rounding; the tests name where braid differs.
#include "braid/ops/loss.hpp"

#include <cmath>

#include "ops/common.hpp"

namespace braid {
namespace detail {
namespace {
using V = std::vector<Tensor>;

enum class Reduction { None, Mean, Sum, BatchMean };

Reduction reduction_of(std::string_view op, const Attrs& a, bool batchmean_ok = false) {
  const std::string& r = a.s(op, "reduction");
  if (r == "none") return Reduction::None;
  if (r == "mean") return Reduction::Mean;
  if (r == "sum") return Reduction::Sum;
  if (r == "batchmean" && batchmean_ok) return Reduction::BatchMean;
  BRAID_CHECK(false, ValueError, op, "reduction must be {}; got '{}'",
              batchmean_ok ? "'none', 'mean', 'sum' or 'batchmean'" : "'none', 'mean' or 'sum'", r);
  return Reduction::None;
}

// The reduced loss, "mean" over all elements (the class losses and kl_div's
// "batchmean" divide by other counts and reduce themselves).
Tensor reduce(const Tensor& loss, Reduction r) {
  if (r == Reduction::None) return loss;
  return r == Reduction::Sum ? sum(loss) : mean(loss);
}

void check_defined(std::string_view op, const Tensor& t, std::string_view what) {
  BRAID_CHECK(t.defined(), ValueError, op, "{} is undefined", what);
}

void check_input(std::string_view op, const Tensor& input, const Tensor& target) {
  check_defined(op, input, "input");
  check_defined(op, target, "target");
  BRAID_CHECK(input.is_floating_point(), DTypeError, op, "input must be floating; got {}",
              dtype_name(input.dtype()));
}

// Regression and binary losses: PyTorch broadcasts a target of another shape
// with a warning (bce: an error); braid refuses it, see braid/ops/loss.hpp.
void check_same_shape(std::string_view op, const Tensor& input, const Tensor& target) {
  check_input(op, input, target);
  BRAID_CHECK(input.shape() == target.shape(), ShapeError, op,
              "target must have input's shape; got input={}, target={}", shape_str(input.shape()),
              shape_str(target.shape()));
}

bool broadcasts_to(const Shape& from, const Shape& to) {
  if (from.size() > to.size()) return false;
  const size_t lead = to.size() - from.size();
  for (size_t i = 0; i < from.size(); ++i)
    if (from[i] != 1 && from[i] != to[lead + i]) return false;
  return true;
}

// An optional elementwise weight (bce's weight, pos_weight): it scales the
// loss, so it must broadcast to input's shape without growing it.
void check_weight(std::string_view op, const Tensor& w, std::string_view name,
                  const Tensor& input) {
  if (!w.defined()) return;
  BRAID_CHECK(w.is_floating_point(), DTypeError, op, "{} must be floating; got {}", name,
              dtype_name(w.dtype()));
  BRAID_CHECK(broadcasts_to(w.shape(), input.shape()), ShapeError, op,
              "{} must broadcast to input's shape; got input={}, {}={}", name,
              shape_str(input.shape()), name, shape_str(w.shape()));
}

// -- class losses: cross_entropy, nll_loss -------------------------------------------

struct ClassLoss {
  Tensor weight;  ///< (C) or undefined
  int64_t ignore_index = -100;
  Reduction reduction = Reduction::Mean;
  double smoothing = 0;
};

// The class dim of input (N, C, d1, ...) is 1; of an unbatched (C) input, 0.
int64_t class_dim(std::string_view op, const Tensor& input) {
  BRAID_CHECK(input.dim() >= 1, ShapeError, op,
              "input must be (C), (N, C) or (N, C, d1, ...); got input={}",
              shape_str(input.shape()));
  return input.dim() == 1 ? 0 : 1;
}

ClassLoss class_options(std::string_view op, const Tensor& input, const Tensor& weight,
                        const Attrs& a) {
  ClassLoss o{weight, a.i(op, "ignore_index"), reduction_of(op, a), 0.0};
  const int64_t c = input.size(class_dim(op, input));
  if (!weight.defined()) return o;
  BRAID_CHECK(weight.is_floating_point(), DTypeError, op, "weight must be floating; got {}",
              dtype_name(weight.dtype()));
  BRAID_CHECK(weight.dim() == 1 && weight.size(0) == c, ShapeError, op,
              "weight must hold one value per class, shape ({}); got input={}, weight={}", c,
              shape_str(input.shape()), shape_str(weight.shape()));
  return o;
}

// Class indices: input's shape without the class dim, each in [0, C) or equal
// to ignore_index. Reads the values, as PyTorch does, so a bad index is named
// here and not as an out-of-range gather.
void check_class_indices(std::string_view op, const Tensor& input, const Tensor& target,
                         int64_t ignore_index) {
  const int64_t cdim = class_dim(op, input), c = input.size(cdim);
  Shape want = input.shape();
  want.erase(want.begin() + cdim);
  BRAID_CHECK(target.shape() == want, ShapeError, op,
              "class-index target must have shape {} (input's without dim {}); got input={}, "
              "target={}",
              shape_str(want), cdim, shape_str(input.shape()), shape_str(target.shape()));
  Tensor tc = contiguous(target);
  const int64_t* p = tc.data_ptr<int64_t>();
  for (int64_t i = 0; i < tc.numel(); ++i)
    BRAID_CHECK(p[i] == ignore_index || (p[i] >= 0 && p[i] < c), IndexError, op,
                "target class index {} is out of range for {} classes (valid: 0..{} or "
                "ignore_index {})",
                p[i], c, c - 1, ignore_index);
}

// The class weights in lp's dtype: the loss keeps input's dtype, as in
// PyTorch (which refuses a weight of another dtype).
Tensor weight_like(const Tensor& w, const Tensor& lp) {
  return !w.defined() || w.dtype() == lp.dtype() ? w : to(w, lp.dtype());
}

// w (C) shaped to broadcast along the class dim of an `ndim`-dim input.
Tensor along_class_dim(const Tensor& w, int64_t cdim, int64_t ndim) {
  Shape s(static_cast<size_t>(ndim), 1);
  s[cdim] = w.size(0);
  return reshape(w, s);
}

// Note [class-index losses]: the loss at a position is -w[t] * lp[t], 0 where
// t == ignore_index; "mean" divides the sum by the summed w[t] of the kept
// positions (their count without weights), so an all-ignored batch gives
// 0/0 = NaN, as PyTorch. Label smoothing s mixes in s/C * -sum_c w[c] lp[c]
// with the same mask and divisor (PyTorch 1.13's
// cross_entropy_loss_label_smoothing). Ignored targets are looked up at
// class 0 and masked after, so the graph does not depend on the values.
Tensor index_loss(const Tensor& lp, const Tensor& target, const ClassLoss& o) {
  const int64_t cdim = lp.dim() == 1 ? 0 : 1, c = lp.size(cdim);
  Tensor ignored = target == o.ignore_index;
  Tensor safe = masked_fill(target, ignored, 0);
  Tensor picked = squeeze(gather(lp, cdim, unsqueeze(safe, cdim)), {cdim});
  const Tensor w = weight_like(o.weight, lp);
  Tensor wt;  // w[t], or undefined without class weights
  if (w.defined()) wt = reshape(index_select(w, 0, reshape(safe, {-1})), safe.shape());
  Tensor loss = masked_fill(wt.defined() ? -(picked * wt) : -picked, ignored, 0.0);
  if (o.smoothing > 0) {
    Tensor all = w.defined() ? lp * along_class_dim(w, cdim, lp.dim()) : lp;
    Tensor smooth = masked_fill(-sum(all, {cdim}), ignored, 0.0);
    loss = loss * (1.0 - o.smoothing) + smooth * (o.smoothing / static_cast<double>(c));
  }
  if (o.reduction == Reduction::None) return loss;
  if (o.reduction == Reduction::Sum) return sum(loss);
  Tensor total = wt.defined() ? sum(masked_fill(wt, ignored, 0.0)) : sum(logical_not(ignored));
  return sum(loss) / total;
}

// Class probabilities p (input's shape), smoothed to (1 - s) p + s / C:
// -sum_c w[c] p[c] lp[c] per position; "mean" divides by the number of
// positions, N * d1 * ..., whatever the weights (PyTorch 1.13).
Tensor prob_loss(const Tensor& lp, const Tensor& target, const ClassLoss& o) {
  const int64_t cdim = lp.dim() == 1 ? 0 : 1, c = lp.size(cdim);
  Tensor p = target;
  if (o.smoothing > 0) p = p * (1.0 - o.smoothing) + o.smoothing / static_cast<double>(c);
  Tensor prod = lp * p;
  if (o.weight.defined()) prod = prod * along_class_dim(weight_like(o.weight, lp), cdim, lp.dim());
  if (o.reduction == Reduction::None) return -sum(prod, {cdim});
  if (o.reduction == Reduction::Sum) return -sum(prod);
  return -sum(prod) / (static_cast<double>(lp.numel()) / static_cast<double>(c));
}

V cross_entropy_of(std::span<const Tensor> in, const Attrs& a) {
  const char* op = "cross_entropy";
  const Tensor &x = in[0], &t = in[1];
  check_input(op, x, t);
  ClassLoss o = class_options(op, x, in[2], a);
  o.smoothing = a.f(op, "label_smoothing");
  BRAID_CHECK(o.smoothing >= 0 && o.smoothing <= 1, ValueError, op,
              "label_smoothing must be in [0, 1]; got {}", o.smoothing);
  const int64_t cdim = class_dim(op, x);
  if (t.is_floating_point()) {
    BRAID_CHECK(t.shape() == x.shape(), ShapeError, op,
                "class-probability target must have input's shape; got input={}, target={}",
                shape_str(x.shape()), shape_str(t.shape()));
    BRAID_CHECK(o.ignore_index == -100, ValueError, op,
                "ignore_index applies to class-index targets only; got ignore_index={} with a "
                "{} target",
                o.ignore_index, dtype_name(t.dtype()));
    return {prob_loss(log_softmax(x, cdim), t, o)};
  }
  BRAID_CHECK(t.dtype() == DType::Int64, DTypeError, op,
              "target must be int64 class indices or floating class probabilities; got {}",
              dtype_name(t.dtype()));
  check_class_indices(op, x, t, o.ignore_index);
  if (x.dim() == 2 && !o.weight.defined() && o.smoothing == 0)  // Note [fused cross entropy]
    return {call1(OpId::softmax_cross_entropy, {x, t},
                  {{"ignore_index", o.ignore_index}, {"reduction", a.s(op, "reduction")}})};
  return {index_loss(log_softmax(x, cdim), t, o)};
}

V nll_loss_of(std::span<const Tensor> in, const Attrs& a) {
  const char* op = "nll_loss";
  const Tensor &x = in[0], &t = in[1];
  check_input(op, x, t);
  ClassLoss o = class_options(op, x, in[2], a);
  BRAID_CHECK(t.dtype() == DType::Int64, DTypeError, op,
              "target must be int64 class indices; got {}", dtype_name(t.dtype()));
  check_class_indices(op, x, t, o.ignore_index);
  return {index_loss(x, t, o)};
}

// -- regression losses -------------------------------------------------------------

V mse_of(std::span<const Tensor> in, const Attrs& a) {
  check_same_shape("mse_loss", in[0], in[1]);
  return {reduce(square(in[0] - in[1]), reduction_of("mse_loss", a))};
}

V l1_of(std::span<const Tensor> in, const Attrs& a) {
  check_same_shape("l1_loss", in[0], in[1]);
  return {reduce(abs(in[0] - in[1]), reduction_of("l1_loss", a))};
}

// Quadratic below `at`, linear above; `quad` and `lin` are the two pieces of
// z = |d|. Both are finite everywhere, so where's unselected branch has a
// finite gradient (times 0) and the result's gradient is exact.
V smooth_l1_of(std::span<const Tensor> in, const Attrs& a) {
  check_same_shape("smooth_l1_loss", in[0], in[1]);
  Reduction r = reduction_of("smooth_l1_loss", a);
  double beta = a.f("smooth_l1_loss", "beta");
  BRAID_CHECK(beta >= 0, ValueError, "smooth_l1_loss", "beta must be >= 0; got {}", beta);
  Tensor d = in[0] - in[1];
  Tensor z = abs(d);
  if (beta == 0) return {reduce(z, r)};  // the quadratic piece would divide by 0
  return {reduce(where(z < beta, square(d) * (0.5 / beta), z - 0.5 * beta), r)};
}

V huber_of(std::span<const Tensor> in, const Attrs& a) {
  check_same_shape("huber_loss", in[0], in[1]);
  Reduction r = reduction_of("huber_loss", a);
  double delta = a.f("huber_loss", "delta");
  BRAID_CHECK(delta > 0, ValueError, "huber_loss", "delta must be > 0; got {}", delta);
  Tensor d = in[0] - in[1];
  Tensor z = abs(d);
  return {reduce(where(z < delta, square(d) * 0.5, (z - 0.5 * delta) * delta), r)};
}

// -- binary losses -------------------------------------------------------------------

// PyTorch refuses probabilities outside [0, 1] (NaN included); name the first.
void check_probabilities(const Tensor& x) {
  Tensor d = contiguous(to(x.detach(), DType::Float64));
  const double* p = d.data_ptr<double>();
  for (int64_t i = 0; i < d.numel(); ++i)
    BRAID_CHECK(p[i] >= 0 && p[i] <= 1, ValueError, "binary_cross_entropy",
                "input must hold probabilities in [0, 1]; got {} at flat index {}", p[i], i);
}

// max(log(x), -100), or max(log1p(-x), -100) for `one_minus`: PyTorch's clamp,
// which keeps the loss finite at x = 0 or 1. There the log is taken of a
// stand-in value and then replaced, so the gradient is 0, not 0 * inf = NaN
// (a saturated sigmoid gives exact 0s and 1s in float32).
Tensor clamped_log(const Tensor& x, bool one_minus) {
  Tensor edge = x == (one_minus ? 1.0 : 0.0);
  Tensor safe = masked_fill(x, edge, 0.5);
  Tensor l = one_minus ? log1p(-safe) : log(safe);
  return clamp(masked_fill(l, edge, -100.0), -100.0, std::nullopt);
}

V bce_of(std::span<const Tensor> in, const Attrs& a) {
  const Tensor &x = in[0], &t = in[1], &w = in[2];
  check_same_shape("binary_cross_entropy", x, t);
  check_weight("binary_cross_entropy", w, "weight", x);
  Reduction r = reduction_of("binary_cross_entropy", a);
  check_probabilities(x);
  // (t - 1) * log(1 - x) - t * log(x), PyTorch's order of terms.
  Tensor loss = (t - 1.0) * clamped_log(x, true) - t * clamped_log(x, false);
  if (w.defined()) loss = loss * w;
  return {reduce(loss, r)};
}

// (1 - t) x + lw * log(1 + e^-x) with lw = 1 + (pos_weight - 1) t: the log
// term is softplus(-x), exact and smooth for any x (|x| - style rewrites put
// two kinks at 0 whose subgradients do not cancel in autograd).
V bce_logits_of(std::span<const Tensor> in, const Attrs& a) {
  const Tensor &x = in[0], &t = in[1], &w = in[2], &pw = in[3];
  const char* op = "binary_cross_entropy_with_logits";
  check_same_shape(op, x, t);
  check_weight(op, w, "weight", x);
  check_weight(op, pw, "pos_weight", x);
  Reduction r = reduction_of(op, a);
  Tensor sp = softplus(-x);
  Tensor loss = (1.0 - t) * x + (pw.defined() ? ((pw - 1.0) * t + 1.0) * sp : sp);
  if (w.defined()) loss = loss * w;
  return {reduce(loss, r)};
}

// target * (log(target) - input), with 0 where target is 0 (xlogy): the log
// reads 1 there, so no 0 * -inf appears in the value or the gradient.
V kl_div_of(std::span<const Tensor> in, const Attrs& a) {
  const Tensor &x = in[0], &t = in[1];
  check_input("kl_div", x, t);
  broadcast_shapes("kl_div", x.shape(), t.shape());  // throws naming both shapes
  Reduction r = reduction_of("kl_div", a, true);
  Tensor loss =
      a.b("kl_div", "log_target") ? exp(t) * (t - x) : t * (log(masked_fill(t, t == 0.0, 1.0)) - x);
  if (r != Reduction::BatchMean) return {reduce(loss, r)};
  Tensor s = sum(loss);
  return {x.dim() == 0 ? s : s / static_cast<double>(x.size(0))};
}

}  // namespace

OpDef make_def_cross_entropy() {
  return composite_def(cross_entropy_of, 3, "SoftmaxCrossEntropyLoss",
                       "label_smoothing and probability targets export as parts (LogSoftmax, Mul, "
                       "ReduceSum)");
}
OpDef make_def_nll_loss() { return composite_def(nll_loss_of, 3, "NegativeLogLikelihoodLoss", ""); }
OpDef make_def_mse_loss() {
  return composite_def(mse_of, 2, "",
                       "composite: exported as its parts (Sub, Mul, ReduceMean/Sum)");
}
OpDef make_def_l1_loss() {
  return composite_def(l1_of, 2, "", "composite: exported as its parts (Sub, Abs, ReduceMean/Sum)");
}
OpDef make_def_smooth_l1_loss() {
  return composite_def(smooth_l1_of, 2, "",
                       "composite: exported as its parts (Abs, Less, Where, ...)");
}
OpDef make_def_huber_loss() {
  return composite_def(huber_of, 2, "", "composite: exported as its parts (Abs, Less, Where, ...)");
}
OpDef make_def_binary_cross_entropy() {
  return composite_def(bce_of, 3, "", "composite: exported as its parts (Log, Clip, Mul, Sub)");
}
OpDef make_def_binary_cross_entropy_with_logits() {
  return composite_def(bce_logits_of, 4, "",
                       "composite: exported as its parts (Softplus, Mul, Add)");
}
OpDef make_def_kl_div() {
  return composite_def(kl_div_of, 2, "",
                       "composite: exported as its parts (Log, Sub, Mul, ReduceSum)");
}

}  // namespace detail

using detail::call1;

Tensor cross_entropy(const Tensor& input, const Tensor& target, const CrossEntropyOptions& o) {
  return call1(OpId::cross_entropy, {input, target, o.weight},
               {{"ignore_index", o.ignore_index},
                {"reduction", o.reduction},
                {"label_smoothing", o.label_smoothing}});
}
Tensor nll_loss(const Tensor& input, const Tensor& target, const NllLossOptions& o) {
  return call1(OpId::nll_loss, {input, target, o.weight},
               {{"ignore_index", o.ignore_index}, {"reduction", o.reduction}});
}
Tensor mse_loss(const Tensor& input, const Tensor& target, const std::string& reduction) {
  return call1(OpId::mse_loss, {input, target}, {{"reduction", reduction}});
}
Tensor l1_loss(const Tensor& input, const Tensor& target, const std::string& reduction) {
  return call1(OpId::l1_loss, {input, target}, {{"reduction", reduction}});
}
Tensor smooth_l1_loss(const Tensor& input, const Tensor& target, const std::string& reduction,
                      double beta) {
  return call1(OpId::smooth_l1_loss, {input, target}, {{"reduction", reduction}, {"beta", beta}});
}
Tensor huber_loss(const Tensor& input, const Tensor& target, const std::string& reduction,
                  double delta) {
  return call1(OpId::huber_loss, {input, target}, {{"reduction", reduction}, {"delta", delta}});
}
Tensor binary_cross_entropy(const Tensor& input, const Tensor& target, const Tensor& weight,
                            const std::string& reduction) {
  return call1(OpId::binary_cross_entropy, {input, target, weight}, {{"reduction", reduction}});
}
Tensor binary_cross_entropy_with_logits(const Tensor& input, const Tensor& target,
                                        const BceWithLogitsOptions& o) {
  return call1(OpId::binary_cross_entropy_with_logits, {input, target, o.weight, o.pos_weight},
               {{"reduction", o.reduction}});
}
Tensor kl_div(const Tensor& input, const Tensor& target, const std::string& reduction,
              bool log_target) {
  return call1(OpId::kl_div, {input, target},
               {{"reduction", reduction}, {"log_target", log_target}});
}

}  // namespace braid
