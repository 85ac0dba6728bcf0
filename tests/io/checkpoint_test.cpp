// Training checkpoints: resuming from the middle of an epoch gives weights
// bit-identical to an uninterrupted run, and every bad checkpoint is refused
// with nothing changed.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>

#include "braid/braid.hpp"
#include "core/temp_files.hpp"
#include "core/test_util.hpp"

namespace braid {
namespace {

namespace fs = std::filesystem;
using braid::testing::TempDir;

// 60 examples of 6 features, 3 classes, with a random per-example scaling
// drawn as the loader makes each example (Note [example randomness]).
std::shared_ptr<const data::Dataset> make_data() {
  manual_seed(100);
  const Tensor x = randn({60, 6});
  const Tensor y = x.narrow(1, 0, 3).argmax(1);
  auto base = std::make_shared<data::TensorDataset>(x, y);
  return std::make_shared<data::MappedDataset>(
      base, data::Transform([](const Tensor& v, data::DataRng& rng) {
        return v * (0.9 + 0.2 * rng.uniform());
      }));
}

// A fresh model (initialised from the default generator), optimizer,
// scheduler and loader, as a training script would make them.
struct Trainer {
  explicit Trainer(const std::shared_ptr<const data::Dataset>& ds, int workers = 0,
                   int64_t batch_size = 8)
      : net(std::make_unique<nn::Sequential>(nn::Linear(6, 16), nn::ReLU(), nn::Dropout(0.3),
                                             nn::Linear(16, 3))),
        opt(std::make_unique<optim::Adam>(net->parameters(), optim::AdamOptions{.lr = 1e-2})),
        sched(std::make_unique<optim::StepLR>(*opt, 1, 0.5)),
        loader(std::make_unique<data::DataLoader>(
            ds,
            data::DataLoaderOptions{
                .batch_size = batch_size, .shuffle = true, .seed = 11, .num_workers = workers})) {}

  // Trains up to `epochs`, from where the loader stands. `after_batch(epoch,
  // batches done in it)` returning true interrupts the run there.
  void train(int64_t epochs, const std::function<bool(int64_t, int64_t)>& after_batch = {}) {
    for (int64_t e = loader->epoch(); e < epochs; ++e) {
      int64_t b = loader->start_batch();
      for (const data::Example& ex : *loader) {
        opt->zero_grad();
        cross_entropy((*net)(ex.data), ex.target).backward();
        opt->step();
        ++step;
        ++b;
        if (after_batch && after_batch(e, b)) return;
      }
      sched->step();
    }
  }

  io::Checkpoint checkpoint(int64_t epoch, int64_t batch) const {
    return {.model = *net,
            .optimizer = opt.get(),
            .scheduler = sched.get(),
            .loader = loader.get(),
            .epoch = epoch,
            .batch = batch,
            .step = step,
            .metadata = {{"run", "test"}}};
  }

  std::string weights() const {
    std::string out;
    for (const Tensor& p : net->parameters())
      out.append(static_cast<const char*>(p.raw_data()), size_t(p.numel()) * p.element_size());
    return out;
  }

  std::unique_ptr<nn::Sequential> net;
  std::unique_ptr<optim::Adam> opt;
  std::unique_ptr<optim::StepLR> sched;
  std::unique_ptr<data::DataLoader> loader;
  int64_t step = 0;
};

TEST(Checkpoint, ResumingMidEpochIsBitIdenticalToAnUninterruptedRun) {
  const TempDir dir("ckpt_resume");
  const auto ds = make_data();
  manual_seed(1);
  Trainer full(ds);
  full.train(2);
  const std::string want = full.weights();

  // (epoch, batches done): early in epoch 0, mid-epoch 1 (after a scheduler
  // step and with Adam's state), and all of epoch 1's batches done but not
  // its end-of-epoch work.
  for (auto [stop_epoch, stop_batch] : {std::pair<int64_t, int64_t>{0, 2}, {1, 3}, {1, 8}}) {
    SCOPED_TRACE(::testing::Message()
                 << "stop at epoch " << stop_epoch << ", batch " << stop_batch);
    const fs::path p = dir / "ckpt.safetensors";
    manual_seed(1);
    Trainer first(ds);
    first.train(2, [&](int64_t e, int64_t b) {
      if (e != stop_epoch || b != stop_batch) return false;
      io::save_checkpoint(p, first.checkpoint(e, b));
      return true;
    });
    if (stop_batch < 8) ASSERT_NE(first.weights(), want);

    manual_seed(999);  // everything fresh and differently initialised
    Trainer resumed(ds, /*workers=*/2);
    ASSERT_NE(resumed.weights(), first.weights());
    const io::CheckpointInfo at = io::load_checkpoint(p, *resumed.net, *resumed.opt,
                                                      resumed.sched.get(), resumed.loader.get());
    EXPECT_EQ(at.epoch, stop_epoch);
    EXPECT_EQ(at.batch, stop_batch);
    EXPECT_EQ(at.step, stop_epoch * 8 + stop_batch);
    EXPECT_EQ(at.metadata, (io::Metadata{{"run", "test"}}));
    EXPECT_EQ(resumed.weights(), first.weights());
    EXPECT_EQ(resumed.opt->lr(), first.opt->lr());
    EXPECT_EQ(resumed.sched->last_epoch(), first.sched->last_epoch());
    EXPECT_EQ(default_generator().get_state(), (GeneratorState{1, default_generator().offset()}));
    resumed.step = at.step;
    resumed.train(2);
    const std::string got = resumed.weights();
    ASSERT_EQ(got.size(), want.size());
    EXPECT_EQ(std::memcmp(got.data(), want.data(), want.size()), 0) << "weights differ";
    EXPECT_EQ(resumed.step, full.step);
  }
}

TEST(Checkpoint, TheFileIsSafetensorsWithTheDocumentedLayout) {
  const TempDir dir("ckpt_layout");
  manual_seed(2);
  Trainer t(make_data());
  t.train(1, [](int64_t, int64_t b) { return b == 2; });
  io::save_checkpoint(dir / "c.safetensors", t.checkpoint(0, 2));
  const io::SafetensorsContents f = io::read_safetensors(dir / "c.safetensors");
  EXPECT_EQ(f.metadata.at("braid.format"), "checkpoint");
  EXPECT_EQ(f.metadata.at("braid.module"), t.net->str());
  const auto j = nlohmann::json::parse(f.metadata.at("braid.checkpoint"));
  EXPECT_EQ(j["epoch"], 0);
  EXPECT_EQ(j["batch"], 2);
  EXPECT_EQ(j["step"], 2);
  EXPECT_EQ(j["optimizer"], "Adam");
  EXPECT_EQ(j["loader"]["batches"], 8);
  EXPECT_EQ(j["rng"]["offset"], default_generator().offset());
  EXPECT_NE(f.tensors.find("model.0.weight"), nullptr);
  EXPECT_NE(f.tensors.find("optimizer.state.0.exp_avg"), nullptr);
  EXPECT_NE(f.tensors.find("scheduler.last_epoch"), nullptr);
  EXPECT_EQ(io::read_checkpoint_info(dir / "c.safetensors").step, 2);
  // io::load takes the model out of a checkpoint.
  manual_seed(3);
  Trainer other(make_data());
  io::load(*other.net, dir / "c.safetensors");
  EXPECT_EQ(other.weights(), t.weights());
}

// Everything a failed load must leave alone.
struct Snapshot {
  explicit Snapshot(const Trainer& t)
      : weights(t.weights()),
        lr(t.opt->lr()),
        last_epoch(t.sched->last_epoch()),
        opt_keys(t.opt->state_dict().size()),
        rng(default_generator().get_state()),
        epoch(t.loader->epoch()),
        start(t.loader->start_batch()) {}
  bool operator==(const Snapshot&) const = default;
  std::string weights;
  double lr;
  int64_t last_epoch;
  size_t opt_keys;
  GeneratorState rng;
  int64_t epoch, start;
};

TEST(Checkpoint, BadCheckpointsAreRefusedAndChangeNothing) {
  const TempDir dir("ckpt_hostile");
  const auto ds = make_data();
  manual_seed(4);
  Trainer saved(ds);
  saved.train(2, [](int64_t e, int64_t b) { return e == 1 && b == 2; });
  const fs::path good = dir / "good.safetensors";
  io::save_checkpoint(good, saved.checkpoint(1, 2));
  const io::SafetensorsContents file = io::read_safetensors(good);

  // Rewrites the checkpoint with one change.
  auto variant = [&](const std::string& name,
                     const std::function<void(nn::StateDict&, io::Metadata&)>& edit) {
    nn::StateDict sd;
    for (const auto& [k, t] : file.tensors) sd.insert(k, t);
    io::Metadata meta = file.metadata;
    edit(sd, meta);
    io::save_safetensors(sd, dir / name, meta);
    return dir / name;
  };
  auto with_info = [&](const std::string& name, const std::function<void(nlohmann::json&)>& edit) {
    return variant(name, [&](nn::StateDict&, io::Metadata& m) {
      auto j = nlohmann::json::parse(m["braid.checkpoint"]);
      edit(j);
      m["braid.checkpoint"] = j.dump();
    });
  };

  manual_seed(5);
  Trainer target(ds);
  target.train(1, [](int64_t, int64_t b) { return b == 1; });  // some state of its own
  const Snapshot before(target);
  auto expect_refused = [&](const fs::path& p, auto type_tag, const std::string& message) {
    using E = decltype(type_tag);
    BRAID_EXPECT_THROW_HAS(
        io::load_checkpoint(p, *target.net, *target.opt, target.sched.get(), target.loader.get()),
        E, message);
    EXPECT_TRUE(Snapshot(target) == before) << "a refused checkpoint changed something";
  };

  expect_refused(variant("notjson.safetensors",
                         [](nn::StateDict&, io::Metadata& m) { m["braid.checkpoint"] = "{oops"; }),
                 IOError{""}, "corrupt checkpoint metadata: ");
  expect_refused(with_info("neg.safetensors", [](auto& j) { j["epoch"] = -1; }), IOError{""},
                 "corrupt checkpoint metadata: \"epoch\" must be an integer >= 0");
  expect_refused(with_info("norng.safetensors", [](auto& j) { j.erase("rng"); }), IOError{""},
                 "\"rng\" must be {\"seed\": n, \"offset\": n}");
  expect_refused(with_info("v2.safetensors", [](auto& j) { j["version"] = 2; }), IOError{""},
                 "checkpoint version 2 is not supported");
  expect_refused(variant("module.safetensors",
                         [](nn::StateDict&, io::Metadata& m) { m["braid.format"] = "module"; }),
                 IOError{""}, "not a braid checkpoint (braid.format is 'module')");
  expect_refused(variant("stray.safetensors",
                         [](nn::StateDict& sd, io::Metadata&) { sd.insert("extra", zeros({1})); }),
                 IOError{""}, "unexpected tensor 'extra'");

  // Wrong model: a layer of another width, or a layer too many.
  expect_refused(variant("shape.safetensors",
                         [](nn::StateDict& sd, io::Metadata&) {
                           nn::StateDict out;
                           for (const auto& [k, t] : sd)
                             out.insert(k, k == "model.3.weight" ? zeros({4, 16}) : t);
                           sd = out;
                         }),
                 ShapeError{""}, "'3.weight': checkpoint (4, 16) vs model (3, 16)");
  expect_refused(
      variant("keys.safetensors",
              [](nn::StateDict& sd, io::Metadata&) { sd.insert("model.9.weight", zeros({1})); }),
      ValueError{""}, "missing: none; unexpected: 9.weight");
  expect_refused(variant("dtype.safetensors",
                         [](nn::StateDict& sd, io::Metadata&) {
                           nn::StateDict out;
                           for (const auto& [k, t] : sd)
                             out.insert(k, k == "model.0.bias" ? t.to(DType::Float64) : t);
                           sd = out;
                         }),
                 DTypeError{""}, "'0.bias': checkpoint float64 vs model float32");

  // Missing or mismatched training state.
  const fs::path no_opt = dir / "noopt.safetensors";
  io::save_checkpoint(no_opt, {.model = *saved.net, .epoch = 1, .batch = 2});
  expect_refused(no_opt, ValueError{""}, "the checkpoint holds no optimizer state");
  io::save_checkpoint(no_opt, {.model = *saved.net, .optimizer = saved.opt.get()});
  expect_refused(no_opt, ValueError{""}, "the checkpoint holds no scheduler state");
  expect_refused(variant("sgd.safetensors",
                         [](nn::StateDict&, io::Metadata& m) {
                           auto j = nlohmann::json::parse(m["braid.checkpoint"]);
                           j["optimizer"] = "SGD";
                           m["braid.checkpoint"] = j.dump();
                         }),
                 ValueError{""}, "the checkpoint holds SGD state but the optimizer is Adam");
  // The scheduler loads, then the optimizer refuses a buffer: the scheduler
  // and the rates are put back.
  expect_refused(variant("badopt.safetensors",
                         [](nn::StateDict& sd, io::Metadata&) {
                           nn::StateDict out;
                           for (const auto& [k, t] : sd)
                             out.insert(k, k == "optimizer.state.0.exp_avg" ? zeros({2}) : t);
                           sd = out;
                         }),
                 ShapeError{""}, "exp_avg");
  Trainer wrong_loader(ds, 0, /*batch_size=*/16);
  BRAID_EXPECT_THROW_HAS(
      io::load_checkpoint(good, *wrong_loader.net, *wrong_loader.opt, wrong_loader.sched.get(),
                          wrong_loader.loader.get()),
      ValueError,
      "the loader differs from the one saved, so it would resume elsewhere: "
      "batch_size: checkpoint 8 vs loader 16; batches: checkpoint 8 vs loader 4");
  BRAID_EXPECT_THROW_HAS(io::load_checkpoint(dir / "none.safetensors", *target.net, *target.opt),
                         IOError, "cannot open the file");

  // And the good one loads, naming the file in errors no more.
  io::load_checkpoint(good, *target.net, *target.opt, target.sched.get(), target.loader.get());
  EXPECT_EQ(target.weights(), saved.weights());
  EXPECT_EQ(target.loader->epoch(), 1);
  EXPECT_EQ(target.loader->start_batch(), 2);
}

TEST(Checkpoint, SaveChecksItsArguments) {
  const TempDir dir("ckpt_args");
  manual_seed(6);
  Trainer t(make_data());
  BRAID_EXPECT_THROW_HAS(io::save_checkpoint(dir / "c.safetensors", t.checkpoint(0, 9)), ValueError,
                         "batch 9 is past the loader's 8 batches per epoch");
  BRAID_EXPECT_THROW_HAS(io::save_checkpoint(dir / "c.safetensors", {.model = *t.net, .step = -1}),
                         ValueError, "epoch, batch and step must be >= 0; got 0, 0, -1");
  EXPECT_FALSE(fs::exists(dir / "c.safetensors"));
  BRAID_EXPECT_THROW_HAS(t.loader->set_position(0, 9), ValueError,
                         "set_position(0, 9): need epoch >= 0 and 0 <= batch <= 8");
}

}  // namespace
}  // namespace braid
