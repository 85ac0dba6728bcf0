// Running a conv chain (Note [conv chains] in conv_chain_dnnl.cpp): one
// pipeline on raw buffers, and the three ways of sharing a batch out.
#include <omp.h>

#include <algorithm>
#include <cstring>

#include "braid/core/error.hpp"
#include "braid/core/parallel.hpp"
#include "kernels/x86/conv_chain_impl.hpp"
#include "kernels/x86/pool_x86.hpp"

namespace braid::kernels {

using namespace chain_detail;

namespace {

// braid's ReLU in place (relu_keep_nan), in blocks across `nthreads`; no
// OpenMP construct on one thread (see the pooling in run_pipeline).
void relu_inplace(float* p, int64_t n, int nthreads) {
  if (nthreads <= 1) {
    relu_keep_nan(p, n);
    return;
  }
  constexpr int64_t kBlock = 8192;
  const int64_t blocks = (n + kBlock - 1) / kBlock;
#pragma omp parallel for num_threads(nthreads) schedule(static)
  for (int64_t b = 0; b < blocks; ++b)
    relu_keep_nan(p + b * kBlock, std::min(kBlock, n - b * kBlock));
}

typedef float v16 __attribute__((vector_size(64)));

// conv 1 -> c (c % 16 == 0) 3x3, stride 1, no padding, one image x (h, w),
// into nChw16c y (c / 16, oh, ow, 16): bias, then the 9 taps in order, then
// braid's ReLU (NaN kept) when `relu`. Eight output pixels at a time, so
// eight independent accumulators keep the FMA units busy.
void first_layer_3x3(const float* x, const float* wp, const float* bias, float* y, int64_t w,
                     int64_t oh, int64_t ow, int64_t c, bool relu) {
  for (int64_t b = 0; b < c / 16; ++b) {
    v16 wv[9], bv;
    for (int t = 0; t < 9; ++t) std::memcpy(&wv[t], wp + (b * 9 + t) * 16, sizeof(v16));
    std::memcpy(&bv, bias + b * 16, sizeof bv);
    float* yb = y + b * oh * ow * 16;
    for (int64_t i = 0; i < oh; ++i) {
      for (int64_t j0 = 0; j0 < ow; j0 += 8) {
        const int64_t jn = std::min<int64_t>(8, ow - j0);
        v16 acc[8];
        for (int k = 0; k < 8; ++k) acc[k] = bv;
        for (int di = 0; di < 3; ++di)
          for (int dj = 0; dj < 3; ++dj) {
            const float* xr = x + (i + di) * w + j0 + dj;
            const v16 wt = wv[di * 3 + dj];
            for (int k = 0; k < 8; ++k)
              if (k < jn) acc[k] += xr[k] * wt;
          }
        for (int k = 0; k < jn; ++k) {
          v16 v = acc[k];
          if (relu) v = (v > v16{}) | (v != v) ? v : v16{};
          std::memcpy(yb + (i * ow + j0 + k) * 16, &v, sizeof v);
        }
      }
    }
  }
}

}  // namespace

void ConvChain::Impl::run_pipeline(const Pipeline& p, const float* x, float* y, float* w,
                                   int nthreads) const {
  dnnl::engine& e = dnnl_engine();
  dnnl::stream& s = dnnl_stream();
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
    if (L.first_layer) {
      const ConvGeom& g = convs[0].g;
      for (int64_t n = 0; n < p.images; ++n)
        first_layer_3x3(static_cast<const float*>(cur) + n * g.h * g.w,
                        static_cast<const float*>(L.packed.raw_data()), L.bias_ptr,
                        static_cast<float*>(dst) + n * g.c_out * g.oh * g.ow, g.w, g.oh, g.ow,
                        g.c_out, convs[0].relu);
      cur = dst;
      continue;
    }
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
  auto one = [&](int64_t q) {
    float* out = y + (q / cb) * lg.c_out * ohw + (p.c0 + 16 * (q % cb)) * ohw;
    max_pool2x2_nchw16c(src + q * in_plane, out, lg.ow, oh, ow, pool_relu);
  };
  // No OpenMP construct at all on one thread: inside the chunks' parallel
  // region even an if(false) one makes libgomp set up a nested team, which
  // cost more than this pooling (3-4 us a call at batch 1).
  if (nthreads <= 1) {
    for (int64_t q = 0; q < planes; ++q) one(q);
    return;
  }
#pragma omp parallel for num_threads(nthreads) schedule(static)
  for (int64_t q = 0; q < planes; ++q) one(q);
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
    m.run_pipeline(p, x + c * m.chunk * in_img, y + c * m.chunk * out_img, ws(omp_get_thread_num()),
                   1);
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
    default: return fmt::format("whole batch on {} threads;{}", m.threads, algs);
  }
}

}  // namespace braid::kernels
