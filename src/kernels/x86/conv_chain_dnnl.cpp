// Convolution chains through oneDNN (conv_chain_dnnl.hpp).
//
// Note [conv chains]
// Run one layer at a time, the MNIST CNN's conv -> relu -> conv -> relu ->
// max_pool2d at batch 256 spent its time (perf cpu-clock, issue 6) as:
// oneDNN 56 % (of which the blocked -> NCHW reorders of both conv outputs
// 3-10 ms per batch), max pooling 21 %, ReLU 9 %: every pass but the
// convolutions themselves streams a whole activation (38 MB for conv2's
// output) through memory. A chain instead
//   * keeps the activations in the layout oneDNN picks (nChw16c) from the
//     first convolution's output to the pooling: no reorder between the
//     layers (one is inserted only where two layers want different ones);
//   * applies bias and ReLU inside the convolution (an eltwise post-op),
//     while each output block is in registers;
//   * pools straight from the blocked layout into braid's NCHW output;
//   * runs the batch in chunks of a few images, each chunk start to end by
//     one thread with single-thread primitives (as Note [chunked oneDNN
//     runs] in conv_dnnl.cpp), so a chunk's activations stay in that core's
//     L2 between the layers instead of going to memory and back.
// Batches with fewer than two chunks per thread run as one chunk across the
// team instead, with the direct kernel rather than Winograd where there are
// fewer images than threads (Winograd splits the work by image).
// Determinism: chunks are fixed by the shape, so at a fixed thread count
// (and for every thread count that chunks) the bits are the same run to
// run. They differ from the layer-by-layer path's in the last bits: other
// primitives (another batch size, the fused ReLU) may block the sums
// differently.
#include "kernels/x86/conv_chain_dnnl.hpp"

#include <omp.h>

#include <algorithm>
#include <cstdlib>  // W3 TEMP
#include <cstring>
#include <optional>
#include <unordered_map>

#include <dnnl.hpp>
#include "braid/core/error.hpp"
#include "braid/core/parallel.hpp"
#include "braid/core/tensor.hpp"
#include "kernels/x86/conv_dnnl.hpp"
#include "kernels/x86/pool_x86.hpp"

namespace braid::kernels {

using dnnl::memory;
using Tag = memory::format_tag;

namespace {

dnnl::engine& engine() {
  static dnnl::engine e(dnnl::engine::kind::cpu, 0);
  return e;
}

dnnl::stream& stream() {
  thread_local dnnl::stream s(engine());
  return s;
}

// oneDNN fixes a kernel's thread partition from omp_get_max_threads() when a
// primitive is created; this sets it for the creating thread meanwhile.
class CreationThreads {
 public:
  explicit CreationThreads(int n) : saved_(omp_get_max_threads()) { omp_set_num_threads(n); }
  ~CreationThreads() { omp_set_num_threads(saved_); }
  CreationThreads(const CreationThreads&) = delete;
  CreationThreads& operator=(const CreationThreads&) = delete;

 private:
  int saved_;
};

memory::desc nchw(int64_t n, int64_t c, int64_t h, int64_t w, Tag tag = Tag::nchw) {
  return memory::desc({n, c, h, w}, memory::data_type::f32, tag);
}

// Float offsets into a run's workspace, each 64-byte aligned; -1: unused.
struct Slots {
  int64_t total = 0;
  int64_t take(size_t bytes) {
    const int64_t off = total;
    total += (static_cast<int64_t>(bytes) / 4 + 16) / 16 * 16;
    return off;
  }
};

}  // namespace

struct ConvChain::Impl {
  struct Layer {
    dnnl::convolution_forward prim;
    memory::desc src, wei, bias, dst, scratch, next_src;
    Tensor weight;  // in `wei`'s layout
    int64_t dst_off = -1, next_off = -1;
    std::optional<dnnl::reorder> to_next;  // dst -> the next layer's src
    bool winograd = false;
    bool relu_pass = false;  // braid's ReLU over dst after the primitive
    const float* bias_ptr = nullptr;
  };
  // The primitives for `images` images on `threads` threads; the last
  // conv's output channels [c0, c0 + cp) of c_out (all but in Split mode).
  struct Pipeline {
    int64_t images = 0, c0 = 0, cp = 0;
    std::vector<Layer> layers;
    std::optional<dnnl::reorder> in_convert, out_convert;
    int64_t in_off = -1, out_off = -1, scratch_off = 0, ws_floats = 0;
  };
  // How a batch is shared out (Note [conv chains]):
  //   Chunked: chunks of `chunk` images, each start to end on one thread
  //            (pipes: the full chunk, then the tail chunk when smaller);
  //   Split:   each thread runs every layer on the whole batch but only its
  //            share of the last conv's output channels (pipes: one per
  //            thread), when the earlier layers are cheap next to the last;
  //   Team:    one pipeline with primitives for all threads.
  enum class Mode { Chunked, Split, Team };

  std::vector<ChainConv> convs;  // pointing into `owned`
  std::vector<Tensor> owned;     // copies of the weights and biases (zeros if none)
  bool pool = false, pool_relu = false;  // the last conv's ReLU, applied by the pooling
  int64_t batch = 0, chunk = 0;  // images per chunk
  int threads = 0;
  Mode mode = Mode::Team;
  std::vector<Pipeline> pipes;
  std::vector<Tensor> ws;  // per thread (one in Team mode)

  std::optional<Pipeline> pipeline(int64_t images, int nthreads, int64_t c0, int64_t cp) const;
  std::optional<Pipeline> pipeline_or_throw(int64_t images, int nthreads, int64_t c0,
                                            int64_t cp) const;
  bool build(int nthreads);
  void run_pipeline(const Pipeline& p, const float* x, float* y, float* w, int nthreads) const;
};

namespace {

// braid's ReLU in place (x > 0 or NaN keeps x, else +0). oneDNN's ReLU
// post-op is max(x, 0), which turns NaN into 0; eager braid keeps it.
void relu_inplace(float* p, int64_t n, int nthreads) {
  constexpr int64_t kBlock = 8192;
  const int64_t blocks = (n + kBlock - 1) / kBlock;
#pragma omp parallel for num_threads(nthreads) schedule(static) if (nthreads > 1)
  for (int64_t b = 0; b < blocks; ++b) {
    float* q = p + b * kBlock;
    const int64_t len = std::min(kBlock, n - b * kBlock);
    for (int64_t i = 0; i < len; ++i) q[i] = q[i] > 0.0f || q[i] != q[i] ? q[i] : 0.0f;
  }
}

}  // namespace

// Nothing when oneDNN cannot make some primitive or reorder.
std::optional<ConvChain::Impl::Pipeline> ConvChain::Impl::pipeline(int64_t images,
                                                                   int nthreads, int64_t c0,
                                                                   int64_t cp) const {
  try {
    return pipeline_or_throw(images, nthreads, c0, cp);
  } catch (const dnnl::error&) {
    return std::nullopt;
  }
}

std::optional<ConvChain::Impl::Pipeline> ConvChain::Impl::pipeline_or_throw(
    int64_t images, int nthreads, int64_t c0, int64_t cp) const {
  using namespace dnnl;
  Pipeline p;
  p.images = images, p.c0 = c0, p.cp = cp;
  Slots slots;
  size_t scratch = 0;
  CreationThreads t(nthreads);
  for (size_t i = 0; i < convs.size(); ++i) {
    ConvGeom g = convs[i].g;
    g.n = images;
    const bool last_layer = i + 1 == convs.size();
    if (last_layer) g.c_out = cp;
    const memory::desc src = nchw(g.n, g.c_in, g.h, g.w, Tag::any),
                       dst = nchw(g.n, g.c_out, g.oh, g.ow, Tag::any),
                       wei({g.c_out, g.c_in, g.kh, g.kw}, memory::data_type::f32, Tag::any),
                       bias({g.c_out}, memory::data_type::f32, Tag::x);
    primitive_attr attr;
    attr.set_scratchpad_mode(scratchpad_mode::user);
    const bool last_pooled = pool && last_layer;
    const bool post_op = std::getenv("W3_POSTOP") != nullptr;  // W3 TEMP
    if (convs[i].relu && post_op) {
      post_ops ops;
      ops.append_eltwise(1.0f, algorithm::eltwise_relu, 0.0f, 0.0f);
      attr.set_post_ops(ops);
    }
    auto make_pd = [&](algorithm alg) {
      return convolution_forward::primitive_desc(
          {prop_kind::forward_inference, alg, src, wei, bias, dst, {g.sh, g.sw},
           {g.dh - 1, g.dw - 1}, {g.ph, g.pw}, {g.pad_bottom(), g.pad_right()}},
          attr, engine());
    };
    // Winograd splits the team by image: with fewer images than threads the
    // direct kernel is faster (conv_dnnl.cpp, run_kind).
    std::optional<convolution_forward::primitive_desc> pd;
    Layer L;
    L.relu_pass = convs[i].relu && !post_op && !last_pooled;
    if (conv2d_winograd_x86(g) && images >= nthreads && !std::getenv("W3_DIRECT")) {  // W3 TEMP
      try {
        pd = make_pd(algorithm::convolution_winograd);
        L.winograd = true;
      } catch (const dnnl::error&) {
      }
    }
    if (!pd) pd = make_pd(algorithm::convolution_direct);
    // Only oneDNN's reference loop: the layer-by-layer path does better.
    if (std::string(pd->impl_info_str()).rfind("ref", 0) == 0) return std::nullopt;
    L.prim = convolution_forward(*pd);
    L.src = pd->src_desc(), L.wei = pd->weights_desc(), L.bias = pd->bias_desc();
    L.dst = pd->dst_desc(), L.scratch = pd->scratchpad_desc();
    scratch = std::max(scratch, L.scratch.get_size());
    // The weights, once, in the primitive's layout (an exact copy).
    L.weight = empty({static_cast<int64_t>(L.wei.get_size() / 4) + 1});
    const memory::desc user_w({g.c_out, g.c_in, g.kh, g.kw}, memory::data_type::f32, Tag::oihw);
    const float* wsrc = convs[i].weight + (last_layer ? c0 * g.c_in * g.kh * g.kw : 0);
    L.bias_ptr = convs[i].bias + (last_layer ? c0 : 0);
    memory uw(user_w, engine(), const_cast<float*>(wsrc));
    memory iw(L.wei, engine(), L.weight.raw_data());
    reorder(uw, iw).execute(stream(), uw, iw);
    if (i == 0) {
      const memory::desc user = nchw(g.n, g.c_in, g.h, g.w);
      if (L.src != user) {
        p.in_convert = reorder({engine(), user, engine(), L.src});
        p.in_off = slots.take(L.src.get_size());
      }
    } else {
      Layer& prev = p.layers.back();
      if (prev.dst != L.src) {
        prev.to_next = reorder({engine(), prev.dst, engine(), L.src});
        prev.next_src = L.src;
        prev.next_off = slots.take(L.src.get_size());
      }
    }
    p.layers.push_back(std::move(L));
  }
  stream().wait();
  Layer& last = p.layers.back();
  const ConvGeom& lg = convs.back().g;
  const memory::desc out = nchw(images, cp, lg.oh, lg.ow);
  if (pool) {
    // The pooling reads nChw16c; any other layout is reordered to it first.
    const memory::desc blocked = nchw(images, cp, lg.oh, lg.ow, Tag::nChw16c);
    last.dst_off = slots.take(last.dst.get_size());
    if (last.dst != blocked) {
      p.out_convert = reorder({engine(), last.dst, engine(), blocked});
      p.out_off = slots.take(blocked.get_size());
    }
  } else if (last.dst != out) {
    last.dst_off = slots.take(last.dst.get_size());
    p.out_convert = reorder({engine(), last.dst, engine(), out});
  }
  for (size_t i = 0; i + 1 < p.layers.size(); ++i)
    p.layers[i].dst_off = slots.take(p.layers[i].dst.get_size());
  p.scratch_off = slots.take(scratch);
  p.ws_floats = slots.total;
  return p;
}

bool ConvChain::Impl::build(int nthreads) {
  // Images per chunk: the chunk's activations (all layers) in about 1 MiB,
  // one core's L2 here. A function of the shapes only.
  const int64_t kChunkBytes = std::getenv("W3_CHUNK") ? std::atoll(std::getenv("W3_CHUNK")) : int64_t{1} << 20;  // W3 TEMP
  int64_t per_image = convs[0].g.c_in * convs[0].g.h * convs[0].g.w;
  for (const ChainConv& c : convs) per_image += c.g.c_out * c.g.oh * c.g.ow;
  chunk = std::clamp<int64_t>(kChunkBytes / (4 * per_image), 1, batch);
  const int64_t chunks = (batch + chunk - 1) / chunk;
  // Split pays for the earlier layers once per thread: only where they are
  // cheap (MNIST: conv1 is 2 % of conv2's multiply-adds).
  auto macs = [](const ConvGeom& g) { return g.c_out * g.oh * g.ow * g.k_g(); };
  int64_t before = 0;
  for (size_t i = 0; i + 1 < convs.size(); ++i) before += macs(convs[i].g);
  const ConvGeom& lg = convs.back().g;
  const int64_t blocks = lg.c_out / 16;
  const int parts = static_cast<int>(std::min<int64_t>(nthreads, blocks));
  mode = nthreads == 1 || chunks >= 2 * nthreads ? Mode::Chunked
         : pool && parts >= 2 && 8 * before <= macs(lg) && !std::getenv("W3_TEAM") ? Mode::Split  // W3 TEMP
                                                            : Mode::Team;
  std::vector<Pipeline> made;
  auto add = [&](int64_t images, int t, int64_t c0, int64_t cp) {
    std::optional<Pipeline> p = pipeline(images, t, c0, cp);
    if (p) made.push_back(std::move(*p));
    return p.has_value();
  };
  if (mode == Mode::Chunked) {
    const int64_t rest = batch - (chunks - 1) * chunk;
    if (!add(chunk, 1, 0, lg.c_out) || (rest != chunk && !add(rest, 1, 0, lg.c_out))) return false;
  } else if (mode == Mode::Split) {
    // Blocks of 16 channels, the first threads taking one more when uneven.
    int64_t c0 = 0;
    for (int t = 0; t < parts; ++t) {
      const int64_t cp = 16 * (blocks / parts + (t < blocks % parts ? 1 : 0));
      if (!add(batch, 1, c0, cp)) return false;
      c0 += cp;
    }
  } else if (!add(batch, nthreads, 0, lg.c_out)) {
    return false;
  }
  pipes = std::move(made);
  int64_t floats = 0;
  for (const Pipeline& p : pipes) floats = std::max(floats, p.ws_floats);
  ws.clear();
  for (int k = 0; k < (mode == Mode::Team ? 1 : nthreads); ++k) ws.push_back(empty({floats}));
  threads = nthreads;
  return true;
}

void ConvChain::Impl::run_pipeline(const Pipeline& p, const float* x, float* y, float* w,
                                   int nthreads) const {
  dnnl::engine& e = engine();
  dnnl::stream& s = stream();
  auto at = [&](int64_t off) { return static_cast<void*>(w + off); };
  const ConvGeom& g0 = convs[0].g;
  void* cur = const_cast<float*>(x);  // oneDNN never writes its sources
  if (p.in_convert) {
    const memory::desc user = nchw(p.images, g0.c_in, g0.h, g0.w);
    memory from(user, e, cur), to(p.layers[0].src, e, at(p.in_off));
    p.in_convert->execute(s, from, to);
    cur = at(p.in_off);
  }
  for (size_t i = 0; i < p.layers.size(); ++i) {
    const Layer& L = p.layers[i];
    void* dst = L.dst_off >= 0 ? at(L.dst_off) : y;
    L.prim.execute(s, {{DNNL_ARG_SRC, memory(L.src, e, cur)},
                       {DNNL_ARG_WEIGHTS, memory(L.wei, e, L.weight.raw_data())},
                       {DNNL_ARG_BIAS, memory(L.bias, e, const_cast<float*>(L.bias_ptr))},
                       {DNNL_ARG_DST, memory(L.dst, e, dst)},
                       {DNNL_ARG_SCRATCHPAD, memory(L.scratch, e, at(p.scratch_off))}});
    cur = dst;
    if (L.relu_pass && i + 1 < p.layers.size()) {
      s.wait();
      relu_inplace(static_cast<float*>(cur), L.dst.get_size() / 4, nthreads);
    }
    if (L.to_next) {
      memory from(L.dst, e, cur), to(L.next_src, e, at(L.next_off));
      L.to_next->execute(s, from, to);
      cur = at(L.next_off);
    }
  }
  const Layer& last = p.layers.back();
  const ConvGeom& lg = convs.back().g;
  if (p.out_convert) {
    const memory::desc want = pool ? nchw(p.images, p.cp, lg.oh, lg.ow, Tag::nChw16c)
                                   : nchw(p.images, p.cp, lg.oh, lg.ow);
    void* dst = pool ? at(p.out_off) : y;
    memory from(last.dst, e, cur), to(want, e, dst);
    p.out_convert->execute(s, from, to);
    cur = dst;
  }
  s.wait();
  if (!pool) {
    if (last.relu_pass) relu_inplace(y, p.images * lg.c_out * lg.oh * lg.ow, nthreads);
    return;
  }
  // Block q of 16 channels of image q / cb: channels c0 + 16 (q % cb) on.
  const int64_t cb = p.cp / 16, oh = lg.oh / 2, ow = lg.ow / 2;
  const int64_t in_plane = lg.oh * lg.ow * 16, ohw = oh * ow;
  const float* src = static_cast<const float*>(cur);
  const int64_t planes = p.images * cb;
#pragma omp parallel for num_threads(nthreads) schedule(static) if (nthreads > 1)
  for (int64_t q = 0; q < planes; ++q) {
    float* out = y + (q / cb) * lg.c_out * ohw + (p.c0 + 16 * (q % cb)) * ohw;
    max_pool2x2_nchw16c(src + q * in_plane, out, lg.ow, oh, ow, pool_relu);
  }
}

ConvChain::ConvChain(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ConvChain::~ConvChain() = default;

std::unique_ptr<ConvChain> ConvChain::make(const std::vector<ChainConv>& convs, bool pool) {
  static const bool avx512 = __builtin_cpu_supports("avx512f");
  if (!avx512 || convs.empty()) return nullptr;
  auto impl = std::make_unique<Impl>();
  impl->pool = pool;
  impl->pool_relu = pool && convs.back().relu;
  impl->batch = convs[0].g.n;
  for (size_t i = 0; i < convs.size(); ++i) {
    const ConvGeom& g = convs[i].g;
    if (g.groups != 1 || g.n != impl->batch || g.n <= 0 || g.oh <= 0 || g.ow <= 0 ||
        g.pad_bottom() < 0 || g.pad_right() < 0)
      return nullptr;
    if (i > 0) {
      const ConvGeom& p = convs[i - 1].g;
      if (g.c_in != p.c_out || g.h != p.oh || g.w != p.ow) return nullptr;
    }
  }
  const ConvGeom& lg = convs.back().g;
  if (pool && (lg.c_out % 16 != 0 || lg.oh < 2 || lg.ow < 2)) return nullptr;
  for (const ChainConv& c : convs) {
    ChainConv own = c;
    const int64_t wn = c.g.c_out * c.g.c_in * c.g.kh * c.g.kw;
    Tensor w = empty({wn}), b = empty({c.g.c_out});
    std::memcpy(w.raw_data(), c.weight, static_cast<size_t>(wn) * sizeof(float));
    if (c.bias)
      std::memcpy(b.raw_data(), c.bias, static_cast<size_t>(c.g.c_out) * sizeof(float));
    else
      std::memset(b.raw_data(), 0, static_cast<size_t>(c.g.c_out) * sizeof(float));
    own.weight = static_cast<const float*>(w.raw_data());
    own.bias = static_cast<const float*>(b.raw_data());
    impl->owned.push_back(w), impl->owned.push_back(b);
    impl->convs.push_back(own);
  }
  if (!impl->build(get_num_threads())) return nullptr;
  return std::unique_ptr<ConvChain>(new ConvChain(std::move(impl)));
}

void ConvChain::run(const float* x, float* y) {
  Impl& m = *impl_;
  const int nthreads = get_num_threads();
  BRAID_CHECK(nthreads == m.threads || m.build(nthreads), ValueError, "conv chain",
              "oneDNN refused at {} threads the convolutions it made at {}", nthreads, m.threads);
  auto ws = [&](int t) { return static_cast<float*>(m.ws[t].raw_data()); };
  if (m.mode == Impl::Mode::Team) {
    m.run_pipeline(m.pipes[0], x, y, ws(0), nthreads);
    return;
  }
  if (m.mode == Impl::Mode::Split) {
    const int parts = static_cast<int>(m.pipes.size());
#pragma omp parallel for num_threads(parts) schedule(static)
    for (int t = 0; t < parts; ++t) m.run_pipeline(m.pipes[t], x, y, ws(t), 1);
    return;
  }
  const ConvGeom& g0 = m.convs[0].g;
  const ConvGeom& lg = m.convs.back().g;
  const int64_t in_img = g0.c_in * g0.h * g0.w;
  const int64_t out_img = m.pool ? lg.c_out * (lg.oh / 2) * (lg.ow / 2) : lg.c_out * lg.oh * lg.ow;
  const int64_t chunks = (m.batch + m.chunk - 1) / m.chunk;
#pragma omp parallel for num_threads(nthreads) schedule(dynamic)
  for (int64_t c = 0; c < chunks; ++c) {
    const Impl::Pipeline& p = c == chunks - 1 ? m.pipes.back() : m.pipes[0];
    m.run_pipeline(p, x + c * m.chunk * in_img, y + c * m.chunk * out_img,
                   ws(omp_get_thread_num()), 1);
  }
}

std::string ConvChain::describe() const {
  const Impl& m = *impl_;
  std::string algs;
  for (const Impl::Layer& L : m.pipes[0].layers) algs += L.winograd ? " winograd" : " direct";
  switch (m.mode) {
    case Impl::Mode::Chunked:
      return fmt::format("chunks of {} images, one thread each;{}", m.chunk, algs);
    case Impl::Mode::Split:
      return fmt::format("last conv's channels split over {} threads;{}", m.pipes.size(), algs);
    default:
      return fmt::format("whole batch on {} threads;{}", m.threads, algs);
  }
}

}  // namespace braid::kernels
