// Convolution weights in the layout a oneDNN primitive wants, reordered once
// per weight version rather than on every call (conv_dnnl.cpp).
//
// Note [cached weight reorders]: a blocked or Winograd convolution wants its
// weights as OIhw16i16o-like blocks, so each call reorders braid's OIHW
// weights first: a few microseconds, next to ~60 us for the whole MNIST
// conv2 at batch 1. Inference and a training step's forward and input
// gradient read the same weights, so the reordered copy is kept, keyed by the
// weight's storage (held weakly: a freed tensor never matches) and the
// data pointer, and valid while the storage's version counter (Note [version
// counter]) is unchanged: every in-place write braid makes (copy_, fill_,
// the optimizers' steps, load_state_dict) bumps it. A write through a raw
// pointer that does not bump it would go unseen, as with PyTorch's saved-
// tensor checks. A reorder is an exact copy, so a cached copy gives the same
// bits as a fresh one.
#pragma once

#include <dnnl.hpp>

#include "braid/core/tensor.hpp"

namespace braid::kernels {

/// The weights at `user` (described by `user_desc`) in layout `inner`, made
/// by `convert`. With `owner` (the tensor whose data `user` is), the result
/// is cached per owner version; without, reordered now. The returned tensor
/// keeps the buffer alive while the caller uses it.
Tensor weights_in_layout(const dnnl::engine& engine, dnnl::stream& stream,
                         const dnnl::reorder& convert, const dnnl::memory::desc& user_desc,
                         const dnnl::memory::desc& inner, const float* user, const Tensor* owner);

/// Number of cached weight copies (for tests).
size_t cached_weight_count();

}  // namespace braid::kernels
