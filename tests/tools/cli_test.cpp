// The `braid` command: runs the built binary and reads what it prints.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "braid/braid.hpp"
#include "braid/testing/op_samples.hpp"
#include "tools/cli_run.hpp"

using braid::testing_cli::CliRun;
using braid::testing_cli::run_cli;

TEST(Cli, VersionPrintsTheLibraryVersion) {
  CliRun r = run_cli("version");
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.out, std::string("braid ") + braid::version() + "\n");
}

TEST(Cli, OpsJsonListsEveryRegisteredOpWithItsTraits) {
  CliRun r = run_cli("ops --json");
  ASSERT_EQ(r.status, 0) << r.out;
  auto j = nlohmann::json::parse(r.out);
  auto ops = braid::all_ops();
  ASSERT_EQ(j.size(), ops.size());
  for (size_t i = 0; i < ops.size(); ++i) {
    const auto& o = j[i];
    EXPECT_EQ(o["name"], std::string(ops[i].name));
    EXPECT_EQ(o["differentiable"], ops[i].differentiable()) << ops[i].name;
    EXPECT_EQ(o["gradcheck_sample"], braid::testing::has_samples(ops[i].name)) << ops[i].name;
    bool has_portable = false;
    for (const auto& k : o["kernels"]) has_portable = has_portable || k == "portable";
    EXPECT_EQ(has_portable, ops[i].portable != nullptr) << ops[i].name;
  }
}

TEST(Cli, OpsTableHasOneLinePerOpAndACount) {
  CliRun r = run_cli("ops");
  ASSERT_EQ(r.status, 0);
  EXPECT_NE(r.out.find("matmul"), std::string::npos);
  EXPECT_NE(r.out.find(std::to_string(braid::all_ops().size()) + " ops"), std::string::npos);
}

TEST(Cli, UnknownSubcommandFailsWithAMessage) {
  CliRun r = run_cli("frobnicate");
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.out.find("frobnicate"), std::string::npos) << r.out;
}
