// A chain of fp32 convolutions, each with its bias and an optional ReLU,
// optionally followed by a 2x2 stride-2 max pooling, run by oneDNN with the
// activations kept in oneDNN's own (blocked) layout from the first
// convolution to the pooling: the compiled path's conv -> relu -> conv ->
// relu -> max_pool2d (the MNIST CNN). See Note [conv chains] in
// conv_chain_dnnl.cpp.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "kernels/portable/conv.hpp"

namespace braid::kernels {

/// One convolution of a chain: its geometry (g.n: the whole batch), OIHW
/// weights and (c_out) bias (may be null), and whether ReLU follows.
/// Weights and bias are copied when the chain is made.
struct ChainConv {
  ConvGeom g;
  const float* weight = nullptr;
  const float* bias = nullptr;
  bool relu = false;
};

class ConvChain {
 public:
  /// The chain for `convs` (each reading the one before's output) and, with
  /// `pool`, a 2x2 stride-2 max pooling of the last output (floor sizes);
  /// nullptr when oneDNN has no fast kernel for some convolution, the
  /// shapes do not chain, or the core lacks AVX-512 (the caller then runs
  /// the steps one by one). x: NCHW input; y: NCHW output (pooled with
  /// `pool`).
  static std::unique_ptr<ConvChain> make(const std::vector<ChainConv>& convs, bool pool);
  ~ConvChain();
  ConvChain(const ConvChain&) = delete;
  ConvChain& operator=(const ConvChain&) = delete;

  /// Runs on get_num_threads() threads (rebuilding the primitives when that
  /// changed since the last call). Not safe to call from two threads at once.
  void run(const float* x, float* y);
  /// "chunks of 4 images (1 thread each)" or "whole batch on 2 threads"; the
  /// algorithm per convolution.
  std::string describe() const;

  struct Impl;

 private:
  explicit ConvChain(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace braid::kernels
