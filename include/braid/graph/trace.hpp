#pragma once
/// trace: runs eager code once and records the registry ops it calls into a
/// runtime::Graph (DESIGN "graph/").
///
/// Note [what a trace specialises]
/// As PyTorch's torch.jit.trace, a trace records the path that ran: C++
/// control flow (if, loops over time steps, early exits) is fixed to the
/// branch taken for the example inputs; numbers read out of tensors become
/// constants; tensors made without an op (zeros for an LSTM's initial state,
/// a causal mask) become constants of the traced shape. The module's mode
/// is recorded as it is (trace in eval() for inference: dropout off,
/// BatchNorm on running statistics). The tracer then traces a second batch
/// size: when both graphs agree, dim 0 of the inputs is a free batch
/// dimension; when they differ, the graph keeps the traced shapes and
/// Graph::static_reason names the first node whose attributes or constants
/// depend on the batch size, which run() repeats when given another batch.
/// In-place ops on traced values are refused (the graph would miss them).
#include <functional>
#include <string>
#include <vector>

#include "braid/runtime/graph.hpp"

namespace braid::graph {

using TraceFn = std::function<std::vector<Tensor>(const std::vector<Tensor>&)>;

struct TraceOptions {
  /// Names for the inputs; default "input", or "input_0", "input_1", ...
  std::vector<std::string> input_names;
  std::vector<std::string> output_names;  ///< default "output", "output_0", ...
  /// Tensors the function reads that should keep a name in the graph (the
  /// module's parameters and buffers, state-dict names).
  std::vector<std::pair<std::string, Tensor>> named_constants;
  /// Trace a second batch size to find whether dim 0 is free (Note above).
  bool check_batch = true;
  /// Names the code running when an op is recorded, for Node::scope
  /// (nn::Module::current_path for modules).
  std::function<std::string()> scope;
};

/// Traces fn(inputs). Throws ValueError when fn returns no tensor or changes
/// a traced value in place; what fn throws passes through.
runtime::Graph trace(const TraceFn& fn, const std::vector<Tensor>& inputs,
                     TraceOptions options = {});

/// Traces a module's single-tensor forward; parameters and buffers keep
/// their state-dict names. Works with any type that has operator()(Tensor),
/// named_parameters() and named_buffers() (nn::Module), without graph/
/// depending on nn.
/// (Constrained, so that trace(fn, {x}) with a lambda picks the overload above.)
template <class M>
requires requires(M& m) { m.named_parameters(); }
runtime::Graph trace(M& module, const Tensor& example, TraceOptions options = {}) {
  for (auto& p : module.named_parameters()) options.named_constants.push_back(p);
  for (auto& b : module.named_buffers()) options.named_constants.push_back(b);
  if constexpr (requires { M::current_path(); })
    if (!options.scope) options.scope = [] { return M::current_path(); };
  return trace([&](const std::vector<Tensor>& in) { return std::vector<Tensor>{module(in[0])}; },
               {example}, std::move(options));
}

}  // namespace braid::graph
