#pragma once
/// DataLoader: batches of a dataset, shuffled per epoch, made ahead by
/// worker threads.
///
///   data::DataLoader loader(train, {.batch_size = 64, .shuffle = true, .seed = 1,
///                                   .num_workers = 2});
///   for (int epoch = 0; epoch < 5; ++epoch)
///     for (const data::Example& batch : loader) { ... batch.data, batch.target ... }
///
/// Note [loader determinism]: the batches of a pass depend only on (dataset,
/// options, epoch), never on num_workers or thread timing: the order is a
/// permutation drawn from DataRng(seed, epoch), random transforms draw from
/// (seed, epoch, index) (Note [example randomness]), and workers hand batches
/// over in order. Each pass of a range-for uses the next epoch (0, 1, 2, ...)
/// unless set_epoch chose it; set_position resumes a pass in its middle.
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "braid/data/dataset.hpp"

namespace braid::data {

struct DataLoaderOptions {
  int64_t batch_size = 1;
  /// A new random order every epoch; otherwise 0, 1, 2, ...
  bool shuffle = false;
  /// Drop the last batch when it is smaller than batch_size.
  bool drop_last = false;
  uint64_t seed = 0;
  /// Threads that make batches ahead of the consumer; 0 makes them in the
  /// consuming thread. Output is the same for any count.
  int num_workers = 0;
  /// Batches each worker may have ready ahead of the consumer.
  int prefetch_factor = 2;
  /// Turns a batch's examples into one Example. Empty: stack along a new dim
  /// 0 (collate_stack) through Dataset::get_batch, which TensorDataset
  /// answers with one row gather.
  std::function<Example(const std::vector<Example>&)> collate = {};
};

class DataLoader {
  struct Run;

 public:
  /// Throws ValueError for a null dataset, batch_size < 1, num_workers < 0 or
  /// prefetch_factor < 1.
  DataLoader(std::shared_ptr<const Dataset> dataset, DataLoaderOptions options = {});

  /// Batches per epoch.
  int64_t size() const;
  const DataLoaderOptions& options() const { return options_; }
  const std::shared_ptr<const Dataset>& dataset() const { return dataset_; }
  /// The epoch the next pass will use.
  int64_t epoch() const { return epoch_; }
  void set_epoch(int64_t epoch) {
    epoch_ = epoch;
    start_batch_ = 0;
  }
  /// Resumes mid-epoch: the next pass is `epoch` from its batch `batch` on
  /// (batches 0..batch-1 are skipped without being made; batch == size()
  /// gives an empty pass); later passes start at batch 0. The batches are
  /// those an uninterrupted run gets (Note [loader determinism]). Throws
  /// ValueError for a negative epoch or a batch outside [0, size()].
  void set_position(int64_t epoch, int64_t batch);
  /// The batch the next pass starts at (0 unless set_position chose one).
  int64_t start_batch() const { return start_batch_; }
  /// The dataset indices of each batch of `epoch`, in order.
  std::vector<std::vector<int64_t>> batch_indices(int64_t epoch) const;

  class Iterator {
   public:
    using value_type = Example;
    using difference_type = std::ptrdiff_t;
    Iterator() = default;
    const Example& operator*() const;
    const Example* operator->() const { return &**this; }
    /// Rethrows, at this batch, an exception a worker hit making it.
    Iterator& operator++();
    bool operator==(const Iterator& other) const { return done() == other.done(); }

   private:
    friend class DataLoader;
    explicit Iterator(std::shared_ptr<Run> run) : run_(std::move(run)) {}
    bool done() const;
    std::shared_ptr<Run> run_;
  };
  /// Starts a pass over epoch() and advances it. Workers start here and stop
  /// when the iterator (and its copies) go away, also after a `break`.
  Iterator begin();
  Iterator end() const { return {}; }

 private:
  std::shared_ptr<const Dataset> dataset_;
  DataLoaderOptions options_;
  int64_t epoch_ = 0;
  int64_t start_batch_ = 0;
};

}  // namespace braid::data
