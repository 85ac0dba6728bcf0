// The optimizers beyond the formulas (those are in optimizer_parity_test):
// state_dict round trips (Note [optimizer state_dict]), bad input, groups,
// Keras-style construction, strided and large parameters, and an end-to-end fit.
#include <gtest/gtest.h>

#include "core/test_util.hpp"
#include "optim/optim_fixture.hpp"

namespace braid {
namespace {

using namespace optim_test;

// Fresh leaves holding the fixture case's initial values.
std::vector<Tensor> case_params(const json& c) {
  DType dtype = dtype_from_name(c["dtype"].get<std::string>());
  std::vector<Tensor> ps;
  for (const json& p : c["params"])
    ps.push_back(tensor_from(p["values"], p["shape"], dtype).requires_grad_());
  return ps;
}

std::unique_ptr<optim::GroupedOptimizer> case_optimizer(const json& c, std::vector<Tensor>& ps) {
  auto opt = make_optimizer(c["optimizer"]);
  for (const json& grp : c["groups"]) {
    std::vector<Tensor> sel;
    for (size_t i : grp["params"].get<std::vector<size_t>>()) sel.push_back(ps[i]);
    add_group(*opt, c["optimizer"], sel, grp["options"]);
  }
  return opt;
}

void set_grads(const json& c, std::vector<Tensor>& ps, size_t step) {
  DType dtype = ps[0].dtype();
  for (size_t i = 0; i < ps.size(); ++i) {
    const json& g = c["grads"][step][i];
    ps[i].set_grad(g.is_null() ? Tensor() : tensor_from(g, c["params"][i]["shape"], dtype));
  }
}

std::vector<std::vector<double>> values_of(const std::vector<Tensor>& ps) {
  std::vector<std::vector<double>> v;
  for (const Tensor& p : ps) v.push_back(p.to_vector<double>());
  return v;
}

// Steps 0-1 on optimizer A, save, steps 2-4 on A; a second optimizer with other
// options loads the saved state onto copies of the step-1 values and must then
// produce bit-identical steps 2-4.
class StateDictRoundTrip : public ::testing::TestWithParam<std::string> {};

TEST_P(StateDictRoundTrip, ContinuesIdentically) {
  const json& c = find_case("optimizers.json", GetParam());
  std::vector<Tensor> a = case_params(c);
  auto opt_a = case_optimizer(c, a);
  for (size_t s = 0; s < 2; ++s) set_grads(c, a, s), opt_a->step();
  nn::StateDict saved = opt_a->state_dict();
  std::vector<Tensor> b;
  for (const Tensor& p : a) b.push_back(p.detach().clone().requires_grad_());
  for (size_t s = 2; s < 5; ++s) set_grads(c, a, s), opt_a->step();

  auto opt_b = case_optimizer(c, b);
  opt_b->set_lr(123.0);  // overwritten by the load
  opt_b->load_state_dict(saved);
  EXPECT_EQ(opt_b->lr(0), opt_a->lr(0));
  for (size_t s = 2; s < 5; ++s) set_grads(c, b, s), opt_b->step();
  EXPECT_EQ(values_of(b), values_of(a));
}

INSTANTIATE_TEST_SUITE_P(Optim, StateDictRoundTrip,
                         ::testing::Values("sgd_nesterov_wd", "adam_wd_amsgrad_f64",
                                           "adam_two_groups", "adamw_default",
                                           "rmsprop_centered_momentum", "adagrad_decay_init",
                                           "sgd_two_groups"),
                         [](const auto& info) { return info.param; });

TEST(OptimStateDict, LayoutAndCopies) {
  Tensor w = tensor({1.0, 2.0}).requires_grad_();
  Tensor b = tensor({0.5}).requires_grad_();
  optim::Adam opt({w}, {.lr = 0.1, .amsgrad = true});
  opt.add_param_group({b}, {.lr = 0.2});
  w.set_grad(tensor({1.0, -1.0}));
  opt.step();
  nn::StateDict sd = opt.state_dict();
  std::vector<std::string> keys;
  for (const auto& [k, t] : sd) keys.push_back(k);
  EXPECT_EQ(keys, (std::vector<std::string>{"param_groups.0.params",  "param_groups.0.lr",
                                            "param_groups.0.beta1",   "param_groups.0.beta2",
                                            "param_groups.0.eps",     "param_groups.0.weight_decay",
                                            "param_groups.0.amsgrad", "param_groups.0.maximize",
                                            "param_groups.1.params",  "param_groups.1.lr",
                                            "param_groups.1.beta1",   "param_groups.1.beta2",
                                            "param_groups.1.eps",     "param_groups.1.weight_decay",
                                            "param_groups.1.amsgrad", "param_groups.1.maximize",
                                            "state.0.step",           "state.0.exp_avg",
                                            "state.0.exp_avg_sq",     "state.0.max_exp_avg_sq"}));
  EXPECT_EQ(sd.at("param_groups.1.params").to_vector<int64_t>(), std::vector<int64_t>{1});
  EXPECT_EQ(sd.at("param_groups.1.lr").item<double>(), 0.2);
  EXPECT_EQ(sd.at("param_groups.0.amsgrad").item<double>(), 1.0);
  EXPECT_EQ(sd.at("state.0.step").item<int64_t>(), 1);
  std::vector<float> m = sd.at("state.0.exp_avg").to_vector<float>();
  opt.step();
  EXPECT_EQ(sd.at("state.0.exp_avg").to_vector<float>(), m) << "the saved dict is a copy";
}

// `sd` without key `drop`, with `key` set (or added) to `value`.
nn::StateDict edited(const nn::StateDict& sd, const std::string& drop, const std::string& key = "",
                     Tensor value = {}) {
  nn::StateDict out;
  for (const auto& [k, t] : sd)
    if (k != drop) out.insert(k, k == key ? value : t);
  if (!key.empty() && !sd.find(key)) out.insert(key, value);
  return out;
}

TEST(OptimStateDict, RejectsMismatchesAndChangesNothing) {
  Tensor w = tensor({1.0, 2.0, 3.0}).requires_grad_();
  optim::Adam opt({w}, {.lr = 0.1});
  w.set_grad(tensor({1.0, -1.0, 0.5}));
  opt.step();
  const nn::StateDict good = opt.state_dict();
  auto check = [&](const nn::StateDict& bad, auto type_tag, const std::string& part) {
    using E = decltype(type_tag);
    BRAID_EXPECT_THROW_HAS(opt.load_state_dict(bad), E, part);
    EXPECT_EQ(opt.lr(0), 0.1);
    EXPECT_EQ(opt.state(0, 0)->step, 1);
    EXPECT_EQ(opt.state(0, 0)->find("exp_avg")->to_vector<float>(),
              good.at("state.0.exp_avg").to_vector<float>());
  };
  check(edited(good, "state.0.step"), ValueError(""), "missing key 'state.0.step'");
  check(edited(good, "", "state.0.exp_avg", zeros({2})), ShapeError(""),
        "[Adam.load_state_dict] 'state.0.exp_avg' has shape (2) but its parameter has shape (3)");
  check(edited(good, "", "state.0.momentum_buffer", zeros({3})), ValueError(""),
        "unexpected key 'state.0.momentum_buffer': Adam keeps no 'momentum_buffer'");
  check(edited(good, "param_groups.0.eps"), ValueError(""), "missing key 'param_groups.0.eps'");
  check(edited(good, "", "param_groups.0.momentum", full({}, 0.9, DType::Float64)), ValueError(""),
        "unexpected key 'param_groups.0.momentum': Adam has no option");
  check(edited(good, "", "param_groups.0.beta1", full({}, 1.5, DType::Float64)), ValueError(""),
        "param group 0: [Adam] betas[0] must be in [0, 1); got 1.5");
  check(edited(good, "", "param_groups.1.lr", full({}, 0.1, DType::Float64)), ValueError(""),
        "the state has 2 param group(s) but the optimizer has 1");
  check(edited(good, "", "param_groups.0.params", tensor({0, 1})), ValueError(""),
        "param group 0 has 2 parameter(s) in the state but 1 in the optimizer");
  check(edited(good, "", "state.7.step", full({}, 1, DType::Int64)), ValueError(""),
        "state.7 belongs to no parameter");
  check(edited(good, "", "momentum", zeros({})), ValueError(""), "unexpected key 'momentum'");

  optim::SGD sgd({w}, {.lr = 0.1, .momentum = 0.9});
  BRAID_EXPECT_THROW_HAS(sgd.load_state_dict(good), ValueError,
                         "unexpected key 'param_groups.0.amsgrad': SGD has no option 'amsgrad'");
}

TEST(Optimizer, OptionAndParameterErrors) {
  Tensor w = ones({2}).requires_grad_();
  BRAID_EXPECT_THROW_MSG(optim::Adam({w}, {.lr = -1}), ValueError,
                         "[Adam] lr must be >= 0; got -1");
  BRAID_EXPECT_THROW_MSG(optim::AdamW({w}, {.betas = {0.9, 1.0}}), ValueError,
                         "[AdamW] betas[1] must be in [0, 1); got 1");
  BRAID_EXPECT_THROW_HAS(optim::SGD({w}, {.nesterov = true}), ValueError,
                         "[SGD] Nesterov momentum requires momentum > 0 and dampening = 0");
  BRAID_EXPECT_THROW_MSG(optim::RMSprop({w}, {.alpha = -0.5}), ValueError,
                         "[RMSprop] alpha must be >= 0; got -0.5");
  BRAID_EXPECT_THROW_MSG(optim::Adagrad({w}, {.lr_decay = -1}), ValueError,
                         "[Adagrad] lr_decay must be >= 0; got -1");
  BRAID_EXPECT_THROW_HAS(optim::SGD(optim::ParamList(std::vector<Tensor>{})), ValueError,
                         "[SGD] got an empty parameter list");
  BRAID_EXPECT_THROW_MSG(optim::SGD({w * 2}), ValueError,
                         "[SGD] can't optimize a non-leaf tensor (parameter 0 of the new group "
                         "was made by mul)");
  BRAID_EXPECT_THROW_MSG(optim::SGD({tensor({1, 2})}), DTypeError,
                         "[SGD] can only optimize floating-point tensors; parameter 0 of the new "
                         "group is int64");
  BRAID_EXPECT_THROW_MSG(optim::SGD({w, w}), ValueError,
                         "[SGD] parameter 1 appears twice in the new group");
  optim::SGD opt({w});
  BRAID_EXPECT_THROW_MSG(opt.add_param_group({w}), ValueError,
                         "[SGD] parameter 0 of the new group is already in param group 0");
  BRAID_EXPECT_THROW_MSG(opt.params(1), IndexError,
                         "[SGD] param group 1 is out of range; the optimizer has 1 group(s)");
  BRAID_EXPECT_THROW_MSG(opt.set_lr(-0.5, 0), ValueError, "[SGD] lr must be >= 0; got -0.5");
  EXPECT_EQ(opt.num_param_groups(), 1u);
}

TEST(Optimizer, BadGradientOrOptionChangesNothing) {
  Tensor a = ones({2}).requires_grad_(), b = ones({3}).requires_grad_();
  optim::SGD opt({a, b}, {.lr = 1.0});
  a.set_grad(ones({2}));
  b.set_grad(ones({3}, DType::Float64));  // set_grad checks shapes, not dtypes
  BRAID_EXPECT_THROW_MSG(opt.step(), DTypeError,
                         "[SGD] gradient of parameter 1 in group 0 is float64 but the parameter "
                         "is float32");
  EXPECT_EQ(a.to_vector<float>(), (std::vector<float>{1, 1})) << "no parameter was updated";
  opt.options(0).momentum = -1;  // edited between steps: checked at the next step
  b.set_grad(ones({3}));
  BRAID_EXPECT_THROW_MSG(opt.step(), ValueError, "[SGD] momentum must be >= 0; got -1");
  EXPECT_EQ(a.to_vector<float>(), (std::vector<float>{1, 1}));
  opt.options(0).momentum = 0;
  opt.step();
  EXPECT_EQ(a.to_vector<float>(), (std::vector<float>{0, 0}));
}

TEST(Optimizer, KerasStyleGroupsLrMomentumAndZeroGrad) {
  optim::Adam opt({.lr = 0.01});
  EXPECT_EQ(opt.num_param_groups(), 0u);
  opt.step();  // nothing to do
  Tensor w = ones({2}).requires_grad_(), v = ones({1}).requires_grad_();
  opt.add_param_group({w});
  opt.add_param_group({v}, {.lr = 0.5, .betas = {0.8, 0.9}});
  EXPECT_EQ(opt.name(), "Adam");
  EXPECT_EQ(opt.lr(0), 0.01);
  EXPECT_EQ(opt.lr(1), 0.5);
  opt.set_lr(0.2);
  EXPECT_EQ(opt.lr(1), 0.2);
  EXPECT_EQ(opt.momentum(1), 0.8);
  opt.set_momentum(0.7, 1);
  EXPECT_EQ(opt.options(1).betas[0], 0.7);
  optim::Adagrad ada({w});
  EXPECT_FALSE(ada.momentum(0).has_value());
  BRAID_EXPECT_THROW_MSG(ada.set_momentum(0.9, 0), ValueError,
                         "[Adagrad] this optimizer has no momentum to set");

  w.set_grad(ones({2}));
  uint32_t version = w.version();
  opt.step();
  EXPECT_GT(w.version(), version) << "in-place updates bump the version counter";
  EXPECT_EQ(opt.state(1, 0), nullptr) << "v had no gradient";
  opt.zero_grad(false);
  EXPECT_EQ(w.grad().to_vector<float>(), (std::vector<float>{0, 0}));
  opt.zero_grad();
  EXPECT_FALSE(w.grad().defined());
}

TEST(Optimizer, StridedParameterMatchesContiguous) {
  Tensor base = tensor({{1.0, 2.0, 3.0}, {4.0, 5.0, 6.0}});
  Tensor strided = base.t().requires_grad_();  // (3, 2) view with strides (1, 3)
  ASSERT_FALSE(strided.is_contiguous());
  Tensor packed = base.t().contiguous().requires_grad_();
  Tensor grad = tensor({{0.1, -0.2}, {0.3, 0.4}, {-0.5, 0.6}});
  optim::Adam a({strided}, {.lr = 0.1}), b({packed}, {.lr = 0.1});
  for (int s = 0; s < 3; ++s) {
    strided.set_grad(grad);
    packed.set_grad(grad.t().contiguous().t());  // a strided gradient too
    a.step(), b.step();
  }
  EXPECT_EQ(strided.to_vector<float>(), packed.to_vector<float>());
  EXPECT_EQ(base.t().to_vector<float>(), packed.to_vector<float>()) << "written through the view";
}

TEST(Optimizer, BigParameterIsThreadCountIndependent) {
  const int saved = get_num_threads();
  std::vector<std::vector<float>> results;
  for (int threads : {1, 4}) {
    set_num_threads(threads);
    manual_seed(7);
    Tensor w = randn({300000}).requires_grad_();
    Tensor g = randn({300000});
    optim::RMSprop opt({w}, {.momentum = 0.9, .centered = true});
    for (int s = 0; s < 2; ++s) w.set_grad(g), opt.step();
    results.push_back(w.to_vector<float>());
  }
  set_num_threads(saved);
  EXPECT_EQ(results[0], results[1]);
}

TEST(Optimizer, AdamFitsALinearRegression) {
  manual_seed(3);
  Tensor x = randn({64, 3});
  Tensor true_w = tensor({{2.0}, {-1.0}, {0.5}});
  Tensor y = matmul(x, true_w) + 0.3;
  nn::Linear model(3, 1);
  optim::Adam opt(model.parameters(), {.lr = 0.05});
  double first = 0, last = 0;
  for (int it = 0; it < 400; ++it) {
    opt.zero_grad();
    Tensor loss = mse_loss(model(x), y);
    loss.backward();
    opt.step();
    (it == 0 ? first : last) = loss.item<double>();
  }
  EXPECT_LT(last, 1e-4 * first);
  std::vector<float> w = model.weight.to_vector<float>();
  EXPECT_NEAR(w[0], 2.0, 1e-2);
  EXPECT_NEAR(w[1], -1.0, 1e-2);
  EXPECT_NEAR(w[2], 0.5, 1e-2);
  EXPECT_NEAR(model.bias.item<double>(), 0.3, 1e-2);
}

}  // namespace
}  // namespace braid
