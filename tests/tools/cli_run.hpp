// Runs the built `braid` command (BRAID_CLI) with `args`: its exit status and
// what it printed (stdout and stderr together). Shared by the CLI tests.
#pragma once

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <string>

namespace braid::testing_cli {

struct CliRun {
  int status;
  std::string out;
};
inline CliRun run_cli(const std::string& args) {
  std::string cmd = std::string(BRAID_CLI) + " " + args + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  std::string out;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  int st = pclose(p);
  return {WEXITSTATUS(st), out};
}

}  // namespace braid::testing_cli
