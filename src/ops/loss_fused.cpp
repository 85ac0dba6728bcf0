// Note [fused cross entropy]
// cross_entropy's common case, (N, C) logits with class indices and no class
// weights or smoothing, as one primitive: log-softmax, the pick of the target
// and the reduction in one pass over each row, and a backward that writes
// scale_r * (softmax(x)_r - onehot(t_r)) in one pass. The composite form
// (log_softmax, gather, masks, sums: about 16 ops and as many backward nodes)
// cost more than the MLP's arithmetic (bench/workloads, profile-w1). The
// formula and the ignore_index / 0-kept-rows (NaN mean) rules are those of
// the composite (Note [class-index losses] in loss.cpp); the gradient of the
// backward (for double backward) is written with braid ops.
#include <cmath>
#include <vector>

#include "braid/core/parallel.hpp"
#include "ops/common.hpp"

namespace braid {
namespace detail {
namespace {
using V = std::vector<Tensor>;
constexpr const char* kOp = "softmax_cross_entropy";

enum class Red { None, Mean, Sum };

Red red_of(const Attrs& a) {
  const std::string& r = a.s(kOp, "reduction");
  if (r == "none") return Red::None;
  if (r == "sum") return Red::Sum;
  BRAID_CHECK(r == "mean", ValueError, kOp, "reduction must be 'none', 'mean' or 'sum'; got '{}'",
              r);
  return Red::Mean;
}

void check_pair(std::string_view op, const Tensor& x, const Tensor& t) {
  BRAID_CHECK(x.defined() && t.defined(), ValueError, op, "input and target must be defined");
  BRAID_CHECK(x.dim() == 2 && x.is_floating_point(), ShapeError, op,
              "input must be floating (N, C); got {} {}", dtype_name(x.dtype()),
              shape_str(x.shape()));
  BRAID_CHECK(t.dtype() == DType::Int64 && t.dim() == 1 && t.size(0) == x.size(0), ShapeError, op,
              "target must be int64 (N) = ({}); got {} {}", x.size(0), dtype_name(t.dtype()),
              shape_str(t.shape()));
}

TensorMetas infer_fwd(std::span<const Tensor> in, const Attrs& a) {
  check_pair(kOp, in[0], in[1]);
  Shape s;
  if (red_of(a) == Red::None) s = {in[0].size(0)};
  return one_meta(std::move(s), in[0].dtype());
}

// Before any row is computed (an exception cannot leave a parallel loop).
void check_targets(const int64_t* t, int64_t n, int64_t c, int64_t ignore) {
  for (int64_t r = 0; r < n; ++r)
    BRAID_CHECK(t[r] == ignore || (t[r] >= 0 && t[r] < c), IndexError, kOp,
                "target class index {} is out of range for {} classes (valid: 0..{} or "
                "ignore_index {})",
                t[r], c, c - 1, ignore);
}

// Per row: lse_r = m + log(sum_c exp(x_rc - m)); the row's loss is
// lse_r - x[r, t_r]. Writes lse (for the backward) and the row losses.
template <class T>
void rows_lse(const T* x, const int64_t* t, int64_t n, int64_t c, int64_t ignore, T* lse, T* loss) {
  parallel_for(n, std::max<int64_t>(1, 16384 / std::max<int64_t>(c, 1)), [&](int64_t b, int64_t e) {
    for (int64_t r = b; r < e; ++r) {
      const T* row = x + r * c;
      T m = row[0];
      for (int64_t j = 1; j < c; ++j) m = row[j] > m ? row[j] : m;
      T s = 0;
      for (int64_t j = 0; j < c; ++j) s += std::exp(row[j] - m);
      lse[r] = m + std::log(s);
      loss[r] = t[r] == ignore ? T(0) : lse[r] - row[t[r]];
    }
  });
}

void fwd_kernel(const KernelArgs& args) {
  const Tensor x = args.in[0].contiguous(), t = args.in[1].contiguous();
  const int64_t n = x.size(0), c = x.size(1), ignore = args.attrs.i(kOp, "ignore_index");
  const Red red = red_of(args.attrs);
  BRAID_DISPATCH_FLOAT(x.dtype(), kOp, [&] {
    using T = scalar_t;
    std::vector<T> lse(static_cast<size_t>(n)), rows(static_cast<size_t>(n));
    const int64_t* tp = t.data_ptr<int64_t>();
    check_targets(tp, n, c, ignore);
    rows_lse<T>(x.data_ptr<T>(), tp, n, c, ignore, lse.data(), rows.data());
    T* out = args.out[0].data_ptr<T>();
    if (red == Red::None) {
      std::copy(rows.begin(), rows.end(), out);
      return;
    }
    double total = 0;  // in row order whatever the thread count
    int64_t kept = 0;
    for (int64_t r = 0; r < n; ++r) total += rows[r], kept += tp[r] != ignore;
    out[0] = static_cast<T>(red == Red::Sum ? total : total / static_cast<double>(kept));
  });
}

V fwd_vjp(const VjpCtx& c) {
  return {
      call1(OpId::softmax_cross_entropy_backward, {c.grads[0], c.inputs[0], c.inputs[1]}, c.attrs),
      Tensor()};
}

// softmax_cross_entropy_backward(g, x, t) -> (N, C)
TensorMetas infer_bwd(std::span<const Tensor> in, const Attrs& a) {
  const char* op = "softmax_cross_entropy_backward";
  check_pair(op, in[1], in[2]);
  const Shape want = red_of(a) == Red::None ? Shape{in[1].size(0)} : Shape{};
  BRAID_CHECK(in[0].defined() && in[0].shape() == want, ShapeError, op,
              "grad must have shape {}; got {}", shape_str(want),
              in[0].defined() ? shape_str(in[0].shape()) : std::string("undefined"));
  return one_meta(in[1].shape(), in[1].dtype());
}

void bwd_kernel(const KernelArgs& args) {
  const Tensor g = args.in[0].contiguous(), x = args.in[1].contiguous(),
               t = args.in[2].contiguous();
  const int64_t n = x.size(0), c = x.size(1), ignore = args.attrs.i(kOp, "ignore_index");
  const Red red = red_of(args.attrs);
  BRAID_DISPATCH_FLOAT(x.dtype(), kOp, [&] {
    using T = scalar_t;
    const int64_t* tp = t.data_ptr<int64_t>();
    std::vector<T> lse(static_cast<size_t>(n)), rows(static_cast<size_t>(n));
    check_targets(tp, n, c, ignore);
    rows_lse<T>(x.data_ptr<T>(), tp, n, c, ignore, lse.data(), rows.data());
    int64_t kept = 0;
    for (int64_t r = 0; r < n; ++r) kept += tp[r] != ignore;
    const T* gp = g.data_ptr<T>();
    const T* xp = x.data_ptr<T>();
    T* out = args.out[0].data_ptr<T>();
    parallel_for(
        n, std::max<int64_t>(1, 16384 / std::max<int64_t>(c, 1)), [&](int64_t b, int64_t e) {
          for (int64_t r = b; r < e; ++r) {
            T* o = out + r * c;
            const T* row = xp + r * c;
            if (tp[r] == ignore) {
              std::fill(o, o + c, T(0));
              continue;
            }
            const T scale = red == Red::None  ? gp[r]
                            : red == Red::Sum ? gp[0]
                                              : static_cast<T>(gp[0] / static_cast<T>(kept));
            for (int64_t j = 0; j < c; ++j) o[j] = scale * std::exp(row[j] - lse[r]);
            o[tp[r]] -= scale;
          }
        });
  });
}

// Gradients of scale_r * (s_r - onehot_r) (s = softmax(x)) for double
// backward, with braid ops: for G (N, C), x gets scale_r * s_r * (G_r - <G_r, s_r>)
// and the scale gets <G_r, s_r> - G[r, t_r] per kept row.
V bwd_vjp(const VjpCtx& ctx) {
  const Tensor &g = ctx.inputs[0], &x = ctx.inputs[1], &t = ctx.inputs[2];
  const Tensor& G = ctx.grads[0];
  const int64_t ignore = ctx.attrs.i(kOp, "ignore_index");
  const Red red = red_of(ctx.attrs);
  const Tensor ignored = t == ignore;
  const Tensor kept = to(logical_not(ignored), x.dtype());
  const Tensor safe = masked_fill(t, ignored, 0);
  Tensor scale = g * kept;  // a scalar g (sum, mean) broadcasts
  if (red == Red::Mean) scale = scale / sum(kept);
  const Tensor s = softmax(x, 1);
  const Tensor gs = sum(G * s, {1}, true);
  Tensor gx, gg;
  if (ctx.needs_grad[1]) gx = unsqueeze(scale, 1) * s * (G - gs);
  if (ctx.needs_grad[0]) {
    Tensor h = (squeeze(gs, {1}) - squeeze(gather(G, 1, unsqueeze(safe, 1)), {1})) * kept;
    if (red == Red::None)
      gg = h;
    else
      gg = red == Red::Sum ? sum(h) : sum(h) / sum(kept);
  }
  return {gg, gx, Tensor()};
}
}  // namespace

OpDef make_def_softmax_cross_entropy() {
  OpDef d;
  d.num_inputs = 2;
  d.infer = infer_fwd;
  d.portable = fwd_kernel;
  d.vjp = fwd_vjp;
  d.save_inputs = 3;
  d.onnx = "SoftmaxCrossEntropyLoss";
  return d;
}

OpDef make_def_softmax_cross_entropy_backward() {
  OpDef d;
  d.num_inputs = 3;
  d.infer = infer_bwd;
  d.portable = bwd_kernel;
  d.vjp = bwd_vjp;
  d.save_inputs = 7;
  d.onnx_note = "training only: the gradient of SoftmaxCrossEntropyLoss has no ONNX operator";
  return d;
}

}  // namespace detail
}  // namespace braid
