#pragma once
/// The graph passes of braid::compile. Each is a small function over a
/// runtime::Graph and keeps it a valid graph of registry ops, so the plain
/// runtime::Executor runs it before and after and tests compare the two.
/// Fusion does not rewrite the graph (the fused steps are not registry ops):
/// find_fusions names the groups of nodes the planner runs as one step.
#include <string>
#include <vector>

#include "braid/runtime/graph.hpp"

namespace braid::compiler {

/// What a pass changed, one line each ("folded batch_norm (node 3, in
/// features/1) into conv2d (node 2)"), for CompiledModule::report().
using PassLog = std::vector<std::string>;

/// conv2d(x, W, b) -> batch_norm(., mean, var, gamma, beta, training=false)
/// with every parameter constant, and the conv2d's output used only there,
/// becomes conv2d(x, W', b') with W' = W * s, b' = (b - mean) * s + beta,
/// s = gamma / sqrt(var + eps) per output channel (computed in float64).
/// Also linear(x, W, b) on 2-D x followed by batch_norm over its features.
/// Returns the number of batch_norm nodes folded.
int fold_batchnorm(runtime::Graph& g, PassLog* log = nullptr);

/// Removes identities (dropout in eval mode or with p = 0, `to` the same
/// dtype, contiguous, clone: their consumers read the input instead, unless
/// the node makes a graph output) and every node no graph output depends on,
/// then drops unused values. Returns the number of nodes removed.
int eliminate_dead_code(runtime::Graph& g, PassLog* log = nullptr);

/// Runs each node whose inputs are all constants (and that is not random)
/// once, and makes its outputs constants. Returns the number of nodes folded.
/// Leaves nodes whose output is larger than `max_bytes` (a folded broadcast
/// could be much larger than its inputs).
int fold_constants(runtime::Graph& g, PassLog* log = nullptr, int64_t max_bytes = 64 << 20);

/// The activations a linear or conv2d step applies to its output, and the
/// elementwise ops a fused loop can run (float32 only).
bool is_epilogue_op(const runtime::Node& n);
bool is_fusable_elementwise(const runtime::Node& n);

enum class FusionKind {
  Epilogue,     ///< linear or conv2d, then unary activations on its output
  Elementwise,  ///< a chain of elementwise ops, each reading the one before
};

/// A group of nodes the planner runs as one step. nodes[0] is the anchor
/// (the linear/conv2d, or the first elementwise op); each later node reads
/// the output of the one before it, which nothing else reads and which is
/// not a graph output. The step runs where the last node was.
struct Fusion {
  FusionKind kind;
  std::vector<int> nodes;
};

/// The groups, each node in at most one; nodes in no group run alone.
/// Decided on the graph's recorded dtypes; the planner checks the shapes of
/// each call and runs a group's nodes one by one where they do not fit.
std::vector<Fusion> find_fusions(const runtime::Graph& g);

/// Every pass, in order, as CompileOptions asks; the passes' lines go to log.
struct PassOptions {
  bool fold_batchnorm = true;
  bool fold_constants = true;
};
void optimize(runtime::Graph& g, const PassOptions& o, PassLog* log = nullptr);

}  // namespace braid::compiler
