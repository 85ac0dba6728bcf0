#pragma once
/// Define-by-run autograd: the engine that walks the backward graph recorded
/// by the ops, functional gradients, and gradcheck.
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "braid/core/grad_mode.hpp"
#include "braid/core/tensor.hpp"

namespace braid::autograd {

/// Accumulates d(outputs)/d(leaf) into every leaf's .grad(). A non-scalar
/// output needs its grad_output. Throws AutogradError for outputs that do
/// not require grad, graphs already freed, or tensors modified in place.
void backward(const std::vector<Tensor>& outputs, const std::vector<Tensor>& grad_outputs = {},
              bool retain_graph = false, bool create_graph = false);

/// Returns d(outputs)/d(inputs) without touching .grad(). With create_graph
/// the result is itself differentiable (second derivatives). An input the
/// outputs do not depend on throws unless allow_unused (then undefined).
std::vector<Tensor> grad(const std::vector<Tensor>& outputs, const std::vector<Tensor>& inputs,
                         const std::vector<Tensor>& grad_outputs = {},
                         std::optional<bool> retain_graph = std::nullopt, bool create_graph = false,
                         bool allow_unused = false);

struct GradcheckResult {
  bool ok = true;
  double max_abs_err = 0;
  std::string message;  ///< where analytic and numeric first disagree
};
using Fn = std::function<std::vector<Tensor>(const std::vector<Tensor>&)>;
/// Compares autograd's Jacobian of fn with central differences. Inputs that
/// require grad must be float64. Outputs that are not floating are ignored.
GradcheckResult gradcheck(const Fn& fn, const std::vector<Tensor>& inputs, double eps = 1e-6,
                          double atol = 1e-5, double rtol = 1e-3);
/// gradcheck of the gradient itself (create_graph), for second derivatives.
GradcheckResult gradgradcheck(const Fn& fn, const std::vector<Tensor>& inputs, double eps = 1e-6,
                              double atol = 1e-5, double rtol = 1e-3);

}  // namespace braid::autograd
