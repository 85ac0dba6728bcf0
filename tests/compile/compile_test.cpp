// The compiled executor (compile/compile.hpp): fused steps against the eager
// ops, the registry fallback, the memory plan, input errors, and the
// returned tensors' independence from the arena.
#include "compile_test_util.hpp"
#include "models.hpp"

namespace braid {
namespace {

using runtime::Graph;
using testing_compile::bit_equal;
using testing_compile::close;
using testing_compile::message_of;

using Fn = std::function<std::vector<Tensor>(const std::vector<Tensor>&)>;

CompiledModule compile_fn(const Fn& f, const std::vector<Tensor>& example, CompileOptions o = {},
                          graph::TraceOptions t = {}) {
  NoGradGuard no_grad;
  return compile(graph::trace(f, example, t), o);
}

std::vector<Tensor> eager(const Fn& f, const std::vector<Tensor>& in) {
  NoGradGuard no_grad;
  return f(in);
}

TEST(Compile, EveryActivationEpilogueMatchesEager) {
  manual_seed(30);
  const std::vector<std::function<Tensor(const Tensor&)>> acts = {
      [](const Tensor& t) { return relu(t); },
      [](const Tensor& t) { return gelu(t); },
      [](const Tensor& t) { return gelu(t, "tanh"); },
      [](const Tensor& t) { return sigmoid(t); },
      [](const Tensor& t) { return tanh(t); },
      [](const Tensor& t) { return silu(t); },
      [](const Tensor& t) { return leaky_relu(t, 0.1); },
      [](const Tensor& t) { return elu(t, 0.7); },
      [](const Tensor& t) { return clamp(t, -0.5, 0.5); },
  };
  Tensor w = randn({24, 20}), b = randn({24}), wc = randn({6, 3, 3, 3}), bc = randn({6});
  for (size_t k = 0; k < acts.size(); ++k) {
    Fn lin = [&](const std::vector<Tensor>& in) {
      return std::vector<Tensor>{acts[k](linear(in[0], w, b))};
    };
    Fn conv = [&](const std::vector<Tensor>& in) {
      return std::vector<Tensor>{acts[k](conv2d(in[0], wc, bc))};
    };
    CompiledModule cl = compile_fn(lin, {randn({16, 20})});
    CompiledModule cc = compile_fn(conv, {randn({2, 3, 7, 7})});
    EXPECT_NE(cl.report().find("fuse (epilogue)"), std::string::npos) << cl.report();
    // 16 rows: the eager GEMM, then the same formulas: bit for bit; relu
    // runs in the packed oneDNN matmul (Note [packed linear]): a few ulps.
    Tensor x = randn({16, 20}), xc = randn({2, 3, 7, 7});
    if (k == 0)
      EXPECT_TRUE(close(cl(x), eager(lin, {x})[0], 1e-5)) << "activation " << k;
    else
      EXPECT_TRUE(bit_equal(cl(x), eager(lin, {x})[0])) << "activation " << k;
    EXPECT_TRUE(bit_equal(cc(xc), eager(conv, {xc})[0])) << "activation " << k;
    // 2 rows: the small-batch kernel, within a few ulps.
    Tensor x2 = randn({2, 20});
    EXPECT_TRUE(close(cl(x2), eager(lin, {x2})[0], 1e-5)) << "activation " << k;
  }
}

TEST(Compile, SmallBatchLinearAtEveryWidth) {
  manual_seed(31);
  for (int64_t n : {1, 10, 16, 17, 64, 65, 130}) {
    for (int64_t k : {1, 7, 300}) {
      Tensor w = randn({n, k}) * (1.0 / std::sqrt(double(k))), b = randn({n});
      Fn f = [&](const std::vector<Tensor>& in) {
        return std::vector<Tensor>{linear(in[0], w, b)};
      };
      CompiledModule c = compile_fn(f, {randn({2, k})});
      for (int64_t m : {1, 3, 4, 5, 8, 9}) {
        Tensor x = randn({m, k});
        Tensor want = eager(f, {x})[0];
        // Up to 8 rows the small-batch kernel, above the packed oneDNN
        // matmul: each sums in its own order.
        EXPECT_TRUE(close(c(x), want, 1e-5)) << "m=" << m << " n=" << n << " k=" << k;
      }
    }
  }
}

TEST(Compile, ElementwiseChainsMatchEagerBitForBit) {
  manual_seed(32);
  Tensor per_channel = randn({3, 1, 1}), per_col = randn({5}), same = randn({2, 3, 4, 5});
  Tensor row = randn({2, 1, 1, 1}) + 3;
  Fn f = [&](const std::vector<Tensor>& in) {
    const Tensor& x = in[0];
    Tensor a = exp(x * 0.5 + per_channel);             // mul, add (C,1,1), exp
    Tensor s = sigmoid(a - per_col) * same;            // sub (W), sigmoid, mul (same shape)
    Tensor t = maximum(2.0 - tanh(s), per_col) / row;  // rsub by a scalar, max, div (N,1,1,1)
    return std::vector<Tensor>{sqrt(abs(t)) + softplus(t) + gelu(t) * erf(t) + square(t) +
                               log1p(abs(t))};
  };
  // `same` fixes the batch: traced without the batch check.
  CompiledModule c = compile_fn(f, {randn({2, 3, 4, 5})}, {}, {.check_batch = false});
  EXPECT_NE(c.report().find("fuse (elementwise)"), std::string::npos) << c.report();
  Tensor x = randn({2, 3, 4, 5});
  EXPECT_TRUE(bit_equal(c(x), eager(f, {x})[0])) << c.report();
  PlanStats st = c.plan_stats({{2, 3, 4, 5}});
  EXPECT_GE(st.fused_steps, 2);
  EXPECT_EQ(st.fallback_steps, 0) << c.report();
}

TEST(Compile, NodesWithoutAFastStepRunThroughTheRegistry) {
  manual_seed(33);
  Tensor w = randn({6, 8}), b = randn({6}), g = randn({6}), beta = randn({6});
  Fn f = [&](const std::vector<Tensor>& in) {
    Tensor h = softmax(in[0], -1);                 // registry
    h = relu(linear(h, w, b));                     // fused, reads a registry result
    h = layer_norm(h, {6}, g, beta);               // registry, reads a fused result
    return std::vector<Tensor>{cumsum(h, 1) * 2};  // registry, then an elementwise step
  };
  CompiledModule c = compile_fn(f, {randn({10, 8})});
  Tensor x = randn({10, 8});
  EXPECT_TRUE(close(c(x), eager(f, {x})[0], 1e-4)) << c.report();
  PlanStats st = c.plan_stats({{10, 8}});
  EXPECT_EQ(st.fallback_steps, 3) << c.report();
  EXPECT_NE(c.report().find("softmax through the op registry"), std::string::npos);
}

TEST(Compile, DataDependentShapesRunOnThePlainExecutor) {
  Fn f = [](const std::vector<Tensor>& in) { return std::vector<Tensor>{nonzero(relu(in[0]))}; };
  CompiledModule c = compile_fn(f, {randn({4, 3})});
  Tensor x = randn({4, 3});
  EXPECT_TRUE(bit_equal(c(x), eager(f, {x})[0]));
  EXPECT_NE(c.report().find("no plan"), std::string::npos) << c.report();
}

TEST(Compile, BadInputsNameTheInput) {
  manual_seed(34);
  auto m = examples::mlp_sequential();
  m.eval();
  CompiledModule c = compile(m, randn({2, 1, 28, 28}));
  std::string msg = message_of([&] { c(randn({2, 28, 28})); });
  EXPECT_NE(msg.find("input 'input' must have shape (2, 1, 28, 28) (any size in dim 0)"),
            std::string::npos)
      << msg;
  EXPECT_NE(msg.find("got (2, 28, 28)"), std::string::npos) << msg;
  msg = message_of([&] { c(ones({2, 1, 28, 28}, DType::Float64)); });
  EXPECT_NE(msg.find("input 'input' must be float32; got float64"), std::string::npos) << msg;
  msg = message_of([&] { c(std::vector<Tensor>{randn({1, 1, 28, 28}), randn({1})}); });
  EXPECT_NE(msg.find("takes 1 inputs (input); got 2"), std::string::npos) << msg;
  msg = message_of([&] { c(Tensor()); });
  EXPECT_NE(msg.find("input 'input' is undefined"), std::string::npos) << msg;
}

TEST(Compile, StaticGraphsKeepTheirShapes) {
  Graph g =
      graph::trace([](const std::vector<Tensor>& in) { return std::vector<Tensor>{relu(in[0])}; },
                   {randn({2, 3})}, {.check_batch = false});
  CompiledModule c = compile(std::move(g));
  std::string msg = message_of([&] { c(randn({3, 3})); });
  EXPECT_NE(msg.find("input 'input' must have shape (2, 3), as traced; got (3, 3)"),
            std::string::npos)
      << msg;
}

TEST(Compile, OutputsDoNotShareMemoryWithTheArenaOrEachOther) {
  manual_seed(35);
  auto m = examples::cnn_sequential();
  m.eval();
  CompiledModule c = compile(m, randn({2, 1, 28, 28}));
  Tensor y1 = c(randn({2, 1, 28, 28}));
  Tensor saved = y1.clone();
  Tensor y2 = c(randn({2, 1, 28, 28}));
  EXPECT_TRUE(bit_equal(y1, saved));
  EXPECT_NE(y1.raw_data(), y2.raw_data());

  // The same value twice, an input, and a view of an intermediate.
  Fn f = [](const std::vector<Tensor>& in) {
    Tensor r = relu(in[0]);
    return std::vector<Tensor>{r, in[0], r, flatten(r, 0)};
  };
  CompiledModule cf = compile_fn(f, {randn({2, 3})});
  Tensor x = randn({2, 3});
  std::vector<Tensor> out = cf({x});
  ASSERT_EQ(out.size(), 4u);
  EXPECT_TRUE(bit_equal(out[0], relu(x)));
  EXPECT_TRUE(bit_equal(out[1], x));
  EXPECT_TRUE(bit_equal(out[2], relu(x)));
  EXPECT_TRUE(bit_equal(out[3], flatten(relu(x), 0)));
  EXPECT_NE(out[1].raw_data(), x.raw_data());
  EXPECT_NE(out[0].raw_data(), out[2].raw_data());
  EXPECT_NE(out[0].raw_data(), out[3].raw_data());
}

TEST(Compile, ArenaReusesMemoryBetweenLifetimes) {
  manual_seed(36);
  auto m = examples::cnn_sequential();
  m.eval();
  CompiledModule planned = compile(m, randn({2, 1, 28, 28}));
  CompiledModule unplanned = compile(m, randn({2, 1, 28, 28}), {.plan_memory = false});
  PlanStats a = planned.plan_stats({{4, 1, 28, 28}});
  PlanStats b = unplanned.plan_stats({{4, 1, 28, 28}});
  EXPECT_GE(b.arena_bytes, b.intermediate_bytes);
  EXPECT_EQ(a.intermediate_bytes, b.intermediate_bytes);
  EXPECT_EQ(a.alias_nodes, 1);  // the flatten
  if (planned.report().find("conv chain") != std::string::npos) {
    // conv, relu, conv, relu, pool in one step; linear+relu: the pooled
    // values and the linear's output are both alive at the linear.
    EXPECT_LE(a.arena_bytes, a.intermediate_bytes) << planned.report();
    EXPECT_GE(a.fused_steps, 2);
  } else {  // no oneDNN chain (Note [conv chains]): layer by layer
    EXPECT_LT(a.arena_bytes, a.intermediate_bytes) << planned.report();
    EXPECT_GE(a.fused_steps, 3);  // conv+relu twice, linear+relu
    // The second conv's relu runs on the pooled values (Note [relu after max pooling]).
    EXPECT_NE(planned.report().find("max_pool2d 24x24 -> 12x12, 256 planes +relu"),
              std::string::npos)
        << planned.report();
  }
  Tensor x = randn({4, 1, 28, 28});
  EXPECT_TRUE(bit_equal(planned(x), unplanned(x)));
}

TEST(Compile, ReplansWhenTheBatchChanges) {
  manual_seed(37);
  auto m = examples::mlp_sequential();
  m.eval();
  CompiledModule c = compile(m, randn({2, 1, 28, 28}));
  NoGradGuard no_grad;
  for (int64_t b : {1, 40, 1, 7, 40}) {
    Tensor x = randn({b, 1, 28, 28});
    EXPECT_TRUE(close(c(x), m(x), 1e-4)) << "batch " << b;
  }
  const std::string r = c.report();
  EXPECT_NE(r.find("plan for inputs (1, 1, 28, 28)"), std::string::npos) << r;
  EXPECT_NE(r.find("plan for inputs (40, 1, 28, 28)"), std::string::npos) << r;
}

TEST(Compile, StridedInputs) {
  manual_seed(38);
  Tensor w = randn({5, 4});
  Fn f = [&](const std::vector<Tensor>& in) { return std::vector<Tensor>{relu(linear(in[0], w))}; };
  CompiledModule c = compile_fn(f, {randn({3, 4})});
  Tensor x = randn({4, 12}).transpose(0, 1);  // (12, 4), not contiguous
  ASSERT_FALSE(x.is_contiguous());
  EXPECT_TRUE(close(c(x), eager(f, {x.contiguous()})[0], 1e-5));
}

}  // namespace
}  // namespace braid

namespace braid {
namespace {

TEST(Compile, ConvGeometriesMatchEager) {
  manual_seed(39);
  struct Case {
    int64_t c_in, c_out, k;
    ConvOptions o;
  };
  const std::vector<Case> cases = {
      {4, 6, 3, {.stride = 2, .padding = 1}},
      {4, 6, 3, {.padding = ConvPadding("same"), .dilation = 2}},
      {4, 8, 1, {}},
      {4, 8, 3, {.padding = 1, .groups = 2}},
      {4, 4, 5, {.padding = ConvPadding("valid")}},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    const Case& c = cases[i];
    Tensor w = randn({c.c_out, c.c_in / c.o.groups, c.k, c.k}), b = randn({c.c_out});
    Fn f = [&](const std::vector<Tensor>& in) {
      return std::vector<Tensor>{relu(conv2d(in[0], w, b, c.o))};
    };
    CompiledModule cm = compile_fn(f, {randn({2, c.c_in, 9, 9})});
    Tensor x = randn({3, c.c_in, 9, 9});
    EXPECT_TRUE(bit_equal(cm(x), eager(f, {x})[0])) << "case " << i << "\n" << cm.report();
  }
}

TEST(Compile, EmptyBatch) {
  manual_seed(40);
  auto m = examples::cnn_sequential();
  m.eval();
  CompiledModule c = compile(m, randn({2, 1, 28, 28}));
  Tensor y = c(randn({0, 1, 28, 28}));
  EXPECT_EQ(y.shape(), (Shape{0, 10}));
}

}  // namespace
}  // namespace braid

namespace braid {
namespace {

TEST(Compile, KeepsTheWeightsOfCompileTime) {
  manual_seed(41);
  auto m = examples::mlp_sequential();
  m.eval();
  CompiledModule c = compile(m, randn({2, 1, 28, 28}));
  for (int64_t b : {1, 16}) {  // the packed small-batch weights, and the GEMM's
    Tensor x = randn({b, 1, 28, 28});
    Tensor before = c(x);
    {
      NoGradGuard no_grad;
      for (auto& [name, p] : m.named_parameters()) p.mul_(2.0);
    }
    EXPECT_TRUE(bit_equal(c(x), before)) << "batch " << b;
  }
}

}  // namespace
}  // namespace braid
