// The tracer's rules (Note [what a trace specialises]) and the IR's checks.
#include <gtest/gtest.h>

#include <cmath>

#include "braid/braid.hpp"

namespace braid {
namespace {

using runtime::Graph;

std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

std::vector<std::pair<std::string, Tensor>> constants_of(const Graph& g) {
  std::vector<std::pair<std::string, Tensor>> out;
  for (int id : g.constants()) out.emplace_back(g.values[id].name, g.values[id].data);
  return out;
}

TEST(Trace, RefusesInPlaceWritesOnTracedValues) {
  std::string msg = message_of([] {
    graph::trace(
        [](const std::vector<Tensor>& in) {
          Tensor h = relu(in[0]);
          h.add_(1.0);
          return std::vector<Tensor>{h};
        },
        {randn({2, 3})});
  });
  EXPECT_NE(msg.find("changed in place"), std::string::npos) << msg;
}

TEST(Trace, HookIsRemovedWhenTheFunctionThrows) {
  auto bad = [](const std::vector<Tensor>& in) {
    return std::vector<Tensor>{matmul(in[0], in[0])};  // (2, 3) x (2, 3)
  };
  EXPECT_THROW(graph::trace(bad, {randn({2, 3})}), ShapeError);
  // No hook left behind: another trace starts, and records only its own op.
  Graph g =
      graph::trace([](const std::vector<Tensor>& in) { return std::vector<Tensor>{neg(in[0])}; },
                   {randn({2, 3})});
  EXPECT_EQ(g.nodes.size(), 1u);
}

TEST(Trace, ControlFlowIsFixedToTheTracedBranch) {
  auto fn = [](const std::vector<Tensor>& in) {
    Tensor x = in[0];
    return std::vector<Tensor>{sum(x).item<float>() > 0 ? relu(x) : neg(x)};
  };
  Tensor pos = ones({2, 2});
  Graph g = graph::trace(fn, {pos});
  ASSERT_EQ(g.nodes.size(), 2u);  // sum, then relu: the branch taken
  EXPECT_EQ(op_def(g.nodes[1].op).name, "relu");
  Tensor negative = full({2, 2}, -1.0);
  // The graph runs the traced branch, as PyTorch's trace does.
  EXPECT_EQ(runtime::run(g, std::vector<Tensor>{negative})[0].sum().item<float>(), 0.f);
}

TEST(Trace, BatchDependentConstantFixesTheShapes) {
  auto fn = [](const std::vector<Tensor>& in) {
    return std::vector<Tensor>{in[0] + zeros({in[0].size(0), 3})};
  };
  Graph g = graph::trace(fn, {randn({4, 3})});
  EXPECT_FALSE(g.dynamic_batch);
  EXPECT_NE(g.static_reason.find("constant %c0"), std::string::npos) << g.static_reason;
  std::string msg = message_of([&] { runtime::run(g, std::vector<Tensor>{randn({2, 3})}); });
  EXPECT_NE(msg.find("must have shape (4, 3), as traced"), std::string::npos) << msg;
  EXPECT_NE(msg.find("constant %c0"), std::string::npos) << msg;
}

TEST(Trace, ReshapeToTheBatchSizeStaysFree) {
  auto fn = [](const std::vector<Tensor>& in) {
    return std::vector<Tensor>{in[0].reshape({in[0].size(0), 2, 3}).sum({2})};
  };
  Graph g = graph::trace(fn, {randn({4, 6})});
  ASSERT_TRUE(g.dynamic_batch) << g.static_reason;
  ASSERT_EQ(g.nodes[0].batch_attrs.size(), 1u);
  Tensor x = randn({7, 6});
  Graph copy = runtime::from_json(runtime::to_json(g), constants_of(g));
  EXPECT_EQ(runtime::run(copy, std::vector<Tensor>{x})[0].shape(), (Shape{7, 2}));
}

TEST(Trace, WrittenNumbersKeepTheirPromotionThroughJson) {
  // int64 * 0.5 is float32 (a written float takes the default dtype); a
  // 0-dim float64 tensor would make it float64.
  auto fn = [](const std::vector<Tensor>& in) { return std::vector<Tensor>{in[0] * 0.5}; };
  Tensor x = tensor(std::vector<int64_t>{1, 2, 3});
  Graph g = graph::trace(fn, {x});
  Graph copy = runtime::from_json(runtime::to_json(g), constants_of(g));
  EXPECT_EQ(runtime::run(copy, std::vector<Tensor>{x})[0].dtype(), DType::Float32);
}

TEST(Trace, InfiniteAttributesSurviveJson) {
  auto fn = [](const std::vector<Tensor>& in) {
    return std::vector<Tensor>{masked_fill(in[0], in[0] > 0, -INFINITY)};
  };
  Tensor x = tensor({-1.0f, 2.0f});
  Graph g = graph::trace(fn, {x});
  Graph copy = runtime::from_json(runtime::to_json(g), constants_of(g));
  Tensor y = runtime::run(copy, std::vector<Tensor>{x})[0];
  EXPECT_TRUE(std::isinf(y.data_ptr<float>()[1]));
}

TEST(Trace, ModulesTagNodesWithTheirPath) {
  nn::Sequential m(nn::Linear(3, 4), nn::ReLU());
  Graph g = graph::trace(m, randn({2, 3}));
  ASSERT_EQ(g.nodes.size(), 2u);
  EXPECT_EQ(g.nodes[0].scope, "Sequential/0");
  EXPECT_NE(g.str().find("%0.weight: float32(4, 3) = constant"), std::string::npos) << g.str();
}

TEST(Graph, ValidateNamesTheProblem) {
  Graph g;
  int x = g.add_value("x", {2}, DType::Float32);
  int y = g.add_value("y", {2}, DType::Float32);
  g.inputs = {x};
  g.outputs = {y};
  EXPECT_NE(message_of([&] { runtime::validate(g); }).find("output %y is never produced"),
            std::string::npos);
  g.nodes.push_back({OpId::relu, {}, {y}, {y}, "", {}});
  EXPECT_NE(
      message_of([&] { runtime::validate(g); }).find("node 0 (relu): input %y is not produced"),
      std::string::npos);
  g.nodes[0].inputs = {x, x};
  EXPECT_NE(message_of([&] { runtime::validate(g); }).find("takes 1 inputs; the node has 2"),
            std::string::npos);
  g.nodes[0].inputs = {x};
  g.add_value("x", {1}, DType::Float32);
  EXPECT_NE(message_of([&] { runtime::validate(g); }).find("two values are named %x"),
            std::string::npos);
  g.values.pop_back();
  EXPECT_NO_THROW(runtime::validate(g));
}

}  // namespace
}  // namespace braid
