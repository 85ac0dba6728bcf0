// oneDNN fp32 convolution: forward, backward-data and backward-weights
// primitives over braid's NCHW buffers.
//
// Plans. How fast a oneDNN convolution is depends on the layout its
// activations are in and on the algorithm, and no choice wins everywhere,
// so each call gets a plan (choose_plan). It follows single-thread CPU times
// of every option, reorders included, on this machine's AVX-512 cores
// (forward / input grad / weight grad, ms; batch 128 for the MNIST layer,
// 32 for the others, 16 for the last):
//                            plain            blocked          channels-last
//   32->64 3x3 on 26x26      41 / 53 / 53     41 / 42 / 42     32 / 49 / 33
//       (Winograd:           25 / 30 / 22)
//   64->128 3x3 s2 on 28x28  16 / 15 / 14     10 / 14 / 17     11 / 16 / 18
//   32->64 5x5 on 14x14      10 / 12 /  9      9 /  8 /  8      6 /  8 /  5
//   64->256 1x1 on 14x14    2.5 / 2.4 / 2.8    3.9 / 4.1 / 3.9  4.6 / 4.6 / 4.6
//   depthwise 64 3x3 28x28   18 / 32 / 26      5 /  5 /  5      7 /  7 /  5
//   128->128 3x3 on 7x7     5.5 / 5.9 / 4.1    3.3 / 3.1 / 4.1  2.6 / 3.6 / 3.1
//       (Winograd:           2.6 / 2.6 / 2.3)
// The plans:
//   plain:         NCHW activations as braid holds them (oneDNN's im2col +
//                  GEMM): 1x1 kernels;
//   blocked:       nChw16c, reordered from and to NCHW around the call
//                  (what PyTorch does on NCHW tensors): input gradients,
//                  grouped and depthwise convolutions;
//   channels-last: NHWC, reordered likewise (oneDNN's brgemm kernels):
//                  forward and weight gradient of the remaining shapes;
//   Winograd:      blocked, F(4x4, 3x3): 3x3, stride 1 convolutions with
//                  channels in multiples of 16, where it is up to twice as
//                  fast as the direct kernels. Its rounding error is ~10x
//                  the direct one's (a few 1e-6 of the sum of the terms'
//                  magnitudes instead of a few 1e-7), as with cuDNN's.
// Short columns (groups 1, c_in * kh * kw <= kSmallK: first layers) take the
// portable kernels (conv_small_k.hpp) for the input gradient everywhere, and
// for all three products on AVX2 cores: they stream the large activation or
// gradient once, in one parallel loop, which beat every oneDNN plan on a Zen 3
// machine (by 10-40% in CPU time). On AVX-512 cores (Ice Lake) the blocked
// plan wins the forward and weight gradient of the MNIST 1->32 layer (batch
// 128, 2 threads, braid_bench medians: forward 0.51 vs 0.65 ms, weight
// gradient 0.50 vs 0.73 ms; the input gradient stays portable, 0.42 vs 3.1).
// Weights are always in the layout the primitive asks for: reordered once per
// call (not per chunk), and, when the caller passes the weight tensor, once
// per weight version (Note [cached weight reorders], conv_weight_cache.hpp).
// A forward with fewer images than threads runs the direct blocked kernel,
// not Winograd, which splits the team by image (see run_kind).
//
// Where the time goes (issue 6, perf cpu-clock, MNIST CNN inference at batch
// 256, 2 threads, passive OpenMP wait): before, max pooling took ~21% of the
// CPU time and ReLU ~9%, the oneDNN JIT code 56%; inside oneDNN (verbose
// exec times) Winograd itself ~11-15 ms of each 256 images and the
// blocked -> NCHW reorders of the two outputs 3-10 ms (memory-bound: they
// write the whole activation). Primitive creation is cached (below) and
// weight reorders were < 1%. What remains between braid's NCHW tensors and
// oneDNN's layouts is those activation reorders; removing them needs
// activations kept blocked across conv -> ReLU -> conv -> pool (a compiled
// graph's layout pass), not a kernel change.
// Reorder buffers and the primitive's scratchpad come from braid's caching
// allocator, so a warm training step makes no system allocation.
//
// Primitives are cached by geometry, plan and thread count: creating one
// costs far more than running a small one, and oneDNN's kernels fix their
// thread partition when they are created.
//
// Batches large enough for at least two chunks per thread run chunked: see
// Note [chunked oneDNN runs].
//
// Note [oneDNN conv determinism]: at a fixed thread count a primitive always
// splits the work the same way and reduces in the same order, so results are
// bit-identical run to run (tests/kernels/conv_kernel_test.cpp checks it).
// Chunked runs (the MNIST shapes at batch 128 on 1 or 2 threads) give the
// same bits for any thread count that chunks. A batch run across the team
// may differ in the last bits from one at another thread count: the weight
// gradients split the batch sum by thread, some forward kernels their
// reductions too.
#include "kernels/x86/conv_dnnl.hpp"

#include <algorithm>
#include <array>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <omp.h>
#include <dnnl.hpp>

#include "braid/core/parallel.hpp"
#include "braid/core/tensor.hpp"
#include "kernels/portable/conv_small_k.hpp"
#include "kernels/portable/pool_codes.hpp"
#include "kernels/portable/scalar_ops.hpp"
#include "kernels/x86/blocked16.hpp"
#include "kernels/x86/conv_weight_cache.hpp"
#include "kernels/x86/dnnl_context.hpp"

namespace braid::kernels {
namespace {
using dnnl::memory;
using Tag = memory::format_tag;

enum class Kind : int64_t { Forward, InputGrad, WeightGrad };
enum class Layout : int64_t { Plain, Blocked, ChannelsLast };

struct Plan {
  Layout layout;
  bool winograd;
  bool relu = false;  // forward: y = relu(conv), applied as the output is reordered
  bool pool = false;  // and then 2x2 max pooled (Note [conv + relu + pool])
};

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
  // Forward: ReLU on the output as it leaves (not oneDNN's ReLU post-op,
  // which turns NaN into 0: relu keeps NaN, so a diverging step still shows);
  // in the transpose out of nChw16c when the primitive writes that.
  bool relu = false, relu_in_transpose = false;
  // The output max pooled 2x2 after the ReLU, from nChw16c (only built then).
  bool pool = false;
};

struct Descs {
  memory::desc x, w, y, b;
};

// Activations in `act`, weights OIHW / GOIHW with groups (or `any`).
Descs descs(const ConvGeom& g, Tag act, bool any_w) {
  const auto f32 = memory::data_type::f32;
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
    auto& e = dnnl_engine();
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
std::optional<Entry> make_entry(Kind kind, const ConvGeom& g, Plan plan) {
  if (g.pad_bottom() < 0 || g.pad_right() < 0) return std::nullopt;
  using namespace dnnl;
  try {
    const Descs user = descs(g, Tag::nchw, false);
    const Tag act = plan.layout == Layout::Plain     ? Tag::nchw
                    : plan.layout == Layout::Blocked ? Tag::any
                                                     : Tag::nhwc;
    const Descs want = descs(g, act, true);
    const Window win = window(g);
    const auto alg =
        plan.winograd ? algorithm::convolution_winograd : algorithm::convolution_direct;
    const primitive_attr attr = user_scratchpad();
    const convolution_forward::primitive_desc fwd(
        {prop_kind::forward_training, alg, want.x, want.w, want.b, want.y, win.strides, win.dilates,
         win.pad_l, win.pad_r},
        attr, dnnl_engine());
    Entry e;
    if (kind == Kind::Forward) {
      if (!fast(fwd)) return std::nullopt;
      e = {convolution_forward(fwd),
           fwd.scratchpad_desc(),
           {operand(DNNL_ARG_SRC, user.x, fwd.src_desc(), false),
            operand(DNNL_ARG_WEIGHTS, user.w, fwd.weights_desc(), false),
            operand(DNNL_ARG_BIAS, user.b, fwd.bias_desc(), false),
            operand(DNNL_ARG_DST, user.y, fwd.dst_desc(), true)},
           plan.relu,
           plan.relu && g.c_out % 16 == 0 &&
               fwd.dst_desc() ==
                   memory::desc({g.n, g.c_out, g.oh, g.ow}, memory::data_type::f32, Tag::nChw16c),
           plan.pool};
      if (e.pool && !e.relu_in_transpose) return std::nullopt;
    } else if (kind == Kind::InputGrad) {
      const convolution_backward_data::primitive_desc pd(
          {alg, want.x, want.w, want.y, win.strides, win.dilates, win.pad_l, win.pad_r}, attr,
          dnnl_engine(), fwd);
      if (!fast(pd)) return std::nullopt;
      e = {convolution_backward_data(pd),
           pd.scratchpad_desc(),
           {operand(DNNL_ARG_DIFF_DST, user.y, pd.diff_dst_desc(), false),
            operand(DNNL_ARG_WEIGHTS, user.w, pd.weights_desc(), false),
            operand(DNNL_ARG_DIFF_SRC, user.x, pd.diff_src_desc(), true)}};
    } else {
      const convolution_backward_weights::primitive_desc pd(
          {alg, want.x, want.w, want.y, win.strides, win.dilates, win.pad_l, win.pad_r}, attr,
          dnnl_engine(), fwd);
      if (!fast(pd)) return std::nullopt;
      e = {convolution_backward_weights(pd),
           pd.scratchpad_desc(),
           {operand(DNNL_ARG_SRC, user.x, pd.src_desc(), false),
            operand(DNNL_ARG_DIFF_DST, user.y, pd.diff_dst_desc(), false),
            operand(DNNL_ARG_DIFF_WEIGHTS, user.w, pd.diff_weights_desc(), true)}};
    }
    return e;
  } catch (const dnnl::error&) {
    return std::nullopt;
  }
}

using Key = std::array<int64_t, 22>;

Key key_of(Kind kind, const ConvGeom& g, Plan plan, int threads) {
  return {static_cast<int64_t>(kind),
          static_cast<int64_t>(plan.layout),
          plan.winograd ? 1 : 0,
          plan.relu ? 1 : 0,
          plan.pool ? 1 : 0,
          threads,
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

// Cached primitives built for `threads` threads, "cannot" answers included
// so they are not retried. Cleared when full: a training loop's shapes
// repeat, so it refills at once.
std::shared_ptr<const Entry> cached_entry(Kind kind, const ConvGeom& g, Plan plan, int threads) {
  constexpr size_t kMaxCached = 128;
  static std::mutex mutex;
  static std::map<Key, std::shared_ptr<const Entry>> cache;
  const Key key = key_of(kind, g, plan, threads);
  {
    std::lock_guard<std::mutex> lock(mutex);
    if (auto it = cache.find(key); it != cache.end()) return it->second;
  }
  // Created outside the lock: creation is slow and other shapes need not wait.
  std::optional<Entry> made;
  {
    ScopedThreads t(threads);
    made = make_entry(kind, g, plan);
  }
  auto entry = made ? std::make_shared<const Entry>(std::move(*made)) : nullptr;
  std::lock_guard<std::mutex> lock(mutex);
  if (cache.size() >= kMaxCached) cache.clear();
  return cache.emplace(key, std::move(entry)).first->second;
}

// The entry for a plan; Winograd needs AVX-512, elsewhere the direct kernels
// stand in. Not for a pooling plan: its entry can be refused for its output
// layout alone, and the direct kernel's bits would differ from those of the
// convolution it stands for (the caller then runs that, unfused).
std::shared_ptr<const Entry> entry_for(Kind kind, const ConvGeom& g, Plan plan, int threads) {
  std::shared_ptr<const Entry> e = cached_entry(kind, g, plan, threads);
  if (!e && plan.winograd && !plan.pool)
    e = cached_entry(kind, g, Plan{Layout::Blocked, false, plan.relu}, threads);
  return e;
}

// Buffers for one run of `e`: one per operand that is reordered (empty
// otherwise), then the scratchpad; from braid's caching allocator.
// `given`: an argument the caller passes in the primitive's layout already.
std::vector<Tensor> workspace(const Entry& e, int given = 0) {
  std::vector<Tensor> ws;
  auto buffer = [](size_t bytes) {
    return empty({static_cast<int64_t>((bytes + sizeof(float) - 1) / sizeof(float))});
  };
  for (const Operand& op : e.operands)
    ws.push_back(op.convert && op.arg != given ? buffer(op.inner.get_size()) : Tensor());
  ws.push_back(buffer(e.scratchpad.get_size()));
  return ws;
}

// The weight operand of `e` when it is an input that needs a reorder.
const Operand* weight_input(const Entry& e) {
  for (const Operand& op : e.operands)
    if (op.arg == DNNL_ARG_WEIGHTS && op.convert) return &op;
  return nullptr;
}

// `e`'s weights already in its layout (see Note [cached weight reorders]),
// or an undefined tensor when it takes them as they are. `owner`, when
// given, is the tensor whose data ptrs[1] is (ptrs[1] is always the weights
// of the kinds that read weights).
Tensor prepared_weights(const Entry& e, const std::vector<float*>& ptrs, const Tensor* owner) {
  const Operand* op = weight_input(e);
  if (!op) return Tensor();
  return weights_in_layout(dnnl_engine(), dnnl_stream(), *op->convert, op->user, op->inner, ptrs[1],
                           owner);
}

// A forward entry's output, relu'd as it leaves: reordered from nChw16c by
// blocked16_to_nchw with the ReLU in the same pass (or relu'd and pooled into
// `pool`), or (other layouts) by oneDNN and then relu'd in place.
void relu_output(const Entry& e, const std::vector<float*>& ptrs,
                 const std::unordered_map<int, memory>& args, const PoolOut* pool) {
  for (size_t i = 0; i < e.operands.size(); ++i) {
    const Operand& op = e.operands[i];
    if (op.arg != DNNL_ARG_DST) continue;
    const memory::dims d = op.user.dims();
    if (e.pool) {
      blocked16_relu_maxpool2x2(static_cast<const float*>(args.at(op.arg).get_data_handle()),
                                pool->y, pool->codes, d[0], d[1], d[2], d[3]);
      return;
    }
    if (e.relu_in_transpose) {
      blocked16_to_nchw(static_cast<const float*>(args.at(op.arg).get_data_handle()), ptrs[i], d[0],
                        d[1], d[2] * d[3], true);
      return;
    }
    if (op.convert) {
      memory inner = args.at(op.arg), user(op.user, dnnl_engine(), ptrs[i]);
      op.convert->execute(dnnl_stream(), inner, user);
      dnnl_stream().wait();
    }
    float* y = ptrs[i];
    parallel_for(d[0] * d[1] * d[2] * d[3], int64_t{1} << 16, [&](int64_t b, int64_t e) {
      for (int64_t j = b; j < e; ++j) y[j] = relu_value(y[j]);
    });
  }
}

// Runs the primitive on braid's buffers, one pointer per operand; `weights`
// (when defined) holds the weights in the primitive's layout already,
// `blocked_dy` (when given) grad_y, and `pool` a pooling entry's outputs.
void run(const Entry& e, const std::vector<float*>& ptrs, const std::vector<Tensor>& ws,
         const Tensor& weights = Tensor(), float* blocked_dy = nullptr,
         const PoolOut* pool = nullptr) {
  auto& engine = dnnl_engine();
  dnnl::stream& stream = dnnl_stream();
  std::unordered_map<int, memory> args;
  std::vector<std::pair<const Operand*, memory>> outputs;
  for (size_t i = 0; i < e.operands.size(); ++i) {
    const Operand& op = e.operands[i];
    memory user(op.user, engine, ptrs[i]);
    if (!op.convert) {
      args.emplace(op.arg, user);
      continue;
    }
    if (op.arg == DNNL_ARG_WEIGHTS && !op.output && weights.defined()) {
      args.emplace(op.arg, memory(op.inner, engine, weights.raw_data()));
      continue;
    }
    if (op.arg == DNNL_ARG_DIFF_DST && blocked_dy) {
      args.emplace(op.arg, memory(op.inner, engine, blocked_dy));
      continue;
    }
    memory inner(op.inner, engine, ws[i].raw_data());
    if (op.output)
      outputs.emplace_back(&op, user);
    else
      op.convert->execute(stream, user, inner);
    args.emplace(op.arg, inner);
  }
  if (e.scratchpad.get_size() > 0)
    args.emplace(DNNL_ARG_SCRATCHPAD, memory(e.scratchpad, engine, ws.back().raw_data()));
  e.prim.execute(stream, args);
  for (auto& [op, user] : outputs)
    if (!(e.relu && op->arg == DNNL_ARG_DST)) op->convert->execute(stream, args.at(op->arg), user);
  stream.wait();
  if (e.relu) relu_output(e, ptrs, args, pool);
}

// The plan for a call (see the note at the top); nothing when the portable
// kernel is faster.
}  // namespace

bool x86_blocked_short_columns(const ConvGeom& g) {
  static const bool avx512 = __builtin_cpu_supports("avx512f");
  return avx512 && g.groups == 1 && g.k_g() <= kSmallK && g.kh * g.kw > 1;
}

namespace {

std::optional<Plan> choose_plan(Kind kind, const ConvGeom& g) {
  if (conv2d_winograd_x86(g)) return Plan{Layout::Blocked, true};
  if (g.groups == 1 && g.k_g() <= kSmallK) {
    // See "Short columns" above: on AVX-512 cores the blocked direct kernel
    // wins the forward and weight gradient.
    if (x86_blocked_short_columns(g) && kind != Kind::InputGrad)
      return Plan{Layout::Blocked, false};
    return std::nullopt;
  }
  if (g.groups == 1 && g.kh == 1 && g.kw == 1) return Plan{Layout::Plain, false};
  if (g.groups > 1 || kind == Kind::InputGrad) return Plan{Layout::Blocked, false};
  return Plan{Layout::ChannelsLast, false};
}

// Images per chunk of a chunked run: about 4 MiB of activations (smaller
// chunks made Winograd's gradients up to 30% slower here, larger ones leave
// two threads too few chunks to balance). A function of the shape only.
int64_t chunk_images(const ConvGeom& g) {
  constexpr int64_t kChunkBytes = int64_t{1} << 22;
  const int64_t per_image = 4 * (g.c_in * g.h * g.w + g.c_out * g.oh * g.ow);
  const int64_t most = std::clamp<int64_t>(kChunkBytes / std::max<int64_t>(1, per_image), 1, g.n);
  // At least 4 chunks while each keeps 16 images, so two threads still run
  // chunked (and the backward fused, Note [fused conv backward]): the MNIST
  // first layer at batch 128 (46 images a chunk by size) ran across the
  // team, its backward unfused; as 4 x 32, W2's backward is -0.7 ms a step.
  constexpr int64_t kMinChunks = 4, kMinImages = 16;
  if ((g.n + most - 1) / most < kMinChunks && g.n >= kMinChunks * kMinImages)
    return (g.n + kMinChunks - 1) / kMinChunks;
  return most;
}

// The operand pointers of images [i0, i0 + count) (WeightGrad: its own
// partial sum `part`). A null pointer (grad_y given blocked) stays null.
std::vector<float*> chunk_ptrs(Kind kind, const ConvGeom& g, const std::vector<float*>& ptrs,
                               int64_t i0, float* part) {
  const int64_t xs = g.c_in * g.h * g.w * i0, ys = g.c_out * g.oh * g.ow * i0;
  auto at = [](float* p, int64_t offset) { return p ? p + offset : nullptr; };
  if (kind == Kind::Forward) return {ptrs[0] + xs, ptrs[1], ptrs[2], at(ptrs[3], ys)};
  if (kind == Kind::InputGrad) return {at(ptrs[0], ys), ptrs[1], ptrs[2] + xs};
  return {ptrs[0] + xs, at(ptrs[1], ys), part};
}

// The pooled outputs of images [i0, ...) (Note [conv + relu + pool]).
PoolOut pool_chunk(const ConvGeom& g, const PoolOut& p, int64_t i0) {
  const int64_t ph = g.oh / 2, pw = g.ow / 2;
  return {p.y + i0 * g.c_out * ph * pw, p.codes + pool_codes_size(i0, g.c_out, ph, pw)};
}

// Note [chunked oneDNN runs]: one parallel loop over chunks of images, each
// run start to end (reorders, primitive) by one thread with primitives built
// for one thread. On a busy machine this beats running each primitive across
// the team, where each of a call's parallel regions waits for a thread the
// OS has parked (measured 1.5-2x in wall time here); and the results do not
// depend on the thread count: chunks are fixed by the shape, and the weight
// gradient sums the chunks' partial sums in chunk order.
bool run_chunked(Kind kind, const ConvGeom& g, Plan plan, const std::vector<float*>& ptrs,
                 const Tensor* owner, const PoolOut* pool) {
  const int64_t nb = chunk_images(g), chunks = (g.n + nb - 1) / nb;
  ConvGeom full = g, tail = g;
  full.n = nb, tail.n = g.n - (chunks - 1) * nb;
  const std::shared_ptr<const Entry> ef = entry_for(kind, full, plan, 1);
  const std::shared_ptr<const Entry> et = tail.n == nb ? ef : entry_for(kind, tail, plan, 1);
  if (!ef || !et) return false;
  // The weights are reordered once for all chunks (or come from the cache).
  const Tensor wf = prepared_weights(*ef, ptrs, owner);
  const Operand *of = weight_input(*ef), *ot = weight_input(*et);
  const bool same_layout = of && ot && of->inner == ot->inner;
  const Tensor wt = et == ef || same_layout ? wf : prepared_weights(*et, ptrs, owner);
  std::vector<std::vector<Tensor>> ws;
  for (int t = 0; t < get_num_threads(); ++t) ws.push_back(workspace(*ef));
  const std::vector<Tensor> ws_tail = workspace(*et);
  const int64_t wsize = g.c_out * g.k_g();
  const Tensor part = empty({kind == Kind::WeightGrad ? chunks * wsize : 0});
  float* parts = static_cast<float*>(part.raw_data());
#pragma omp parallel for schedule(dynamic)
  for (int64_t c = 0; c < chunks; ++c) {
    const bool last = c == chunks - 1 && et != ef;
    float* my_part = kind == Kind::WeightGrad ? parts + c * wsize : nullptr;
    std::vector<float*> at = chunk_ptrs(kind, g, ptrs, c * nb, my_part);
    PoolOut my_pool{};
    if (pool) my_pool = pool_chunk(g, *pool, c * nb);
    run(last ? *et : *ef, at, last ? ws_tail : ws[omp_get_thread_num()], last ? wt : wf, nullptr,
        pool ? &my_pool : nullptr);
  }
  if (kind == Kind::WeightGrad) {
    float* gw = ptrs[2];
    std::copy(parts, parts + wsize, gw);
    for (int64_t c = 1; c < chunks; ++c)
      for (int64_t i = 0; i < wsize; ++i) gw[i] += parts[c * wsize + i];
  }
  return true;
}

// oneDNN never writes through its inputs; its API just takes void*.
float* in(const float* p) { return const_cast<float*>(p); }

// Whether `e` takes grad_y as nChw16c, what nchw_to_blocked16 writes.
bool takes_blocked16_dy(const Entry& e, const ConvGeom& g) {
  const memory::desc want({g.n, g.c_out, g.oh, g.ow}, memory::data_type::f32, Tag::nChw16c);
  for (const Operand& op : e.operands)
    if (op.arg == DNNL_ARG_DIFF_DST) return op.convert && op.inner == want;
  return false;
}

// Note [fused conv backward]: the input and weight gradients each reordered
// grad_y into nChw16c, chunk by chunk, and the bias gradient was a third
// pass (a sum over N, H, W). When both primitives take that layout and the
// batch runs chunked, each chunk's grad_y is read once, by
// nchw_to_blocked16, which also sums its channels; both primitives then read
// the blocked copy while it is still in cache. The chunks, the primitives and
// the order the weight gradient's partial sums are added in are those of
// run_chunked, so gx and gw have the bits of the separate calls; the bias
// sums per chunk and then over chunks in order (fixed by the shape).
bool run_backward_chunked(const ConvGeom& g, const float* x, const float* gy, const float* wt,
                          const Tensor* owner, float* gx, float* gw, float* gb, const float* relu_y,
                          const PoolGrad* pool = nullptr) {
  const int threads = get_num_threads();
  const int64_t nb = chunk_images(g), chunks = (g.n + nb - 1) / nb;
  if (!(gx || gw) || g.c_out % 16 != 0 || !(threads == 1 || chunks >= 2 * threads)) return false;
  const std::optional<Plan> pin = choose_plan(Kind::InputGrad, g),
                            pw = choose_plan(Kind::WeightGrad, g);
  if ((gx && !pin) || (gw && !pw)) return false;
  ConvGeom full = g, tail = g;
  full.n = nb, tail.n = g.n - (chunks - 1) * nb;
  // [0]: full chunks, [1]: the last one.
  std::shared_ptr<const Entry> ig[2], wg[2];
  for (int t = 0; t < 2; ++t) {
    const ConvGeom& gg = t == 0 ? full : tail;
    if (gx &&
        !((ig[t] = entry_for(Kind::InputGrad, gg, *pin, 1)) && takes_blocked16_dy(*ig[t], gg)))
      return false;
    if (gw &&
        !((wg[t] = entry_for(Kind::WeightGrad, gg, *pw, 1)) && takes_blocked16_dy(*wg[t], gg)))
      return false;
  }
  const std::vector<float*> wptrs = {in(gy), in(wt)};
  Tensor wts[2];
  for (int t = 0; gx && t < 2; ++t) wts[t] = prepared_weights(*ig[t], wptrs, owner);
  const int64_t ohw = g.oh * g.ow, wsize = g.c_out * g.k_g();
  // Per thread: the blocked grad_y and the primitives' buffers; the last
  // chunk has its own (only one chunk uses them).
  struct Space {
    Tensor dy;
    std::vector<Tensor> ig, wg;
  };
  auto space = [&](int t) {
    return Space{empty({nb * g.c_out * ohw}),
                 gx ? workspace(*ig[t], DNNL_ARG_DIFF_DST) : std::vector<Tensor>{},
                 gw ? workspace(*wg[t], DNNL_ARG_DIFF_DST) : std::vector<Tensor>{}};
  };
  std::vector<Space> spaces;
  for (int t = 0; t < threads; ++t) spaces.push_back(space(0));
  const Space last_space = space(1);
  const Tensor part = empty({gw ? chunks * wsize : 0});
  float* parts = static_cast<float*>(part.raw_data());
  std::vector<double> bias(gb ? chunks * g.c_out : 0, 0.0);
#pragma omp parallel for schedule(dynamic)
  for (int64_t c = 0; c < chunks; ++c) {
    const int t = c == chunks - 1 ? 1 : 0;
    const Space& sp = t == 1 ? last_space : spaces[omp_get_thread_num()];
    const int64_t i0 = c * nb, count = t == 1 ? tail.n : nb;
    float* dy = static_cast<float*>(sp.dy.raw_data());
    const int64_t at = i0 * g.c_out * ohw;
    double* sums = gb ? bias.data() + c * g.c_out : nullptr;
    if (pool) {
      const int64_t pat = i0 * g.c_out * (g.oh / 2) * (g.ow / 2);
      maxpool2x2_grad_to_blocked16(pool->g + pat,
                                   pool->codes + pool_codes_size(i0, g.c_out, g.oh / 2, g.ow / 2),
                                   dy, count, g.c_out, g.oh, g.ow, sums);
    } else {
      nchw_to_blocked16(gy + at, dy, count, g.c_out, ohw, sums, relu_y ? relu_y + at : nullptr);
    }
    if (gx)
      run(*ig[t], chunk_ptrs(Kind::InputGrad, g, {in(gy), in(wt), gx}, i0, nullptr), sp.ig, wts[t],
          dy);
    if (gw)
      run(*wg[t], chunk_ptrs(Kind::WeightGrad, g, {in(x), in(gy), gw}, i0, parts + c * wsize),
          sp.wg, Tensor(), dy);
  }
  if (gw) {
    std::copy(parts, parts + wsize, gw);
    for (int64_t c = 1; c < chunks; ++c)
      for (int64_t i = 0; i < wsize; ++i) gw[i] += parts[c * wsize + i];
  }
  for (int64_t o = 0; gb && o < g.c_out; ++o) {
    double s = 0;
    for (int64_t c = 0; c < chunks; ++c) s += bias[c * g.c_out + o];
    gb[o] = static_cast<float>(s);
  }
  return true;
}

bool run_kind(Kind kind, const ConvGeom& g, const std::vector<float*>& ptrs, const Tensor* owner,
              bool relu = false, const PoolOut* pool = nullptr) {
  std::optional<Plan> plan = choose_plan(kind, g);
  if (!plan) return false;
  plan->relu = relu || pool;
  plan->pool = pool != nullptr;
  const int threads = get_num_threads();
  const int64_t chunks = (g.n + chunk_images(g) - 1) / chunk_images(g);
  // Too few chunks to share out: the whole batch in one run across the team.
  if (threads == 1 || chunks >= 2 * threads) return run_chunked(kind, g, *plan, ptrs, owner, pool);
  // Winograd's forward splits the team by image: with fewer images than
  // threads the direct kernel, which splits the channels too, is faster
  // (MNIST conv2, batch 1, 2 threads: 56 vs 69 us, best of 300).
  if (kind == Kind::Forward && plan->winograd && g.n < threads)
    plan = Plan{Layout::Blocked, false, plan->relu, plan->pool};
  const std::shared_ptr<const Entry> entry = entry_for(kind, g, *plan, threads);
  if (!entry) return false;
  run(*entry, ptrs, workspace(*entry), prepared_weights(*entry, ptrs, owner), nullptr, pool);
  return true;
}

const float* weight_data(const Tensor& w) {
  BRAID_ASSERT(w.dtype() == DType::Float32 && w.is_contiguous());
  return static_cast<const float*>(w.raw_data());
}

}  // namespace

bool conv2d_winograd_x86(const ConvGeom& g) {
  return g.groups == 1 && g.kh == 3 && g.kw == 3 && g.sh == 1 && g.sw == 1 && g.dh == 1 &&
         g.dw == 1 && g.c_in % 16 == 0 && g.c_out % 16 == 0 && g.ph <= 1 && g.pw <= 1 &&
         g.pad_bottom() <= 1 && g.pad_right() <= 1;
}

bool conv2d_forward_x86(const ConvGeom& g, const float* x, const float* wt, const float* bias,
                        float* y, bool relu) {
  if (g.n == 0 || g.oh * g.ow == 0) return true;
  return run_kind(Kind::Forward, g, {in(x), in(wt), in(bias), y}, nullptr, relu);
}

bool conv2d_forward_x86(const ConvGeom& g, const float* x, const Tensor& weight, const float* bias,
                        float* y, bool relu) {
  if (g.n == 0 || g.oh * g.ow == 0) return true;
  return run_kind(Kind::Forward, g, {in(x), in(weight_data(weight)), in(bias), y}, &weight, relu);
}

bool conv2d_input_grad_x86(const ConvGeom& g, const float* gy, const float* wt, float* gx) {
  if (g.n == 0 || g.oh * g.ow == 0) return false;
  return run_kind(Kind::InputGrad, g, {in(gy), in(wt), gx}, nullptr);
}

bool conv2d_input_grad_x86(const ConvGeom& g, const float* gy, const Tensor& weight, float* gx) {
  if (g.n == 0 || g.oh * g.ow == 0) return false;
  return run_kind(Kind::InputGrad, g, {in(gy), in(weight_data(weight)), gx}, &weight);
}

bool conv2d_weight_grad_x86(const ConvGeom& g, const float* x, const float* gy, float* gw) {
  if (g.n == 0 || g.oh * g.ow == 0) return false;
  return run_kind(Kind::WeightGrad, g, {in(x), in(gy), gw}, nullptr);
}

bool conv2d_backward_x86(const ConvGeom& g, const float* x, const float* gy, const Tensor& weight,
                         float* gx, float* gw, float* gb, const float* relu_y) {
  if (g.n == 0 || g.oh * g.ow == 0) return false;
  return run_backward_chunked(g, x, gy, weight_data(weight), &weight, gx, gw, gb, relu_y);
}

bool conv2d_backward_x86(const ConvGeom& g, const float* x, const float* gy, const float* wt,
                         float* gx, float* gw, float* gb, const float* relu_y) {
  if (g.n == 0 || g.oh * g.ow == 0) return false;
  return run_backward_chunked(g, x, gy, wt, nullptr, gx, gw, gb, relu_y);
}

bool conv2d_relu_maxpool_x86(const ConvGeom& g, const float* x, const float* wt,
                             const Tensor* owner, const float* bias, PoolOut out) {
  if (g.n == 0 || g.oh < 2 || g.ow < 2 || g.c_out % 16 != 0) return false;
  // ptrs[3], the convolution's own output, is never written: the pooled
  // step reads the primitive's blocked buffer.
  return run_kind(Kind::Forward, g, {in(x), in(wt), in(bias), nullptr}, owner, true, &out);
}

bool conv2d_relu_maxpool_backward_x86(const ConvGeom& g, const float* x, PoolGrad grad,
                                      const float* wt, const Tensor* owner, float* gx, float* gw,
                                      float* gb) {
  if (g.n == 0 || g.oh < 2 || g.ow < 2) return false;
  return run_backward_chunked(g, x, nullptr, wt, owner, gx, gw, gb, nullptr, &grad);
}

}  // namespace braid::kernels
