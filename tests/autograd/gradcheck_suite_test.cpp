// The gradcheck suite driven by the op list: one test per registered op. A
// differentiable op runs autograd::gradcheck (float64, central differences)
// over every sample in testing::sample_table(), calling the op generically
// through detail::call; an op without samples fails unless its entry says why
// it is not differentiable. A subset also runs gradgradcheck, to prove that
// the backward formulas (written with braid ops) differentiate again.
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "braid/braid.hpp"
#include "braid/testing/op_samples.hpp"

namespace braid {
namespace {

std::vector<std::string> all_op_names() {
  std::vector<std::string> names;
  for (const OpDef& d : all_ops()) names.emplace_back(d.name);
  return names;
}

// Second derivatives are checked for the elementwise ops (every unary and
// binary op, by trait), for ops whose samples set OpSample::gradgrad, and for
// these, whose backward formulas chain several ops.
const std::set<std::string>& gradgrad_extra() {
  static const std::set<std::string> s = {"matmul",  "linear",      "bmm",       "outer",
                                          "softmax", "log_softmax", "logsumexp", "masked_fill"};
  return s;
}

std::vector<std::string> gradgrad_names() {
  std::vector<std::string> names;
  for (const OpDef& d : all_ops()) {
    bool flagged = false;  // a family opts an op in through its samples
    if (auto it = testing::sample_table().find(d.name); it != testing::sample_table().end())
      for (const testing::OpSample& s : it->second()) flagged = flagged || s.gradgrad;
    if ((d.traits & kElementwise) || flagged || gradgrad_extra().count(std::string(d.name)))
      names.emplace_back(d.name);
  }
  // Placeholders of unfinished families carry no traits yet: name them anyway.
  for (const std::string& n : gradgrad_extra())
    if (std::find(names.begin(), names.end(), n) == names.end()) names.push_back(n);
  return names;
}

std::string param_name(const ::testing::TestParamInfo<std::string>& info) { return info.param; }

using Check = autograd::GradcheckResult (*)(const autograd::Fn&, const std::vector<Tensor>&, double,
                                            double, double);

// A sample labelled "(first order only)" sits on a kink on purpose (ties of
// maximum, where PyTorch's 0.5 split is also what central differences see);
// the gradient jumps there, so it has no second derivative to check.
bool first_order_only(const testing::OpSample& s) {
  return s.label.find("(first order only)") != std::string::npos;
}

// Runs `check` over every sample of `name`; fails when the op has none.
void run_samples(const std::string& name, Check check, const char* what, bool second_order) {
  OpId id = op_id(name);
  auto it = testing::sample_table().find(name);
  ASSERT_TRUE(it != testing::sample_table().end())
      << "[" << name
      << "] is differentiable but has no gradcheck sample; add one in src/testing/op_samples_*.cpp "
      << "or set nondiff_reason in its OpDef";
  std::vector<testing::OpSample> samples = it->second();
  ASSERT_FALSE(samples.empty()) << "[" << name << "] registers an empty sample list";
  int checked = 0;
  for (testing::OpSample& s : samples) {
    SCOPED_TRACE(name + " [" + s.label + "]");
    if (second_order && first_order_only(s)) {
      ::testing::Test::RecordProperty("first_order_only", s.label);
      continue;
    }
    ++checked;
    bool any = false;
    for (const Tensor& t : s.inputs) any = any || (t.defined() && t.requires_grad());
    EXPECT_TRUE(any) << "sample has no input that requires grad, so it checks nothing";
    const Attrs& attrs = s.attrs;
    autograd::Fn fn = [id, &attrs](const std::vector<Tensor>& in) {
      return detail::call(id, in, attrs);
    };
    try {
      autograd::GradcheckResult r = check(fn, s.inputs, 1e-6, s.atol, s.rtol);
      EXPECT_TRUE(r.ok) << what << " failed: " << r.message << " (max abs err " << r.max_abs_err
                        << ")";
    } catch (const std::exception& e) {
      ADD_FAILURE() << what << " threw: " << e.what();
    }
  }
  EXPECT_GT(checked, 0) << "[" << name << "] has no sample that " << what << " can use";
}

class Gradcheck : public ::testing::TestWithParam<std::string> {};

TEST_P(Gradcheck, FirstDerivative) {
  const std::string& name = GetParam();
  const OpDef& d = op_def(op_id(name));
  if (!d.differentiable()) {
    // Not skipped: the entry must say why, and the registry test lists it.
    EXPECT_FALSE(d.nondiff_reason.empty()) << "[" << name << "] has no vjp and no nondiff_reason";
    RecordProperty("nondiff_reason", std::string(d.nondiff_reason));
    return;
  }
  run_samples(name, autograd::gradcheck, "gradcheck", false);
}

INSTANTIATE_TEST_SUITE_P(AllOps, Gradcheck, ::testing::ValuesIn(all_op_names()), param_name);

class GradGradcheck : public ::testing::TestWithParam<std::string> {};

TEST_P(GradGradcheck, SecondDerivative) {
  const std::string& name = GetParam();
  const OpDef& d = op_def(op_id(name));
  if (!d.differentiable()) {
    EXPECT_FALSE(d.nondiff_reason.empty()) << "[" << name << "] has no vjp and no nondiff_reason";
    return;
  }
  run_samples(name, autograd::gradgradcheck, "gradgradcheck", true);
}

INSTANTIATE_TEST_SUITE_P(Subset, GradGradcheck, ::testing::ValuesIn(gradgrad_names()), param_name);

// The checker itself must catch a wrong formula, or a green suite means nothing.
TEST(GradcheckHarness, CatchesAWrongGradient) {
  Tensor x = testing::sample_randn({3}, 7);
  autograd::Fn wrong = [](const std::vector<Tensor>& in) {
    // d/dx of x * stop(x) is stop(x), but the true derivative of x^2 is 2x.
    return std::vector<Tensor>{in[0] * in[0].detach()};
  };
  autograd::GradcheckResult r = autograd::gradcheck(wrong, {x});
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.message.find("analytic"), std::string::npos) << r.message;
}

TEST(GradcheckHarness, RejectsFloat32Inputs) {
  Tensor x = ones({2});
  x.requires_grad_();
  autograd::Fn f = [](const std::vector<Tensor>& in) { return std::vector<Tensor>{in[0] * 2.0}; };
  try {
    autograd::gradcheck(f, {x});
    FAIL() << "gradcheck accepted a float32 input";
  } catch (const DTypeError& e) {
    EXPECT_STREQ(e.what(),
                 "[gradcheck] inputs that require grad must be float64; input 0 is float32");
  }
}

}  // namespace
}  // namespace braid
