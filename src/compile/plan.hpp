#pragma once
// A plan: the steps, arena and output shapes for one set of input shapes
// (Note [compiled plan] in plan.cpp).
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "braid/compile/compile.hpp"
#include "braid/compile/passes.hpp"
#include "compile/steps.hpp"
#include "runtime/batch_attrs.hpp"

namespace braid::compiler {

struct Plan {
  std::vector<Shape> key;  ///< the input shapes it was made for
  std::vector<std::unique_ptr<Step>> steps;
  std::vector<std::vector<int>> release_after;  ///< per step: frame.env values to drop
  Tensor arena;
  std::vector<Tensor> keep_alive;  ///< tensors steps point into (zero biases)
  std::vector<bool> input_raw;     ///< steps read input i through a raw pointer
  std::vector<Shape> out_shape;
  std::vector<DType> out_dtype;
  bool has_fallback = false;
  PlanStats stats;
  std::vector<std::string> lines;  ///< the report: one line per step

  Frame frame;               ///< reused by every call
  std::vector<Tensor> held;  ///< contiguous copies of strided inputs, during a call

  /// Runs on `inputs` (already checked against key); writes the outputs.
  void run(std::span<const Tensor> inputs, Tensor* outputs);
};

/// What plans share, made once per compiled module.
struct PlanContext {
  const runtime::Graph& g;
  const std::vector<Fusion>& fusions;  ///< empty when not fusing
  const CompileOptions& options;
  std::vector<Tensor>& const_data;  ///< contiguous copies of the constants, by value id
  std::vector<std::shared_ptr<const PackedWeight>>& packed;  ///< by node, made on first use
};

/// Plans g for `inputs`: runs the graph once through the op registry to
/// learn every value's shape, then decides the steps and the arena.
std::unique_ptr<Plan> make_plan(PlanContext& ctx, std::span<const Tensor> inputs);

/// Rows up to which a linear with a constant weight runs small_gemm.
inline constexpr int64_t kSmallRows = 8;

}  // namespace braid::compiler
