#pragma once
/// The op registry: one OpDef per op in op_list.def, holding everything any
/// part of braid needs to know about it. See DESIGN "One op, one definition".
#include <array>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string_view>
#include <vector>

#include "braid/core/attrs.hpp"
#include "braid/core/node.hpp"
#include "braid/core/tensor.hpp"

namespace braid {

enum class OpId : uint16_t {
#define BRAID_OP(name) name,
#include "braid/ops/op_list.def"
#undef BRAID_OP
};
inline constexpr int kNumOps = 0
#define BRAID_OP(name) +1
#include "braid/ops/op_list.def"
#undef BRAID_OP
    ;

/// How an op produces its outputs.
enum class OpKind : uint8_t {
  Kernel,     ///< allocates outputs and runs a kernel
  View,       ///< aliases its input's storage (no kernel, no copy)
  Composite,  ///< written with other ops; autograd comes from them
};

/// Traits, a bit set. They drive promotion here and, later, fusion and export.
enum OpTrait : uint32_t {
  kElementwise = 1u << 0,
  kBroadcast = 1u << 1,  ///< inputs broadcast against each other
  kReduction = 1u << 2,
  kIntToFloat = 1u << 3,    ///< integer inputs compute in float32 (div, exp, ...)
  kBoolOutput = 1u << 4,    ///< comparisons and logical ops
  kHalfNative = 1u << 5,    ///< kernels take float16/bfloat16 as they are
  kDynamicShape = 1u << 6,  ///< output shape depends on values (nonzero)
  kRandom = 1u << 7,
};

/// Output shape and dtype, as inferred before anything runs.
struct TensorMeta {
  Shape shape;
  DType dtype;
};

/// The output metas of one call, up to 4 inline: infer runs on every op call,
/// and a heap vector there costs more than a small op's arithmetic.
class TensorMetas {
 public:
  TensorMetas() = default;
  TensorMetas(std::initializer_list<TensorMeta> ms) {
    for (const TensorMeta& m : ms) push_back(m);
  }
  void push_back(TensorMeta m) {
    if (n_ < kInline)
      inline_[n_] = std::move(m);
    else
      more_.push_back(std::move(m));
    ++n_;
  }
  size_t size() const { return n_; }
  bool empty() const { return n_ == 0; }
  TensorMeta& operator[](size_t i) { return i < kInline ? inline_[i] : more_[i - kInline]; }
  const TensorMeta& operator[](size_t i) const {
    return i < kInline ? inline_[i] : more_[i - kInline];
  }

 private:
  static constexpr size_t kInline = 4;
  std::array<TensorMeta, kInline> inline_{};
  std::vector<TensorMeta> more_;
  size_t n_ = 0;
};

/// Arguments of one kernel call: inputs already promoted, outputs allocated
/// (or, for kDynamicShape ops, left for the kernel to set).
struct KernelArgs {
  std::span<const Tensor> in;
  std::span<Tensor> out;
  const Attrs& attrs;
};

/// What a backward formula sees.
struct VjpCtx {
  const Attrs& attrs;
  std::span<const Tensor> inputs;   ///< saved inputs (undefined where not saved)
  std::span<const Tensor> outputs;  ///< saved outputs (undefined where not saved)
  std::span<const Tensor> grads;    ///< gradient of each output (zeros where none flowed)
  std::span<const detail::GradMeta> input_meta;  ///< shape/dtype each input grad must have
  std::vector<bool> needs_grad;                  ///< which inputs want a gradient
};

using InferFn = TensorMetas (*)(std::span<const Tensor> in, const Attrs& attrs);
using KernelFn = void (*)(const KernelArgs& args);
/// x86 kernels return false when they cannot take these arguments; the
/// portable kernel then runs.
using FastKernelFn = bool (*)(const KernelArgs& args);
/// View ops: returns the aliasing outputs.
using ViewFn = std::vector<Tensor> (*)(std::span<const Tensor> in, const Attrs& attrs);
using CompositeFn = std::vector<Tensor> (*)(std::span<const Tensor> in, const Attrs& attrs);
/// Gradient of each input, written with braid ops (so it is itself
/// differentiable); undefined where no gradient flows.
using VjpFn = std::vector<Tensor> (*)(const VjpCtx& ctx);

struct OpDef {
  std::string_view name;  ///< filled from op_list.def
  OpKind kind = OpKind::Kernel;
  uint32_t traits = 0;
  /// Number of tensor inputs; -1 for a list (cat, stack).
  int num_inputs = 1;
  int num_outputs = 1;
  /// Inputs whose dtypes promote to a common type (bit i = input i). The
  /// dispatcher casts them before the kernel runs.
  uint32_t promote_mask = 0;
  InferFn infer = nullptr;
  KernelFn portable = nullptr;
  FastKernelFn x86 = nullptr;
  ViewFn view = nullptr;
  CompositeFn composite = nullptr;
  VjpFn vjp = nullptr;
  /// Which inputs/outputs backward needs (bit i). Nothing else is kept alive.
  uint32_t save_inputs = 0;
  uint32_t save_outputs = 0;
  /// Why the op has no vjp (e.g. "integer output"); required when vjp is null
  /// and the op is not composite.
  std::string_view nondiff_reason;
  /// ONNX operator it maps to, or "" with `onnx_note` saying why not (yet).
  std::string_view onnx;
  std::string_view onnx_note;

  bool differentiable() const {
    return kind == OpKind::Composite ? nondiff_reason.empty() : vjp != nullptr;
  }
};

/// The entry for `id`.
const OpDef& op_def(OpId id);
/// All entries, in op_list.def order.
std::span<const OpDef> all_ops();
/// Looks an op up by name. Throws ValueError naming the unknown op.
OpId op_id(std::string_view name);

namespace detail {
/// The tensors of one op call. Up to 4 live inline: an op call is a few
/// hundred instructions, and a heap vector for its arguments would be a large
/// part of it. Built from braces (`{a, b}`), a std::vector or a span.
class TensorList {
 public:
  TensorList() = default;
  TensorList(std::initializer_list<Tensor> ts) { assign(ts.begin(), ts.size()); }
  TensorList(const std::vector<Tensor>& ts) { assign(ts.data(), ts.size()); }  // NOLINT
  TensorList(std::span<const Tensor> ts) { assign(ts.data(), ts.size()); }     // NOLINT
  TensorList(TensorList&& o) noexcept { *this = std::move(o); }
  TensorList& operator=(TensorList&& o) noexcept;
  TensorList(const TensorList&) = delete;
  TensorList& operator=(const TensorList&) = delete;

  size_t size() const { return n_; }
  bool empty() const { return n_ == 0; }
  Tensor* data() { return on_heap_ ? heap_.data() : inline_.data(); }
  const Tensor* data() const { return on_heap_ ? heap_.data() : inline_.data(); }
  Tensor& operator[](size_t i) { return data()[i]; }
  const Tensor& operator[](size_t i) const { return data()[i]; }
  Tensor* begin() { return data(); }
  Tensor* end() { return data() + n_; }
  const Tensor* begin() const { return data(); }
  const Tensor* end() const { return data() + n_; }
  operator std::span<const Tensor>() const { return {data(), n_}; }  // NOLINT
  operator std::span<Tensor>() { return {data(), n_}; }              // NOLINT
  /// n default (undefined) tensors.
  void resize(size_t n);
  std::vector<Tensor> to_vector() &&;

 private:
  static constexpr size_t kInline = 4;
  void assign(const Tensor* p, size_t n);
  std::array<Tensor, kInline> inline_;
  std::vector<Tensor> heap_;  // used instead of inline_ when more than kInline
  size_t n_ = 0;
  bool on_heap_ = false;
};

/// Note [trace hook]
/// While a hook is installed on a thread, each outermost op call on that
/// thread is reported after it ran, with the inputs as the caller passed them
/// (before promotion casts). Calls an op makes inside itself (a composite's
/// parts, promotion and half-precision casts) are not reported: the graph
/// keeps the op the user called, and the executor calls it the same way.
class TraceHook {
 public:
  virtual ~TraceHook() = default;
  virtual void on_op(OpId id, std::span<const Tensor> in, std::span<const Tensor> out,
                     const Attrs& attrs) = 0;
};
/// Installs `hook` on this thread (nullptr removes it); returns the previous one.
TraceHook* set_trace_hook(TraceHook* hook);
/// Whether a trace hook is installed on this thread.
bool is_tracing();

/// Calls op `id` generically: promotes, infers (validating), runs the kernel
/// or view or composite, and records the backward node when grad mode is on
/// and an input requires grad. Every public op function ends here.
std::vector<Tensor> call(OpId id, TensorList inputs, const Attrs& attrs = {});
/// As call, for the first (usually only) output, without an output vector.
Tensor call1(OpId id, TensorList inputs, const Attrs& attrs = {});
}  // namespace detail

}  // namespace braid
