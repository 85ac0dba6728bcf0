#include "braid/data/dataloader.hpp"

#include <algorithm>
#include <condition_variable>
#include <exception>
#include <map>
#include <mutex>
#include <numeric>
#include <thread>

#include "braid/core/parallel.hpp"
#include "braid/data/random.hpp"

namespace braid::data {

// One pass over the data. Workers claim batch numbers in order, at most
// `window` ahead of the consumer, and park finished batches in `ready` until
// the consumer reaches them, so the output order never depends on timing.
struct DataLoader::Run {
  std::shared_ptr<const Dataset> dataset;
  DataLoaderOptions opt;
  DrawContext ctx;
  std::vector<std::vector<int64_t>> batches;
  int64_t pos = 0;
  Example current;

  std::mutex m;
  std::condition_variable work_cv, ready_cv;
  std::map<int64_t, std::pair<Example, std::exception_ptr>> ready;
  int64_t next_claim = 0;
  bool stop = false;
  std::vector<std::thread> threads;

  int64_t count() const { return static_cast<int64_t>(batches.size()); }

  Example make(int64_t b) const {
    const std::vector<int64_t>& idx = batches[static_cast<size_t>(b)];
    if (!opt.collate) return dataset->get_batch(idx, ctx);
    std::vector<Example> ex;
    ex.reserve(idx.size());
    for (int64_t i : idx) ex.push_back(dataset->draw(i, ctx));
    return opt.collate(ex);
  }

  void start() {
    int64_t n = std::min<int64_t>(opt.num_workers, count());
    for (int64_t w = 0; w < n; ++w) threads.emplace_back([this] { work(); });
  }

  void work() {
    // DESIGN rule 7 (one pool): the workers are the parallelism here, so the
    // ops they run stay on their own thread instead of each opening an
    // OpenMP team on cores the training step is using.
    set_num_threads(1);
    const int64_t window = int64_t{opt.num_workers} * opt.prefetch_factor;
    std::unique_lock lock(m);
    for (;;) {
      work_cv.wait(lock,
                   [&] { return stop || next_claim >= count() || next_claim < pos + window; });
      if (stop || next_claim >= count()) return;
      int64_t b = next_claim++;
      lock.unlock();
      std::pair<Example, std::exception_ptr> slot;
      try {
        slot.first = make(b);
      } catch (...) {
        slot.second = std::current_exception();
      }
      lock.lock();
      ready.emplace(b, std::move(slot));
      ready_cv.notify_all();
    }
  }

  // Makes `current` batch `pos`.
  void fetch() {
    current = {};
    if (threads.empty()) {
      current = make(pos);
      return;
    }
    std::unique_lock lock(m);
    work_cv.notify_all();  // the window moved
    ready_cv.wait(lock, [&] { return ready.count(pos) > 0; });
    auto node = ready.extract(pos);
    lock.unlock();
    work_cv.notify_all();
    if (node.mapped().second) std::rethrow_exception(node.mapped().second);
    current = std::move(node.mapped().first);
  }

  ~Run() {
    {
      std::lock_guard lock(m);
      stop = true;
    }
    work_cv.notify_all();
    for (std::thread& t : threads) t.join();
  }
};

DataLoader::DataLoader(std::shared_ptr<const Dataset> dataset, DataLoaderOptions options)
    : dataset_(std::move(dataset)), options_(std::move(options)) {
  BRAID_CHECK(dataset_ != nullptr, ValueError, "DataLoader", "the dataset is null");
  BRAID_CHECK(options_.batch_size >= 1, ValueError, "DataLoader", "batch_size must be >= 1; got {}",
              options_.batch_size);
  BRAID_CHECK(options_.num_workers >= 0, ValueError, "DataLoader",
              "num_workers must be >= 0; got {}", options_.num_workers);
  BRAID_CHECK(options_.prefetch_factor >= 1, ValueError, "DataLoader",
              "prefetch_factor must be >= 1; got {}", options_.prefetch_factor);
}

int64_t DataLoader::size() const {
  int64_t n = dataset_->size(), b = options_.batch_size;
  return options_.drop_last ? n / b : (n + b - 1) / b;
}

std::vector<std::vector<int64_t>> DataLoader::batch_indices(int64_t epoch) const {
  int64_t n = dataset_->size();
  std::vector<int64_t> order;
  if (options_.shuffle) {
    DataRng rng(options_.seed, {0x73687566ull /* "shuf" */, static_cast<uint64_t>(epoch)});
    order = randperm(n, rng);
  } else {
    order.resize(static_cast<size_t>(n));
    std::iota(order.begin(), order.end(), int64_t{0});
  }
  std::vector<std::vector<int64_t>> out(static_cast<size_t>(size()));
  for (size_t b = 0; b < out.size(); ++b) {
    size_t lo = b * static_cast<size_t>(options_.batch_size);
    size_t hi = std::min(order.size(), lo + static_cast<size_t>(options_.batch_size));
    out[b].assign(order.begin() + static_cast<ptrdiff_t>(lo),
                  order.begin() + static_cast<ptrdiff_t>(hi));
  }
  return out;
}

void DataLoader::set_position(int64_t epoch, int64_t batch) {
  BRAID_CHECK(epoch >= 0 && batch >= 0 && batch <= size(), ValueError, "DataLoader",
              "set_position({}, {}): need epoch >= 0 and 0 <= batch <= {} (batches per epoch)",
              epoch, batch, size());
  epoch_ = epoch;
  start_batch_ = batch;
}

DataLoader::Iterator DataLoader::begin() {
  auto run = std::make_shared<Run>();
  run->dataset = dataset_;
  run->opt = options_;
  run->ctx = {options_.seed, epoch_};
  run->batches = batch_indices(epoch_);
  // Workers claim from next_claim on, so skipped batches are never made.
  run->pos = run->next_claim = std::min(start_batch_, run->count());
  start_batch_ = 0;
  ++epoch_;
  if (run->pos >= run->count()) return Iterator(run);
  run->start();
  run->fetch();
  return Iterator(run);
}

bool DataLoader::Iterator::done() const { return !run_ || run_->pos >= run_->count(); }

const Example& DataLoader::Iterator::operator*() const {
  BRAID_CHECK(!done(), IndexError, "DataLoader", "dereferenced the end of a pass");
  return run_->current;
}

DataLoader::Iterator& DataLoader::Iterator::operator++() {
  BRAID_CHECK(!done(), IndexError, "DataLoader", "advanced past the end of a pass");
  {
    std::lock_guard lock(run_->m);  // workers read pos to size their window
    ++run_->pos;
  }
  if (run_->pos < run_->count()) {
    run_->fetch();
  } else {
    run_->current = {};
    run_.reset();  // stops the workers now, not when the loop's iterator dies
  }
  return *this;
}

}  // namespace braid::data
