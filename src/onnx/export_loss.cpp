// ONNX translations of the losses (src/ops/loss.cpp): class-index cross
// entropy and NLL as ONNX's loss operators, the others as their formulas,
// term by term as the composites compute them.
#include "onnx/export_ctx.hpp"

namespace braid::onnx::detail {
namespace {

std::string reduction(Ctx& c) { return c.attrs().s(c.op(), "reduction"); }

// The class weights shaped (1, C, 1, ...) to broadcast along the class dim.
std::string along_class_dim(Ctx& c, size_t w) {
  std::vector<int64_t> s(static_cast<size_t>(c.rank(0)), 1);
  s[1] = c.shape(0)[1];
  return c.emit("Reshape", {c.in(w), c.ints(s)});
}

// Probability targets, smoothed to (1 - s) p + s / C: -sum_c w[c] p[c] lp[c]
// per position; mean over the positions (src/ops/loss.cpp, prob_loss).
void prob_cross_entropy(Ctx& c, double smoothing) {
  DType t = c.dtype(0);
  int64_t classes = c.shape(0)[1];
  pb::NodeProto* n;
  std::string lp = c.emit("LogSoftmax", {c.in(0)}, &n);
  set_attr(n, "axis", 1);
  std::string p = c.in(1);
  if (smoothing > 0)
    p = c.emit("Add", {c.emit("Mul", {p, c.scalar(1 - smoothing, t)}),
                       c.scalar(smoothing / static_cast<double>(classes), t)});
  std::string prod = c.emit("Mul", {lp, p});
  if (c.has(2)) prod = c.emit("Mul", {prod, along_class_dim(c, 2)});
  std::string red = reduction(c);
  std::string per_position = c.emit("Neg", {c.emit("ReduceSum", {prod, c.ints({1})}, &n)});
  set_attr(n, "keepdims", 0);
  if (red == "none") {
    c.add("Identity", {per_position}, {c.out(0)});
    return;
  }
  set_attr(c.add(red == "sum" ? "ReduceSum" : "ReduceMean", {per_position}, {c.out(0)}), "keepdims",
           0);
}

// Class indices with label smoothing s: (1 - s) nll + s / C * -sum_c w[c] lp[c],
// 0 at ignored targets; mean divides by the kept targets' summed w[t] (or
// their count), as index_loss in src/ops/loss.cpp.
void smoothed_cross_entropy(Ctx& c, double s) {
  DType t = c.dtype(0);
  int64_t classes = c.shape(0)[1];
  pb::NodeProto* n;
  std::string lp = c.emit("LogSoftmax", {c.in(0)}, &n);
  set_attr(n, "axis", 1);
  std::vector<std::string> ins{lp, c.raw(1)};
  if (c.has(2)) ins.push_back(c.in(2));
  std::string nll = c.emit("NegativeLogLikelihoodLoss", ins, &n);
  set_attr(n, "reduction", "none");
  set_attr(n, "ignore_index", c.i("ignore_index"));
  Tensor ii = full({}, static_cast<double>(c.i("ignore_index")), c.value(1).dtype);
  std::string ignored = c.emit("Equal", {c.raw(1), c.initializer(ii, c.out(0) + "_ignore_index")});
  std::string all = c.has(2) ? c.emit("Mul", {lp, along_class_dim(c, 2)}) : lp;
  std::string sum_all = c.emit("ReduceSum", {all, c.ints({1})}, &n);
  set_attr(n, "keepdims", 0);
  std::string zero = c.scalar(0, t);
  std::string smooth = c.emit("Where", {ignored, zero, c.emit("Neg", {sum_all})});
  std::string loss =
      c.emit("Add", {c.emit("Mul", {nll, c.scalar(1 - s, t)}),
                     c.emit("Mul", {smooth, c.scalar(s / static_cast<double>(classes), t)})});
  std::string red = reduction(c);
  if (red == "none") {
    c.add("Identity", {loss}, {c.out(0)});
    return;
  }
  std::string total_loss = c.emit("ReduceSum", {loss}, &n);
  set_attr(n, "keepdims", 0);
  if (red == "sum") {
    c.add("Identity", {total_loss}, {c.out(0)});
    return;
  }
  std::string kept;
  if (c.has(2)) {
    std::string safe = c.emit("Where", {ignored, c.scalar(0, c.value(1).dtype), c.raw(1)});
    std::string wt = c.emit("Gather", {c.in(2), safe}, &n);
    set_attr(n, "axis", 0);
    kept = c.emit("Where", {ignored, zero, wt});
  } else {
    kept = c.cast(c.emit("Not", {ignored}), t);
  }
  std::string total = c.emit("ReduceSum", {kept}, &n);
  set_attr(n, "keepdims", 0);
  c.add("Div", {total_loss, total}, {c.out(0)});
}

// cross_entropy / nll_loss; class-index targets without smoothing are ONNX's
// loss operators.
void class_loss(Ctx& c, const char* op) {
  if (c.rank(0) < 2) c.fail("an unbatched input is not exported (ONNX wants (N, C, ...))");
  double smoothing = c.attrs().has("label_smoothing") ? c.f("label_smoothing") : 0.0;
  if (is_floating(c.value(1).dtype)) return prob_cross_entropy(c, smoothing);
  if (smoothing > 0) return smoothed_cross_entropy(c, smoothing);
  std::vector<std::string> ins{c.in(0), c.raw(1)};
  if (c.has(2)) ins.push_back(c.in(2));
  pb::NodeProto* n = c.add(op, ins, {c.out(0)});
  set_attr(n, "reduction", reduction(c));
  set_attr(n, "ignore_index", c.i("ignore_index"));
}
void cross_entropy(Ctx& c) { class_loss(c, "SoftmaxCrossEntropyLoss"); }
// The fused (N, C) primitive is ONNX's operator as it stands.
void softmax_cross_entropy(Ctx& c) {
  pb::NodeProto* n = c.add("SoftmaxCrossEntropyLoss", {c.in(0), c.raw(1)}, {c.out(0)});
  set_attr(n, "reduction", reduction(c));
  set_attr(n, "ignore_index", c.i("ignore_index"));
}
void nll_loss(Ctx& c) { class_loss(c, "NegativeLogLikelihoodLoss"); }

// The per-element loss, then mean, sum, none (or kl_div's batchmean).
void reduce_loss(Ctx& c, const std::string& per_element, int64_t rank) {
  std::string red = reduction(c);
  if (red == "none") {
    c.add("Identity", {per_element}, {c.out(0)});
    return;
  }
  if (red != "mean" && red != "sum" && red != "batchmean") c.fail("unknown reduction '{}'", red);
  std::vector<int64_t> axes;
  for (int64_t d = 0; d < rank; ++d) axes.push_back(d);
  bool mean = red == "mean";
  std::vector<std::string> ins{per_element};
  if (!mean && !axes.empty()) ins.push_back(c.ints(axes));
  std::string out = red == "batchmean" ? c.writer().fresh(c.out(0) + "_sum") : c.out(0);
  pb::NodeProto* n = c.add(mean ? "ReduceMean" : "ReduceSum", ins, {out});
  if (mean && !axes.empty()) set_attr(n, "axes", axes);
  set_attr(n, "keepdims", 0);
  if (red == "batchmean") {
    double n0 = rank == 0 ? 1.0 : static_cast<double>(c.shape(0)[0]);
    c.add("Div", {out, c.scalar(n0, c.out_value(0).dtype)}, {c.out(0)});
  }
}
int64_t rank_of(Ctx& c) { return std::max(c.rank(0), c.rank(1)); }

void mse_loss(Ctx& c) {
  std::string d = c.emit("Sub", {c.in(0), c.in(1)});
  reduce_loss(c, c.emit("Mul", {d, d}), rank_of(c));
}
void l1_loss(Ctx& c) {
  reduce_loss(c, c.emit("Abs", {c.emit("Sub", {c.in(0), c.in(1)})}), rank_of(c));
}

// Quadratic below `at`, linear above: where(|d| < at, d^2 * q, lin(|d|)).
void piecewise(Ctx& c, double at, double q, double lin_shift, double lin_scale) {
  DType t = c.dtype(0);
  std::string d = c.emit("Sub", {c.in(0), c.in(1)});
  std::string z = c.emit("Abs", {d});
  std::string quad = c.emit("Mul", {c.emit("Mul", {d, d}), c.scalar(q, t)});
  std::string lin = c.emit("Sub", {z, c.scalar(lin_shift, t)});
  if (lin_scale != 1) lin = c.emit("Mul", {lin, c.scalar(lin_scale, t)});
  std::string below = c.emit("Less", {z, c.scalar(at, t)});
  reduce_loss(c, c.emit("Where", {below, quad, lin}), rank_of(c));
}
void smooth_l1_loss(Ctx& c) {
  double beta = c.f("beta");
  if (beta == 0) {
    reduce_loss(c, c.emit("Abs", {c.emit("Sub", {c.in(0), c.in(1)})}), rank_of(c));
    return;
  }
  piecewise(c, beta, 0.5 / beta, 0.5 * beta, 1);
}
void huber_loss(Ctx& c) {
  double delta = c.f("delta");
  piecewise(c, delta, 0.5, 0.5 * delta, delta);
}

// (t - 1) max(log(1 - x), -100) - t max(log(x), -100), times the weight.
void binary_cross_entropy(Ctx& c) {
  DType t = c.dtype(0);
  std::string x = c.in(0), y = c.in(1), floor = c.scalar(-100, t), one = c.scalar(1, t);
  std::string log_x = c.emit("Max", {c.emit("Log", {x}), floor});
  std::string log_1mx = c.emit("Max", {c.emit("Log", {c.emit("Sub", {one, x})}), floor});
  std::string loss =
      c.emit("Sub", {c.emit("Mul", {c.emit("Sub", {y, one}), log_1mx}), c.emit("Mul", {y, log_x})});
  if (c.has(2)) loss = c.emit("Mul", {loss, c.in(2)});
  reduce_loss(c, loss, rank_of(c));
}

// (1 - t) x + lw softplus(-x), lw = 1 + (pos_weight - 1) t; times the weight.
void bce_with_logits(Ctx& c) {
  DType t = c.dtype(0);
  std::string x = c.in(0), y = c.in(1), one = c.scalar(1, t);
  std::string sp = c.emit("Softplus", {c.emit("Neg", {x})});
  if (c.has(3))
    sp = c.emit("Mul",
                {c.emit("Add", {c.emit("Mul", {c.emit("Sub", {c.in(3), one}), y}), one}), sp});
  std::string loss = c.emit("Add", {c.emit("Mul", {c.emit("Sub", {one, y}), x}), sp});
  if (c.has(2)) loss = c.emit("Mul", {loss, c.in(2)});
  reduce_loss(c, loss, rank_of(c));
}

// target (log target - input), 0 where target is 0; or exp(t) (t - x) for log targets.
void kl_div(Ctx& c) {
  DType t = c.dtype(0);
  std::string x = c.in(0), y = c.in(1), loss;
  if (c.b("log_target")) {
    loss = c.emit("Mul", {c.emit("Exp", {y}), c.emit("Sub", {y, x})});
  } else {
    std::string zero = c.emit("Equal", {y, c.scalar(0, t)});
    std::string safe = c.emit("Where", {zero, c.scalar(1, t), y});
    loss = c.emit("Mul", {y, c.emit("Sub", {c.emit("Log", {safe}), x})});
  }
  reduce_loss(c, loss, rank_of(c));
}

}  // namespace

void add_losses(Table& t) {
  auto set = [&](OpId id, TranslateFn fn) { t[static_cast<size_t>(id)] = fn; };
  set(OpId::cross_entropy, cross_entropy);
  set(OpId::nll_loss, nll_loss);
  set(OpId::softmax_cross_entropy, softmax_cross_entropy);
  set(OpId::mse_loss, mse_loss);
  set(OpId::l1_loss, l1_loss);
  set(OpId::smooth_l1_loss, smooth_l1_loss);
  set(OpId::huber_loss, huber_loss);
  set(OpId::binary_cross_entropy, binary_cross_entropy);
  set(OpId::binary_cross_entropy_with_logits, bce_with_logits);
  set(OpId::kl_div, kl_div);
}

}  // namespace braid::onnx::detail
