// Atomic writes (Note [atomic file writes]): a writer killed at any moment
// leaves the previous file whole, and the temporary files of killed writers
// are named as documented and cleaned up by the next save.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <random>
#include <thread>

#include "braid/braid.hpp"
#include "core/temp_files.hpp"
#include "core/test_util.hpp"

namespace braid {
namespace {

namespace fs = std::filesystem;
using braid::testing::TempDir;
using braid::testing::write_file;

std::vector<fs::path> temp_files(const fs::path& target) {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(target.parent_path()))
    if (io::is_temp_file_of(target, e.path())) out.push_back(e.path());
  return out;
}

// A process id that is certainly not running: a child that has exited and
// been reaped.
pid_t dead_pid() {
  const pid_t pid = ::fork();
  if (pid == 0) ::_exit(0);
  int status = 0;
  ::waitpid(pid, &status, 0);
  return pid;
}

TEST(AtomicFile, AKilledWriterNeverDestroysThePreviousFile) {
  const TempDir dir("atomic_kill");
  const fs::path p = dir / "ckpt.safetensors";
  nn::StateDict old_state, new_state;
  old_state.insert("w", full({4}, 1.0));
  // 16 MiB: writing and syncing it takes long enough (~50-100 ms here) to
  // be killed midway.
  new_state.insert("w", arange(0, 4 << 20, 1, DType::Float32));
  io::save_safetensors(old_state, p, {{"version", "old"}});

  std::mt19937 rng(42);
  int saw_old = 0, saw_new = 0;
  for (int round = 0; round < 8; ++round) {
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      // Saves until killed; touches no test machinery and no OpenMP.
      for (;;) {
        try {
          io::save_safetensors(new_state, p, {{"version", "new"}});
        } catch (...) {
          ::_exit(3);
        }
      }
    }
    // 1 to 150 ms: sometimes before the first save completes, sometimes after.
    std::this_thread::sleep_for(std::chrono::microseconds(1000 + rng() % 149000));
    ::kill(child, SIGKILL);
    int status = 0;
    ::waitpid(child, &status, 0);
    ASSERT_TRUE(WIFSIGNALED(status)) << "the writer failed on its own: status " << status;

    // Whatever the moment, the file is one whole version.
    const io::SafetensorsContents got = io::read_safetensors(p);
    const std::string v = got.metadata.at("version");
    ASSERT_TRUE(v == "old" || v == "new") << v;
    const Tensor& want = v == "old" ? old_state.at("w") : new_state.at("w");
    const Tensor& w = got.tensors.at("w");
    ASSERT_EQ(w.numel(), want.numel());
    EXPECT_EQ(std::memcmp(w.raw_data(), want.raw_data(), size_t(want.numel()) * 4), 0);
    (v == "old" ? saw_old : saw_new)++;
    // A killed writer leaves at most its one temporary file; the next save
    // (the next child's first) removes it.
    EXPECT_LE(temp_files(p).size(), 1u);
  }
  // Not asserted (timing), but shows the test hit both cases.
  std::cout << "[          ] after a kill the file held the old version " << saw_old
            << " times, the new one " << saw_new << " times\n";
  io::save_safetensors(old_state, p);
  EXPECT_TRUE(temp_files(p).empty()) << "a save cleans up after killed writers";
  EXPECT_EQ(std::distance(fs::directory_iterator(dir.path()), fs::directory_iterator()), 1);
}

TEST(AtomicFile, TemporaryFilesAreNamedAsDocumentedAndOnlyStaleOnesRemoved) {
  const TempDir dir("atomic_stale");
  const fs::path p = dir / "m.safetensors";
  const std::string dead = std::to_string(dead_pid());
  const std::string live = std::to_string(::getppid());  // our parent is running
  const std::string mine = std::to_string(::getpid());
  for (const std::string& name : std::vector<std::string>{
           "m.safetensors.tmp." + dead + ".0", "m.safetensors.tmp." + dead + ".17",
           "m.safetensors.tmp." + live + ".0", "m.safetensors.tmp." + mine + ".5",
           "m.safetensors.tmp.x.0", "m.safetensors.tmp." + dead,
           "other.safetensors.tmp." + dead + ".0", "m.safetensors.tmp." + dead + ".0.bak"})
    write_file(dir / name, "partial");
  EXPECT_TRUE(io::is_temp_file_of(p, dir / ("m.safetensors.tmp." + dead + ".0")));
  EXPECT_FALSE(io::is_temp_file_of(p, dir / "m.safetensors.tmp.x.0"));
  EXPECT_FALSE(io::is_temp_file_of(p, dir / ("other.safetensors.tmp." + dead + ".0")));
  EXPECT_FALSE(io::is_temp_file_of(p, dir / "sub" / ("m.safetensors.tmp." + dead + ".0")));
  EXPECT_EQ(temp_files(p).size(), 4u);

  nn::StateDict sd;
  sd.insert("w", full({2}, 3.0));
  io::save_safetensors(sd, p);
  EXPECT_FALSE(fs::exists(dir / ("m.safetensors.tmp." + dead + ".0")));
  EXPECT_FALSE(fs::exists(dir / ("m.safetensors.tmp." + dead + ".17")));
  EXPECT_TRUE(fs::exists(dir / ("m.safetensors.tmp." + live + ".0"))) << "its writer may be alive";
  EXPECT_TRUE(fs::exists(dir / ("m.safetensors.tmp." + mine + ".5"))) << "ours may be in flight";
  EXPECT_TRUE(fs::exists(dir / "m.safetensors.tmp.x.0")) << "not our pattern";
  EXPECT_TRUE(fs::exists(dir / ("m.safetensors.tmp." + dead))) << "not our pattern";
  EXPECT_TRUE(fs::exists(dir / ("other.safetensors.tmp." + dead + ".0"))) << "another target's";
  EXPECT_TRUE(fs::exists(dir / ("m.safetensors.tmp." + dead + ".0.bak"))) << "not our pattern";
  EXPECT_EQ(io::remove_stale_temp_files(p), 0u);
}

TEST(AtomicFile, AFailedWriteLeavesTheTargetAndNoTemporaryFile) {
  const TempDir dir("atomic_fail");
  // The target is a non-empty directory: the rename fails after the data is written.
  const fs::path p = dir / "d.safetensors";
  fs::create_directories(p / "inside");
  const std::string bytes = "12345678";
  BRAID_EXPECT_THROW_HAS(io::write_file_atomically(p, {{bytes.data(), bytes.size()}}, "test"),
                         IOError, "[test] " + p.string() + ": writing failed: ");
  EXPECT_TRUE(fs::is_directory(p / "inside"));
  EXPECT_TRUE(temp_files(p).empty());
  // A plain write of several pieces, one of them empty.
  const fs::path q = dir / "q.bin";
  io::write_file_atomically(q, {{bytes.data(), 3}, {nullptr, 0}, {bytes.data() + 3, 5}});
  EXPECT_EQ(braid::testing::read_file(q), bytes);
}

}  // namespace
}  // namespace braid
