// Portable 2-D convolution: im2col + gemm_portable (see conv.hpp for the
// shapes and Note [deterministic conv]). Plain C++, so it is also the WASM
// path and the oracle the oneDNN kernels are tested against.
#include "kernels/portable/conv.hpp"

#include <algorithm>
#include <vector>

#include "braid/core/parallel.hpp"
#include "kernels/portable/conv_small_k.hpp"
#include "kernels/portable/gemm.hpp"

namespace braid::kernels {
namespace {

// Below this many multiply-adds a piece of work stays on one thread: waking
// the team costs more, and on a busy machine a barrier can wait for a whole
// time slice. Where the split falls never changes the bits.
constexpr int64_t kMinParallelMacs = int64_t{1} << 18;

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

// The outputs o in [lo, hi) whose tap o * stride + off lands inside [0, size).
struct TapRange {
  int64_t lo, hi;
};
TapRange tap_range(int64_t out, int64_t size, int64_t stride, int64_t off) {
  const int64_t lo = std::min(out, off >= 0 ? int64_t{0} : ceil_div(-off, stride));
  const int64_t hi = size - off <= 0 ? 0 : ceil_div(size - off, stride);
  return {lo, std::clamp(hi, lo, out)};
}

int64_t macs_per_image(const ConvGeom& g) {
  return std::max<int64_t>(1, g.c_out * g.k_g() * g.oh * g.ow);
}

// Images per parallel chunk for the per-image loops.
int64_t image_grain(const ConvGeom& g) {
  return std::max<int64_t>(1, kMinParallelMacs / macs_per_image(g));
}

// A 1x1 kernel with unit stride and no padding reads x as it is: the im2col
// matrix of a group is its (c_in_g, h * w) block, so no copy is made.
bool pointwise(const ConvGeom& g) {
  return g.kh == 1 && g.kw == 1 && g.sh == 1 && g.sw == 1 && g.ph == 0 && g.pw == 0 &&
         g.oh == g.h && g.ow == g.w;
}

// col (k_g, oh * ow), row (c, p, q) = the input samples tap (p, q) of channel
// c reads, 0 where the tap falls in the padding. xg is one image's group.
template <class T>
void im2col(const ConvGeom& g, const T* xg, T* col) {
  const int64_t ohw = g.oh * g.ow;
  for (int64_t c = 0; c < g.c_in_g(); ++c) {
    const T* xc = xg + c * g.h * g.w;
    for (int64_t p = 0; p < g.kh; ++p) {
      const TapRange ri = tap_range(g.oh, g.h, g.sh, p * g.dh - g.ph);
      for (int64_t q = 0; q < g.kw; ++q) {
        const int64_t off = q * g.dw - g.pw;
        const TapRange rj = tap_range(g.ow, g.w, g.sw, off);
        T* row = col + ((c * g.kh + p) * g.kw + q) * ohw;
        std::fill(row, row + ri.lo * g.ow, T{});
        for (int64_t i = ri.lo; i < ri.hi; ++i) {
          T* r = row + i * g.ow;
          const int64_t base = (i * g.sh - g.ph + p * g.dh) * g.w + off;
          std::fill(r, r + rj.lo, T{});
          for (int64_t j = rj.lo; j < rj.hi; ++j) r[j] = xc[base + j * g.sw];
          std::fill(r + rj.hi, r + g.ow, T{});
        }
        std::fill(row + ri.hi * g.ow, row + ohw, T{});
      }
    }
  }
}

// The adjoint of im2col: adds each col entry into the input sample it was
// read from. gxg must hold the running sum (zeros at first).
template <class T>
void col2im_add(const ConvGeom& g, const T* col, T* gxg) {
  const int64_t ohw = g.oh * g.ow;
  for (int64_t c = 0; c < g.c_in_g(); ++c) {
    T* xc = gxg + c * g.h * g.w;
    for (int64_t p = 0; p < g.kh; ++p) {
      const TapRange ri = tap_range(g.oh, g.h, g.sh, p * g.dh - g.ph);
      for (int64_t q = 0; q < g.kw; ++q) {
        const int64_t off = q * g.dw - g.pw;
        const TapRange rj = tap_range(g.ow, g.w, g.sw, off);
        const T* row = col + ((c * g.kh + p) * g.kw + q) * ohw;
        for (int64_t i = ri.lo; i < ri.hi; ++i) {
          const T* r = row + i * g.ow;
          const int64_t base = (i * g.sh - g.ph + p * g.dh) * g.w + off;
          for (int64_t j = rj.lo; j < rj.hi; ++j) xc[base + j * g.sw] += r[j];
        }
      }
    }
  }
}

// The im2col matrix of image `img`, group `grp`: x itself when pointwise,
// else built in this thread's buffer.
template <class T>
const T* columns(const ConvGeom& g, const T* x, int64_t img, int64_t grp) {
  const T* xg = x + (img * g.c_in + grp * g.c_in_g()) * g.h * g.w;
  if (pointwise(g)) return xg;
  thread_local std::vector<T> buf;
  buf.resize(static_cast<size_t>(g.k_g() * g.oh * g.ow));
  im2col(g, xg, buf.data());
  return buf.data();
}

// How many partial sums the weight gradient splits the batch into: enough
// to share out, none for small work, the partials capped near 64 MiB of
// doubles. A function of the shape only (Note [deterministic conv]).
int64_t weight_grad_chunks(const ConvGeom& g) {
  constexpr int64_t kMaxChunks = 16, kMaxPartialElems = int64_t{1} << 23;
  const int64_t wsize = std::max<int64_t>(1, g.c_out * g.k_g());
  const int64_t by_work = g.n * macs_per_image(g) / kMinParallelMacs;
  return std::clamp<int64_t>(std::min({kMaxChunks, kMaxPartialElems / wsize, by_work}), 1, g.n);
}

// weight_grad_range for short columns: lane-wise partial sums over the
// images, reduced once.
template <class T>
void small_k_weight_grad_range(const ConvGeom& g, const T* x, const T* gy, int64_t i0, int64_t i1,
                               T* dst) {
  const int64_t ohw = g.oh * g.ow, kg = g.k_g(), cog = g.c_out_g();
  constexpr int64_t L = small_k_lanes<T>();
  thread_local std::vector<T> part;
  part.assign(static_cast<size_t>(g.c_out * kg * L), T{});
  for (int64_t img = i0; img < i1; ++img)
    for (int64_t grp = 0; grp < g.groups; ++grp)
      small_k_outer_sums(cog, kg, ohw, gy + (img * g.c_out + grp * cog) * ohw,
                         columns(g, x, img, grp), part.data() + grp * cog * kg * L);
  small_k_reduce(g.c_out * kg, part.data(), dst);
}

// dst (c_out, k_g) = sum over images [i0, i1) of gy(img) @ columns(img)^T,
// per group; the first image overwrites.
template <class T>
void weight_grad_range(const ConvGeom& g, const T* x, const T* gy, int64_t i0, int64_t i1, T* dst) {
  const int64_t ohw = g.oh * g.ow, kg = g.k_g(), cog = g.c_out_g();
  if (kg <= kSmallK) return small_k_weight_grad_range(g, x, gy, i0, i1, dst);
  for (int64_t img = i0; img < i1; ++img) {
    for (int64_t grp = 0; grp < g.groups; ++grp) {
      GemmArgs a = gemm_args_row_major(cog, kg, ohw, img != i0);
      a.b_rs = 1, a.b_cs = ohw;  // columns^T: (ohw, k_g)
      gemm_portable<T>(a, gy + (img * g.c_out + grp * cog) * ohw, columns(g, x, img, grp),
                       dst + grp * cog * kg);
    }
  }
}

// y of image `img` = conv(x, wt) + bias: per group, wt_g @ columns.
template <class T>
void forward_image(const ConvGeom& g, const T* x, const T* wt, const T* bias, T* y, int64_t img) {
  const int64_t ohw = g.oh * g.ow, kg = g.k_g(), cog = g.c_out_g();
  for (int64_t grp = 0; grp < g.groups; ++grp) {
    T* yg = y + (img * g.c_out + grp * cog) * ohw;
    if (kg <= kSmallK) {
      small_k_product(cog, kg, ohw, wt + grp * cog * kg, columns(g, x, img, grp), bias + grp * cog,
                      yg);
      continue;
    }
    gemm_portable<T>(gemm_args_row_major(cog, ohw, kg), wt + grp * cog * kg,
                     columns(g, x, img, grp), yg);
    for (int64_t o = 0; o < cog; ++o) {
      const T bo = bias[grp * cog + o];
      for (int64_t j = 0; j < ohw; ++j) yg[o * ohw + j] += bo;
    }
  }
}

// gx of image `img`: per group, col = wt_g^T @ gy_g, then col2im (a
// pointwise convolution writes gx directly).
template <class T>
void input_grad_image(const ConvGeom& g, const T* gy, const T* wt, T* gx, int64_t img) {
  const int64_t ohw = g.oh * g.ow, hw = g.h * g.w, kg = g.k_g(), cog = g.c_out_g();
  T* gxi = gx + img * g.c_in * hw;
  const bool direct = pointwise(g);
  thread_local std::vector<T> col;
  col.resize(static_cast<size_t>(direct ? 0 : kg * ohw));
  if (!direct) std::fill(gxi, gxi + g.c_in * hw, T{});
  for (int64_t grp = 0; grp < g.groups; ++grp) {
    T* gxg = gxi + grp * g.c_in_g() * hw;
    const T* wg = wt + grp * cog * kg;
    const T* gyg = gy + (img * g.c_out + grp * cog) * ohw;
    if (kg <= kSmallK) {
      small_k_transposed_product(cog, kg, ohw, wg, gyg, direct ? gxg : col.data());
    } else {
      GemmArgs a = gemm_args_row_major(kg, ohw, cog);
      a.a_rs = 1, a.a_cs = kg;  // wt_g^T: (k_g, c_out_g)
      gemm_portable<T>(a, wg, gyg, direct ? gxg : col.data());
    }
    if (!direct) col2im_add(g, col.data(), gxg);
  }
}

}  // namespace

template <class T>
void conv2d_forward_portable(const ConvGeom& g, const T* x, const T* wt, const T* bias, T* y) {
  if (g.oh * g.ow == 0) return;
  parallel_for(g.n, image_grain(g), [&](int64_t b, int64_t e) {
    for (int64_t img = b; img < e; ++img) forward_image(g, x, wt, bias, y, img);
  });
}

template <class T>
void conv2d_input_grad_portable(const ConvGeom& g, const T* gy, const T* wt, T* gx) {
  parallel_for(g.n, image_grain(g), [&](int64_t b, int64_t e) {
    for (int64_t img = b; img < e; ++img) input_grad_image(g, gy, wt, gx, img);
  });
}

template <class T>
void conv2d_weight_grad_portable(const ConvGeom& g, const T* x, const T* gy, T* gw) {
  const int64_t wsize = g.c_out * g.k_g();
  if (g.n == 0 || g.oh * g.ow == 0) {
    std::fill(gw, gw + wsize, T{});
    return;
  }
  const int64_t chunks = weight_grad_chunks(g);
  // Chunk 0 sums straight into gw; the others into partials added in order.
  std::vector<T> partial(static_cast<size_t>((chunks - 1) * wsize));
  parallel_for(chunks, 1, [&](int64_t b, int64_t e) {
    for (int64_t c = b; c < e; ++c) {
      T* dst = c == 0 ? gw : partial.data() + (c - 1) * wsize;
      weight_grad_range(g, x, gy, c * g.n / chunks, (c + 1) * g.n / chunks, dst);
    }
  });
  parallel_for(wsize, 4096, [&](int64_t b, int64_t e) {
    for (int64_t c = 1; c < chunks; ++c) {
      const T* src = partial.data() + (c - 1) * wsize;
      for (int64_t i = b; i < e; ++i) gw[i] += src[i];
    }
  });
}

#define BRAID_CONV_INSTANTIATE(T)                                                              \
  template void conv2d_forward_portable<T>(const ConvGeom&, const T*, const T*, const T*, T*); \
  template void conv2d_input_grad_portable<T>(const ConvGeom&, const T*, const T*, T*);        \
  template void conv2d_weight_grad_portable<T>(const ConvGeom&, const T*, const T*, T*);
BRAID_CONV_INSTANTIATE(float)
BRAID_CONV_INSTANTIATE(double)
#undef BRAID_CONV_INSTANTIATE

}  // namespace braid::kernels
