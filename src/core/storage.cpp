#include "braid/core/storage.hpp"

#include "braid/core/allocator.hpp"

namespace braid {

Storage::Storage(size_t nbytes)
    : data_(allocator::allocate(nbytes)), nbytes_(nbytes), owned_(true) {}

Storage::Storage(void* data, size_t nbytes, std::function<void(void*)> deleter)
    : data_(data), nbytes_(nbytes), owned_(false), deleter_(std::move(deleter)) {}

Storage::~Storage() {
  if (owned_)
    allocator::deallocate(data_, nbytes_);
  else if (deleter_)
    deleter_(data_);
}

}  // namespace braid
