#pragma once
/// train::Model: Keras' compile / fit / evaluate / predict on any nn::Module.
///
///     nn::Sequential net{nn::Flatten(), nn::Linear(784, 128), nn::ReLU(), nn::Linear(128, 10)};
///     train::Model model(std::move(net));            // owns it; or Model model(net) borrows
///     model.compile(optim::Adam({.lr = 1e-3}), "sparse_categorical_crossentropy", {"accuracy"});
///     train::History h = model.fit(x, y, {.epochs = 5, .batch_size = 64, .validation_split =
///     0.1}); auto scores = model.evaluate(x_test, y_test);  // {"accuracy": ..., "loss": ...}
///
/// Note [fit determinism]
/// Batches are rows of x/y gathered by a permutation drawn from braid's
/// Philox generator: from FitOptions::seed when set, else from the default
/// generator (manual_seed). Dropout draws from the default generator too, so
/// the same seeds and thread count train to bit-identical weights.
#include <cstdint>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "braid/data/dataset.hpp"
#include "braid/nn/module.hpp"
#include "braid/optim/optimizer.hpp"
#include "braid/train/callbacks.hpp"
#include "braid/train/losses.hpp"
#include "braid/train/metrics.hpp"

namespace braid::train {

/// A metric as compile() takes it: a name ("accuracy", ...) or a factory
/// of a custom Metric (training and validation each get their own).
class MetricSpec {
 public:
  using Factory = std::function<std::unique_ptr<Metric>()>;
  MetricSpec(const char* name) : name_(name) {}                  // NOLINT
  MetricSpec(std::string name) : name_(std::move(name)) {}       // NOLINT
  MetricSpec(Factory factory) : factory_(std::move(factory)) {}  // NOLINT
  /// A fresh metric (names: make_metric). Throws ValueError for an unknown name.
  std::unique_ptr<Metric> make(bool from_logits) const;

 private:
  std::string name_;
  Factory factory_;
};

/// x/y tensors for validation_data.
struct ValidationData {
  Tensor x, y;
};

struct FitOptions {
  int64_t epochs = 1;
  int64_t batch_size = 32;
  /// The last fraction of x/y (taken before shuffling) validates.
  double validation_split = 0;
  std::optional<ValidationData> validation_data = std::nullopt;
  bool shuffle = true;
  int64_t initial_epoch = 0;
  /// Batches per epoch (0: one pass); the data is cycled when it runs out.
  int64_t steps_per_epoch = 0;
  /// Class index -> loss weight (built-in losses; class-index or 0/1 targets).
  std::map<int64_t, double> class_weight = {};
  /// 0 silent, 1 progress bar, 2 one line per epoch.
  int verbose = 1;
  std::vector<CallbackPtr> callbacks = {};
  /// Gradients of this many batches are summed (each loss / k) before a step.
  int64_t accumulation_steps = 1;
  /// Seeds the shuffling (Note [fit determinism]).
  std::optional<uint64_t> seed = std::nullopt;
};

/// Per-epoch logs: history["loss"][i] is the loss of the i-th epoch run.
struct History {
  std::vector<int64_t> epoch;
  std::map<std::string, std::vector<double>> history;
  /// Throws ValueError listing the recorded names.
  const std::vector<double>& operator[](const std::string& name) const;
};

class Model {
 public:
  /// Borrows `module`: the caller keeps it alive while the Model is used.
  explicit Model(nn::Module& module);
  explicit Model(std::unique_ptr<nn::Module> module);
  /// Takes a module by move: `train::Model model(nn::Sequential{...})`.
  template <class M>
  requires std::derived_from<M, nn::Module> &&
      (!std::is_lvalue_reference_v<M>)explicit Model(M&& module)
      : Model(std::unique_ptr<nn::Module>(new M(std::move(module)))) {}
  Model(Model&&) noexcept = default;
  Model& operator=(Model&&) noexcept = default;

  /// Sets the optimizer, the loss and the metrics. The optimizer comes as a
  /// shared_ptr, a unique_ptr or moved in (`compile(optim::Adam({.lr = 1e-3}),
  /// ...)`); one made without parameters gets the module's trainable ones as
  /// its first group. Throws ValueError for an unknown loss or metric name,
  /// listing the known ones; a failed compile changes nothing.
  void compile(std::shared_ptr<optim::Optimizer> optimizer, Loss loss,
               std::vector<MetricSpec> metrics = {});
  template <class O>
  requires std::derived_from<std::decay_t<O>, optim::Optimizer> &&
      (!std::is_lvalue_reference_v<O>)void compile(O&& optimizer, Loss loss,
                                                   std::vector<MetricSpec> metrics = {}) {
    compile(std::make_shared<std::decay_t<O>>(std::move(optimizer)), std::move(loss),
            std::move(metrics));
  }

  /// Trains on x (N, ...) and y (N, ...). Throws ValueError before compile
  /// or for bad options, ShapeError when x and y differ in length.
  History fit(const Tensor& x, const Tensor& y, const FitOptions& options = {});
  History fit(const data::Dataset& dataset, const FitOptions& options = {});
  /// Loss and metrics over x/y in eval mode, without a graph.
  Logs evaluate(const Tensor& x, const Tensor& y, int64_t batch_size = 32, int verbose = 0);
  Logs evaluate(const data::Dataset& dataset, int64_t batch_size = 32, int verbose = 0);
  /// The outputs for x (N, ...), batched, in eval mode, concatenated.
  Tensor predict(const Tensor& x, int64_t batch_size = 32, int verbose = 0);

  /// Keras' summary table for an input of `input_shape` (without the batch
  /// dim), printed to out(). See summary.hpp.
  void summary(const Shape& input_shape, DType dtype = DType::Float32);

  nn::Module& module() const { return *module_; }
  /// Throws ValueError before compile.
  optim::Optimizer& optimizer() const;
  bool compiled() const { return optimizer_ != nullptr; }
  double learning_rate() const { return optimizer().lr(); }
  void set_learning_rate(double lr) { optimizer().set_lr(lr); }
  /// Set by a callback to end fit after the current batch / epoch.
  bool stop_training = false;
  /// Where the progress bar and summary go (std::cout by default).
  void set_output(std::ostream& os) { out_ = &os; }
  std::ostream& out() const { return *out_; }

  /// Rows of training data (x/y tensors or a dataset), for the loop.
  struct Source;

 private:
  History run_fit(const Source& train, const Source* val, const FitOptions& o);
  Logs run_eval(const Source& src, int64_t batch_size, int verbose, std::vector<CallbackPtr>* cbs);
  void require_compiled(const char* where) const;

  std::unique_ptr<nn::Module> owned_;
  nn::Module* module_;
  std::shared_ptr<optim::Optimizer> optimizer_;
  std::optional<Loss> loss_;
  std::vector<MetricSpec> metric_specs_;
  std::ostream* out_ = &std::cout;
};

}  // namespace braid::train
