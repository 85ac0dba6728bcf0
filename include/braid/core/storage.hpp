#pragma once
/// A reference-counted byte buffer shared by a tensor and all its views.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>

namespace braid {

class Storage {
 public:
  /// Owns `nbytes` from the caching allocator (uninitialised).
  explicit Storage(size_t nbytes);
  /// Borrows an existing buffer; `deleter` (may be empty) runs when the last view dies.
  Storage(void* data, size_t nbytes, std::function<void(void*)> deleter);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  void* data() const { return data_; }
  size_t nbytes() const { return nbytes_; }

  // Note [version counter]: the counter lives in the storage, so every view of
  // a buffer (and detach(), which shares the buffer) sees the same count. An
  // in-place op bumps it; autograd compares it with the count it saved.
  uint32_t version() const { return version_; }
  void bump_version() { ++version_; }

 private:
  void* data_;
  size_t nbytes_;
  bool owned_;
  std::function<void(void*)> deleter_;
  uint32_t version_ = 0;
};

}  // namespace braid
