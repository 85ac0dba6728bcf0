// train::Model: compile, the training loop, evaluate and predict.
#include "braid/train/model.hpp"

#include <cmath>

#include "braid/core/error.hpp"
#include "braid/core/grad_mode.hpp"
#include "braid/core/rng.hpp"
#include "braid/ops/ops.hpp"
#include "braid/train/progbar.hpp"
#include "braid/train/summary.hpp"

namespace braid::train {

/// Rows [begin, begin + n) of the training data, batched by index lists.
struct Model::Source {
  virtual ~Source() = default;
  virtual int64_t size() const = 0;
  /// Rows idx[0], idx[1], ... (relative to begin) as one batch, drawn for
  /// `ctx` (the pass: datasets with random transforms key on it).
  virtual data::Example batch(const std::vector<int64_t>& idx,
                              const data::DrawContext& ctx = {}) const = 0;
};

namespace {

struct TensorSource : Model::Source {
  Tensor x, y;
  int64_t begin, n;
  TensorSource(Tensor x_, Tensor y_, int64_t b, int64_t n_) : x(x_), y(y_), begin(b), n(n_) {}
  int64_t size() const override { return n; }
  Tensor rows(const Tensor& t, const std::vector<int64_t>& idx) const {
    bool run = true;  // consecutive rows are a view, not a gather
    for (size_t j = 1; j < idx.size() && run; ++j) run = idx[j] == idx[0] + int64_t(j);
    if (run) return t.slice(0, begin + idx[0], begin + idx[0] + int64_t(idx.size()));
    std::vector<int64_t> abs(idx);
    for (int64_t& i : abs) i += begin;
    return index_select(t, 0, tensor(abs, {int64_t(abs.size())}));
  }
  data::Example batch(const std::vector<int64_t>& idx, const data::DrawContext&) const override {
    return {rows(x, idx), y.defined() ? rows(y, idx) : Tensor()};
  }
};

struct DatasetSource : Model::Source {
  const data::Dataset& ds;
  int64_t begin, n;
  DatasetSource(const data::Dataset& d, int64_t b, int64_t n_) : ds(d), begin(b), n(n_) {}
  int64_t size() const override { return n; }
  // The dataset's own batching (a row gather for TensorDataset).
  data::Example batch(const std::vector<int64_t>& idx,
                      const data::DrawContext& ctx) const override {
    std::vector<int64_t> abs(idx);
    for (int64_t& i : abs) i += begin;
    return ds.get_batch(abs, ctx);
  }
};

// Fisher-Yates from Philox draws: depends only on the generator's seed and
// offset (Note [fit determinism]).
std::vector<int64_t> permutation(int64_t n, Generator& gen) {
  std::vector<int64_t> p(n);
  for (int64_t i = 0; i < n; ++i) p[i] = i;
  if (n < 2) return p;
  const uint64_t first = gen.advance(uint64_t(n + 1) / 2);
  uint32_t words[4];
  for (int64_t i = n - 1, k = 0; i > 0; --i, ++k) {
    if (k % 2 == 0) detail::philox4x32(gen.seed(), first + uint64_t(k / 2), words);
    const uint64_t r = (uint64_t(words[2 * (k % 2)]) << 32) | words[2 * (k % 2) + 1];
    const auto j = int64_t((unsigned __int128)r * uint64_t(i + 1) >> 64);
    std::swap(p[i], p[j]);
  }
  return p;
}

// Puts the module back in the mode it was in.
struct ModeGuard {
  nn::Module& m;
  bool was;
  explicit ModeGuard(nn::Module& mod, bool training) : m(mod), was(mod.is_training()) {
    m.train(training);
  }
  ~ModeGuard() { m.train(was); }
};

Tensor class_weights(const Tensor& target, const std::map<int64_t, double>& cw) {
  const std::vector<double> t = target.detach().to(DType::Float64).contiguous().to_vector<double>();
  std::vector<float> w(t.size());
  for (size_t i = 0; i < t.size(); ++i) {
    auto it = cw.find(int64_t(std::llround(t[i])));
    w[i] = it == cw.end() ? 1.0f : float(it->second);
  }
  return tensor(w, {int64_t(w.size())});
}

int64_t check_xy(const Tensor& x, const Tensor& y, const char* where) {
  BRAID_CHECK(x.defined() && x.dim() >= 1, ShapeError, where,
              "x must have a leading batch dim; got {}",
              x.defined() ? shape_str(x.shape()) : "an undefined tensor");
  BRAID_CHECK(y.defined() && y.dim() >= 1 && y.size(0) == x.size(0), ShapeError, where,
              "x and y must hold the same number of examples; got x {} ({} examples) and y {}",
              shape_str(x.shape()), x.size(0), y.defined() ? shape_str(y.shape()) : "undefined");
  return x.size(0);
}

}  // namespace

// -- construction, compile ----------------------------------------------------------

Model::Model(nn::Module& module) : module_(&module) {}

Model::Model(std::unique_ptr<nn::Module> module)
    : owned_(std::move(module)), module_(owned_.get()) {
  BRAID_CHECK(module_ != nullptr, ValueError, "train.Model", "the module is null");
}

std::unique_ptr<Metric> MetricSpec::make(bool from_logits) const {
  if (factory_) {
    auto m = factory_();
    BRAID_CHECK(m != nullptr, ValueError, "train.compile", "a metric factory returned null");
    return m;
  }
  return make_metric(name_, from_logits);
}

void Model::compile(std::shared_ptr<optim::Optimizer> optimizer, Loss loss,
                    std::vector<MetricSpec> metrics) {
  BRAID_CHECK(optimizer != nullptr, ValueError, "train.compile", "the optimizer is null");
  for (const MetricSpec& m : metrics) m.make(loss.from_logits());  // unknown names throw here
  if (optimizer->num_param_groups() == 0) {
    std::vector<Tensor> params;
    for (const Tensor& p : module_->parameters())
      if (p.requires_grad()) params.push_back(p);
    BRAID_CHECK(!params.empty(), ValueError, "train.compile",
                "{} has no trainable parameters to optimize", module_->name());
    optimizer->add_param_group(std::move(params));
  }
  optimizer_ = std::move(optimizer);
  loss_ = std::move(loss);
  metric_specs_ = std::move(metrics);
}

void Model::require_compiled(const char* where) const {
  BRAID_CHECK(optimizer_ != nullptr, ValueError, where,
              "the model is not compiled; call compile(optimizer, loss, metrics) first");
}

optim::Optimizer& Model::optimizer() const {
  require_compiled("train.Model.optimizer");
  return *optimizer_;
}

void Model::summary(const Shape& input_shape, DType dtype) {
  out() << train::summary(*module_, input_shape, dtype) << std::flush;
}

const std::vector<double>& History::operator[](const std::string& name) const {
  auto it = history.find(name);
  if (it != history.end()) return it->second;
  std::string names;
  for (const auto& [k, v] : history) names += (names.empty() ? "" : ", ") + k;
  throw ValueError(fmt::format("[train.History] no '{}' recorded; recorded: {}", name, names));
}

// -- fit ----------------------------------------------------------------------------------

namespace {
// Where fit validates: validation_data, else the last validation_split of the
// n rows (Keras: the first ceil(n (1 - split)) rows train, the rest validate;
// `tail(begin, count)` makes that source). Sets n_train to the rows that train.
template <class Tail>
std::unique_ptr<Model::Source> validation_source(const FitOptions& o, int64_t n, int64_t& n_train,
                                                 Tail tail) {
  BRAID_CHECK(o.validation_split >= 0 && o.validation_split < 1, ValueError, "train.fit",
              "validation_split must be in [0, 1); got {}", o.validation_split);
  n_train = n;
  if (o.validation_data) {
    const int64_t nv = check_xy(o.validation_data->x, o.validation_data->y, "train.fit");
    return std::make_unique<TensorSource>(o.validation_data->x, o.validation_data->y, 0, nv);
  }
  if (o.validation_split == 0) return nullptr;
  n_train = int64_t(std::ceil(double(n) * (1.0 - o.validation_split)));
  BRAID_CHECK(n_train > 0 && n_train < n, ValueError, "train.fit",
              "validation_split {} leaves no {} examples out of {}", o.validation_split,
              n_train == n ? "validation" : "training", n);
  return tail(n_train, n - n_train);
}
}  // namespace

History Model::fit(const Tensor& x, const Tensor& y, const FitOptions& o) {
  require_compiled("train.fit");
  const int64_t n = check_xy(x, y, "train.fit");
  int64_t n_train = 0;
  std::unique_ptr<Source> val = validation_source(o, n, n_train, [&](int64_t b, int64_t c) {
    return std::make_unique<TensorSource>(x, y, b, c);
  });
  return run_fit(TensorSource(x, y, 0, n_train), val.get(), o);
}

History Model::fit(const data::Dataset& dataset, const FitOptions& o) {
  require_compiled("train.fit");
  int64_t n_train = 0;
  std::unique_ptr<Source> val = validation_source(
      o, dataset.size(), n_train,
      [&](int64_t b, int64_t c) { return std::make_unique<DatasetSource>(dataset, b, c); });
  return run_fit(DatasetSource(dataset, 0, n_train), val.get(), o);
}

History Model::run_fit(const Source& train, const Source* val, const FitOptions& o) {
  const char* where = "train.fit";
  BRAID_CHECK(train.size() > 0, ValueError, where, "there are no training examples");
  BRAID_CHECK(o.batch_size > 0, ValueError, where, "batch_size must be > 0; got {}", o.batch_size);
  BRAID_CHECK(o.epochs >= 0 && o.initial_epoch >= 0, ValueError, where,
              "epochs and initial_epoch must be >= 0; got {} and {}", o.epochs, o.initial_epoch);
  BRAID_CHECK(o.steps_per_epoch >= 0, ValueError, where, "steps_per_epoch must be >= 0; got {}",
              o.steps_per_epoch);
  BRAID_CHECK(o.accumulation_steps >= 1, ValueError, where,
              "accumulation_steps must be >= 1; got {}", o.accumulation_steps);
  BRAID_CHECK(o.verbose >= 0 && o.verbose <= 2, ValueError, where,
              "verbose must be 0, 1 or 2; got {}", o.verbose);
  BRAID_CHECK(o.class_weight.empty() || loss_->builtin(), ValueError, where,
              "class_weight needs per-example losses, which only the named losses give; got "
              "the callable loss '{}'",
              loss_->name());
  const int64_t n = train.size();
  const int64_t steps =
      o.steps_per_epoch ? o.steps_per_epoch : (n + o.batch_size - 1) / o.batch_size;

  std::vector<std::unique_ptr<Metric>> metrics;
  for (const MetricSpec& m : metric_specs_) metrics.push_back(m.make(loss_->from_logits()));
  Mean loss_tracker("loss");
  std::vector<CallbackPtr> cbs = o.callbacks;
  for (auto& cb : cbs) cb->model = this;

  Generator local(o.seed.value_or(0));
  Generator& gen = o.seed ? local : default_generator();
  std::vector<int64_t> order;
  size_t pos = 0;
  auto next_batch = [&] {
    if (pos >= order.size()) {
      if (o.shuffle) {
        order = permutation(n, gen);
      } else {
        order.resize(n);
        for (int64_t i = 0; i < n; ++i) order[i] = i;
      }
      pos = 0;
    }
    const size_t k = std::min<size_t>(o.batch_size, order.size() - pos);
    std::vector<int64_t> idx(order.begin() + pos, order.begin() + pos + k);
    pos += k;
    return idx;
  };

  History history;
  stop_training = false;
  for (auto& cb : cbs) cb->on_train_begin({});
  Logs logs;
  for (int64_t epoch = o.initial_epoch; epoch < o.epochs && !stop_training; ++epoch) {
    module_->train();
    loss_tracker.reset();
    for (auto& m : metrics) m->reset();
    if (!o.steps_per_epoch) pos = order.size();  // each epoch is a fresh pass
    for (auto& cb : cbs) cb->on_epoch_begin(epoch, {});
    if (o.verbose && o.epochs > 1) out() << fmt::format("Epoch {}/{}\n", epoch + 1, o.epochs);
    Progbar bar(out(), steps, o.verbose);
    optimizer_->zero_grad();
    logs.clear();
    for (int64_t step = 0; step < steps && !stop_training; ++step) {
      for (auto& cb : cbs) cb->on_train_batch_begin(step, {});
      const data::Example b = train.batch(next_batch(), {o.seed.value_or(0), epoch});
      BRAID_CHECK(b.target.defined(), ValueError, where, "fit needs targets; the data has none");
      const Tensor pred = (*module_)(b.data);
      const Tensor loss = o.class_weight.empty()
                              ? (*loss_)(pred, b.target)
                              : mean(loss_->per_example(pred, b.target) *
                                     class_weights(b.target, o.class_weight).to(pred.dtype()));
      (o.accumulation_steps > 1 ? loss / double(o.accumulation_steps) : loss).backward();
      if ((step + 1) % o.accumulation_steps == 0 || step + 1 == steps) {
        optimizer_->step();
        optimizer_->zero_grad();
      }
      loss_tracker.add(loss.item<double>(), double(b.data.size(0)));
      {
        NoGradGuard ng;
        for (auto& m : metrics) m->update(pred.detach(), b.target);
      }
      logs = {{"loss", loss_tracker.result()}};
      for (auto& m : metrics) logs[m->name()] = m->result();
      for (auto& cb : cbs) cb->on_train_batch_end(step, logs);
      bar.update(step + 1, logs);
    }
    if (val) {
      for (const auto& [k, v] : run_eval(*val, o.batch_size, 0, &cbs)) logs["val_" + k] = v;
    }
    for (auto& cb : cbs) cb->on_epoch_end(epoch, logs);
    bar.update(steps, logs, true);
    history.epoch.push_back(epoch);
    for (const auto& [k, v] : logs) history.history[k].push_back(v);
  }
  for (auto& cb : cbs) cb->on_train_end(logs);
  return history;
}

// -- evaluate, predict ------------------------------------------------------------------------

Logs Model::run_eval(const Source& src, int64_t batch_size, int verbose,
                     std::vector<CallbackPtr>* cbs) {
  const char* where = "train.evaluate";
  BRAID_CHECK(batch_size > 0, ValueError, where, "batch_size must be > 0; got {}", batch_size);
  BRAID_CHECK(src.size() > 0, ValueError, where, "there are no examples to evaluate");
  std::vector<std::unique_ptr<Metric>> metrics;
  for (const MetricSpec& m : metric_specs_) metrics.push_back(m.make(loss_->from_logits()));
  Mean loss_tracker("loss");
  ModeGuard mode(*module_, false);
  NoGradGuard ng;
  const int64_t n = src.size(), steps = (n + batch_size - 1) / batch_size;
  Progbar bar(out(), steps, verbose);
  Logs logs;
  if (cbs)
    for (auto& cb : *cbs) cb->on_test_begin({});
  for (int64_t s = 0; s < steps; ++s) {
    if (cbs)
      for (auto& cb : *cbs) cb->on_test_batch_begin(s, {});
    std::vector<int64_t> idx;
    for (int64_t i = s * batch_size; i < std::min(n, (s + 1) * batch_size); ++i) idx.push_back(i);
    const data::Example b = src.batch(idx);
    BRAID_CHECK(b.target.defined(), ValueError, where, "evaluate needs targets; the data has none");
    const Tensor pred = (*module_)(b.data);
    loss_tracker.add((*loss_)(pred, b.target).item<double>(), double(idx.size()));
    for (auto& m : metrics) m->update(pred, b.target);
    logs = {{"loss", loss_tracker.result()}};
    for (auto& m : metrics) logs[m->name()] = m->result();
    if (cbs)
      for (auto& cb : *cbs) cb->on_test_batch_end(s, logs);
    bar.update(s + 1, logs, s + 1 == steps);
  }
  if (cbs)
    for (auto& cb : *cbs) cb->on_test_end(logs);
  return logs;
}

Logs Model::evaluate(const Tensor& x, const Tensor& y, int64_t batch_size, int verbose) {
  require_compiled("train.evaluate");
  const int64_t n = check_xy(x, y, "train.evaluate");
  return run_eval(TensorSource(x, y, 0, n), batch_size, verbose, nullptr);
}

Logs Model::evaluate(const data::Dataset& dataset, int64_t batch_size, int verbose) {
  require_compiled("train.evaluate");
  return run_eval(DatasetSource(dataset, 0, dataset.size()), batch_size, verbose, nullptr);
}

Tensor Model::predict(const Tensor& x, int64_t batch_size, int verbose) {
  const char* where = "train.predict";
  BRAID_CHECK(x.defined() && x.dim() >= 1 && x.size(0) > 0, ShapeError, where,
              "x must have a leading batch dim with examples; got {}",
              x.defined() ? shape_str(x.shape()) : "an undefined tensor");
  BRAID_CHECK(batch_size > 0, ValueError, where, "batch_size must be > 0; got {}", batch_size);
  ModeGuard mode(*module_, false);
  NoGradGuard ng;
  const int64_t n = x.size(0), steps = (n + batch_size - 1) / batch_size;
  Progbar bar(out(), steps, verbose);
  std::vector<Tensor> outs;
  for (int64_t s = 0; s < steps; ++s) {
    outs.push_back((*module_)(x.slice(0, s * batch_size, std::min(n, (s + 1) * batch_size))));
    bar.update(s + 1, {}, s + 1 == steps);
  }
  return outs.size() == 1 ? outs[0] : cat(outs, 0);
}

}  // namespace braid::train
