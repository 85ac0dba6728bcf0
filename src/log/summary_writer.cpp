// SummaryWriter: TensorBoard event files (see braid/log/summary_writer.hpp).
#include "braid/log/summary_writer.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <system_error>

#include "braid/log/record.hpp"
#include "log/png.hpp"
#include "log/proto_wire.hpp"

namespace braid::tensorboard {

namespace fs = std::filesystem;
using detail::ProtoWriter;

// Field numbers of tensorflow.Event / Summary / Summary.Value / Summary.Image
// / HistogramProto (src/log/event.proto).
namespace field {
constexpr int kWallTime = 1, kStep = 2, kFileVersion = 3, kSummary = 5;
constexpr int kSummaryValue = 1;
constexpr int kTag = 1, kSimpleValue = 2, kImage = 4, kHisto = 5;
constexpr int kHeight = 1, kWidth = 2, kColorspace = 3, kEncodedImage = 4;
constexpr int kMin = 1, kMax = 2, kNum = 3, kSum = 4, kSumSquares = 5, kBucketLimit = 6,
              kBucket = 7;
}  // namespace field

struct SummaryWriter::State {
  fs::path logdir, path;
  SummaryWriterOptions options;
  std::mutex mutex;
  std::FILE* file = nullptr;
  int queued = 0;
  std::chrono::steady_clock::time_point oldest_queued;
  ~State() {
    if (file) std::fclose(file);  // only when the constructor threw; close() clears it
  }
};

namespace {

double wall_time() {
  using namespace std::chrono;
  return duration<double>(system_clock::now().time_since_epoch()).count();
}

std::string hostname() {
  char buf[256] = {};
  if (gethostname(buf, sizeof buf - 1) != 0 || buf[0] == '\0') return "localhost";
  return buf;
}

std::string event_header(int64_t step) {
  ProtoWriter e;
  e.add_double(field::kWallTime, wall_time());
  e.add_int(field::kStep, step);
  return e.str();
}

// Writes (no flush) one framed record; the caller holds the mutex.
void write_record(SummaryWriter::State& s, const std::string& event, const char* op) {
  const std::string rec = frame_record(event);
  BRAID_CHECK(std::fwrite(rec.data(), 1, rec.size(), s.file) == rec.size(), IOError, op,
              "{}: write failed", s.path.string());
}

void flush_locked(SummaryWriter::State& s, const char* op) {
  BRAID_CHECK(std::fflush(s.file) == 0, IOError, op, "{}: flush failed", s.path.string());
  s.queued = 0;
}

void check_tag(const std::string& tag, const char* op) {
  BRAID_CHECK(!tag.empty(), ValueError, op, "the tag must not be empty");
}

}  // namespace

SummaryWriter::SummaryWriter(const fs::path& logdir, SummaryWriterOptions options)
    : state_(std::make_unique<State>()) {
  constexpr const char* kOp = "SummaryWriter";
  State& s = *state_;
  s.logdir = logdir;
  s.options = std::move(options);
  std::error_code ec;
  fs::create_directories(logdir, ec);
  BRAID_CHECK(!ec && fs::is_directory(logdir), IOError, kOp,
              "cannot create the log directory {}: {}", logdir.string(),
              ec ? ec.message() : "a file of that name exists");
  const auto secs = std::chrono::duration_cast<std::chrono::seconds>(
                        std::chrono::system_clock::now().time_since_epoch())
                        .count();
  const std::string stem =
      "events.out.tfevents." + std::to_string(secs) + "." + hostname() + s.options.filename_suffix;
  // Two writers started in the same second in one directory get distinct
  // files: "x" opens only a file that does not exist yet.
  for (int n = 0; n < 1000 && !s.file; ++n) {
    s.path = logdir / (n == 0 ? stem : stem + "." + std::to_string(n));
    s.file = std::fopen(s.path.c_str(), "wbx");
    if (!s.file && errno != EEXIST) break;
  }
  BRAID_CHECK(s.file != nullptr, IOError, kOp, "cannot create the event file {}: {}",
              s.path.string(), std::strerror(errno));
  ProtoWriter e;
  e.add_double(field::kWallTime, wall_time());
  e.add_bytes(field::kFileVersion, "brain.Event:2");
  write_record(s, e.str(), kOp);
  flush_locked(s, kOp);  // TensorBoard finds the run as soon as it exists
}

SummaryWriter::~SummaryWriter() {
  try {
    close();
  } catch (...) {  // NOLINT: a destructor must not throw; close() reports errors
  }
}
SummaryWriter::SummaryWriter(SummaryWriter&&) noexcept = default;
SummaryWriter& SummaryWriter::operator=(SummaryWriter&& other) noexcept {
  if (this != &other) {
    try {
      close();
    } catch (...) {  // NOLINT: as in the destructor
    }
    state_ = std::move(other.state_);
  }
  return *this;
}

const fs::path& SummaryWriter::logdir() const { return state_->logdir; }
const fs::path& SummaryWriter::path() const { return state_->path; }

void SummaryWriter::flush() {
  if (!state_) return;
  std::lock_guard lock(state_->mutex);
  if (state_->file) flush_locked(*state_, "SummaryWriter.flush");
}

void SummaryWriter::close() {
  if (!state_) return;
  std::lock_guard lock(state_->mutex);
  if (!state_->file) return;
  const bool flushed = std::fflush(state_->file) == 0;
  const bool closed = std::fclose(state_->file) == 0;
  state_->file = nullptr;
  BRAID_CHECK(flushed && closed, IOError, "SummaryWriter.close", "{}: writing the file failed",
              state_->path.string());
}

void SummaryWriter::write_summary(const std::string& tag, const std::string& value_fields,
                                  int64_t step, const char* op) {
  ProtoWriter value;
  value.add_bytes(field::kTag, tag);
  std::string value_msg = value.str() + value_fields;
  ProtoWriter summary;
  summary.add_bytes(field::kSummaryValue, value_msg);
  ProtoWriter tail;
  tail.add_message(field::kSummary, summary);
  const std::string event = event_header(step) + tail.str();

  BRAID_CHECK(state_, ValueError, op, "the writer was moved from");
  State& s = *state_;
  std::lock_guard lock(s.mutex);
  BRAID_CHECK(s.file, ValueError, op, "the writer of {} is closed", s.path.string());
  write_record(s, event, op);
  const auto now = std::chrono::steady_clock::now();
  if (s.queued++ == 0) s.oldest_queued = now;
  if (s.queued >= s.options.max_queue ||
      std::chrono::duration<double>(now - s.oldest_queued).count() >= s.options.flush_secs)
    flush_locked(s, op);
}

void SummaryWriter::add_scalar(const std::string& tag, double value, int64_t step) {
  constexpr const char* kOp = "SummaryWriter.add_scalar";
  check_tag(tag, kOp);
  ProtoWriter v;
  v.add_float(field::kSimpleValue, static_cast<float>(value));
  write_summary(tag, v.str(), step, kOp);
}

void SummaryWriter::add_histogram(const std::string& tag, const Tensor& values, int64_t step,
                                  int bins) {
  constexpr const char* kOp = "SummaryWriter.add_histogram";
  check_tag(tag, kOp);
  BRAID_CHECK(bins >= 1, ValueError, kOp, "bins must be at least 1; got {}", bins);
  BRAID_CHECK(values.dtype() != DType::Bool, DTypeError, kOp,
              "values must be a real number tensor; got bool ('{}')", tag);
  BRAID_CHECK(values.numel() > 0, ValueError, kOp, "values for '{}' are empty (shape {})", tag,
              shape_str(values.shape()));
  const std::vector<double> v = values.to_vector<double>();
  double lo = v[0], hi = v[0], sum = 0, sum_sq = 0;
  for (double x : v) {
    BRAID_CHECK(std::isfinite(x), ValueError, kOp, "values for '{}' contain {}", tag, x);
    lo = std::min(lo, x);
    hi = std::max(hi, x);
    sum += x;
    sum_sq += x * x;
  }
  // Equal-width buckets [lo + i w, lo + (i+1) w), the last one closed, as
  // TensorBoard's legacy histogram summary makes them; TensorBoard takes the
  // left edge of bucket 0 from `min`. All-equal values: one bucket at lo.
  std::vector<double> limits, counts;
  if (hi == lo) {
    limits = {hi};
    counts = {static_cast<double>(v.size())};
  } else {
    const double width = (hi - lo) / bins;
    limits.resize(bins);
    counts.assign(bins, 0.0);
    for (int i = 0; i < bins; ++i) limits[i] = lo + width * (i + 1);
    limits.back() = hi;
    for (double x : v)
      counts[std::min<int64_t>(bins - 1, static_cast<int64_t>((x - lo) / width))] += 1;
  }
  ProtoWriter h;
  h.add_double(field::kMin, lo);
  h.add_double(field::kMax, hi);
  h.add_double(field::kNum, static_cast<double>(v.size()));
  h.add_double(field::kSum, sum);
  h.add_double(field::kSumSquares, sum_sq);
  h.add_packed_doubles(field::kBucketLimit, limits);
  h.add_packed_doubles(field::kBucket, counts);
  ProtoWriter val;
  val.add_message(field::kHisto, h);
  write_summary(tag, val.str(), step, kOp);
}

void SummaryWriter::add_image(const std::string& tag, const Tensor& img, int64_t step) {
  constexpr const char* kOp = "SummaryWriter.add_image";
  check_tag(tag, kOp);
  const Shape& shape = img.shape();
  const bool hw = shape.size() == 2;
  BRAID_CHECK((hw || (shape.size() == 3 && shape[0] >= 1 && shape[0] <= 4)), ShapeError, kOp,
              "'{}' must be (C, H, W) with C in 1..4 or (H, W); got shape {}", tag,
              shape_str(shape));
  const int64_t c = hw ? 1 : shape[0], h = shape[hw ? 0 : 1], w = shape[hw ? 1 : 2];
  BRAID_CHECK(h > 0 && w > 0 && h <= (1 << 20) && w <= (1 << 20), ShapeError, kOp,
              "'{}' must have 1 to 2^20 rows and columns; got shape {}", tag, shape_str(shape));
  BRAID_CHECK(img.dtype() == DType::UInt8 || img.is_floating_point(), DTypeError, kOp,
              "'{}' must be uint8 or floating point in [0, 1]; got {}", tag,
              dtype_name(img.dtype()));
  // CHW planes -> interleaved HWC rows, which is what PNG stores.
  std::vector<uint8_t> hwc(static_cast<size_t>(c * h * w));
  const std::vector<double> v = img.to_vector<double>();
  const bool scale = img.is_floating_point();
  for (int64_t ch = 0; ch < c; ++ch)
    for (int64_t p = 0; p < h * w; ++p) {
      double x = v[ch * h * w + p];
      if (scale) x = std::nearbyint(std::clamp(std::isnan(x) ? 0.0 : x, 0.0, 1.0) * 255.0);
      hwc[p * c + ch] = static_cast<uint8_t>(x);
    }
  ProtoWriter im;
  im.add_int(field::kHeight, h);
  im.add_int(field::kWidth, w);
  im.add_int(field::kColorspace, c);
  im.add_bytes(field::kEncodedImage, detail::encode_png(hwc, static_cast<int>(h),
                                                        static_cast<int>(w), static_cast<int>(c)));
  ProtoWriter val;
  val.add_message(field::kImage, im);
  write_summary(tag, val.str(), step, kOp);
}

}  // namespace braid::tensorboard
