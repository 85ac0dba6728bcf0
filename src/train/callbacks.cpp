#include "braid/train/callbacks.hpp"

#include <cmath>
#include <filesystem>
#include <limits>

#include "braid/core/error.hpp"
#include "braid/core/grad_mode.hpp"
#include "braid/ops/ops.hpp"
#include "braid/train/model.hpp"

namespace braid::train {

bool monitor_is_max(const std::string& monitor, const std::string& mode, const char* who) {
  BRAID_CHECK(mode == "auto" || mode == "min" || mode == "max", ValueError, who,
              "mode must be 'auto', 'min' or 'max'; got '{}'", mode);
  if (mode != "auto") return mode == "max";
  for (const char* up : {"acc", "auc", "precision", "recall", "f1"})
    if (monitor.find(up) != std::string::npos) return true;
  return false;
}

namespace {

std::optional<double> monitored(const Logs& logs, const std::string& monitor, const char* who,
                                int verbose, std::ostream& out) {
  auto it = logs.find(monitor);
  if (it != logs.end()) return it->second;
  // As Keras: a warning, not an error (the metric may appear later).
  if (verbose) {
    std::string names;
    for (const auto& [k, v] : logs) names += (names.empty() ? "" : ", ") + k;
    out << fmt::format(
        "{} conditioned on metric `{}` which is not available. Available metrics "
        "are: {}.\n",
        who, monitor, names);
  }
  return std::nullopt;
}

// A copy of the weights that later training does not change.
nn::StateDict snapshot(const nn::Module& m) {
  NoGradGuard ng;
  nn::StateDict sd;
  for (const auto& [k, t] : m.state_dict()) sd.insert(k, t.clone());
  return sd;
}

}  // namespace

// -- EarlyStopping -----------------------------------------------------------------

EarlyStopping::EarlyStopping(EarlyStoppingOptions options)
    : o_(std::move(options)), max_(monitor_is_max(o_.monitor, o_.mode, "EarlyStopping")) {
  BRAID_CHECK(o_.patience >= 0, ValueError, "EarlyStopping", "patience must be >= 0; got {}",
              o_.patience);
}

void EarlyStopping::on_train_begin(const Logs&) {
  wait_ = stopped_epoch = best_epoch = 0;
  best.reset();
  best_weights_.reset();
}

bool EarlyStopping::improved(double value, std::optional<double> reference) const {
  if (!reference) return true;
  const double delta = std::abs(o_.min_delta);
  return max_ ? value - delta > *reference : value + delta < *reference;
}

void EarlyStopping::on_epoch_end(int64_t epoch, Logs& logs) {
  const auto current = monitored(logs, o_.monitor, "Early stopping", o_.verbose, model->out());
  if (!current || epoch < o_.start_from_epoch) return;
  if (o_.restore_best_weights && !best_weights_) best_weights_ = snapshot(model->module());
  ++wait_;
  if (improved(*current, best)) {
    best = *current;
    best_epoch = epoch;
    if (o_.restore_best_weights) best_weights_ = snapshot(model->module());
    // With a baseline, only improving on it resets the wait.
    if (!o_.baseline || improved(*current, o_.baseline)) wait_ = 0;
    return;
  }
  if (wait_ >= o_.patience && epoch > 0) {
    stopped_epoch = epoch;
    model->stop_training = true;
  }
}

void EarlyStopping::on_train_end(const Logs&) {
  if (stopped_epoch > 0 && o_.verbose)
    model->out() << fmt::format("Epoch {}: early stopping\n", stopped_epoch + 1);
  if (o_.restore_best_weights && best_weights_) {
    if (o_.verbose)
      model->out() << fmt::format("Restoring model weights from the end of the best epoch: {}.\n",
                                  best_epoch + 1);
    model->module().load_state_dict(*best_weights_);
  }
}

// -- ModelCheckpoint ---------------------------------------------------------------

ModelCheckpoint::ModelCheckpoint(std::string filepath, ModelCheckpointOptions options)
    : filepath_(std::move(filepath)),
      o_(std::move(options)),
      max_(monitor_is_max(o_.monitor, o_.mode, "ModelCheckpoint")) {
  if (!o_.writer) o_.writer = default_checkpoint_writer;
}

void ModelCheckpoint::on_train_begin(const Logs&) { best.reset(); }

std::string ModelCheckpoint::format_path(int64_t epoch, const Logs& logs) const {
  // Python's str.format subset Keras users write: {name} and {name:spec},
  // spec in fmt's (= Python's) mini-language; epoch counts from 1.
  std::string out;
  for (size_t i = 0; i < filepath_.size(); ++i) {
    const char ch = filepath_[i];
    if (ch != '{') {
      out += ch;
      continue;
    }
    const size_t close = filepath_.find('}', i);
    BRAID_CHECK(close != std::string::npos, ValueError, "ModelCheckpoint",
                "unclosed '{{' in filepath '{}'", filepath_);
    const std::string field = filepath_.substr(i + 1, close - i - 1);
    const size_t colon = field.find(':');
    const std::string name = field.substr(0, colon);
    std::string spec = "{";
    if (colon != std::string::npos) spec += field.substr(colon);
    spec += '}';
    try {
      if (name == "epoch") {
        out += fmt::format(fmt::runtime(spec), epoch + 1);
      } else {
        auto it = logs.find(name);
        BRAID_CHECK(it != logs.end(), ValueError, "ModelCheckpoint",
                    "filepath '{}' names '{}', which the logs lack; logs: epoch{}", filepath_, name,
                    [&] {
                      std::string s;
                      for (const auto& [k, v] : logs) s += ", " + k;
                      return s;
                    }());
        out += fmt::format(fmt::runtime(spec), it->second);
      }
    } catch (const fmt::format_error& e) {
      throw ValueError(fmt::format("[ModelCheckpoint] bad format '{{{}}}' in filepath '{}': {}",
                                   field, filepath_, e.what()));
    }
    i = close;
  }
  return out;
}

void ModelCheckpoint::on_epoch_end(int64_t epoch, Logs& logs) {
  const std::string path = format_path(epoch, logs);
  if (o_.save_best_only) {
    const auto current =
        monitored(logs, o_.monitor, "Can save best model only with", o_.verbose, model->out());
    if (!current) return;
    const bool better = !best || (max_ ? *current > *best : *current < *best);
    if (!better) {
      if (o_.verbose)
        model->out() << fmt::format("\nEpoch {}: {} did not improve from {:.5f}\n", epoch + 1,
                                    o_.monitor, *best);
      return;
    }
    if (o_.verbose)
      model->out() << fmt::format(
          "\nEpoch {}: {} improved from {:.5f} to {:.5f}, saving model to {}\n", epoch + 1,
          o_.monitor, best ? *best : (max_ ? -INFINITY : INFINITY), *current, path);
    best = current;
  } else if (o_.verbose) {
    model->out() << fmt::format("\nEpoch {}: saving model to {}\n", epoch + 1, path);
  }
  const auto dir = std::filesystem::path(path).parent_path();
  if (!dir.empty()) std::filesystem::create_directories(dir);
  o_.writer(model->module(), path, o_.save_weights_only);
  saved.push_back(path);
}

// -- ReduceLROnPlateau --------------------------------------------------------------

ReduceLROnPlateau::ReduceLROnPlateau(ReduceLROnPlateauOptions options)
    : o_(std::move(options)), max_(monitor_is_max(o_.monitor, o_.mode, "ReduceLROnPlateau")) {
  BRAID_CHECK(o_.factor < 1.0 && o_.factor >= 0, ValueError, "ReduceLROnPlateau",
              "factor must be in [0, 1); got {}", o_.factor);
}

void ReduceLROnPlateau::on_train_begin(const Logs&) {
  best_ = max_ ? -INFINITY : INFINITY;
  wait_ = cooldown_counter_ = 0;
}

void ReduceLROnPlateau::on_epoch_end(int64_t epoch, Logs& logs) {
  logs["learning_rate"] = model->learning_rate();
  const auto current =
      monitored(logs, o_.monitor, "Learning rate reduction is", o_.verbose, model->out());
  if (!current) return;
  if (cooldown_counter_ > 0) {
    --cooldown_counter_;
    wait_ = 0;
  }
  const bool better = max_ ? *current > best_ + o_.min_delta : *current < best_ - o_.min_delta;
  if (better) {
    best_ = *current;
    wait_ = 0;
  } else if (cooldown_counter_ == 0 && ++wait_ >= o_.patience) {
    const double old_lr = model->learning_rate();
    if (old_lr > o_.min_lr) {
      const double lr = std::max(old_lr * o_.factor, o_.min_lr);
      model->set_learning_rate(lr);
      if (o_.verbose)
        model->out() << fmt::format("\nEpoch {}: ReduceLROnPlateau reducing learning rate to {}.\n",
                                    epoch + 1, lr);
      cooldown_counter_ = o_.cooldown;
      wait_ = 0;
    }
  }
}

// -- LearningRateScheduler ------------------------------------------------------------

LearningRateScheduler::LearningRateScheduler(Schedule schedule, int verbose)
    : schedule_(std::move(schedule)), verbose_(verbose) {
  BRAID_CHECK(schedule_ != nullptr, ValueError, "LearningRateScheduler", "the schedule is empty");
}

void LearningRateScheduler::on_epoch_begin(int64_t epoch, const Logs&) {
  const double lr = schedule_(epoch, model->learning_rate());
  BRAID_CHECK(std::isfinite(lr), ValueError, "LearningRateScheduler",
              "the schedule returned {} for epoch {}", lr, epoch);
  model->set_learning_rate(lr);
  if (verbose_)
    model->out() << fmt::format("\nEpoch {}: LearningRateScheduler setting learning rate to {}.\n",
                                epoch + 1, lr);
}

void LearningRateScheduler::on_epoch_end(int64_t, Logs& logs) {
  logs["learning_rate"] = model->learning_rate();
}

// -- CSVLogger ------------------------------------------------------------------------

CSVLogger::CSVLogger(std::string filename, std::string separator, bool append)
    : filename_(std::move(filename)), sep_(std::move(separator)), append_(append) {}

void CSVLogger::on_train_begin(const Logs&) {
  const bool continuing =
      append_ && std::filesystem::exists(filename_) && std::filesystem::file_size(filename_) > 0;
  keys_.clear();
  if (continuing) {
    // Continue with the existing header's columns.
    std::ifstream in(filename_);
    std::string header;
    std::getline(in, header);
    for (size_t pos = 0, next; pos <= header.size(); pos = next + sep_.size()) {
      next = header.find(sep_, pos);
      if (next == std::string::npos) next = header.size();
      keys_.push_back(header.substr(pos, next - pos));
    }
    if (!keys_.empty()) keys_.erase(keys_.begin());  // "epoch"
  }
  file_ = std::make_shared<std::ofstream>(filename_, continuing ? std::ios::app : std::ios::trunc);
  BRAID_CHECK(file_->good(), IOError, "CSVLogger", "cannot open '{}' for writing", filename_);
  header_written_ = continuing;
}

namespace {
// Python's repr of a float: shortest round trip, "1.0" not "1".
std::string repr(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  std::string s = fmt::format("{}", v);
  if (s.find_first_of(".e") == std::string::npos) s += ".0";
  return s;
}
}  // namespace

void CSVLogger::on_epoch_end(int64_t epoch, Logs& logs) {
  if (!header_written_) {
    keys_.clear();
    for (const auto& [k, v] : logs) keys_.push_back(k);
    *file_ << "epoch";
    for (const auto& k : keys_) *file_ << sep_ << k;
    *file_ << '\n';
    header_written_ = true;
  }
  *file_ << epoch;
  for (const auto& k : keys_) {
    auto it = logs.find(k);
    *file_ << sep_ << (it == logs.end() ? "NA" : repr(it->second));
  }
  *file_ << '\n' << std::flush;
}

void CSVLogger::on_train_end(const Logs&) { file_.reset(); }

// -- TerminateOnNaN, TensorBoard, LambdaCallback ---------------------------------------

void TerminateOnNaN::on_train_batch_end(int64_t batch, const Logs& logs) {
  auto it = logs.find("loss");
  if (it == logs.end() || std::isfinite(it->second)) return;
  model->out() << fmt::format("Batch {}: Invalid loss, terminating training\n", batch);
  model->stop_training = true;
}

TensorBoard::TensorBoard(std::string log_dir, ScalarWriterFactory factory)
    : log_dir_(std::move(log_dir)), factory_(std::move(factory)) {
  if (!factory_) factory_ = default_scalar_writer;
}

void TensorBoard::on_train_begin(const Logs&) {
  train_ = factory_((std::filesystem::path(log_dir_) / "train").string());
  val_ = factory_((std::filesystem::path(log_dir_) / "validation").string());
}

void TensorBoard::on_epoch_end(int64_t epoch, Logs& logs) {
  for (const auto& [k, v] : logs) {
    if (k.rfind("val_", 0) == 0)
      val_->add_scalar("epoch_" + k.substr(4), v, epoch);
    else
      train_->add_scalar("epoch_" + k, v, epoch);
  }
  train_->flush();
  val_->flush();
}

void TensorBoard::on_train_end(const Logs&) {
  if (train_) train_->flush();
  if (val_) val_->flush();
  train_.reset();
  val_.reset();
}

void LambdaCallback::on_train_begin(const Logs& l) {
  if (h_.on_train_begin) h_.on_train_begin(l);
}
void LambdaCallback::on_train_end(const Logs& l) {
  if (h_.on_train_end) h_.on_train_end(l);
}
void LambdaCallback::on_epoch_begin(int64_t e, const Logs& l) {
  if (h_.on_epoch_begin) h_.on_epoch_begin(e, l);
}
void LambdaCallback::on_epoch_end(int64_t e, Logs& l) {
  if (h_.on_epoch_end) h_.on_epoch_end(e, l);
}
void LambdaCallback::on_train_batch_begin(int64_t b, const Logs& l) {
  if (h_.on_train_batch_begin) h_.on_train_batch_begin(b, l);
}
void LambdaCallback::on_train_batch_end(int64_t b, const Logs& l) {
  if (h_.on_train_batch_end) h_.on_train_batch_end(b, l);
}

}  // namespace braid::train
