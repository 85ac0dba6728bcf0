#pragma once
/// Runs a Graph: no autograd, no nn. Each node calls its registry op with
/// grad mode off; a value is released after its last use.
#include <span>
#include <vector>

#include "braid/runtime/graph.hpp"

namespace braid::runtime {

/// Runs `g` on `inputs` (in g.inputs order). Inputs must have the recorded
/// dtypes and ranks, and the recorded shapes except dim 0 when
/// g.dynamic_batch. Throws ValueError/ShapeError naming the input or the
/// node ("[graph] node 3 (linear) in fc1: ...").
std::vector<Tensor> run(const Graph& g, std::span<const Tensor> inputs);

/// Holds a validated graph and its release plan, for repeated runs.
class Executor {
 public:
  explicit Executor(Graph g);
  std::vector<Tensor> operator()(std::span<const Tensor> inputs) const;
  std::vector<Tensor> operator()(std::initializer_list<Tensor> inputs) const {
    return (*this)(std::span<const Tensor>(inputs.begin(), inputs.size()));
  }
  const Graph& graph() const { return g_; }

 private:
  Graph g_;
  std::vector<std::vector<int>> release_after_;  ///< per node: values last used there
};

}  // namespace braid::runtime
