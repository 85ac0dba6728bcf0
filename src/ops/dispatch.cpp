// The one path every op call takes: promote, infer (validate), run, record.
#include <optional>

#include "braid/core/grad_mode.hpp"
#include "braid/core/node.hpp"
#include "ops/common.hpp"

namespace braid {

namespace {
using detail::call;
using detail::TensorList;
// Bit i of an OpDef mask; list inputs (cat) can be past bit 31, where a shift is undefined.
bool bit(uint32_t mask, size_t i) { return i < 32 && (mask >> i & 1u); }

std::optional<DType> promote_opt(std::optional<DType> a, std::optional<DType> b) {
  if (!a) return b;
  if (!b) return a;
  return promote_types(*a, *b);
}

// PyTorch's rule: dimensioned tensors decide, unless a 0-dim tensor or a
// number written in the call is of a higher category (bool < int < float).
std::optional<DType> combine_categories(std::optional<DType> higher, std::optional<DType> lower) {
  if (!higher) return lower;
  if (!lower) return higher;
  if (is_floating(*higher)) return higher;
  if (*higher == DType::Bool || is_floating(*lower)) return promote_types(*higher, *lower);
  return higher;
}

DType result_type_of(std::span<const Tensor> in, uint32_t mask) {
  // Fast path: operands of one dtype, none a written number, promote to it.
  std::optional<DType> same;
  bool uniform = true;
  for (size_t i = 0; i < in.size() && uniform; ++i) {
    if (!bit(mask, i) || !in[i].defined()) continue;
    const auto& im = in[i].impl();
    uniform = !im.wrapped_number && (!same || *same == im.dtype);
    same = im.dtype;
  }
  if (uniform) return same.value_or(DType::Float32);
  std::optional<DType> dim_t, zero_t, wrapped_t;
  for (size_t i = 0; i < in.size(); ++i) {
    if (!bit(mask, i) || !in[i].defined()) continue;
    const auto& im = in[i].impl();
    if (im.wrapped_number) {
      // A written float takes the default float dtype, a written int int64.
      DType w = is_floating(im.dtype) ? DType::Float32 : im.dtype;
      wrapped_t = promote_opt(wrapped_t, w);
    } else if (im.shape.empty()) {
      zero_t = promote_opt(zero_t, im.dtype);
    } else {
      dim_t = promote_opt(dim_t, im.dtype);
    }
  }
  return combine_categories(dim_t, combine_categories(zero_t, wrapped_t)).value_or(DType::Float32);
}

detail::Edge edge_of(const Tensor& t) {
  auto& meta = t.impl().autograd_meta();
  if (meta.grad_fn) return {meta.grad_fn, meta.output_nr};
  // A leaf: one accumulator per leaf, kept weakly so the leaf does not keep
  // its own graph alive.
  auto acc = meta.grad_accumulator.lock();
  if (!acc) {
    acc = std::make_shared<detail::Node>();
    acc->op = detail::Node::kAccumulateGrad;
    acc->name = "AccumulateGrad";
    acc->leaf = t.impl_ptr();
    acc->input_meta.push_back({t.shape(), t.dtype()});
    meta.grad_accumulator = acc;
  }
  return {acc, 0};
}

detail::SavedTensor save(const Tensor& t, bool is_output) {
  detail::SavedTensor s;
  if (!t.defined()) return s;
  s.version = t.version();
  s.is_output = is_output;
  s.requires_grad = t.requires_grad();
  if (is_output) {  // keep the data without the autograd link (no cycle)
    auto im = std::make_shared<detail::TensorImpl>();
    const auto& src = t.impl();
    im->storage = src.storage;
    im->shape = src.shape;
    im->strides = src.strides;
    im->offset = src.offset;
    im->dtype = src.dtype;
    s.data = Tensor(std::move(im));
  } else {
    s.data = t;
  }
  return s;
}

void record(OpId id, const OpDef& d, std::span<const Tensor> in, std::span<Tensor> out,
            const Attrs& attrs) {
  auto node = std::make_shared<detail::Node>();
  node->op = static_cast<int>(id);
  node->name = d.name;
  node->attrs = attrs;
  node->sequence_nr = detail::next_sequence_nr();
  node->next.resize(in.size());
  node->input_meta.resize(in.size());
  node->saved_inputs.resize(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    if (!in[i].defined()) continue;
    node->input_meta[i] = {in[i].shape(), in[i].dtype()};
    if (in[i].requires_grad()) node->next[i] = edge_of(in[i]);
    if (bit(d.save_inputs, i)) node->saved_inputs[i] = save(in[i], false);
  }
  node->saved_outputs.resize(out.size());
  node->output_meta.resize(out.size());
  for (size_t i = 0; i < out.size(); ++i) {
    node->output_meta[i] = {out[i].shape(), out[i].dtype()};
    if (out[i].is_floating_point()) {  // indices, masks: no gradient
      auto& m = out[i].impl().autograd_meta();
      m.requires_grad = true;
      m.grad_fn = node;
      m.output_nr = static_cast<uint32_t>(i);
    }
    // Saved after requires_grad is set (create_graph re-links on it), and for
    // integer outputs too: a vjp may need the indices.
    if (bit(d.save_outputs, i)) node->saved_outputs[i] = save(out[i], true);
  }
}

// Infers, allocates and runs a kernel op into `out`.
void run_kernel(const OpDef& d, TensorList& in, const Attrs& attrs, TensorList& out) {
  TensorMetas metas = d.infer(in, attrs);
  out.resize(metas.size());
  if (!(d.traits & kDynamicShape))
    for (size_t i = 0; i < metas.size(); ++i)
      out[i] = empty(std::move(metas[i].shape), metas[i].dtype);
  KernelArgs args{in, out, attrs};
  if (!(d.x86 && d.x86(args))) d.portable(args);
}

void check_arity(const OpDef& d, const TensorList& in) {
  if (d.num_inputs >= 0)
    BRAID_CHECK(static_cast<int>(in.size()) == d.num_inputs, ValueError, d.name,
                "takes {} tensor inputs; got {}", d.num_inputs, in.size());
}

void promote(const OpDef& d, TensorList& in) {
  DType rt = result_type_of(in, d.promote_mask);
  if ((d.traits & kIntToFloat) && !is_floating(rt)) rt = DType::Float32;
  for (size_t i = 0; i < in.size(); ++i)
    if (bit(d.promote_mask, i) && in[i].dtype() != rt) in[i] = to(in[i], rt);
}

// Kernels compute float16/bfloat16 in float32 unless they say otherwise:
// cast in, run, cast back. Autograd sees the casts, so gradients stay right.
void call_half(OpId id, TensorList& in, const Attrs& attrs, TensorList& out) {
  DType half = DType::Float32;
  for (Tensor& t : in)
    if (t.dtype() == DType::Float16 || t.dtype() == DType::BFloat16) {
      half = t.dtype();
      t = to(t, DType::Float32);
    }
  out = TensorList(call(id, std::move(in), attrs));
  for (Tensor& t : out)
    if (t.dtype() == DType::Float32) t = to(t, half);
}

// The whole call, into `out`; composite and view ops hand back their vector.
void call_into(OpId id, TensorList& in, const Attrs& attrs, TensorList& out) {
  const OpDef& d = op_def(id);
  check_arity(d, in);
  if (d.kind == OpKind::Composite) {
    out = TensorList(d.composite(in, attrs));
    return;
  }
  for (size_t i = 0; i < in.size(); ++i)
    BRAID_CHECK(in[i].defined(), ValueError, d.name, "input {} is undefined", i);
  if (d.promote_mask) promote(d, in);
  if (d.kind == OpKind::Kernel && !(d.traits & kHalfNative) && has_half(in))
    return call_half(id, in, attrs, out);
  if (d.kind == OpKind::View) {
    d.infer(in, attrs);
    out = TensorList(d.view(in, attrs));
  } else {
    run_kernel(d, in, attrs, out);
  }
  if (d.vjp && is_grad_enabled()) {
    bool any = false;
    for (const Tensor& t : in) any = any || (t.defined() && t.requires_grad());
    if (any) record(id, d, in, out, attrs);
  }
}
thread_local detail::TraceHook* t_trace_hook = nullptr;
thread_local int t_trace_depth = 0;

// The traced form of call_into (Note [trace hook]).
void call_traced(OpId id, TensorList& in, const Attrs& attrs, TensorList& out) {
  std::vector<Tensor> original(in.begin(), in.end());
  ++t_trace_depth;
  try {
    call_into(id, in, attrs, out);
  } catch (...) {
    --t_trace_depth;
    throw;
  }
  if (--t_trace_depth == 0) t_trace_hook->on_op(id, original, out, attrs);
}
}  // namespace

DType result_type(const Tensor& a, const Tensor& b) {
  std::array<Tensor, 2> in{a, b};
  return result_type_of(in, 3u);
}

namespace detail {

TensorList& TensorList::operator=(TensorList&& o) noexcept {
  if (this == &o) return *this;
  for (size_t i = 0; i < kInline; ++i) inline_[i] = std::move(o.inline_[i]);
  heap_ = std::move(o.heap_);
  n_ = o.n_;
  on_heap_ = o.on_heap_;
  o.heap_.clear();
  o.n_ = 0;
  o.on_heap_ = false;
  return *this;
}

void TensorList::assign(const Tensor* p, size_t n) {
  n_ = n;
  on_heap_ = n > kInline;
  if (on_heap_) {
    heap_.assign(p, p + n);
    return;
  }
  for (size_t i = 0; i < n; ++i) inline_[i] = p[i];
}

void TensorList::resize(size_t n) {
  if (!on_heap_ && n > kInline) {
    heap_.resize(n);
    for (size_t i = 0; i < n_; ++i) heap_[i] = std::move(inline_[i]);
    on_heap_ = true;
  } else if (on_heap_) {
    heap_.resize(n);
  } else {
    for (size_t i = n; i < n_; ++i) inline_[i] = Tensor();
  }
  n_ = n;
}

std::vector<Tensor> TensorList::to_vector() && {
  if (on_heap_) return std::move(heap_);
  std::vector<Tensor> v;
  v.reserve(n_);
  for (size_t i = 0; i < n_; ++i) v.push_back(std::move(inline_[i]));
  return v;
}

bool is_tracing() { return t_trace_hook != nullptr; }

TraceHook* set_trace_hook(TraceHook* hook) {
  TraceHook* old = t_trace_hook;
  t_trace_hook = hook;
  return old;
}

std::vector<Tensor> call(OpId id, TensorList in, const Attrs& attrs) {
  TensorList out;
  if (t_trace_hook) [[unlikely]]
    call_traced(id, in, attrs, out);
  else
    call_into(id, in, attrs, out);
  return std::move(out).to_vector();
}

Tensor call1(OpId id, TensorList in, const Attrs& attrs) {
  TensorList out;
  if (t_trace_hook) [[unlikely]]
    call_traced(id, in, attrs, out);
  else
    call_into(id, in, attrs, out);
  return std::move(out[0]);
}

}  // namespace detail
}  // namespace braid
