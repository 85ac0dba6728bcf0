// Atomic file writes; see Note [atomic file writes] in braid/io/atomic_file.hpp.
#include "braid/io/atomic_file.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <string>
#include <system_error>

#include "braid/core/error.hpp"

namespace braid::io {

namespace fs = std::filesystem;

namespace {

fs::path directory_of(const fs::path& target) {
  return target.has_parent_path() ? target.parent_path() : fs::path(".");
}

// Parses "<digits>" exactly; false for anything else (empty, sign, overflow).
bool parse_uint(std::string_view s, uint64_t& out) {
  if (s.empty() || s.size() > 19) return false;
  out = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    out = out * 10 + static_cast<uint64_t>(c - '0');
  }
  return true;
}

// The writer pid of a temporary file name of `target`, or -1 when the name
// is not one ("<target>.tmp.<pid>.<n>").
int64_t temp_pid(const std::string& target_name, const std::string& name) {
  const std::string prefix = target_name + ".tmp.";
  if (name.size() <= prefix.size() || name.compare(0, prefix.size(), prefix) != 0) return -1;
  const std::string_view rest = std::string_view(name).substr(prefix.size());
  const size_t dot = rest.find('.');
  uint64_t pid = 0, n = 0;
  if (dot == std::string_view::npos || !parse_uint(rest.substr(0, dot), pid) ||
      !parse_uint(rest.substr(dot + 1), n) || pid == 0 || pid > INT32_MAX)
    return -1;
  return static_cast<int64_t>(pid);
}

bool write_all(int fd, const void* data, size_t size) {
  const char* p = static_cast<const char*>(data);
  while (size > 0) {
    // Linux writes at most ~2 GiB per call; the loop also covers short writes.
    const ssize_t n = ::write(fd, p, std::min<size_t>(size, size_t{1} << 30));
    if (n < 0 && errno == EINTR) continue;
    if (n == 0) errno = EIO;
    if (n <= 0) return false;
    p += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

bool is_temp_file_of(const fs::path& target, const fs::path& candidate) {
  return directory_of(target).lexically_normal() == directory_of(candidate).lexically_normal() &&
         temp_pid(target.filename().string(), candidate.filename().string()) > 0;
}

size_t remove_stale_temp_files(const fs::path& target) {
  const std::string name = target.filename().string();
  std::error_code ec;
  fs::directory_iterator it(directory_of(target), ec);
  if (ec) return 0;
  size_t removed = 0;
  for (const fs::directory_entry& e : it) {
    const int64_t pid = temp_pid(name, e.path().filename().string());
    if (pid <= 0 || pid == ::getpid()) continue;
    // kill(pid, 0) succeeds (or fails with EPERM) while the process exists.
    if (::kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH) continue;
    const int fd = ::open(e.path().c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) continue;
    // A live writer holds its lock until it renames the file away.
    if (::flock(fd, LOCK_EX | LOCK_NB) == 0 && ::unlink(e.path().c_str()) == 0) ++removed;
    ::close(fd);
  }
  return removed;
}

void write_file_atomically(const fs::path& path, const std::vector<ByteRange>& chunks,
                           const char* op) {
  static std::atomic<uint64_t> counter{0};
  remove_stale_temp_files(path);
  const fs::path tmp =
      directory_of(path) / (path.filename().string() + ".tmp." + std::to_string(::getpid()) + "." +
                            std::to_string(counter++));
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  BRAID_CHECK(fd >= 0, IOError, op, "{}: cannot create {}: {}", path.string(), tmp.string(),
              std::strerror(errno));
  int err = 0;  // the first failure's errno
  auto check = [&err](bool ok) {
    if (!ok && err == 0) err = errno ? errno : EIO;
    return ok && err == 0;
  };
  check(::flock(fd, LOCK_EX) == 0);
  for (const ByteRange& c : chunks)
    if (err == 0 && c.size > 0) check(write_all(fd, c.data, c.size));
  // The data must be on disk before the rename makes it the file's content.
  if (err == 0) check(::fsync(fd) == 0);
  check(::close(fd) == 0);
  if (err == 0) check(::rename(tmp.c_str(), path.c_str()) == 0);
  if (err != 0) {
    ::unlink(tmp.c_str());
    BRAID_CHECK(false, IOError, op, "{}: writing failed: {}", path.string(), std::strerror(err));
  }
  // Make the rename durable. The new file is in place already, so a failure
  // here (some file systems refuse fsync on a directory) is not reported:
  // throwing would claim the save failed when the file has changed.
  const int dir = ::open(directory_of(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
}

}  // namespace braid::io
