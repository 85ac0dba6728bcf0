#pragma once
/// The dataset interface: indexable (input, target) examples. DataLoader
/// batches them; train::Model::fit takes a dataset or x/y tensors.
#include <cstdint>
#include <memory>

#include "braid/core/tensor.hpp"

namespace braid::data {

/// One example, or a batch of them (leading batch dim) from a DataLoader.
/// `target` may be undefined for unlabelled data.
struct Example {
  Tensor data, target;
};

class Dataset {
 public:
  virtual ~Dataset() = default;
  virtual int64_t size() const = 0;
  /// Example i, 0 <= i < size(). Must be safe to call from several threads
  /// at once (DataLoader's workers do).
  virtual Example get(int64_t i) const = 0;
};

}  // namespace braid::data
