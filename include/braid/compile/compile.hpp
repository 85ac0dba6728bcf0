#pragma once
/// braid::compile: a traced inference graph made into a fused, memory-planned
/// executor (DESIGN "graph/"; issue 6). The graph is first simplified by the
/// passes of compile/passes.hpp (BatchNorm folded into the conv or linear
/// before it, identities and dead nodes removed, constant subgraphs
/// evaluated); then, for each input shape, a plan is made once: every value's
/// shape, one arena holding every intermediate at an offset chosen from the
/// values' lifetimes, and a list of steps that call kernels on raw pointers
/// (linear/conv2d with bias and activation as one step, elementwise chains as
/// one loop, views as aliases, anything else through the op registry).
///
///   auto fast = braid::compile(model, example);   // traces model.eval()
///   Tensor y = fast(x);                           // == model(x), see below
///
/// Note [what compile changes in the numbers]
/// A step that calls the same kernel as the eager op on the same operands
/// gives the same bits: a lone conv2d (oneDNN or portable) followed by its
/// activation, linear with more than 8 rows whose activation is not ReLU or
/// none or whose weight is not a constant (the eager GEMM call, then bias and
/// activation applied row by row), max pooling, views, elementwise chains
/// (the eager formulas, one element at a time), constant folding (the same
/// op, run earlier). Four things change the rounding, each by a few float32
/// ulps of the sum of the terms' magnitudes: the small-batch linear kernel
/// (up to 8 rows; its own dot-product order, src/compile/small_gemm.hpp); the
/// packed linear above 8 rows (one oneDNN matmul per thread's rows, Note
/// [packed linear] in src/kernels/x86/linear_dnnl.cpp); conv chains (conv
/// (+relu) -> conv (+relu) -> 2x2 max pool as one oneDNN pipeline, Note [conv
/// chains] in src/kernels/x86/conv_chain_dnnl.cpp); and BatchNorm folding
/// (the scale multiplies the weights before the sum, not the sum). NaN and
/// ReLU behave as eager everywhere. tests/compile/ checks each.
///
/// A compiled module keeps the weights as they were when compiled (folded
/// and packed copies): compile again after changing the model. One call at
/// a time: a CompiledModule owns its arena and is not safe to call from two
/// threads at once (make one per thread).
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "braid/core/tensor.hpp"
#include "braid/runtime/graph.hpp"

namespace braid {

namespace nn {
class Module;
}

struct CompileOptions {
  /// Fold eval-mode BatchNorm with constant statistics into the conv2d or
  /// linear before it (compiler::fold_batchnorm).
  bool fold_batchnorm = true;
  /// Fuse linear/conv2d with their activation, and elementwise chains.
  bool fuse = true;
  /// Reuse arena space between values whose lifetimes do not overlap;
  /// false gives every intermediate its own space (for debugging).
  bool plan_memory = true;
  /// Evaluate nodes whose inputs are all constants once, at compile time.
  bool fold_constants = true;
};

/// What one plan (one input shape) holds; see CompiledModule::plan_stats.
struct PlanStats {
  int64_t arena_bytes = 0;         ///< the one buffer every intermediate lives in
  int64_t intermediate_bytes = 0;  ///< the sum of all intermediates' sizes
  int steps = 0;                   ///< steps run per call
  int fused_steps = 0;             ///< steps that each run several graph nodes
  int fallback_steps = 0;          ///< steps that call the op registry
  int alias_nodes = 0;             ///< view nodes that became a pointer offset
};

namespace compiler {
class Program;  // src/compile/program.hpp
}

class CompiledModule {
 public:
  CompiledModule(runtime::Graph g, CompileOptions options);
  CompiledModule(CompiledModule&&) noexcept;
  CompiledModule& operator=(CompiledModule&&) noexcept;
  ~CompiledModule();

  /// Runs on `inputs` (in graph().inputs order). Inputs must have the traced
  /// dtypes and ranks, and the traced shapes except dim 0 where the graph's
  /// batch is free (runtime::Executor's rules); a new shape is planned on
  /// first use (the plans of the last few shapes are kept). Returns new
  /// tensors that share nothing with the module. Throws ValueError /
  /// ShapeError / DTypeError naming the input.
  std::vector<Tensor> operator()(std::span<const Tensor> inputs);
  std::vector<Tensor> operator()(std::initializer_list<Tensor> inputs) {
    return (*this)(std::span<const Tensor>(inputs.begin(), inputs.size()));
  }
  /// One input, one output: the common case, without a vector.
  Tensor operator()(const Tensor& x);

  /// The graph after the passes (the one the plans run).
  const runtime::Graph& graph() const;
  /// What the passes did, and per planned shape: the steps, what was fused
  /// and folded, arena bytes against the sum of the intermediates.
  std::string report() const;
  /// The plan for these input shapes (planned now if it is not yet).
  PlanStats plan_stats(const std::vector<Shape>& input_shapes);

 private:
  std::unique_ptr<compiler::Program> p_;
};

/// Traces `m` on `example` in eval mode (the module's mode is restored after)
/// with grad off, then compiles the graph. The batch dimension is free when
/// the trace finds it free (graph::trace). Throws what the trace throws.
CompiledModule compile(nn::Module& m, const Tensor& example, CompileOptions options = {});
/// Compiles a graph (traced, loaded from a model file, imported from ONNX).
/// Throws ValueError when it is malformed (runtime::validate).
CompiledModule compile(runtime::Graph g, CompileOptions options = {});

}  // namespace braid
