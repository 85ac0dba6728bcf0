// ONNX translations of the view, join and index ops. Shapes written into
// the model come from attributes, not from the traced shapes, wherever the
// graph may take another batch size (Graph::dynamic_batch): a literal size
// there would pin the batch.
#include <limits>

#include "onnx/export_ctx.hpp"

namespace braid::onnx::detail {
namespace {

int64_t wrap(Ctx& c, int64_t d, int64_t rank) {
  int64_t r = std::max<int64_t>(rank, 1);
  if (d < -r || d >= r) c.fail("dim {} is out of range for rank {}", d, rank);
  return d < 0 ? d + r : d;
}

// ONNX Reshape copies the input's size where the shape says 0; braid's 0 is
// an empty dim, which allowzero keeps (it cannot go with a -1).
void reshape_to(Ctx& c, const std::string& x, std::vector<int64_t> shape, const std::string& out) {
  bool zero = std::find(shape.begin(), shape.end(), 0) != shape.end();
  bool infer = std::find(shape.begin(), shape.end(), -1) != shape.end();
  if (zero && infer) shape = c.out_value(0).shape;
  pb::NodeProto* n = c.add("Reshape", {x, c.ints(shape)}, {out});
  if (zero) set_attr(n, "allowzero", 1);
}

void reshape(Ctx& c) { reshape_to(c, c.in(0), c.ints_attr("shape"), c.out(0)); }

void permute(Ctx& c) {
  std::vector<int64_t> perm;
  for (int64_t d : c.ints_attr("dims")) perm.push_back(wrap(c, d, c.rank(0)));
  set_attr(c.add("Transpose", {c.in(0)}, {c.out(0)}), "perm", perm);
}

void transpose(Ctx& c) {
  int64_t r = c.rank(0);
  std::vector<int64_t> perm;
  for (int64_t d = 0; d < r; ++d) perm.push_back(d);
  if (r > 0) std::swap(perm[wrap(c, c.i("dim0"), r)], perm[wrap(c, c.i("dim1"), r)]);
  set_attr(c.add("Transpose", {c.in(0)}, {c.out(0)}), "perm", perm);
}

// Expand broadcasts: 1 keeps a dim as it is (so the batch stays free).
void expand(Ctx& c) {
  const std::vector<int64_t>& want = c.ints_attr("shape");
  const Shape& have = c.shape(0);
  size_t lead = want.size() - have.size();
  std::vector<int64_t> s(want.size(), 1);
  for (size_t i = 0; i < want.size(); ++i)
    if (i < lead || (want[i] != -1 && want[i] != have[i - lead])) s[i] = want[i];
  c.add("Expand", {c.in(0), c.ints(s)}, {c.out(0)});
}

void slice_to(Ctx& c, int64_t dim, int64_t start, int64_t end, int64_t step) {
  c.add("Slice", {c.in(0), c.ints({start}), c.ints({end}), c.ints({dim}), c.ints({step})},
        {c.out(0)});
}
void slice(Ctx& c) { slice_to(c, c.dim("dim", c.rank(0)), c.i("start"), c.i("end"), c.i("step")); }
void narrow(Ctx& c) {
  int64_t dim = c.dim("dim", c.rank(0)), start = c.i("start");
  if (start < 0) start += c.shape(0)[dim];
  slice_to(c, dim, start, start + c.i("length"), 1);
}

// A 0-dim index drops the dim, as select does.
void select(Ctx& c) {
  Tensor idx = full({}, static_cast<double>(c.i("index")), DType::Int64);
  std::string i = c.initializer(idx, c.out(0) + "_index");
  set_attr(c.add("Gather", {c.in(0), i}, {c.out(0)}), "axis", c.dim("dim", c.rank(0)));
}

void squeeze(Ctx& c) {
  const Shape& s = c.shape(0);
  std::vector<int64_t> named = c.ints_attr("dims"), axes;
  for (int64_t d = 0; d < c.rank(0); ++d) {
    bool listed = named.empty();
    for (int64_t n : named) listed = listed || wrap(c, n, c.rank(0)) == d;
    if (listed && s[d] == 1) axes.push_back(d);
  }
  if (axes.empty())
    c.add("Identity", {c.in(0)}, {c.out(0)});
  else
    c.add("Squeeze", {c.in(0), c.ints(axes)}, {c.out(0)});
}

void unsqueeze(Ctx& c) {
  int64_t d = c.i("dim"), r = c.rank(0) + 1;
  if (d < -r || d >= r) c.fail("dim {} is out of range for rank {}", d, r - 1);
  c.add("Unsqueeze", {c.in(0), c.ints({d < 0 ? d + r : d})}, {c.out(0)});
}

// ONNX's Flatten(axis) is always 2-D: braid's flatten(1, -1). Other spans
// reshape, keeping the leading dims with Reshape's 0.
void flatten(Ctx& c) {
  int64_t r = c.rank(0);
  if (r == 0) return reshape_to(c, c.in(0), {1}, c.out(0));
  int64_t s = c.dim("start_dim", r), e = c.dim("end_dim", r);
  if (e == r - 1 && s == 1) {
    set_attr(c.add("Flatten", {c.in(0)}, {c.out(0)}), "axis", s);
    return;
  }
  std::vector<int64_t> shape(static_cast<size_t>(s), 0);
  shape.push_back(-1);
  for (int64_t d = e + 1; d < r; ++d) shape.push_back(c.shape(0)[d]);
  c.add("Reshape", {c.in(0), c.ints(shape)}, {c.out(0)});
}

// cat promotes its inputs itself (Note [cat promotion]): cast to the result.
std::string as_out_dtype(Ctx& c, size_t i) {
  DType t = c.out_value(0).dtype;
  return c.value(i).dtype == t ? c.raw(i) : c.cast(c.raw(i), t);
}
void cat(Ctx& c) {
  std::vector<std::string> xs;
  for (size_t i = 0; i < c.num_inputs(); ++i) xs.push_back(as_out_dtype(c, i));
  set_attr(c.add("Concat", xs, {c.out(0)}), "axis", c.dim("dim", c.out_value(0).shape.size()));
}
void stack(Ctx& c) {
  int64_t dim = c.dim("dim", static_cast<int64_t>(c.out_value(0).shape.size()));
  std::vector<std::string> xs;
  for (size_t i = 0; i < c.num_inputs(); ++i)
    xs.push_back(c.emit("Unsqueeze", {as_out_dtype(c, i), c.ints({dim})}));
  set_attr(c.add("Concat", xs, {c.out(0)}), "axis", dim);
}

// split and chunk: the pieces' sizes are the outputs' sizes along dim.
void split(Ctx& c) {
  int64_t dim = c.dim("dim", c.rank(0));
  std::vector<int64_t> sizes;
  std::vector<std::string> outs;
  for (size_t i = 0; i < c.node().outputs.size(); ++i) {
    sizes.push_back(c.out_value(i).shape[dim]);
    outs.push_back(c.out(i));
  }
  set_attr(c.add("Split", {c.in(0), c.ints(sizes)}, outs), "axis", dim);
}

// repeat/tile: more reps than dims adds leading dims of 1 first.
void tile_reps(Ctx& c, std::vector<int64_t> reps) {
  std::string x = c.in(0);
  int64_t r = c.rank(0), n = static_cast<int64_t>(reps.size());
  if (n < r) reps.insert(reps.begin(), static_cast<size_t>(r - n), 1);
  if (n > r) {
    std::vector<int64_t> axes;
    for (int64_t d = 0; d < n - r; ++d) axes.push_back(d);
    x = c.emit("Unsqueeze", {x, c.ints(axes)});
  }
  c.add("Tile", {x, c.ints(reps)}, {c.out(0)});
}
void repeat(Ctx& c) { tile_reps(c, c.ints_attr("repeats")); }
void tile(Ctx& c) { tile_reps(c, c.ints_attr("reps")); }

// roll: the last `shift` entries move to the front, per dim (Slice + Concat).
void roll(Ctx& c) {
  std::string x = c.in(0);
  std::vector<int64_t> shifts = c.ints_attr("shifts"), dims = c.ints_attr("dims");
  Shape shape = c.shape(0);
  bool flat = dims.empty();
  if (flat) {
    int64_t n = 1;
    for (int64_t s : shape) n *= s;
    x = c.emit("Reshape", {x, c.ints({-1})});
    shape = {n};
    dims = {0};
  }
  for (size_t k = 0; k < dims.size(); ++k) {
    int64_t d = wrap(c, dims[k], static_cast<int64_t>(shape.size())), n = shape[d];
    if (n == 0) continue;
    int64_t s = ((shifts[k] % n) + n) % n;
    if (s == 0) continue;
    std::string tail = c.emit("Slice", {x, c.ints({n - s}), c.ints({n}), c.ints({d})});
    std::string head = c.emit("Slice", {x, c.ints({0}), c.ints({n - s}), c.ints({d})});
    pb::NodeProto* p;
    x = c.emit("Concat", {tail, head}, &p);
    set_attr(p, "axis", d);
  }
  if (flat)
    c.add("Reshape", {x, c.ints(c.shape(0))}, {c.out(0)});
  else
    c.add("Identity", {x}, {c.out(0)});
}

void flip(Ctx& c) {
  std::vector<int64_t> axes;
  for (int64_t d : c.ints_attr("dims")) axes.push_back(wrap(c, d, c.rank(0)));
  size_t n = axes.size();
  c.add("Slice",
        {c.in(0), c.ints(std::vector<int64_t>(n, -1)),
         c.ints(std::vector<int64_t>(n, std::numeric_limits<int64_t>::min())), c.ints(axes),
         c.ints(std::vector<int64_t>(n, -1))},
        {c.out(0)});
}

template <bool Upper>
void trilu(Ctx& c) {
  Tensor k = full({}, static_cast<double>(c.i("diagonal")), DType::Int64);
  std::string ks = c.initializer(k, c.out(0) + "_k");
  set_attr(c.add("Trilu", {c.in(0), ks}, {c.out(0)}), "upper", Upper ? 1 : 0);
}

// -- indexing -------------------------------------------------------------------------

void index_select(Ctx& c) {
  std::string idx = c.raw(1);
  if (c.rank(1) == 0) idx = c.emit("Reshape", {idx, c.ints({1})});
  if (c.rank(0) == 0) c.fail("a 0-dim x is not exported");
  set_attr(c.add("Gather", {c.in(0), idx}, {c.out(0)}), "axis", c.dim("dim", c.rank(0)));
}

void gather(Ctx& c) {
  if (c.rank(0) == 0) c.fail("a 0-dim x is not exported");
  set_attr(c.add("GatherElements", {c.in(0), c.raw(1)}, {c.out(0)}), "axis",
           c.dim("dim", c.rank(0)));
}

// ScatterElements wants updates of the index's shape; PyTorch reads src's
// leading block of that shape.
template <bool Add>
void scatter(Ctx& c) {
  if (c.rank(0) == 0) c.fail("a 0-dim x is not exported");
  std::string src = c.in(2);
  const Shape &is = c.shape(1), &ss = c.shape(2);
  if (ss.size() != is.size()) c.fail("src must have the index's rank to export");
  if (ss != is) {
    std::vector<int64_t> zeros(is.size(), 0), ends(is.begin(), is.end()), axes;
    for (size_t d = 0; d < is.size(); ++d) axes.push_back(static_cast<int64_t>(d));
    src = c.emit("Slice", {src, c.ints(zeros), c.ints(ends), c.ints(axes)});
  }
  pb::NodeProto* n = c.add("ScatterElements", {c.in(0), c.raw(1), src}, {c.out(0)});
  set_attr(n, "axis", c.dim("dim", c.rank(0)));
  if (Add) set_attr(n, "reduction", "add");
}

// index_add(x, index, source): each source slice adds into x at index[j]
// along dim, as ScatterElements(reduction add) with the index spread over
// source's shape (Shape, so a free batch stays free).
std::string spread(Ctx& c, const std::string& idx, int64_t n, int64_t dim, int64_t rank,
                   const std::string& like) {
  std::vector<int64_t> shape(static_cast<size_t>(rank), 1);
  shape[dim] = n;
  std::string r = c.emit("Reshape", {idx, c.ints(shape)});
  return c.emit("Expand", {r, c.emit("Shape", {like})});
}
void index_add(Ctx& c) {
  if (c.rank(0) == 0 || c.rank(2) == 0) c.fail("0-dim x or source is not exported");
  int64_t dim = c.dim("dim", c.rank(0));
  int64_t n = c.rank(1) == 0 ? 1 : c.shape(1)[0];
  std::string idx = spread(c, c.raw(1), n, dim, c.rank(2), c.in(2));
  pb::NodeProto* p = c.add("ScatterElements", {c.in(0), idx, c.in(2)}, {c.out(0)});
  set_attr(p, "axis", dim);
  set_attr(p, "reduction", "add");
}

// slice_scatter(base, src): src lands at start, start + step, ... along dim.
void slice_scatter(Ctx& c) {
  int64_t dim = c.dim("dim", c.rank(0)), n = c.shape(0)[dim], len = c.shape(1)[dim];
  int64_t start = c.i("start"), step = c.i("step");
  start = std::clamp<int64_t>(start < 0 ? start + n : start, 0, n);
  Tensor pos = empty({len}, DType::Int64);
  for (int64_t j = 0; j < len; ++j) pos.data_ptr<int64_t>()[j] = start + j * step;
  std::string idx =
      spread(c, c.initializer(pos, c.out(0) + "_positions"), len, dim, c.rank(1), c.in(1));
  set_attr(c.add("ScatterElements", {c.in(0), idx, c.in(1)}, {c.out(0)}), "axis", dim);
}

// Expand x and indices to their common shape on every dim but `dim`.
void take_along_dim(Ctx& c) {
  if (!c.attrs().has("dim")) {
    std::string x = c.emit("Reshape", {c.in(0), c.ints({-1})});
    std::string i = c.emit("Reshape", {c.raw(1), c.ints({-1})});
    set_attr(c.add("GatherElements", {x, i}, {c.out(0)}), "axis", 0);
    return;
  }
  int64_t dim = c.dim("dim", c.rank(0));
  const Shape& out = c.out_value(0).shape;
  auto grow = [&](size_t k) {
    const Shape& s = c.shape(k);
    std::vector<int64_t> t(s.size(), 1);
    bool any = false;
    for (size_t d = 0; d < s.size(); ++d)
      if (static_cast<int64_t>(d) != dim && s[d] == 1 && out[d] != 1) t[d] = out[d], any = true;
    std::string v = k == 0 ? c.in(0) : c.raw(1);
    return any ? c.emit("Expand", {v, c.ints(t)}) : v;
  };
  set_attr(c.add("GatherElements", {grow(0), grow(1)}, {c.out(0)}), "axis", dim);
}

// ONNX NonZero gives (rank, n); braid's nonzero is (n, rank).
void nonzero(Ctx& c) {
  std::string nz = c.emit("NonZero", {c.raw(0)});
  set_attr(c.add("Transpose", {nz}, {c.out(0)}), "perm", std::vector<int64_t>{1, 0});
}

void one_hot(Ctx& c) {
  int64_t depth = c.out_value(0).shape.back();
  Tensor values = empty({2}, DType::Int64);
  values.data_ptr<int64_t>()[0] = 0;
  values.data_ptr<int64_t>()[1] = 1;
  std::string v = c.initializer(values, c.out(0) + "_values");
  set_attr(c.add("OneHot", {c.raw(0), c.ints({depth}), v}, {c.out(0)}), "axis", -1);
}

// -- sorting: TopK (not stable for ties, where sort is) ---------------------------------

void topk_to(Ctx& c, int64_t k, int64_t dim, bool largest, std::vector<std::string> outs) {
  pb::NodeProto* n = c.add("TopK", {c.in(0), c.ints({k})}, std::move(outs));
  set_attr(n, "axis", dim);
  set_attr(n, "largest", largest ? 1 : 0);
  set_attr(n, "sorted", 1);
}
void topk(Ctx& c) {
  topk_to(c, c.i("k"), c.dim("dim", c.rank(0)), c.b("largest"), {c.out(0), c.out(1)});
}
void sort(Ctx& c) {
  int64_t dim = c.dim("dim", c.rank(0));
  topk_to(c, c.shape(0)[dim], dim, c.b("descending"), {c.out(0), c.out(1)});
}
void argsort(Ctx& c) {
  int64_t dim = c.dim("dim", c.rank(0));
  std::string values = c.writer().fresh(c.out(0) + "_values");
  topk_to(c, c.shape(0)[dim], dim, c.b("descending"), {values, c.out(0)});
}

}  // namespace

void add_shape_ops(Table& t) {
  auto set = [&](OpId id, TranslateFn fn) { t[static_cast<size_t>(id)] = fn; };
  set(OpId::view, reshape);
  set(OpId::reshape, reshape);
  set(OpId::permute, permute);
  set(OpId::transpose, transpose);
  set(OpId::expand, expand);
  set(OpId::slice, slice);
  set(OpId::narrow, narrow);
  set(OpId::select, select);
  set(OpId::squeeze, squeeze);
  set(OpId::unsqueeze, unsqueeze);
  set(OpId::flatten, flatten);
  set(OpId::cat, cat);
  set(OpId::stack, stack);
  set(OpId::split, split);
  set(OpId::chunk, split);
  set(OpId::repeat, repeat);
  set(OpId::tile, tile);
  set(OpId::roll, roll);
  set(OpId::flip, flip);
  set(OpId::tril, trilu<false>);
  set(OpId::triu, trilu<true>);
  set(OpId::index_select, index_select);
  set(OpId::gather, gather);
  set(OpId::scatter, scatter<false>);
  set(OpId::scatter_add, scatter<true>);
  set(OpId::take_along_dim, take_along_dim);
  set(OpId::index_add, index_add);
  set(OpId::slice_scatter, slice_scatter);
  set(OpId::nonzero, nonzero);
  set(OpId::one_hot, one_hot);
  set(OpId::topk, topk);
  set(OpId::sort, sort);
  set(OpId::argsort, argsort);
}

}  // namespace braid::onnx::detail
