#pragma once
/// Callbacks with Keras' hook names. fit() calls them in the order given,
/// then the progress bar, then the History; each gets `model` set first.
/// `logs` maps names to values ("loss", "accuracy", "val_loss", ...);
/// on_epoch_end may add entries ("learning_rate"), which the progress bar,
/// the History and later callbacks then see.
#include <cstdint>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "braid/nn/module.hpp"

namespace braid::train {

class Model;
/// Names in alphabetical order, as Keras sorts its logs.
using Logs = std::map<std::string, double>;

class Callback {
 public:
  virtual ~Callback() = default;
  virtual void on_train_begin(const Logs& logs) {}
  virtual void on_train_end(const Logs& logs) {}
  virtual void on_epoch_begin(int64_t epoch, const Logs& logs) {}
  virtual void on_epoch_end(int64_t epoch, Logs& logs) {}
  virtual void on_train_batch_begin(int64_t batch, const Logs& logs) {}
  virtual void on_train_batch_end(int64_t batch, const Logs& logs) {}
  virtual void on_test_begin(const Logs& logs) {}
  virtual void on_test_end(const Logs& logs) {}
  virtual void on_test_batch_begin(int64_t batch, const Logs& logs) {}
  virtual void on_test_batch_end(int64_t batch, const Logs& logs) {}
  virtual void on_predict_begin(const Logs& logs) {}
  virtual void on_predict_end(const Logs& logs) {}
  virtual void on_predict_batch_begin(int64_t batch, const Logs& logs) {}
  virtual void on_predict_batch_end(int64_t batch, const Logs& logs) {}

  /// The model being trained (set by fit/evaluate/predict). Through it a
  /// callback stops training (model->stop_training = true), reads and sets
  /// the learning rate, and saves or restores weights.
  Model* model = nullptr;
};

/// What FitOptions::callbacks holds: a callback moved in
/// (`train::EarlyStopping({.patience = 2})`) or a shared one the caller
/// keeps to read afterwards.
class CallbackPtr {
 public:
  template <class C>
  requires std::derived_from<std::decay_t<C>, Callback> &&
      (!std::is_lvalue_reference_v<C>)CallbackPtr(C&& c)
      : ptr_(std::make_shared<std::decay_t<C>>(std::move(c))) {}  // NOLINT
  template <class C>
  requires std::derived_from<C, Callback> CallbackPtr(std::shared_ptr<C> c)
      : ptr_(std::move(c)) {}  // NOLINT
  Callback* operator->() const { return ptr_.get(); }
  Callback& operator*() const { return *ptr_; }

 private:
  std::shared_ptr<Callback> ptr_;
};

/// "min", "max" or "auto" (max for names with acc, auc, precision, recall, f1).
/// Returns true for max. Throws ValueError for another mode.
bool monitor_is_max(const std::string& monitor, const std::string& mode, const char* who);

struct EarlyStoppingOptions {
  std::string monitor = "val_loss";
  double min_delta = 0;
  int64_t patience = 0;
  int verbose = 0;
  std::string mode = "auto";
  std::optional<double> baseline = std::nullopt;
  bool restore_best_weights = false;
  int64_t start_from_epoch = 0;
};

/// Stops when `monitor` has not improved by min_delta for `patience` epochs
/// (Keras 3 rules, incl. baseline and start_from_epoch). With
/// restore_best_weights the best epoch's weights are loaded back when
/// training ends.
class EarlyStopping : public Callback {
 public:
  explicit EarlyStopping(EarlyStoppingOptions options = {});
  void on_train_begin(const Logs&) override;
  void on_epoch_end(int64_t epoch, Logs& logs) override;
  void on_train_end(const Logs&) override;
  /// The epoch (0-based) at which training was stopped, or 0.
  int64_t stopped_epoch = 0;
  int64_t best_epoch = 0;
  std::optional<double> best;

 private:
  bool improved(double value, std::optional<double> reference) const;
  EarlyStoppingOptions o_;
  bool max_;
  int64_t wait_ = 0;
  std::optional<nn::StateDict> best_weights_;
};

/// Writes a module (save_weights_only: its state dict) to `path`.
using CheckpointWriter =
    std::function<void(const nn::Module& module, const std::string& path, bool weights_only)>;
/// The default writer; see Note [train seams] in src/train/seams.cpp.
void default_checkpoint_writer(const nn::Module& module, const std::string& path,
                               bool weights_only);

struct ModelCheckpointOptions {
  std::string monitor = "val_loss";
  int verbose = 0;
  bool save_best_only = false;
  bool save_weights_only = false;
  std::string mode = "auto";
  /// Where the file goes; default_checkpoint_writer unless set.
  CheckpointWriter writer = nullptr;
};

/// Saves the model after each epoch to `filepath`, formatted with the epoch
/// (1-based) and the logs: "ckpt/model_{epoch:02d}_{val_loss:.2f}.safetensors".
class ModelCheckpoint : public Callback {
 public:
  explicit ModelCheckpoint(std::string filepath, ModelCheckpointOptions options = {});
  void on_train_begin(const Logs&) override;
  void on_epoch_end(int64_t epoch, Logs& logs) override;
  /// The path for this epoch and these logs. Throws ValueError for a name
  /// the logs lack or a bad format.
  std::string format_path(int64_t epoch, const Logs& logs) const;
  std::optional<double> best;
  /// Paths written, in order.
  std::vector<std::string> saved;

 private:
  std::string filepath_;
  ModelCheckpointOptions o_;
  bool max_;
};

struct ReduceLROnPlateauOptions {
  std::string monitor = "val_loss";
  double factor = 0.1;
  int64_t patience = 10;
  int verbose = 0;
  std::string mode = "auto";
  double min_delta = 1e-4;
  int64_t cooldown = 0;
  double min_lr = 0;
};

/// Multiplies the learning rate by `factor` when `monitor` has not improved
/// for `patience` epochs, then waits `cooldown` epochs; never below min_lr.
/// Adds "learning_rate" to the epoch logs.
class ReduceLROnPlateau : public Callback {
 public:
  explicit ReduceLROnPlateau(ReduceLROnPlateauOptions options = {});
  void on_train_begin(const Logs&) override;
  void on_epoch_end(int64_t epoch, Logs& logs) override;

 private:
  ReduceLROnPlateauOptions o_;
  bool max_;
  double best_ = 0;
  int64_t wait_ = 0, cooldown_counter_ = 0;
};

/// Sets the learning rate to schedule(epoch, lr) at the start of each epoch.
class LearningRateScheduler : public Callback {
 public:
  using Schedule = std::function<double(int64_t epoch, double lr)>;
  explicit LearningRateScheduler(Schedule schedule, int verbose = 0);
  void on_epoch_begin(int64_t epoch, const Logs&) override;
  void on_epoch_end(int64_t epoch, Logs& logs) override;

 private:
  Schedule schedule_;
  int verbose_;
};

/// One CSV row per epoch: "epoch" (0-based, as Keras) then the logs'
/// names in order. append: continue an existing file without a header.
class CSVLogger : public Callback {
 public:
  explicit CSVLogger(std::string filename, std::string separator = ",", bool append = false);
  void on_train_begin(const Logs&) override;
  void on_epoch_end(int64_t epoch, Logs& logs) override;
  void on_train_end(const Logs&) override;

 private:
  std::string filename_, sep_;
  bool append_, header_written_ = false;
  std::vector<std::string> keys_;
  std::shared_ptr<std::ofstream> file_;
};

/// Stops training at the first batch whose loss is NaN or infinite.
class TerminateOnNaN : public Callback {
 public:
  void on_train_batch_end(int64_t batch, const Logs& logs) override;
};

/// Where TensorBoard writes scalars; see Note [train seams].
class ScalarWriter {
 public:
  virtual ~ScalarWriter() = default;
  virtual void add_scalar(const std::string& tag, double value, int64_t step) = 0;
  virtual void flush() = 0;
};
using ScalarWriterFactory = std::function<std::unique_ptr<ScalarWriter>(const std::string& dir)>;
/// log::SummaryWriter behind ScalarWriter.
std::unique_ptr<ScalarWriter> default_scalar_writer(const std::string& dir);

/// Keras' TensorBoard callback: runs log_dir/train and log_dir/validation,
/// scalars "epoch_<name>" per epoch (val_ names go to validation without the
/// prefix; "learning_rate" to train).
class TensorBoard : public Callback {
 public:
  explicit TensorBoard(std::string log_dir = "logs", ScalarWriterFactory factory = nullptr);
  void on_train_begin(const Logs&) override;
  void on_epoch_end(int64_t epoch, Logs& logs) override;
  void on_train_end(const Logs&) override;

 private:
  std::string log_dir_;
  ScalarWriterFactory factory_;
  std::unique_ptr<ScalarWriter> train_, val_;
};

/// Keras' LambdaCallback arguments; unset ones do nothing.
struct LambdaHooks {
  std::function<void(const Logs&)> on_train_begin, on_train_end;
  std::function<void(int64_t, const Logs&)> on_epoch_begin;
  std::function<void(int64_t, Logs&)> on_epoch_end;
  std::function<void(int64_t, const Logs&)> on_train_batch_begin, on_train_batch_end;
};

/// Callbacks from lambdas: `train::LambdaCallback({.on_epoch_end = ...})`.
class LambdaCallback : public Callback {
 public:
  explicit LambdaCallback(LambdaHooks hooks) : h_(std::move(hooks)) {}
  void on_train_begin(const Logs& l) override;
  void on_train_end(const Logs& l) override;
  void on_epoch_begin(int64_t e, const Logs& l) override;
  void on_epoch_end(int64_t e, Logs& l) override;
  void on_train_batch_begin(int64_t b, const Logs& l) override;
  void on_train_batch_end(int64_t b, const Logs& l) override;

 private:
  LambdaHooks h_;
};

}  // namespace braid::train
