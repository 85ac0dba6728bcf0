// braid::compile and CompiledModule (compile/compile.hpp): the passes once,
// a plan per input shape, and the per-call path, which checks the inputs,
// allocates the returned tensors and runs the plan's steps.
#include "braid/compile/compile.hpp"

#include <optional>

#include "braid/core/error.hpp"
#include "braid/core/grad_mode.hpp"
#include "braid/graph/trace.hpp"
#include "braid/nn/module.hpp"
#include "braid/ops/ops.hpp"
#include "compile/program.hpp"

namespace braid {

namespace compiler {

void Plan::run(std::span<const Tensor> inputs, Tensor* outputs) {
  frame.inputs = inputs;
  const size_t nin = inputs.size();
  for (size_t i = 0; i < nin; ++i) {
    if (!input_raw[i]) continue;
    const Tensor& t = inputs[i];
    if (!t.is_contiguous()) held[i] = t.contiguous();
    frame.io[i] = static_cast<std::byte*>((held[i].defined() ? held[i] : t).raw_data());
  }
  for (size_t k = 0; k < out_shape.size(); ++k) {
    outputs[k] = empty(out_shape[k], out_dtype[k]);
    frame.io[nin + k] = static_cast<std::byte*>(outputs[k].raw_data());
  }
  std::optional<NoGradGuard> no_grad;
  if (has_fallback) no_grad.emplace();
  try {
    for (size_t s = 0; s < steps.size(); ++s) {
      steps[s]->run(frame);
      for (int v : release_after[s]) frame.env[v] = Tensor();
    }
  } catch (...) {
    for (Tensor& t : frame.env) t = Tensor();
    for (Tensor& t : held) t = Tensor();
    throw;
  }
  for (size_t i = 0; i < nin; ++i)
    if (held[i].defined()) held[i] = Tensor();
  frame.inputs = {};
}

Program::Program(runtime::Graph g, CompileOptions options) : g_(std::move(g)), options_(options) {
  NoGradGuard no_grad;
  optimize(g_, {.fold_batchnorm = options.fold_batchnorm, .fold_constants = options.fold_constants},
           &log_);
  if (options.fuse) fusions_ = find_fusions(g_);
  for (const runtime::Node& n : g_.nodes)
    if (op_def(n.op).traits & kDynamicShape) {
      plain_reason_ =
          fmt::format("its {} node's output shape depends on the data", op_def(n.op).name);
      plain_ = std::make_unique<runtime::Executor>(g_);
      return;
    }
  // The weights as they are now (a traced graph's constants share the
  // module's storage): every step reads these copies, as the folded and
  // packed ones are copies too, so a later change to the module changes
  // nothing here rather than half of it.
  const_data_.resize(g_.values.size());
  for (size_t i = 0; i < g_.values.size(); ++i)
    if (g_.values[i].is_constant()) g_.values[i].data = const_data_[i] = g_.values[i].data.clone();
  packed_.resize(g_.nodes.size());
}

void Program::check_inputs(std::span<const Tensor> inputs) const {
  BRAID_CHECK(
      inputs.size() == g_.inputs.size(), ValueError, "compiled", "takes {} inputs ({}); got {}",
      g_.inputs.size(),
      [&] {
        std::string names;
        for (int id : g_.inputs) names += (names.empty() ? "" : ", ") + g_.values[id].name;
        return names;
      }(),
      inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    const runtime::Value& v = g_.values[g_.inputs[i]];
    const Tensor& x = inputs[i];
    BRAID_CHECK(x.defined(), ValueError, "compiled", "input '{}' is undefined", v.name);
    BRAID_CHECK(x.dtype() == v.dtype, DTypeError, "compiled", "input '{}' must be {}; got {}",
                v.name, dtype_name(v.dtype), dtype_name(x.dtype()));
    const Shape& s = x.shape();
    bool same = s == v.shape;
    if (!same && g_.dynamic_batch && s.size() == v.shape.size() && !s.empty())
      same = std::equal(s.begin() + 1, s.end(), v.shape.begin() + 1);
    if (same) continue;
    if (g_.dynamic_batch)
      throw ShapeError(
          fmt::format("[compiled] input '{}' must have shape {} (any size in dim 0); got {}",
                      v.name, shape_str(v.shape), shape_str(s)));
    throw ShapeError(fmt::format(
        "[compiled] input '{}' must have shape {}, as traced; got {}. The graph is fixed to the "
        "traced shapes because {}",
        v.name, shape_str(v.shape), shape_str(s),
        g_.static_reason.empty() ? "it was made so" : g_.static_reason));
  }
}

Plan& Program::plan_for(std::span<const Tensor> inputs) {
  auto matches = [&](const Plan& p) {
    for (size_t i = 0; i < inputs.size(); ++i)
      if (inputs[i].shape() != p.key[i]) return false;
    return true;
  };
  if (!plans_.empty() && matches(*plans_.front())) return *plans_.front();
  for (size_t k = 1; k < plans_.size(); ++k)
    if (matches(*plans_[k])) {
      std::rotate(plans_.begin(), plans_.begin() + k, plans_.begin() + k + 1);
      return *plans_.front();
    }
  PlanContext ctx{g_, fusions_, options_, const_data_, packed_};
  std::unique_ptr<Plan> p = make_plan(ctx, inputs);
  constexpr size_t kMaxPlans = 4;
  if (plans_.size() >= kMaxPlans) plans_.pop_back();
  plans_.insert(plans_.begin(), std::move(p));
  return *plans_.front();
}

void Program::run(std::span<const Tensor> inputs, Tensor* outputs) {
  check_inputs(inputs);
  if (plain_) {
    std::vector<Tensor> r = (*plain_)(inputs);
    for (size_t k = 0; k < r.size(); ++k) outputs[k] = r[k].clone();
    return;
  }
  plan_for(inputs).run(inputs, outputs);
}

PlanStats Program::plan_stats(const std::vector<Shape>& input_shapes) {
  BRAID_CHECK(!plain_, ValueError, "compiled", "the graph has no plan: {}", plain_reason_);
  BRAID_CHECK(input_shapes.size() == g_.inputs.size(), ValueError, "compiled",
              "takes {} inputs; got {} shapes", g_.inputs.size(), input_shapes.size());
  std::vector<Tensor> xs;
  for (size_t i = 0; i < input_shapes.size(); ++i)
    xs.push_back(zeros(input_shapes[i], g_.values[g_.inputs[i]].dtype));
  check_inputs(xs);
  return plan_for(xs).stats;
}

std::string Program::report() const {
  std::string s =
      fmt::format("compiled graph: {} nodes, {} values\n", g_.nodes.size(), g_.values.size());
  for (const std::string& line : log_) s += "  pass: " + line + "\n";
  for (const Fusion& f : fusions_) {
    std::string ops;
    for (int i : f.nodes)
      ops += (ops.empty() ? "" : " -> ") + std::string(op_def(g_.nodes[i].op).name);
    s += fmt::format("  fuse ({}): {}\n",
                     f.kind == FusionKind::Epilogue ? "epilogue" : "elementwise", ops);
  }
  if (plain_) return s + "  no plan: " + plain_reason_ + "; runs on runtime::Executor\n";
  for (const auto& p : plans_)
    for (const std::string& line : p->lines) s += line;
  return s;
}

}  // namespace compiler

CompiledModule::CompiledModule(runtime::Graph g, CompileOptions options)
    : p_(std::make_unique<compiler::Program>(std::move(g), options)) {}
CompiledModule::CompiledModule(CompiledModule&&) noexcept = default;
CompiledModule& CompiledModule::operator=(CompiledModule&&) noexcept = default;
CompiledModule::~CompiledModule() = default;

std::vector<Tensor> CompiledModule::operator()(std::span<const Tensor> inputs) {
  std::vector<Tensor> out(p_->num_outputs());
  p_->run(inputs, out.data());
  return out;
}

Tensor CompiledModule::operator()(const Tensor& x) {
  BRAID_CHECK(p_->num_outputs() == 1, ValueError, "compiled",
              "the graph has {} outputs; call it with a list of inputs to get them all",
              p_->num_outputs());
  Tensor out;
  p_->run(std::span<const Tensor>(&x, 1), &out);
  return out;
}

const runtime::Graph& CompiledModule::graph() const { return p_->graph(); }
std::string CompiledModule::report() const { return p_->report(); }
PlanStats CompiledModule::plan_stats(const std::vector<Shape>& input_shapes) {
  return p_->plan_stats(input_shapes);
}

CompiledModule compile(nn::Module& m, const Tensor& example, CompileOptions options) {
  const bool was_training = m.is_training();
  m.eval();
  runtime::Graph g;
  try {
    NoGradGuard no_grad;
    g = graph::trace(m, example);
  } catch (...) {
    m.train(was_training);
    throw;
  }
  m.train(was_training);
  return CompiledModule(std::move(g), options);
}

CompiledModule compile(runtime::Graph g, CompileOptions options) {
  return CompiledModule(std::move(g), options);
}

}  // namespace braid
