#pragma once
// The model-file subcommands of `braid` (src/tools/model_commands.cpp).
#include <CLI/CLI.hpp>
#include <string>

namespace braid::tools {

/// Where the parsed arguments live (they must outlive app.parse).
struct ModelArgs {
  std::string file, input, out;
};

/// Adds summary, inspect, export, import and predict to `app`.
void add_model_commands(CLI::App& app, ModelArgs& args);

}  // namespace braid::tools
