#pragma once
// The readers under fuzz take a path, so each input is handed to them as a
// file: an in-memory file (memfd) reached through /proc/self/fd/N. The bytes
// then go through exactly the code a user's file does (open, stat, read or
// mmap), and no disk is touched between executions.
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace braid::fuzz {

class MemFile {
 public:
  MemFile() : fd_(::memfd_create("braid_fuzz", 0)) {
    if (fd_ < 0) {
      std::perror("memfd_create");
      std::abort();
    }
    path_ = "/proc/self/fd/" + std::to_string(fd_);
  }
  ~MemFile() { ::close(fd_); }
  MemFile(const MemFile&) = delete;
  MemFile& operator=(const MemFile&) = delete;

  /// Replaces the file's contents with data[0, size); returns its path.
  const std::string& write(const uint8_t* data, size_t size) {
    bool ok = ::ftruncate(fd_, 0) == 0;
    for (size_t done = 0; ok && done < size;) {
      ssize_t r = ::pwrite(fd_, data + done, size - done, static_cast<off_t>(done));
      ok = r > 0;
      done += ok ? static_cast<size_t>(r) : 0;
    }
    if (!ok) {
      std::perror("memfd write");
      std::abort();
    }
    return path_;
  }

 private:
  int fd_;
  std::string path_;
};

}  // namespace braid::fuzz
