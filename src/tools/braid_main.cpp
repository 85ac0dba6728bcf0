// The `braid` command-line tool.
#include <CLI/CLI.hpp>
#include <iostream>

#include "braid/braid.hpp"

int main(int argc, char** argv) {
  CLI::App app{"braid: one C++ framework for define-by-run models and their path to production"};
  app.require_subcommand(1);
  app.add_subcommand("version", "print braid's version")->callback([] { std::cout << "braid " << braid::version() << "\n"; });
  CLI11_PARSE(app, argc, argv);
  return 0;
}
