// oneDNN fp32 convolution: forward, backward-data and backward-weights
// primitives over braid's NCHW buffers.
//
// Layouts. oneDNN's fast direct kernels want channel-blocked activations
// (nChw16c); with plain NCHW it falls back to im2col + its GEMM. Which is
// faster depends on the shape, so each primitive is built with one of two
// layouts (see choose_layout, measured with bench/conv_bench.cpp):
//   plain:   activations NCHW as braid holds them; weights in whatever
//            layout the primitive asks for (a reorder of a small tensor);
//   blocked: every operand in the primitive's own layout, reordered from and
//            to NCHW around the call (what PyTorch does on NCHW tensors).
// Reorder buffers and the primitive's scratchpad come from braid's caching
// allocator, so a warm training step makes no system allocation.
//
// Primitives are cached by geometry, layout and thread count: creating one
// costs far more than running a small one, and oneDNN's kernels fix their
// thread partition when they are created.
//
// Note [oneDNN conv determinism]: at a fixed thread count a primitive always
// splits the work the same way and reduces in the same order, so results are
// bit-identical run to run (tests/ops/conv_test.cpp checks it). The
// backward-weights kernels split the batch sum across threads, so results for
// different thread counts differ in the last bits; forward and backward-data
// write each output from one thread and match across thread counts as long
// as oneDNN picks the same kernel for both.
#include "kernels/x86/conv_dnnl.hpp"

#include <array>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <dnnl.hpp>

#include "braid/core/parallel.hpp"
#include "braid/core/tensor.hpp"

namespace braid::kernels {
namespace {
using dnnl::memory;
using Tag = memory::format_tag;

enum class Kind : int64_t { Forward, InputGrad, WeightGrad };
enum class Layout : int64_t { Plain, Blocked };

dnnl::engine& cpu_engine() {
  static dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  return engine;
}

// One tensor argument of the primitive: braid's layout, the primitive's, and
// the reorder between them (in the direction the data flows) when they differ.
struct Operand {
  int arg;
  memory::desc user, inner;
  std::optional<dnnl::reorder> convert;
  bool output;
};

struct Entry {
  dnnl::primitive prim;
  memory::desc scratchpad;
  std::vector<Operand> operands;  // in the order run() gets the pointers
};

struct Descs {
  memory::desc x, w, y, b;
};

// Activations NCHW (or `any`), weights OIHW / GOIHW with groups (or `any`).
Descs descs(const ConvGeom& g, bool any_act, bool any_w) {
  const auto f32 = memory::data_type::f32;
  const Tag act = any_act ? Tag::any : Tag::nchw;
  Descs d;
  d.x = memory::desc({g.n, g.c_in, g.h, g.w}, f32, act);
  d.y = memory::desc({g.n, g.c_out, g.oh, g.ow}, f32, act);
  d.w = g.groups == 1
            ? memory::desc({g.c_out, g.c_in, g.kh, g.kw}, f32, any_w ? Tag::any : Tag::oihw)
            : memory::desc({g.groups, g.c_out_g(), g.c_in_g(), g.kh, g.kw}, f32,
                           any_w ? Tag::any : Tag::goihw);
  d.b = memory::desc({g.c_out}, f32, Tag::x);
  return d;
}

struct Window {
  memory::dims strides, dilates, pad_l, pad_r;
};
Window window(const ConvGeom& g) {
  // oneDNN counts dilation from 0 (no gaps).
  return {{g.sh, g.sw}, {g.dh - 1, g.dw - 1}, {g.ph, g.pw}, {g.pad_bottom(), g.pad_right()}};
}

dnnl::primitive_attr user_scratchpad() {
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  return attr;
}

Operand operand(int arg, const memory::desc& user, const memory::desc& inner, bool output) {
  Operand o{arg, user, inner, std::nullopt, output};
  if (user != inner) {
    auto& e = cpu_engine();
    o.convert = output ? dnnl::reorder({e, inner, e, user}) : dnnl::reorder({e, user, e, inner});
  }
  return o;
}

template <class Pd>
bool fast(const Pd& pd) {
  return std::string(pd.impl_info_str()).rfind("ref", 0) != 0;
}

// Builds the primitive, or nothing when oneDNN has only its reference loop
// for it (the portable kernel is faster) or the padding crops.
std::optional<Entry> make_entry(Kind kind, const ConvGeom& g, Layout layout) {
  if (g.pad_bottom() < 0 || g.pad_right() < 0) return std::nullopt;
  using namespace dnnl;
  try {
    const Descs user = descs(g, false, false);
    const Descs want = descs(g, layout == Layout::Blocked, true);
    const Window win = window(g);
    const auto alg = algorithm::convolution_direct;
    const primitive_attr attr = user_scratchpad();
    const convolution_forward::primitive_desc fwd(
        {prop_kind::forward_training, alg, want.x, want.w, want.b, want.y, win.strides,
         win.dilates, win.pad_l, win.pad_r},
        attr, cpu_engine());
    Entry e;
    if (kind == Kind::Forward) {
      if (!fast(fwd)) return std::nullopt;
      e = {convolution_forward(fwd), fwd.scratchpad_desc(),
           {operand(DNNL_ARG_SRC, user.x, fwd.src_desc(), false),
            operand(DNNL_ARG_WEIGHTS, user.w, fwd.weights_desc(), false),
            operand(DNNL_ARG_BIAS, user.b, fwd.bias_desc(), false),
            operand(DNNL_ARG_DST, user.y, fwd.dst_desc(), true)}};
    } else if (kind == Kind::InputGrad) {
      const convolution_backward_data::primitive_desc pd(
          {alg, want.x, want.w, want.y, win.strides, win.dilates, win.pad_l, win.pad_r}, attr,
          cpu_engine(), fwd);
      if (!fast(pd)) return std::nullopt;
      e = {convolution_backward_data(pd), pd.scratchpad_desc(),
           {operand(DNNL_ARG_DIFF_DST, user.y, pd.diff_dst_desc(), false),
            operand(DNNL_ARG_WEIGHTS, user.w, pd.weights_desc(), false),
            operand(DNNL_ARG_DIFF_SRC, user.x, pd.diff_src_desc(), true)}};
    } else {
      const convolution_backward_weights::primitive_desc pd(
          {alg, want.x, want.w, want.y, win.strides, win.dilates, win.pad_l, win.pad_r}, attr,
          cpu_engine(), fwd);
      if (!fast(pd)) return std::nullopt;
      e = {convolution_backward_weights(pd), pd.scratchpad_desc(),
           {operand(DNNL_ARG_SRC, user.x, pd.src_desc(), false),
            operand(DNNL_ARG_DIFF_DST, user.y, pd.diff_dst_desc(), false),
            operand(DNNL_ARG_DIFF_WEIGHTS, user.w, pd.diff_weights_desc(), true)}};
    }
    return e;
  } catch (const dnnl::error&) {
    return std::nullopt;
  }
}

using Key = std::array<int64_t, 19>;

Key key_of(Kind kind, const ConvGeom& g, Layout layout) {
  return {static_cast<int64_t>(kind),
          static_cast<int64_t>(layout),
          get_num_threads(),
          g.n,
          g.c_in,
          g.c_out,
          g.groups,
          g.h,
          g.w,
          g.oh,
          g.ow,
          g.kh,
          g.kw,
          g.sh,
          g.sw,
          g.ph,
          g.pw,
          g.dh,
          g.dw};
}

// Cached primitives, "cannot" answers included so they are not retried.
// Cleared when full: a training loop's shapes repeat, so it refills at once.
std::shared_ptr<const Entry> cached_entry(Kind kind, const ConvGeom& g, Layout layout) {
  constexpr size_t kMaxCached = 128;
  static std::mutex mutex;
  static std::map<Key, std::shared_ptr<const Entry>> cache;
  const Key key = key_of(kind, g, layout);
  {
    std::lock_guard<std::mutex> lock(mutex);
    if (auto it = cache.find(key); it != cache.end()) return it->second;
  }
  // Created outside the lock: creation is slow and other shapes need not wait.
  std::optional<Entry> made = make_entry(kind, g, layout);
  auto entry = made ? std::make_shared<const Entry>(std::move(*made)) : nullptr;
  std::lock_guard<std::mutex> lock(mutex);
  if (cache.size() >= kMaxCached) cache.clear();
  return cache.emplace(key, std::move(entry)).first->second;
}

// A buffer of `bytes` from braid's caching allocator (freed with the tensor).
Tensor buffer(size_t bytes) {
  return empty({static_cast<int64_t>((bytes + sizeof(float) - 1) / sizeof(float))});
}

// Runs the primitive on braid's buffers, one pointer per operand.
void run(const Entry& e, const std::vector<float*>& ptrs) {
  auto& engine = cpu_engine();
  thread_local dnnl::stream stream(engine);
  std::unordered_map<int, memory> args;
  std::vector<Tensor> held;  // reorder buffers and scratchpad, alive until the end
  std::vector<std::pair<const Operand*, memory>> outputs;
  for (size_t i = 0; i < e.operands.size(); ++i) {
    const Operand& op = e.operands[i];
    memory user(op.user, engine, ptrs[i]);
    if (!op.convert) {
      args.emplace(op.arg, user);
      continue;
    }
    held.push_back(buffer(op.inner.get_size()));
    memory inner(op.inner, engine, held.back().raw_data());
    if (op.output)
      outputs.emplace_back(&op, user);
    else
      op.convert->execute(stream, user, inner);
    args.emplace(op.arg, inner);
  }
  if (e.scratchpad.get_size() > 0) {
    held.push_back(buffer(e.scratchpad.get_size()));
    args.emplace(DNNL_ARG_SCRATCHPAD, memory(e.scratchpad, engine, held.back().raw_data()));
  }
  e.prim.execute(stream, args);
  for (auto& [op, user] : outputs) op->convert->execute(stream, args.at(op->arg), user);
  stream.wait();
}

// Which layout a primitive is built with; see the note at the top.
Layout choose_layout(Kind kind, const ConvGeom& g) {
  (void)kind;
  (void)g;
  if (const char* env = std::getenv("BRAID_CONV_LAYOUT")) {
    if (std::string(env) == "plain") return Layout::Plain;
  }
  return Layout::Blocked;
}

bool run_kind(Kind kind, const ConvGeom& g, const std::vector<float*>& ptrs) {
  std::shared_ptr<const Entry> entry = cached_entry(kind, g, choose_layout(kind, g));
  if (!entry) return false;
  run(*entry, ptrs);
  return true;
}

// oneDNN never writes through its inputs; its API just takes void*.
float* in(const float* p) { return const_cast<float*>(p); }

}  // namespace

bool conv2d_forward_x86(const ConvGeom& g, const float* x, const float* wt, const float* bias,
                        float* y) {
  if (g.n == 0 || g.oh * g.ow == 0) return true;
  return run_kind(Kind::Forward, g, {in(x), in(wt), in(bias), y});
}

bool conv2d_input_grad_x86(const ConvGeom& g, const float* gy, const float* wt, float* gx) {
  if (g.n == 0 || g.oh * g.ow == 0) return false;
  return run_kind(Kind::InputGrad, g, {in(gy), in(wt), gx});
}

bool conv2d_weight_grad_x86(const ConvGeom& g, const float* x, const float* gy, float* gw) {
  if (g.n == 0 || g.oh * g.ow == 0) return false;
  return run_kind(Kind::WeightGrad, g, {in(x), in(gy), gw});
}

}  // namespace braid::kernels
