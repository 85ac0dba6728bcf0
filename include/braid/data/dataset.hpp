#pragma once
/// The dataset interface: indexable (input, target) examples. DataLoader
/// batches them; train::Model::fit takes a dataset or x/y tensors.
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "braid/core/tensor.hpp"

namespace braid::data {

/// One example, or a batch of them (leading batch dim) from a DataLoader.
/// `target` may be undefined for unlabelled data.
struct Example {
  Tensor data, target;
};

/// Which pass of which loader asks for an example. Random transforms key their
/// randomness on (seed, epoch, index), so a pass gives the same examples for
/// any worker count. See Note [example randomness] in braid/data/transforms.hpp.
struct DrawContext {
  uint64_t seed = 0;
  int64_t epoch = 0;
};

class Dataset {
 public:
  virtual ~Dataset() = default;
  virtual int64_t size() const = 0;
  /// Example i, 0 <= i < size(). Must be safe to call from several threads
  /// at once (DataLoader's workers do).
  virtual Example get(int64_t i) const = 0;
  /// Example i as drawn in one pass of a loader. Only datasets with random
  /// transforms (MappedDataset) or wrappers of them (Subset) differ from get().
  virtual Example draw(int64_t i, const DrawContext& ctx) const { return get(i); }
  /// The examples at `indices` stacked along a new dim 0 (what the default
  /// collate gives). TensorDataset overrides it with a row gather; see Note
  /// [batch fast path] in src/data/tensor_dataset.cpp. Throws IndexError.
  virtual Example get_batch(std::span<const int64_t> indices, const DrawContext& ctx) const;
};

/// Stacks examples along a new dim 0 (data and, when every example has one,
/// target). Throws ShapeError naming the first example whose shape differs,
/// ValueError when only some examples have a target.
Example collate_stack(const std::vector<Example>& examples);

}  // namespace braid::data
