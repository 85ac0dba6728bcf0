// The backward engine: counts dependencies from the roots, then runs nodes
// latest-first (by creation order) so the traversal, and hence every
// gradient sum, happens in one fixed order. Single-threaded by design.
#include <cmath>
#include <queue>
#include <unordered_map>
#include <unordered_set>

#include "braid/autograd/autograd.hpp"
#include "braid/core/node.hpp"
#include "braid/ops/ops.hpp"
#include "braid/ops/registry.hpp"

namespace braid::autograd {

namespace {
using detail::Node;

struct Task {
  Node* node;
  bool operator<(const Task& o) const { return node->sequence_nr < o.node->sequence_nr; }
};

std::string node_name(const Node& n) {
  return n.op == Node::kCustom ? n.custom_name : std::string(n.name);
}

Tensor unpack(const detail::SavedTensor& s, Node& owner, uint32_t nr, bool create_graph) {
  if (!s.data.defined()) return {};
  if (s.data.version() != s.version)
    throw AutogradError(fmt::format(
        "[backward] a tensor that '{}' saved for backward was modified by an in-place op "
        "(version {} when saved, now {}); clone() it before modifying it",
        node_name(owner), s.version, s.data.version()));
  if (!s.is_output || !create_graph || !s.requires_grad) return s.data;
  // Re-link a saved output to this node so a second derivative flows through it.
  Tensor t = s.data.detach();
  auto& m = t.impl().autograd_meta();
  m.requires_grad = true;
  m.grad_fn = owner.shared_from_this();
  m.output_nr = nr;
  return t;
}

void check_finite(const Tensor& g, const Node& n, const char* what) {
  if (!g.defined() || !g.is_floating_point()) return;
  for (double v : g.to_vector<double>())
    if (!std::isfinite(v))
      // NaN's sign bit is noise ("-nan" from 0 / 0): print plain nan.
      throw AutogradError(
          fmt::format("[backward] anomaly: '{}' produced a non-finite value ({}) in its {}",
                      node_name(n), std::isnan(v) ? "nan" : fmt::format("{}", v), what));
}

Tensor accumulate(const Tensor& a, const Tensor& b) { return a.defined() ? add(a, b) : b; }

std::vector<Tensor> apply_node(Node& n, std::vector<Tensor>& grads, bool create_graph) {
  if (n.released)
    throw AutogradError(fmt::format(
        "[backward] trying to backward through '{}' a second time, after its saved tensors were "
        "freed; pass retain_graph=true to the first backward",
        node_name(n)));
  for (auto& [nr, hook] : n.pre_hooks)
    if (Tensor r = hook(grads[nr]); r.defined()) grads[nr] = r;
  // retain_grad(): .grad() accumulates over backward calls, like a leaf's,
  // in a buffer of its own (the gradient itself flows on into the vjp).
  for (auto& [nr, w] : n.retained) {
    auto im = w.lock();
    if (!im || !grads[nr].defined()) continue;
    auto& held = im->autograd_meta().grad;
    Tensor g = create_graph ? grads[nr] : grads[nr].detach();
    held = std::make_shared<Tensor>(held && held->defined() ? add(*held, g) : g.clone());
  }
  for (size_t i = 0; i < grads.size(); ++i)
    if (!grads[i].defined() && is_floating(n.output_meta[i].dtype))
      grads[i] = zeros(n.output_meta[i].shape, n.output_meta[i].dtype);
  if (n.op == Node::kCustom) return n.custom_backward(grads);
  std::vector<Tensor> ins(n.saved_inputs.size()), outs(n.saved_outputs.size());
  for (size_t i = 0; i < ins.size(); ++i) ins[i] = unpack(n.saved_inputs[i], n, 0, create_graph);
  for (size_t i = 0; i < outs.size(); ++i)
    outs[i] = unpack(n.saved_outputs[i], n, static_cast<uint32_t>(i), create_graph);
  std::vector<bool> needs(n.next.size());
  for (size_t i = 0; i < needs.size(); ++i) needs[i] = n.next[i].fn != nullptr;
  const OpDef& d = op_def(static_cast<OpId>(n.op));
  VjpCtx ctx{n.attrs, ins, outs, grads, n.input_meta, std::move(needs)};
  std::vector<Tensor> r = d.vjp(ctx);
  r.resize(n.next.size());
  // Each gradient must look like its input (as PyTorch's validate_outputs):
  // a wrong shape is a bug in the vjp, so say which; a dtype that differs (a
  // float64 seed into a float32 graph) is cast back.
  for (size_t i = 0; i < r.size(); ++i) {
    if (!r[i].defined() || !n.next[i].fn) continue;
    const detail::GradMeta& m = n.input_meta[i];
    BRAID_CHECK(r[i].shape() == m.shape, AutogradError, "backward",
                "the vjp of '{}' returned a gradient of shape {} for input {} of shape {}",
                node_name(n), shape_str(r[i].shape()), i, shape_str(m.shape));
    if (r[i].dtype() != m.dtype && is_floating(m.dtype)) r[i] = to(r[i], m.dtype);
  }
  return r;
}

void accumulate_leaf(Node& acc, Tensor g, bool create_graph) {
  auto im = acc.leaf.lock();
  if (!im) return;  // the leaf is gone; nothing to fill
  Tensor leaf(im);
  for (auto& hook : im->autograd_meta().hooks)
    if (Tensor r = hook(g); r.defined()) g = r;
  auto& meta = im->autograd_meta();
  if (meta.grad && meta.grad->defined()) {
    Tensor sum = add(*meta.grad, g);
    meta.grad = std::make_shared<Tensor>(create_graph ? sum : sum.detach());
  } else {
    // Keep the gradient's buffer only when nothing else refers to it, so a
    // later in-place update of .grad() cannot change another tensor.
    bool alone = g.impl_ptr().use_count() <= 2 && g.storage().use_count() == 1;
    Tensor own = alone ? g : g.clone();
    meta.grad = std::make_shared<Tensor>(create_graph ? own : own.detach());
  }
}

struct Slot {
  std::vector<Tensor> grads;
};

// Runs the graph from `roots`. With `capture` non-null, gradients reaching the
// given edges are returned there instead of accumulated into leaves.
void run(const std::vector<detail::Edge>& roots, const std::vector<Tensor>& root_grads,
         bool retain_graph, bool create_graph, const std::vector<detail::Edge>* capture,
         std::vector<Tensor>* captured) {
  // Sized for a training step's graph up front: growing them rehashed
  // several times a backward (a few percent of an MNIST MLP step).
  std::unordered_map<Node*, int> deps(64);
  std::unordered_map<Node*, Slot> buf(64);
  std::vector<Node*> stack;
  std::unordered_set<Node*> seen(64);
  for (const auto& e : roots)
    if (seen.insert(e.fn.get()).second) stack.push_back(e.fn.get());
  while (!stack.empty()) {
    Node* n = stack.back();
    stack.pop_back();
    for (const auto& e : n->next) {
      if (!e.fn) continue;
      deps[e.fn.get()]++;
      if (seen.insert(e.fn.get()).second) stack.push_back(e.fn.get());
    }
  }
  auto add_grad = [&](Node* n, uint32_t nr, const Tensor& g) {
    Slot& s = buf[n];
    size_t width = n->op == Node::kAccumulateGrad ? 1 : n->output_meta.size();
    if (s.grads.size() < width) s.grads.resize(width);
    s.grads[nr] = accumulate(s.grads[nr], g);
  };
  std::priority_queue<Task> ready;
  for (size_t i = 0; i < roots.size(); ++i)
    add_grad(roots[i].fn.get(), roots[i].input_nr, root_grads[i]);
  for (const auto& e : roots)
    if (deps[e.fn.get()] == 0 && seen.erase(e.fn.get())) ready.push({e.fn.get()});
  bool prev = is_grad_enabled();
  set_grad_enabled(create_graph);
  try {
    while (!ready.empty()) {
      Node* n = ready.top().node;
      ready.pop();
      std::vector<Tensor> grads = std::move(buf[n].grads);
      buf.erase(n);
      if (capture)
        for (size_t c = 0; c < capture->size(); ++c)
          if ((*capture)[c].fn.get() == n && (*capture)[c].input_nr < grads.size())
            (*captured)[c] = accumulate((*captured)[c], grads[(*capture)[c].input_nr]);
      if (n->op == Node::kAccumulateGrad) {
        if (!capture && !grads.empty() && grads[0].defined())
          accumulate_leaf(*n, grads[0], create_graph);
        continue;
      }
      // A node no gradient reached (every path to it ended in a vjp that
      // gives its input none, as relu_backward's mask input) has nothing to
      // propagate: skip its vjp, which would read gradients that do not exist.
      bool reached = false;
      for (const Tensor& g : grads) reached = reached || g.defined();
      std::vector<Tensor> out(n->next.size());
      if (reached) {
        if (is_anomaly_enabled())
          for (const Tensor& g : grads) check_finite(g, *n, "incoming gradient");
        out = apply_node(*n, grads, create_graph);
        if (is_anomaly_enabled())
          for (const Tensor& g : out) check_finite(g, *n, "gradient for its inputs");
      }
      if (!retain_graph) {
        n->saved_inputs.clear();
        n->saved_outputs.clear();
        n->released = true;
      }
      for (size_t i = 0; i < n->next.size(); ++i) {
        const auto& e = n->next[i];
        if (!e.fn) continue;
        if (out[i].defined()) add_grad(e.fn.get(), e.input_nr, out[i]);
        if (--deps[e.fn.get()] == 0) ready.push({e.fn.get()});
      }
    }
  } catch (...) {
    set_grad_enabled(prev);
    throw;
  }
  set_grad_enabled(prev);
}

detail::Edge root_edge(const Tensor& t, size_t i) {
  BRAID_CHECK(t.defined(), ValueError, "backward", "output {} is undefined", i);
  BRAID_CHECK(
      t.requires_grad(), AutogradError, "backward",
      "output {} does not require grad and has no grad_fn; did you compute it under no_grad, "
      "or from tensors without requires_grad?",
      i);
  const auto& m = t.impl().autograd_meta();
  if (m.grad_fn) return {m.grad_fn, m.output_nr};
  // A leaf used as its own output: its gradient is the seed.
  auto acc = m.grad_accumulator.lock();
  if (!acc) {
    acc = std::make_shared<Node>();
    acc->name = "AccumulateGrad";
    acc->leaf = t.impl_ptr();
    acc->input_meta.push_back({t.shape(), t.dtype()});
    t.impl().autograd_meta().grad_accumulator = acc;
  }
  return {acc, 0};
}

std::vector<Tensor> seed_grads(const std::vector<Tensor>& outputs,
                               const std::vector<Tensor>& given) {
  BRAID_CHECK(given.empty() || given.size() == outputs.size(), ValueError, "backward",
              "got {} grad_outputs for {} outputs", given.size(), outputs.size());
  std::vector<Tensor> seeds(outputs.size());
  for (size_t i = 0; i < outputs.size(); ++i) {
    if (!given.empty() && given[i].defined()) {
      BRAID_CHECK(given[i].shape() == outputs[i].shape(), ShapeError, "backward",
                  "grad_output {} has shape {} but output has shape {}", i,
                  shape_str(given[i].shape()), shape_str(outputs[i].shape()));
      seeds[i] =
          given[i].dtype() == outputs[i].dtype() ? given[i] : to(given[i], outputs[i].dtype());
      continue;
    }
    BRAID_CHECK(outputs[i].numel() == 1, AutogradError, "backward",
                "gradient can be implicit only for a one-element output; output {} has shape {}", i,
                shape_str(outputs[i].shape()));
    seeds[i] = ones_like(outputs[i]);
  }
  return seeds;
}
}  // namespace

void backward(const std::vector<Tensor>& outputs, const std::vector<Tensor>& grad_outputs,
              bool retain_graph, bool create_graph) {
  std::vector<detail::Edge> roots;
  for (size_t i = 0; i < outputs.size(); ++i) roots.push_back(root_edge(outputs[i], i));
  run(roots, seed_grads(outputs, grad_outputs), retain_graph || create_graph, create_graph, nullptr,
      nullptr);
}

std::vector<Tensor> grad(const std::vector<Tensor>& outputs, const std::vector<Tensor>& inputs,
                         const std::vector<Tensor>& grad_outputs, std::optional<bool> retain_graph,
                         bool create_graph, bool allow_unused) {
  std::vector<detail::Edge> roots, want;
  for (size_t i = 0; i < outputs.size(); ++i) roots.push_back(root_edge(outputs[i], i));
  for (size_t i = 0; i < inputs.size(); ++i) {
    BRAID_CHECK(inputs[i].defined() && inputs[i].requires_grad(), AutogradError, "grad",
                "input {} does not require grad", i);
    want.push_back(root_edge(inputs[i], i));
  }
  std::vector<Tensor> got(inputs.size());
  run(roots, seed_grads(outputs, grad_outputs), retain_graph.value_or(create_graph), create_graph,
      &want, &got);
  for (size_t i = 0; i < got.size(); ++i)
    BRAID_CHECK(got[i].defined() || allow_unused, AutogradError, "grad",
                "input {} was not used to compute the outputs; pass allow_unused=true", i);
  return got;
}

}  // namespace braid::autograd

namespace braid {
void Tensor::backward(const Tensor& gradient, bool retain_graph, bool create_graph) const {
  autograd::backward({*this},
                     gradient.defined() ? std::vector<Tensor>{gradient} : std::vector<Tensor>{},
                     retain_graph, create_graph);
}
}  // namespace braid
