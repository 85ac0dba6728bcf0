// The `braid` command-line tool. Subcommands: version, ops, and the model-file
// commands summary, inspect, export, import, predict (tools/model_commands.cpp).
#include <CLI/CLI.hpp>
#include <iostream>
#include <nlohmann/json.hpp>

#include "braid/braid.hpp"
#include "braid/testing/op_samples.hpp"
#include "tools/model_commands.hpp"

namespace {

const char* kind_name(braid::OpKind k) {
  switch (k) {
    case braid::OpKind::Kernel: return "kernel";
    case braid::OpKind::View: return "view";
    case braid::OpKind::Composite: return "composite";
  }
  return "?";
}

std::vector<std::string> trait_names(uint32_t t) {
  static const std::pair<uint32_t, const char*> kNames[] = {
      {braid::kElementwise, "elementwise"},    {braid::kBroadcast, "broadcast"},
      {braid::kReduction, "reduction"},        {braid::kIntToFloat, "int_to_float"},
      {braid::kBoolOutput, "bool_output"},     {braid::kHalfNative, "half_native"},
      {braid::kDynamicShape, "dynamic_shape"}, {braid::kRandom, "random"}};
  std::vector<std::string> out;
  for (auto [bit, name] : kNames)
    if (t & bit) out.emplace_back(name);
  return out;
}

nlohmann::json op_json(const braid::OpDef& d) {
  nlohmann::json kernels = nlohmann::json::array();
  if (d.portable) kernels.push_back("portable");
  if (d.x86) kernels.push_back("x86");
  return {{"name", d.name},
          {"kind", kind_name(d.kind)},
          {"traits", trait_names(d.traits)},
          {"differentiable", d.differentiable()},
          {"nondiff_reason", d.nondiff_reason},
          {"kernels", kernels},
          {"gradcheck_sample", braid::testing::has_samples(d.name)},
          {"onnx", d.onnx},
          {"onnx_note", d.onnx_note}};
}

void print_ops(bool json) {
  nlohmann::json all = nlohmann::json::array();
  for (const auto& d : braid::all_ops()) all.push_back(op_json(d));
  if (json) {
    std::cout << all.dump(2) << "\n";
    return;
  }
  std::cout << fmt::format("{:<16} {:<10} {:<5} {:<17} {:<7} {:<16} {}\n", "op", "kind", "grad",
                           "kernels", "sample", "onnx", "traits");
  for (const auto& o : all) {
    std::string kernels;
    for (const auto& k : o["kernels"])
      kernels += (kernels.empty() ? "" : ",") + k.get<std::string>();
    std::string traits;
    for (const auto& t : o["traits"]) traits += (traits.empty() ? "" : ",") + t.get<std::string>();
    std::string onnx = o["onnx"].get<std::string>();
    std::cout << fmt::format(
        "{:<16} {:<10} {:<5} {:<17} {:<7} {:<16} {}\n", o["name"].get<std::string>(),
        o["kind"].get<std::string>(), o["differentiable"].get<bool>() ? "yes" : "no",
        kernels.empty() ? "-" : kernels, o["gradcheck_sample"].get<bool>() ? "yes" : "no",
        onnx.empty() ? "-" : onnx, traits);
  }
  std::cout << all.size() << " ops\n";
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"braid: one C++ framework for define-by-run models and their path to production"};
  app.require_subcommand(1);
  app.add_subcommand("version", "print braid's version")->callback([] {
    std::cout << "braid " << braid::version() << "\n";
  });
  auto* ops = app.add_subcommand("ops", "list every registered op with its traits");
  bool json = false;
  ops->add_flag("--json", json, "machine-readable output");
  ops->callback([&] { print_ops(json); });
  braid::tools::ModelArgs model_args;
  braid::tools::add_model_commands(app, model_args);
  if (argc > 1 && argv[1][0] != '-') {
    bool known = false;
    for (const auto* sub : app.get_subcommands({})) known = known || sub->get_name() == argv[1];
    if (!known) {
      std::cerr << "braid: unknown command '" << argv[1] << "'; run `braid --help` for the list\n";
      return 2;
    }
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const braid::Error& e) {
    std::cerr << "braid: " << e.what() << "\n";
    return 1;
  } catch (const std::exception& e) {  // e.g. a filesystem error
    std::cerr << "braid: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
