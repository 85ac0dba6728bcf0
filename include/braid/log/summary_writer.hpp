#pragma once
/// tensorboard::SummaryWriter: TensorBoard event files from C++, as PyTorch's
/// torch.utils.tensorboard.SummaryWriter writes them -- scalars, histograms
/// and images into `<logdir>/events.out.tfevents.<unix seconds>.<hostname>`,
/// one TFRecord (braid/log/record.hpp) per tensorflow.Event message.
///
///     tensorboard::SummaryWriter w("runs/mnist/train");
///     w.add_scalar("epoch_loss", loss, epoch);
///     w.add_histogram("fc1/weight", model.fc1.weight, epoch);
///     w.add_image("sample", images[0], epoch);   // (1, 28, 28) floats in [0, 1]
///
/// Adds are thread-safe and validate their input before writing, so a bad
/// call throws and leaves the file as it was. Events are buffered and flushed
/// every `max_queue` events, every `flush_secs`, on flush() and on close or
/// destruction. A crash loses at most the buffered events; a torn last record
/// is detected by its CRCs (TensorBoard skips it).
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "braid/core/tensor.hpp"

namespace braid::tensorboard {

struct SummaryWriterOptions {
  int max_queue = 10;           ///< flush after this many buffered events
  double flush_secs = 120;      ///< ... or, checked at each add, when the oldest is this old
  std::string filename_suffix;  ///< appended to the event file's name
};

class SummaryWriter {
 public:
  /// Creates `logdir` (and parents) and a new event file in it whose first
  /// record is Event{file_version: "brain.Event:2"}. Throws IOError when the
  /// directory or file cannot be created.
  explicit SummaryWriter(const std::filesystem::path& logdir, SummaryWriterOptions options = {});
  /// Flushes and closes; never throws (call close() to see write errors).
  ~SummaryWriter();
  SummaryWriter(SummaryWriter&&) noexcept;
  SummaryWriter& operator=(SummaryWriter&&) noexcept;
  SummaryWriter(const SummaryWriter&) = delete;
  SummaryWriter& operator=(const SummaryWriter&) = delete;

  /// A point of the scalar series `tag` (stored as float32, as TensorBoard does).
  void add_scalar(const std::string& tag, double value, int64_t step);
  /// A histogram of `values` (any shape, real dtype) in `bins` equal-width
  /// buckets between min and max, as TensorBoard's own legacy histogram
  /// summary makes them; all-equal values give one bucket. Throws ValueError
  /// for an empty tensor, a non-finite value or bins < 1.
  void add_histogram(const std::string& tag, const Tensor& values, int64_t step, int bins = 30);
  /// An image, PNG-encoded. img: (C, H, W) with C = 1 (gray), 2 (gray+alpha),
  /// 3 (RGB) or 4 (RGBA), or (H, W); uint8, or floating in [0, 1] (clamped,
  /// scaled by 255). Throws ShapeError or DTypeError.
  void add_image(const std::string& tag, const Tensor& img, int64_t step);

  /// Writes the buffered events to the file. Throws IOError.
  void flush();
  /// Flushes and closes the file; later adds throw ValueError. Idempotent.
  void close();

  const std::filesystem::path& logdir() const;
  /// The event file this writer appends to.
  const std::filesystem::path& path() const;

  /// The open file, its lock and the flush queue (defined in the .cpp).
  struct State;

 private:
  void write_summary(const std::string& tag, const std::string& value_fields, int64_t step,
                     const char* op);
  std::unique_ptr<State> state_;
};

}  // namespace braid::tensorboard
