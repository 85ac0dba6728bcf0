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
//   * adds the bias inside the convolution, and runs braid's ReLU on each
//     intermediate while it is in cache; not oneDNN's ReLU post-op, which
//     is max(x, 0) and turns NaN into 0 where braid keeps it. The last
//     conv's ReLU is applied to the pooled values instead (Note [relu after
//     max pooling], compile/plan.cpp), inside the pooling loop;
//   * pools straight from the blocked layout into braid's NCHW output;
//   * runs a single-channel 3x3 first layer (MNIST's conv1) with its own
//     kernel (first_layer_3x3, conv_chain_run.cpp) where the next layer
//     reads nChw16c: it writes that layout with bias and ReLU in one pass,
//     where oneDNN's direct kernel took ~8 us an image (4 images a chunk:
//     ~6 us) for 0.2 M multiply-adds;
//   * shares the batch out in one of three ways (Impl::Mode):
//     Chunked: chunks of a few images (about 1 MiB of activations), each
//       start to end on one thread with single-thread primitives (as Note
//       [chunked oneDNN runs] in conv_dnnl.cpp), so a chunk's activations
//       stay in that core's L2 between the layers;
//     Split: with fewer than two chunks per thread (batch 1), each thread
//       runs the earlier layers on the whole batch (when they are cheap: the
//       MNIST conv1 is 2 % of conv2's multiply-adds) and the last conv on its
//       share of the output channels, in one parallel region: no barrier
//       between the layers, and each thread's output stays in its cache;
//     Team: otherwise, one pipeline with primitives for all threads.
//   Winograd wherever the layer allows it and each primitive has at least
//   one image per thread (it splits its work by image).
// MNIST CNN compiled, 2 threads, medians of 5 interleaved runs (load < 1):
// batch 256 24.5 k images/s (layer by layer: 13.8 k; ONNX Runtime 15.2 k),
// batch 1 85 us (174 us; ONNX Runtime 132 us).
// Determinism: the modes, chunks and channel splits depend only on the
// shapes and the thread count, so results are bit-identical run to run at a
// fixed thread count. They differ from the layer-by-layer path's in the last
// bits: other primitives (another batch size, Winograd at batch 1) block the
// sums differently.
#include "kernels/x86/conv_chain_dnnl.hpp"

#include <algorithm>
#include <cstring>

#include "braid/core/parallel.hpp"
#include "kernels/x86/conv_chain_impl.hpp"
#include "kernels/x86/conv_dnnl.hpp"

namespace braid::kernels {

using namespace chain_detail;

// Nothing when oneDNN cannot make some primitive or reorder.
std::optional<ConvChain::Impl::Pipeline> ConvChain::Impl::pipeline(int64_t images, int nthreads,
                                                                   int64_t c0, int64_t cp) const {
  try {
    return pipeline_or_throw(images, nthreads, c0, cp);
  } catch (const dnnl::error&) {
    return std::nullopt;
  }
}

std::optional<ConvChain::Impl::Pipeline> ConvChain::Impl::pipeline_or_throw(int64_t images,
                                                                            int nthreads,
                                                                            int64_t c0,
                                                                            int64_t cp) const {
  using namespace dnnl;
  Pipeline p;
  p.images = images, p.c0 = c0, p.cp = cp;
  Slots slots;
  size_t scratch = 0;
  ScopedThreads t(nthreads);
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
    auto make_pd = [&](algorithm alg) {
      return convolution_forward::primitive_desc({prop_kind::forward_inference,
                                                  alg,
                                                  src,
                                                  wei,
                                                  bias,
                                                  dst,
                                                  {g.sh, g.sw},
                                                  {g.dh - 1, g.dw - 1},
                                                  {g.ph, g.pw},
                                                  {g.pad_bottom(), g.pad_right()}},
                                                 attr, dnnl_engine());
    };
    // Winograd splits the team by image: with fewer images than threads the
    // direct kernel is faster (conv_dnnl.cpp, run_kind).
    std::optional<convolution_forward::primitive_desc> pd;
    Layer L;
    L.relu_pass = convs[i].relu && !last_pooled;
    if (conv2d_winograd_x86(g) && images >= nthreads) {
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
    memory uw(user_w, dnnl_engine(), const_cast<float*>(wsrc));
    memory iw(L.wei, dnnl_engine(), L.weight.raw_data());
    reorder(uw, iw).execute(dnnl_stream(), uw, iw);
    if (i == 0) {
      const memory::desc user = nchw(g.n, g.c_in, g.h, g.w);
      if (L.src != user) {
        p.in_convert = reorder({dnnl_engine(), user, dnnl_engine(), L.src});
        p.in_off = slots.take(L.src.get_size());
      }
    } else {
      Layer& prev = p.layers.back();
      // A single-channel 3x3 first layer feeding nChw16c: our own kernel,
      // which writes that layout with bias and ReLU in one pass (oneDNN's
      // direct kernel took 8 us an image for it; Note [conv chains]).
      const ConvGeom& g0 = convs[0].g;
      const memory::desc want = nchw(g.n, g.c_in, g.h, g.w, Tag::nChw16c);
      if (i == 1 && nthreads == 1 && L.src == want && g0.c_in == 1 && g0.kh == 3 && g0.kw == 3 &&
          g0.sh == 1 && g0.sw == 1 && g0.dh == 1 && g0.dw == 1 && g0.ph == 0 && g0.pw == 0 &&
          g0.c_out % 16 == 0) {
        prev.first_layer = true, prev.dst = want, prev.relu_pass = false;
        p.in_convert.reset();  // it reads braid's NCHW input as it is
        prev.packed = empty({g0.c_out * 9});
        float* pk = static_cast<float*>(prev.packed.raw_data());
        for (int64_t c = 0; c < g0.c_out; ++c)
          for (int t = 0; t < 9; ++t)
            pk[((c / 16) * 9 + t) * 16 + c % 16] = convs[0].weight[c * 9 + t];
      }
      if (prev.dst != L.src) {
        prev.to_next = reorder({dnnl_engine(), prev.dst, dnnl_engine(), L.src});
        prev.next_src = L.src;
        prev.next_off = slots.take(L.src.get_size());
      }
    }
    p.layers.push_back(std::move(L));
  }
  dnnl_stream().wait();
  Layer& last = p.layers.back();
  const ConvGeom& lg = convs.back().g;
  const memory::desc out = nchw(images, cp, lg.oh, lg.ow);
  if (pool) {
    // The pooling reads nChw16c; any other layout is reordered to it first.
    const memory::desc blocked = nchw(images, cp, lg.oh, lg.ow, Tag::nChw16c);
    last.dst_off = slots.take(last.dst.get_size());
    if (last.dst != blocked) {
      p.out_convert = reorder({dnnl_engine(), last.dst, dnnl_engine(), blocked});
      p.out_off = slots.take(blocked.get_size());
    }
  } else if (last.dst != out) {
    last.dst_off = slots.take(last.dst.get_size());
    p.out_convert = reorder({dnnl_engine(), last.dst, dnnl_engine(), out});
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
  // (0.5 to 4 MiB measured within noise of each other at batch 256.)
  constexpr int64_t kChunkBytes = int64_t{1} << 20;
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
  mode = nthreads == 1 || chunks >= 2 * nthreads        ? Mode::Chunked
         : pool && parts >= 2 && 8 * before <= macs(lg) ? Mode::Split
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

}  // namespace braid::kernels
