// nn::Module: registration, traversal, state dicts, modes, hooks, printing,
// and the module path in errors (Note [module ownership]).
#include <gtest/gtest.h>

#include "braid/braid.hpp"
#include "core/test_util.hpp"

namespace braid {
namespace {

struct Net : nn::Module {
  nn::Linear& fc1 = register_module("fc1", nn::Linear(4, 3));
  nn::Linear& fc2 = register_module("fc2", nn::Linear(3, 2, false));
  Tensor& scale = register_buffer("scale", ones({1}));
  Tensor forward(const Tensor& x) override { return fc2(relu(fc1(x))) * scale; }
};

std::vector<std::string> names(const std::vector<std::pair<std::string, Tensor>>& v) {
  std::vector<std::string> r;
  for (const auto& [n, t] : v) r.push_back(n);
  return r;
}

TEST(Module, RegistersAndWalksInOrder) {
  manual_seed(0);
  Net net;
  EXPECT_EQ(names(net.named_parameters()),
            (std::vector<std::string>{"fc1.weight", "fc1.bias", "fc2.weight"}));
  EXPECT_EQ(names(net.named_buffers()), (std::vector<std::string>{"scale"}));
  EXPECT_EQ(net.parameters(false).size(), 0u);
  for (const Tensor& p : net.parameters()) EXPECT_TRUE(p.requires_grad());
  auto mods = net.named_modules();
  ASSERT_EQ(mods.size(), 3u);
  EXPECT_EQ(mods[1].first, "fc1");
  EXPECT_EQ(&net.child("fc2"), &net.fc2);
  BRAID_EXPECT_THROW_MSG(net.child("fc3"), ValueError,
                         "[Net] has no child module 'fc3'; children: fc1, fc2");
}

TEST(Module, ReferencesSurviveAMove) {
  manual_seed(0);
  Net a;
  Tensor w = a.fc1.weight;
  Net b = std::move(a);
  EXPECT_EQ(b.fc1.weight.impl_ptr(), w.impl_ptr());
  EXPECT_EQ(b.parameters()[0].impl_ptr(), w.impl_ptr());
  EXPECT_EQ(b(ones({5, 4})).shape(), (Shape{5, 2}));
}

TEST(Module, StateDictRoundTripsInPlace) {
  manual_seed(1);
  Net a;
  manual_seed(2);
  Net b;
  Tensor handle = b.fc1.weight;
  b.load_state_dict(a.state_dict());
  EXPECT_EQ(b.fc1.weight.impl_ptr(), handle.impl_ptr()) << "loads copy in place";
  EXPECT_EQ(b.fc1.weight.to_vector<float>(), a.fc1.weight.to_vector<float>());
  const nn::StateDict sd = a.state_dict();
  EXPECT_EQ(names(std::vector<std::pair<std::string, Tensor>>(sd.begin(), sd.end())),
            (std::vector<std::string>{"scale", "fc1.weight", "fc1.bias", "fc2.weight"}))
      << "PyTorch's order: own parameters and buffers before the children's";
}

TEST(Module, LoadStateDictListsBadKeysAndChangesNothing) {
  manual_seed(3);
  Net net;
  const std::vector<float> before = net.fc1.weight.to_vector<float>();
  nn::StateDict sd = net.state_dict();
  nn::StateDict partial;
  for (const auto& [n, t] : sd)
    if (n != "fc2.weight") partial.insert(n, zeros(t.shape()));
  partial.insert("fc3.weight", zeros({1}));
  BRAID_EXPECT_THROW_MSG(net.load_state_dict(partial), ValueError,
                         "[load_state_dict] keys do not match (strict); missing: fc2.weight; "
                         "unexpected: fc3.weight");
  EXPECT_EQ(net.fc1.weight.to_vector<float>(), before);
  nn::LoadResult r = net.load_state_dict(partial, false);
  EXPECT_EQ(r.missing_keys, (std::vector<std::string>{"fc2.weight"}));
  EXPECT_EQ(r.unexpected_keys, (std::vector<std::string>{"fc3.weight"}));
  nn::StateDict wrong;
  wrong.insert("fc1.weight", zeros({4, 3}));
  BRAID_EXPECT_THROW_MSG(net.load_state_dict(wrong, false), ShapeError,
                         "[load_state_dict] shape mismatch for 'fc1.weight': checkpoint (4, 3) "
                         "vs model (3, 4)");
}

TEST(Module, TrainEvalZeroGradAndTo) {
  Net net;
  net.eval();
  EXPECT_FALSE(net.fc1.is_training());
  net.train();
  EXPECT_TRUE(net.fc2.is_training());
  net(ones({2, 4})).sum().backward();
  EXPECT_TRUE(net.fc1.weight.grad().defined());
  net.zero_grad();
  EXPECT_FALSE(net.fc1.weight.grad().defined());
  net.to(DType::Float64);
  EXPECT_EQ(net.fc1.weight.dtype(), DType::Float64);
  EXPECT_TRUE(net.fc1.weight.requires_grad());
  EXPECT_EQ(net.scale.dtype(), DType::Float64);
  EXPECT_EQ(net(ones({2, 4}, DType::Float64)).dtype(), DType::Float64);
}

TEST(Module, HooksSeeAndReplaceValues) {
  Net net;
  int calls = 0;
  nn::HookHandle h = net.fc1.register_forward_hook(
      [&](nn::Module&, const Tensor& in, const Tensor& out) -> std::optional<Tensor> {
        ++calls;
        EXPECT_EQ(in.shape(), (Shape{2, 4}));
        return zeros_like(out);
      });
  Tensor y = net(ones({2, 4}));
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(y.to_vector<float>(), std::vector<float>(4, 0.0f)) << "relu(0) @ W = 0";
  h.remove();
  net(ones({2, 4}));
  EXPECT_EQ(calls, 1);
}

TEST(Module, ErrorsNameTheLayerPath) {
  Net net;
  net.set_name("model");
  BRAID_EXPECT_THROW_MSG(net(ones({2, 5})), ShapeError,
                         "[Linear] input's last dim must be in_features=4; got input=(2, 5)\n"
                         "  in model/fc1 (Linear in_features=4, out_features=3, bias=True)");
  nn::Sequential seq{nn::Linear(4, 3), nn::Linear(2, 1)};
  BRAID_EXPECT_THROW_MSG(seq(ones({2, 4})), ShapeError,
                         "[Linear] input's last dim must be in_features=2; got input=(2, 3)\n"
                         "  in Sequential/1 (Linear in_features=2, out_features=1, bias=True)");
}

TEST(Module, PrintsLikePyTorch) {
  nn::Sequential seq{nn::Linear(4, 3), nn::Linear(3, 1, false)};
  EXPECT_EQ(seq.str(),
            "Sequential(\n"
            "  (0): Linear(in_features=4, out_features=3, bias=True)\n"
            "  (1): Linear(in_features=3, out_features=1, bias=False)\n"
            ")");
  EXPECT_EQ(Net().str().substr(0, 5), "Net(\n");
}

TEST(Module, RejectsBadNames) {
  struct Bad : nn::Module {
    void twice() {
      register_buffer("x", ones({1}));
      register_buffer("x", ones({1}));
    }
    void dotted() { register_parameter("a.b", ones({1})); }
  } bad;
  BRAID_EXPECT_THROW_MSG(bad.twice(), ValueError, "[Bad] buffer name 'x' is already registered");
  BRAID_EXPECT_THROW_MSG(bad.dotted(), ValueError,
                         "[Bad] parameter name 'a.b' must be non-empty and contain no '.'");
}

}  // namespace
}  // namespace braid
