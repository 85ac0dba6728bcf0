// Walks the op list (STYLE "One op list") and fails when an entry lacks what
// every reader of the registry relies on: an implementation for its kind, a
// gradcheck sample or an explicit "not differentiable", and an ONNX mapping or
// an explicit note. Each check prints the names of the offending ops.
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "braid/braid.hpp"
#include "braid/testing/op_samples.hpp"

namespace braid {
namespace {

// Runs `bad` over every op and fails once, listing the ops it flags.
template <class Pred>
void expect_none(const char* what, const Pred& bad) {
  std::vector<std::string> names;
  for (const OpDef& d : all_ops())
    if (bad(d)) names.emplace_back(d.name);
  EXPECT_TRUE(names.empty()) << names.size() << " op(s) " << what << ": "
                             << fmt::format("{}", fmt::join(names, ", "));
}

TEST(Registry, EveryOpHasANameMatchingItsId) {
  ASSERT_EQ(static_cast<int>(all_ops().size()), kNumOps);
  std::set<std::string_view> seen;
  for (size_t i = 0; i < all_ops().size(); ++i) {
    const OpDef& d = all_ops()[i];
    EXPECT_FALSE(d.name.empty()) << "op #" << i;
    EXPECT_TRUE(seen.insert(d.name).second) << "duplicate op name " << d.name;
    EXPECT_EQ(static_cast<size_t>(op_id(d.name)), i) << d.name;
    EXPECT_EQ(&op_def(static_cast<OpId>(i)), &d) << d.name;
  }
}

TEST(Registry, UnknownOpNameThrowsWithTheName) {
  try {
    op_id("no_such_op");
    FAIL() << "op_id did not throw";
  } catch (const ValueError& e) {
    EXPECT_STREQ(e.what(), "[op] unknown op 'no_such_op'; `braid ops` lists them");
  }
}

TEST(Registry, KernelOpsHaveAPortableKernelAndInfer) {
  expect_none("of kind Kernel lack a portable kernel",
              [](const OpDef& d) { return d.kind == OpKind::Kernel && d.portable == nullptr; });
  expect_none("of kind Kernel or View lack an infer function",
              [](const OpDef& d) { return d.kind != OpKind::Composite && d.infer == nullptr; });
}

TEST(Registry, ViewOpsHaveAViewFn) {
  expect_none("of kind View lack a view fn",
              [](const OpDef& d) { return d.kind == OpKind::View && d.view == nullptr; });
}

TEST(Registry, CompositeOpsHaveACompositeFnAndNoKernel) {
  expect_none("of kind Composite lack a composite fn",
              [](const OpDef& d) { return d.kind == OpKind::Composite && d.composite == nullptr; });
  // A composite's autograd comes from the ops it calls; a vjp would never run.
  expect_none("of kind Composite carry a kernel or vjp that never runs", [](const OpDef& d) {
    return d.kind == OpKind::Composite && (d.portable || d.x86 || d.vjp);
  });
}

TEST(Registry, NonDifferentiableOpsSayWhy) {
  expect_none("of kind Kernel/View have no vjp and no nondiff_reason", [](const OpDef& d) {
    return d.kind != OpKind::Composite && d.vjp == nullptr && d.nondiff_reason.empty();
  });
  expect_none("have both a vjp and a nondiff_reason",
              [](const OpDef& d) { return d.vjp != nullptr && !d.nondiff_reason.empty(); });
}

TEST(Registry, DifferentiableOpsHaveGradcheckSamples) {
  expect_none("are differentiable but have no sample in testing::sample_table()",
              [](const OpDef& d) { return d.differentiable() && !testing::has_samples(d.name); });
}

TEST(Registry, EverySampleNamesARegisteredOp) {
  std::vector<std::string> unknown;
  for (const auto& [name, fn] : testing::sample_table()) {
    bool found = false;
    for (const OpDef& d : all_ops()) found = found || d.name == name;
    if (!found) unknown.push_back(name);
  }
  EXPECT_TRUE(unknown.empty()) << "samples for unregistered ops: "
                               << fmt::format("{}", fmt::join(unknown, ", "));
}

TEST(Registry, EveryOpHasAnOnnxNameOrNote) {
  expect_none("have neither an onnx name nor an onnx_note",
              [](const OpDef& d) { return d.onnx.empty() && d.onnx_note.empty(); });
}

TEST(Registry, ArityIsDeclared) {
  expect_none("declare no outputs", [](const OpDef& d) { return d.num_outputs < 1; });
  expect_none("declare a negative input count other than -1 (a list)",
              [](const OpDef& d) { return d.num_inputs < -1; });
}

}  // namespace
}  // namespace braid
