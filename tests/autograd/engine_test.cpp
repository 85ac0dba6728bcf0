// The backward engine: accumulation, retain_graph, create_graph, detach,
// grad-mode guards, autograd::grad, hooks, retain_grad, the version counter,
// in-place rules and anomaly mode. Errors are checked by their full text.
#include <gtest/gtest.h>

#include <thread>

#include "braid/braid.hpp"
#include "core/test_util.hpp"

namespace braid {
namespace {

Tensor param(std::initializer_list<double> v) {
  Tensor t = tensor(std::vector<double>(v));
  t.requires_grad_();
  return t;
}
std::vector<double> vals(const Tensor& t) { return t.to_vector<double>(); }

TEST(Engine, BackwardAccumulatesIntoLeaves) {
  Tensor x = param({1, 2, 3});
  EXPECT_FALSE(x.grad().defined());
  (x * x).sum().backward();
  EXPECT_EQ(vals(x.grad()), (std::vector<double>{2, 4, 6}));
  EXPECT_FALSE(x.grad().requires_grad());
  (x * 3.0).sum().backward();  // a second graph adds to .grad()
  EXPECT_EQ(vals(x.grad()), (std::vector<double>{5, 7, 9}));
  x.set_grad({});
  // One leaf reached along several paths: the gradients sum.
  (x * 3.0 + x + x.exp().log()).sum().backward();
  EXPECT_EQ(vals(x.grad()), (std::vector<double>{5, 5, 5}));
}

TEST(Engine, SeveralRootsOneOfThemUpstream) {
  Tensor x = param({1, 2});
  Tensor y = x * 2.0, z = y * 3.0;  // z depends on y; both are roots
  autograd::backward({y, z}, {ones({2}, DType::Float64), ones({2}, DType::Float64)});
  EXPECT_EQ(vals(x.grad()), (std::vector<double>{8, 8}));  // 2 + 3 * 2
}

TEST(Engine, GradientsKeepTheirInputsDtype) {
  Tensor x = ones({2});
  x.requires_grad_();
  x.exp().backward(ones({2}, DType::Float64));  // a float64 seed into a float32 graph
  EXPECT_EQ(x.grad().dtype(), DType::Float32);
  Tensor h = ones({2}, DType::Float16);
  h.requires_grad_();
  (h * 3.0).sum().backward();  // computed in float32 behind the scenes
  EXPECT_EQ(h.grad().dtype(), DType::Float16);
  EXPECT_EQ(h.grad().to_vector<float>(), (std::vector<float>{3, 3}));
  Tensor z = ones({2});
  z.requires_grad_();
  (z.to(DType::Float64) * 2.0).sum().backward();
  EXPECT_EQ(z.grad().dtype(), DType::Float32);
}

// relu_backward gives its mask input no gradient: the node that made the
// mask gets none, so its vjp is not run (it would have no gradient to read).
TEST(Engine, ANodeNoGradientReachesIsSkipped) {
  Tensor x = tensor({-1.0, 0.5, 2.0}).requires_grad_();
  Tensor g = tensor({1.0, 2.0, 3.0}).requires_grad_();
  Tensor d = detail::call1(OpId::relu_backward, {g, x * 2.0});
  sum(d).backward();
  EXPECT_FALSE(x.grad().defined());
  EXPECT_EQ(g.grad().select(0, 0).item<double>(), 0.0);
  EXPECT_EQ(g.grad().select(0, 2).item<double>(), 1.0);
}

TEST(Engine, LeafAsItsOwnOutput) {
  Tensor x = param({1, 2});
  x.backward(tensor({0.5, 2.0}, DType::Float64));
  EXPECT_EQ(vals(x.grad()), (std::vector<double>{0.5, 2.0}));
}

TEST(Engine, BackwardErrors) {
  Tensor x = param({1, 2, 3});
  BRAID_EXPECT_THROW_MSG(
      (x * 2.0).backward(), AutogradError,
      "[backward] gradient can be implicit only for a one-element output; output 0 has shape (3)");
  BRAID_EXPECT_THROW_MSG((x * 2.0).backward(ones({2}, DType::Float64)), ShapeError,
                         "[backward] grad_output 0 has shape (2) but output has shape (3)");
  BRAID_EXPECT_THROW_MSG(
      ones({1}).backward(), AutogradError,
      "[backward] output 0 does not require grad and has no grad_fn; did you compute it under "
      "no_grad, or from tensors without requires_grad?");
}

TEST(Engine, RetainGraph) {
  Tensor x = param({1, 2});
  Tensor y = (x.exp() * x).sum();
  y.backward({}, /*retain_graph=*/true);
  std::vector<double> once = vals(x.grad());
  y.backward();  // allowed: the first call kept the graph; this one frees it
  for (size_t i = 0; i < once.size(); ++i) EXPECT_DOUBLE_EQ(vals(x.grad())[i], 2 * once[i]);
  BRAID_EXPECT_THROW_MSG(
      y.backward(), AutogradError,
      "[backward] trying to backward through 'sum' a second time, after its saved tensors were "
      "freed; pass retain_graph=true to the first backward");
}

TEST(Engine, CreateGraphGivesHigherDerivatives) {
  Tensor x = param({2.0});
  Tensor y = x * x * x;  // x^3
  Tensor g = autograd::grad({y}, {x}, {}, std::nullopt, /*create_graph=*/true)[0];
  EXPECT_EQ(g.item<double>(), 12.0);  // 3x^2
  EXPECT_TRUE(g.requires_grad());
  Tensor g2 = autograd::grad({g}, {x}, {}, std::nullopt, true)[0];
  EXPECT_EQ(g2.item<double>(), 12.0);  // 6x
  Tensor g3 = autograd::grad({g2}, {x})[0];
  EXPECT_EQ(g3.item<double>(), 6.0);
  EXPECT_FALSE(g3.requires_grad());

  // backward(create_graph) leaves a differentiable .grad().
  Tensor z = param({0.5});
  sin(z).backward({}, false, /*create_graph=*/true);
  Tensor dz = z.grad();
  EXPECT_TRUE(dz.requires_grad());
  EXPECT_DOUBLE_EQ(dz.item<double>(), std::cos(0.5));
  z.set_grad({});
  dz.backward();
  EXPECT_DOUBLE_EQ(z.grad().item<double>(), -std::sin(0.5));

  // Saved outputs (exp keeps its output) re-link for the second derivative.
  Tensor w = param({0.3});
  Tensor e1 = autograd::grad({w.exp()}, {w}, {}, std::nullopt, true)[0];
  EXPECT_DOUBLE_EQ(autograd::grad({e1}, {w})[0].item<double>(), std::exp(0.3));
}

TEST(Engine, Detach) {
  Tensor x = param({1, 2});
  Tensor y = x * 2.0;
  Tensor d = y.detach();
  EXPECT_FALSE(d.requires_grad());
  EXPECT_TRUE(d.is_leaf());
  EXPECT_EQ(d.grad_fn_name(), "");
  EXPECT_EQ(d.storage().get(), y.storage().get());
  EXPECT_EQ(d.version(), y.version());  // one counter for both (Note [version counter])
  (x * d).sum().backward();             // no gradient flows through d
  EXPECT_EQ(vals(x.grad()), (std::vector<double>{2, 4}));
}

TEST(Engine, GradModeGuardsAreThreadLocal) {
  Tensor x = param({1});
  {
    NoGradGuard ng;
    EXPECT_FALSE(is_grad_enabled());
    Tensor y = x * 2.0;
    EXPECT_FALSE(y.requires_grad());
    EXPECT_EQ(y.grad_fn_name(), "");
    {
      EnableGradGuard eg;
      EXPECT_TRUE((x * 2.0).requires_grad());
    }
    EXPECT_FALSE(is_grad_enabled());
    // Another thread has its own grad mode, on by default.
    bool other_enabled = false, other_records = false;
    std::thread t([&] {
      other_enabled = is_grad_enabled();
      other_records = (x * 2.0).requires_grad();
    });
    t.join();
    EXPECT_TRUE(other_enabled);
    EXPECT_TRUE(other_records);
  }
  EXPECT_TRUE(is_grad_enabled());
  std::thread t([] {
    NoGradGuard ng;  // does not leak into the main thread
  });
  t.join();
  EXPECT_TRUE(is_grad_enabled());
}

TEST(Engine, FunctionalGrad) {
  Tensor x = param({1, 2}), w = param({3, 4});
  Tensor y = (x * x).sum();
  BRAID_EXPECT_THROW_MSG(
      autograd::grad({y}, {x, w}, {}, true), AutogradError,
      "[grad] input 1 was not used to compute the outputs; pass allow_unused=true");
  std::vector<Tensor> g =
      autograd::grad({y}, {x, w}, {}, std::nullopt, false, /*allow_unused=*/true);
  EXPECT_EQ(vals(g[0]), (std::vector<double>{2, 4}));
  EXPECT_FALSE(g[1].defined());
  EXPECT_FALSE(x.grad().defined());  // grad() leaves .grad() alone
  // Gradient with respect to an intermediate tensor.
  Tensor h = x * 3.0;
  Tensor loss = (h * h).sum();
  EXPECT_EQ(vals(autograd::grad({loss}, {h})[0]), (std::vector<double>{6, 12}));
  BRAID_EXPECT_THROW_MSG(autograd::grad({loss}, {ones({1})}), AutogradError,
                         "[grad] input 0 does not require grad");
  // Several outputs with explicit seeds.
  Tensor a = x * 2.0, b = x * x;
  std::vector<Tensor> gs =
      autograd::grad({a, b}, {x}, {ones({2}, DType::Float64), full({2}, 0.5, DType::Float64)});
  EXPECT_EQ(vals(gs[0]), (std::vector<double>{3, 4}));  // 2 + 0.5 * 2x
}

TEST(Engine, TensorHooks) {
  Tensor x = param({1, 2});
  int calls = 0;
  x.register_hook([&](const Tensor& g) {
    ++calls;
    return g * 10.0;  // replaces the gradient before it is accumulated
  });
  (x * 3.0 + x).sum().backward();  // two paths, one hook call on their sum
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(vals(x.grad()), (std::vector<double>{40, 40}));

  // Non-leaf hook: sees the gradient of h, and what it returns flows on.
  Tensor z = param({1, 2});
  Tensor h = z * 2.0;
  std::vector<double> seen;
  h.register_hook([&](const Tensor& g) {
    seen = vals(g);
    return Tensor();  // undefined: keep the gradient
  });
  h.register_hook([](const Tensor& g) { return g + 1.0; });
  (h * h).sum().backward();
  EXPECT_EQ(seen, (std::vector<double>{4, 8}));              // 2h
  EXPECT_EQ(vals(z.grad()), (std::vector<double>{10, 18}));  // (2h + 1) * 2
  BRAID_EXPECT_THROW_MSG(
      ones({1}).register_hook([](const Tensor& g) { return g; }), AutogradError,
      "[register_hook] cannot register a hook on a tensor that does not require grad");
}

TEST(Engine, RetainGrad) {
  Tensor x = param({1, 2});
  Tensor h = x * 3.0, k = x * 4.0;
  h.retain_grad();
  EXPECT_TRUE(h.retains_grad());
  (h * h + k).sum().backward();
  EXPECT_EQ(vals(h.grad()), (std::vector<double>{6, 12}));
  EXPECT_FALSE(k.grad().defined());  // non-leaves keep no grad unless asked
  EXPECT_EQ(vals(x.grad()), (std::vector<double>{22, 40}));
  // A second backward adds to the retained gradient, as for a leaf.
  Tensor y = param({1, 2});
  Tensor m = y * 2.0;
  m.retain_grad();
  Tensor loss = (m * m).sum();
  loss.backward({}, true);
  loss.backward();
  EXPECT_EQ(vals(m.grad()), (std::vector<double>{8, 16}));
  EXPECT_FALSE(m.grad().requires_grad());
  BRAID_EXPECT_THROW_MSG(
      ones({1}).retain_grad(), AutogradError,
      "[retain_grad] the tensor does not require grad, so it will never have one");
}

TEST(Engine, ModifiedSavedTensorNamesTheOp) {
  Tensor x = param({1, 2});
  Tensor w = tensor({3.0, 4.0}, DType::Float64);  // same dtype: mul saves w itself, not a cast
  Tensor y = (x * w).sum();
  w.add_(1.0);
  EXPECT_EQ(w.version(), 1u);
  BRAID_EXPECT_THROW_MSG(
      y.backward(), AutogradError,
      "[backward] a tensor that 'mul' saved for backward was modified by an in-place op "
      "(version 0 when saved, now 1); clone() it before modifying it");
  // A saved output, changed through another view of its buffer.
  Tensor e = x.exp();
  Tensor z = e.sum();
  {
    NoGradGuard ng;
    e.detach().mul_(2.0);
  }
  BRAID_EXPECT_THROW_MSG(
      z.backward(), AutogradError,
      "[backward] a tensor that 'exp' saved for backward was modified by an in-place op "
      "(version 0 when saved, now 1); clone() it before modifying it");
}

TEST(Engine, InPlaceRules) {
  Tensor x = param({1, 2});
  BRAID_EXPECT_THROW_MSG(
      x.add_(1.0), AutogradError,
      "[add_] a leaf tensor that requires grad cannot be modified in place while grad is "
      "recorded; wrap the update in NoGradGuard");
  BRAID_EXPECT_THROW_MSG(
      x.mul_(x), AutogradError,
      "[mul_] a leaf tensor that requires grad cannot be modified in place while grad is "
      "recorded; wrap the update in NoGradGuard");
  EXPECT_EQ(x.version(), 0u);  // the refused op changed nothing
  {
    NoGradGuard ng;  // an optimizer step
    x.sub_(ones({2}, DType::Float64), 0.5);
  }
  EXPECT_EQ(vals(x), (std::vector<double>{0.5, 1.5}));
  EXPECT_EQ(x.version(), 1u);
  EXPECT_TRUE(x.is_leaf());
  EXPECT_TRUE(x.requires_grad());
}

// In-place ops on non-leaves join the graph: the tensor takes the op's place.
TEST(Engine, InPlaceOnNonLeavesBackpropagates) {
  Tensor x = param({1, 2});
  Tensor y = x * 1.0;
  y.mul_(3.0);
  y.add_(x);
  EXPECT_EQ(y.grad_fn_name(), "add");
  EXPECT_EQ(vals(y), (std::vector<double>{4, 8}));
  y.sum().backward();
  EXPECT_EQ(vals(x.grad()), (std::vector<double>{4, 4}));

  // self * other where other needs the old self for its gradient.
  Tensor a = param({1, 2}), b = param({3, 5});
  Tensor s = a * 2.0;
  s.mul_(b);
  s.sum().backward();
  EXPECT_EQ(vals(a.grad()), (std::vector<double>{6, 10}));
  EXPECT_EQ(vals(b.grad()), (std::vector<double>{2, 4}));

  // A tensor without grad becomes part of the graph through its operand.
  Tensor c = tensor({2.0, 3.0}, DType::Float64);
  Tensor p = param({4, 5});
  c.mul_(p);
  EXPECT_TRUE(c.requires_grad());
  c.sum().backward();
  EXPECT_EQ(vals(p.grad()), (std::vector<double>{2, 3}));

  // Overwriting with a constant cuts the history: nothing flows to x through y.
  Tensor y2 = x * 2.0;
  y2.copy_(tensor({7.0, 8.0}));
  EXPECT_FALSE(y2.requires_grad());
  EXPECT_EQ(y2.grad_fn_name(), "");
  // ... while copying a tensor that requires grad joins its graph.
  Tensor y3 = zeros({2}, DType::Float64);
  y3.copy_(x * 5.0);
  EXPECT_EQ(y3.grad_fn_name(), "clone");
  x.set_grad({});
  y3.sum().backward();
  EXPECT_EQ(vals(x.grad()), (std::vector<double>{5, 5}));
}

TEST(Engine, AnomalyModeNamesTheOp) {
  {
    AnomalyGuard ag;
    Tensor x = param({-1.0, 4.0});
    Tensor y = x.sqrt().sum();  // sqrt(-1) = nan
    BRAID_EXPECT_THROW_MSG(
        y.backward(), AutogradError,
        "[backward] anomaly: 'sqrt' produced a non-finite value (nan) in its gradient for its "
        "inputs");
    Tensor z = param({0.0});
    Tensor w = (z.log() * 0.0).sum();  // log(0) * 0: the gradient 0 / 0 comes out of log
    BRAID_EXPECT_THROW_MSG(
        w.backward(), AutogradError,
        "[backward] anomaly: 'log' produced a non-finite value (nan) in its gradient for its "
        "inputs");
  }
  EXPECT_FALSE(is_anomaly_enabled());
  // Without anomaly mode the NaN just arrives.
  Tensor x = param({-1.0});
  x.sqrt().sum().backward();
  EXPECT_TRUE(std::isnan(x.grad().item<double>()));
}

TEST(Engine, RequiresGradRules) {
  BRAID_EXPECT_THROW_MSG(
      tensor({1, 2}).requires_grad_(), DTypeError,
      "[requires_grad_] only floating-point tensors can require grad; got dtype int64");
  BRAID_EXPECT_THROW_MSG(
      tensor({true}).requires_grad_(), DTypeError,
      "[requires_grad_] only floating-point tensors can require grad; got dtype bool");
  Tensor x = param({1});
  Tensor y = x * 2.0;
  BRAID_EXPECT_THROW_MSG(
      y.requires_grad_(false), AutogradError,
      "[requires_grad_] can only change requires_grad of a leaf; this tensor comes from 'mul'. "
      "Use detach()");
  EXPECT_TRUE(ones({1}, DType::Float16).requires_grad_().requires_grad());
  x.requires_grad_(false);
  EXPECT_FALSE((x * 2.0).requires_grad());
}

TEST(Engine, GradFnNames) {
  Tensor x = param({1, 2, 3, 4});
  EXPECT_EQ(x.grad_fn_name(), "");
  EXPECT_TRUE(x.is_leaf());
  EXPECT_EQ((x * 2.0).grad_fn_name(), "mul");
  EXPECT_EQ((x + x).grad_fn_name(), "add");
  EXPECT_EQ(x.exp().grad_fn_name(), "exp");
  EXPECT_EQ(x.view({2, 2}).grad_fn_name(), "view");
  EXPECT_EQ(x.reshape({2, 2}).grad_fn_name(), "view");  // reshape is a composite over view
  EXPECT_EQ(x.view({2, 2}).transpose(0, 1).grad_fn_name(), "permute");
  EXPECT_EQ(x.sum().grad_fn_name(), "sum");
  EXPECT_EQ(x.to(DType::Float32).grad_fn_name(), "to");
  EXPECT_FALSE((x * 2.0).is_leaf());
  // Integer and bool outputs never join the graph.
  EXPECT_FALSE((x > 1.0).requires_grad());
  EXPECT_EQ((x > 1.0).grad_fn_name(), "");
}

}  // namespace
}  // namespace braid
