#pragma once
// What a CompiledModule holds: the optimised graph, its fusion groups, the
// plans of the last few input shapes.
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "braid/compile/compile.hpp"
#include "braid/compile/passes.hpp"
#include "braid/runtime/executor.hpp"
#include "compile/plan.hpp"

namespace braid::compiler {

class Program {
 public:
  Program(runtime::Graph g, CompileOptions options);

  /// Checks the inputs, finds or makes the plan, runs it into `outputs`
  /// (graph().outputs.size() of them).
  void run(std::span<const Tensor> inputs, Tensor* outputs);
  const runtime::Graph& graph() const { return g_; }
  size_t num_outputs() const { return g_.outputs.size(); }
  std::string report() const;
  PlanStats plan_stats(const std::vector<Shape>& input_shapes);

 private:
  void check_inputs(std::span<const Tensor> inputs) const;
  Plan& plan_for(std::span<const Tensor> inputs);

  runtime::Graph g_;
  CompileOptions options_;
  PassLog log_;
  std::vector<Fusion> fusions_;
  std::vector<Tensor> const_data_;
  std::vector<std::shared_ptr<const PackedWeight>> packed_;
  std::vector<std::unique_ptr<Plan>> plans_;  ///< most recently used first
  /// Graphs with an op whose output shape depends on the data (nonzero)
  /// cannot be planned; they run on the plain executor.
  std::unique_ptr<runtime::Executor> plain_;
  std::string plain_reason_;
};

}  // namespace braid::compiler
