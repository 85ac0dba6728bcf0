// Optimizer parity with PyTorch 1.13: every case in
// tests/fixtures/optim/optimizers.json (scripts/gen_optim_fixtures.py) runs
// five steps with the fixture's gradients (some steps leave a parameter
// without one) and compares the parameters after each step and the state
// buffers after the last (float32: rtol 1e-5; float64: rtol 1e-10).
#include <gtest/gtest.h>

#include "optim/optim_fixture.hpp"

namespace braid {
namespace {

using namespace optim_test;

class OptimizerParity : public ::testing::TestWithParam<std::string> {};

TEST_P(OptimizerParity, MatchesTorch) {
  const json& c = find_case("optimizers.json", GetParam());
  const std::string kind = c["optimizer"];
  const DType dtype = dtype_from_name(c["dtype"].get<std::string>());
  const double rtol = dtype == DType::Float64 ? 1e-10 : 1e-5;
  const double atol = dtype == DType::Float64 ? 1e-12 : 1e-6;

  std::vector<Tensor> params;
  for (const json& p : c["params"])
    params.push_back(tensor_from(p["values"], p["shape"], dtype).requires_grad_());
  auto opt = make_optimizer(kind);
  std::vector<std::pair<size_t, size_t>> where(params.size());  // param -> (group, index)
  for (size_t g = 0; g < c["groups"].size(); ++g) {
    const json& grp = c["groups"][g];
    std::vector<Tensor> ps;
    for (size_t k = 0; k < grp["params"].size(); ++k) {
      size_t i = grp["params"][k];
      ps.push_back(params[i]);
      where[i] = {g, k};
    }
    add_group(*opt, kind, ps, grp["options"]);
  }

  for (size_t step = 0; step < c["grads"].size(); ++step) {
    for (size_t i = 0; i < params.size(); ++i) {
      const json& g = c["grads"][step][i];
      params[i].set_grad(g.is_null() ? Tensor() : tensor_from(g, c["params"][i]["shape"], dtype));
    }
    opt->step();
    for (size_t i = 0; i < params.size(); ++i)
      expect_close(params[i], c["expected"][step][i], rtol, atol,
                   fmt::format("{} step {} param {}", GetParam(), step, i));
  }

  for (size_t i = 0; i < params.size(); ++i) {
    const json& want = c["state"][i];
    const optim::ParamState* st = opt->state(where[i].first, where[i].second);
    ASSERT_NE(st, nullptr) << "param " << i << " has no state";
    size_t torch_buffers = 0;
    if (!want.is_null())
      for (const auto& [name, value] : want.items()) {
        if (name == "step") {
          EXPECT_EQ(st->step, value.get<int64_t>()) << "param " << i;
          continue;
        }
        ++torch_buffers;
        const Tensor* buf = st->find(name);
        ASSERT_NE(buf, nullptr) << "param " << i << " lacks state buffer " << name;
        EXPECT_EQ(buf->dtype(), dtype);
        expect_close(*buf, value, rtol, atol, fmt::format("{} param {} {}", GetParam(), i, name));
      }
    EXPECT_EQ(st->buffers.size(), torch_buffers) << "param " << i << ": buffers torch lacks";
  }
}

INSTANTIATE_TEST_SUITE_P(Optim, OptimizerParity, ::testing::ValuesIn(case_names("optimizers.json")),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace braid
