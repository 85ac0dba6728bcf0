// Internal to conv_chain_dnnl.cpp (making a chain) and conv_chain_run.cpp
// (running it): the chain's state. See Note [conv chains].
#pragma once

#include <optional>
#include <vector>

#include <dnnl.hpp>

#include "braid/core/tensor.hpp"
#include "kernels/x86/conv_chain_dnnl.hpp"
#include "kernels/x86/dnnl_context.hpp"

namespace braid::kernels {

namespace chain_detail {
using dnnl::memory;
using Tag = memory::format_tag;

inline memory::desc nchw(int64_t n, int64_t c, int64_t h, int64_t w, Tag tag = Tag::nchw) {
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

}  // namespace chain_detail

struct ConvChain::Impl {
  using memory = dnnl::memory;

  struct Layer {
    dnnl::convolution_forward prim;
    memory::desc src, wei, bias, dst, scratch, next_src;
    Tensor weight;  // in `wei`'s layout
    int64_t dst_off = -1, next_off = -1;
    std::optional<dnnl::reorder> to_next;  // dst -> the next layer's src
    bool winograd = false;
    bool relu_pass = false;  // braid's ReLU over dst after the primitive
    const float* bias_ptr = nullptr;
    // Run by first_layer_3x3 (conv_chain_run.cpp) instead of `prim`, with
    // `packed` weights (c_out / 16, 9, 16) and the ReLU inside.
    bool first_layer = false;
    Tensor packed;
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

  std::vector<ChainConv> convs;          // pointing into `owned`
  std::vector<Tensor> owned;             // copies of the weights and biases (zeros if none)
  bool pool = false, pool_relu = false;  // the last conv's ReLU, applied by the pooling
  int64_t batch = 0, chunk = 0;          // images per chunk
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

}  // namespace braid::kernels
