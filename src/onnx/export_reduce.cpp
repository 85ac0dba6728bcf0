// ONNX translations of the reductions. Opset 17 takes ReduceSum's axes as an
// input and the other reductions' as an attribute. braid's empty `dims`
// means every dim; the axes are written out.
#include <cmath>

#include "onnx/export_ctx.hpp"

namespace braid::onnx::detail {
namespace {

std::vector<int64_t> axes_of(Ctx& c, const char* name = "dims") {
  std::vector<int64_t> axes;
  int64_t r = c.rank(0);
  for (int64_t d : c.ints_attr(name)) {
    if (d < -std::max<int64_t>(r, 1) || d >= std::max<int64_t>(r, 1))
      c.fail("dim {} is out of range for rank {}", d, r);
    axes.push_back(d < 0 ? d + r : d);
  }
  if (axes.empty())
    for (int64_t d = 0; d < r; ++d) axes.push_back(d);
  std::sort(axes.begin(), axes.end());
  if (r == 0) axes.clear();  // a 0-dim tensor reduces to itself
  return axes;
}

DType out_dtype(Ctx& c) { return c.out_value(0).dtype; }

// x, cast to the output dtype (sum and prod of integers are int64).
std::string input_as_out(Ctx& c) {
  return c.dtype(0) == out_dtype(c) ? c.in(0) : c.cast(c.in(0), out_dtype(c));
}

// A reduction node: ReduceSum takes axes as an input, the others as an attribute.
std::string reduce(Ctx& c, const char* op, const std::string& x, const std::vector<int64_t>& axes,
                   bool keepdim, const std::string& out = "") {
  bool axes_input = std::string_view(op) == "ReduceSum";
  std::vector<std::string> ins{x};
  if (axes_input && !axes.empty()) ins.push_back(c.ints(axes));
  pb::NodeProto* n;
  std::string o = out;
  if (o.empty())
    o = c.emit(op, ins, &n);
  else
    n = c.add(op, ins, {o});
  if (!axes_input && !axes.empty()) set_attr(n, "axes", axes);
  set_attr(n, "keepdims", keepdim ? 1 : 0);
  return o;
}

template <const char* Op>
void simple_reduce(Ctx& c) {
  reduce(c, Op, input_as_out(c), axes_of(c), c.b("keepdim"), c.out(0));
}
constexpr char kSum[] = "ReduceSum";
constexpr char kMean[] = "ReduceMean";
constexpr char kProd[] = "ReduceProd";
constexpr char kMax[] = "ReduceMax";
constexpr char kMin[] = "ReduceMin";
constexpr char kLogSumExp[] = "ReduceLogSumExp";

// max/min along one dim: the values and the first extreme's index.
template <bool Max>
void dim_extreme(Ctx& c) {
  if (c.rank(0) == 0) c.fail("a 0-dim input is not exported");
  int64_t d = c.dim("dim", c.rank(0));
  bool keep = c.b("keepdim");
  reduce(c, Max ? "ReduceMax" : "ReduceMin", c.in(0), {d}, keep, c.out(0));
  pb::NodeProto* n = c.add(Max ? "ArgMax" : "ArgMin", {c.in(0)}, {c.out(1)});
  set_attr(n, "axis", d);
  set_attr(n, "keepdims", keep ? 1 : 0);
}

// argmax/argmin; without dim, over the flattened input.
template <bool Max>
void arg_extreme(Ctx& c) {
  const char* op = Max ? "ArgMax" : "ArgMin";
  bool keep = c.b("keepdim");
  pb::NodeProto* n;
  if (c.attrs().has("dim") && c.rank(0) > 0) {
    n = c.add(op, {c.in(0)}, {c.out(0)});
    set_attr(n, "axis", c.dim("dim", c.rank(0)));
    set_attr(n, "keepdims", keep ? 1 : 0);
    return;
  }
  std::string flat = c.emit("Reshape", {c.in(0), c.ints({-1})});
  std::string idx = c.emit(op, {flat}, &n);
  set_attr(n, "axis", 0);
  set_attr(n, "keepdims", 0);
  c.add("Reshape", {idx, c.ints(c.out_value(0).shape)}, {c.out(0)});
}

void cumsum(Ctx& c) {
  Tensor axis = full({}, static_cast<double>(c.dim("dim", c.rank(0))), DType::Int64);
  c.add("CumSum", {input_as_out(c), c.initializer(axis, c.out(0) + "_axis")}, {c.out(0)});
}

void logsumexp(Ctx& c) {
  std::string x = c.dtype(0) == out_dtype(c) ? c.in(0) : c.cast(c.in(0), out_dtype(c));
  reduce(c, kLogSumExp, x, axes_of(c), c.b("keepdim"), c.out(0));
}

template <bool Log>
void softmax(Ctx& c) {
  int64_t r = c.rank(0);
  pb::NodeProto* n = c.add(Log ? "LogSoftmax" : "Softmax", {c.in(0)}, {c.out(0)});
  set_attr(n, "axis", r == 0 ? 0 : c.dim("dim", r));
}

// all/any: ONNX reductions take no bool, so through int32 and back.
template <bool All>
void logical_reduce(Ctx& c) {
  std::string x = c.dtype(0) == DType::Bool ? c.in(0) : c.cast(c.in(0), DType::Bool);
  std::string r = reduce(c, All ? "ReduceMin" : "ReduceMax", c.cast(x, DType::Int32), axes_of(c),
                         c.b("keepdim"));
  pb::NodeProto* n = c.add("Cast", {r}, {c.out(0)});
  set_attr(n, "to", static_cast<int64_t>(onnx_dtype(DType::Bool)));
}

// var and std: sum((x - mean)^2) / max(0, n - correction), as the composite.
std::string variance(Ctx& c, const std::string& out) {
  std::vector<int64_t> axes = axes_of(c);
  std::string x = c.in(0);
  DType t = c.dtype(0);
  std::string centered = c.emit("Sub", {x, reduce(c, "ReduceMean", x, axes, true)});
  std::string ss =
      reduce(c, "ReduceSum", c.emit("Mul", {centered, centered}), axes, c.b("keepdim"));
  double n = 1;
  for (int64_t a : axes) n *= static_cast<double>(c.shape(0)[a]);
  double div = std::max(0.0, n - static_cast<double>(c.i("correction")));
  if (out.empty()) return c.emit("Div", {ss, c.scalar(div, t)});
  c.add("Div", {ss, c.scalar(div, t)}, {out});
  return out;
}
void var(Ctx& c) { variance(c, c.out(0)); }
void std_(Ctx& c) { c.add("Sqrt", {variance(c, "")}, {c.out(0)}); }

void norm(Ctx& c) {
  double p = c.f("p");
  std::vector<int64_t> axes = axes_of(c);
  bool keep = c.b("keepdim");
  std::string x = c.in(0);
  DType t = c.dtype(0);
  if (p == 2) {
    std::string s = reduce(c, "ReduceSum", c.emit("Mul", {x, x}), axes, keep);
    c.add("Sqrt", {s}, {c.out(0)});
  } else if (p == 1) {
    reduce(c, "ReduceSum", c.emit("Abs", {x}), axes, keep, c.out(0));
  } else if (p == 0) {
    std::string nz = c.cast(c.emit("Not", {c.emit("Equal", {x, c.scalar(0, t)})}), t);
    reduce(c, "ReduceSum", nz, axes, keep, c.out(0));
  } else if (std::isinf(p)) {
    reduce(c, p > 0 ? "ReduceMax" : "ReduceMin", c.emit("Abs", {x}), axes, keep, c.out(0));
  } else {
    std::string s =
        reduce(c, "ReduceSum", c.emit("Pow", {c.emit("Abs", {x}), c.scalar(p, t)}), axes, keep);
    c.add("Pow", {s, c.scalar(1.0 / p, t)}, {c.out(0)});
  }
}

}  // namespace

void add_reductions(Table& t) {
  auto set = [&](OpId id, TranslateFn fn) { t[static_cast<size_t>(id)] = fn; };
  set(OpId::sum, simple_reduce<kSum>);
  set(OpId::mean, simple_reduce<kMean>);
  set(OpId::prod, simple_reduce<kProd>);
  set(OpId::amax, simple_reduce<kMax>);
  set(OpId::amin, simple_reduce<kMin>);
  set(OpId::max, dim_extreme<true>);
  set(OpId::min, dim_extreme<false>);
  set(OpId::argmax, arg_extreme<true>);
  set(OpId::argmin, arg_extreme<false>);
  set(OpId::cumsum, cumsum);
  set(OpId::logsumexp, logsumexp);
  set(OpId::softmax, softmax<false>);
  set(OpId::log_softmax, softmax<true>);
  set(OpId::all, logical_reduce<true>);
  set(OpId::any, logical_reduce<false>);
  set(OpId::var, var);
  set(OpId::std, std_);
  set(OpId::norm, norm);
}

}  // namespace braid::onnx::detail
