// Training checkpoints (see Note [checkpoint file] in braid/io/checkpoint.hpp).
#include "braid/io/checkpoint.hpp"

#include <nlohmann/json.hpp>
#include <optional>
#include <set>

#include "braid/core/rng.hpp"

namespace braid {
const char* version();  // braid/braid.hpp; defined in braid_core
}

namespace braid::io {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

constexpr const char* kSave = "save_checkpoint";
constexpr const char* kLoad = "load_checkpoint";
constexpr const char* kOptimizerPrefix = "optimizer.";
constexpr const char* kSchedulerPrefix = "scheduler.";
constexpr int kVersion = 1;

json loader_json(const data::DataLoader& l) {
  const data::DataLoaderOptions& o = l.options();
  return {
      {"batches", l.size()},  {"batch_size", o.batch_size}, {"dataset_size", l.dataset()->size()},
      {"shuffle", o.shuffle}, {"drop_last", o.drop_last},   {"seed", o.seed}};
}

void add_prefixed(nn::StateDict& out, const char* prefix, const nn::StateDict& part) {
  for (const auto& [k, t] : part) out.insert(prefix + k, t);
}

// What a checkpoint file holds, checked for form (not yet against the objects).
struct Parsed {
  CheckpointInfo info;
  GeneratorState rng;
  std::optional<std::string> optimizer;
  bool scheduler = false;
  std::optional<json> loader;
  nn::StateDict model, optim, sched;
};

int64_t count_field(const json& j, const char* key, const std::string& file) {
  BRAID_CHECK(j.contains(key) && j[key].is_number_integer() && j[key].get<int64_t>() >= 0, IOError,
              kLoad, "{}: corrupt checkpoint metadata: \"{}\" must be an integer >= 0", file, key);
  return j[key].get<int64_t>();
}

Parsed parse(const SafetensorsContents& contents, const std::string& file) {
  const Metadata& meta = contents.metadata;
  auto format = meta.find("braid.format");
  BRAID_CHECK(format != meta.end() && format->second == kCheckpointFormat, IOError, kLoad,
              "{}: not a braid checkpoint (braid.format is {}); io::load reads model weights", file,
              format == meta.end() ? "absent" : "'" + format->second + "'");
  auto text = meta.find("braid.checkpoint");
  BRAID_CHECK(text != meta.end(), IOError, kLoad,
              "{}: corrupt checkpoint metadata: braid.checkpoint is missing", file);
  json j;
  try {
    j = json::parse(text->second);
  } catch (const json::exception& e) {
    BRAID_CHECK(false, IOError, kLoad, "{}: corrupt checkpoint metadata: {}", file, e.what());
  }
  BRAID_CHECK(j.is_object(), IOError, kLoad,
              "{}: corrupt checkpoint metadata: braid.checkpoint must be a JSON object", file);
  BRAID_CHECK(j.contains("version") && j["version"] == kVersion, IOError, kLoad,
              "{}: checkpoint version {} is not supported (this braid reads version {})", file,
              j.contains("version") ? j["version"].dump() : "absent", kVersion);
  Parsed p;
  p.info.epoch = count_field(j, "epoch", file);
  p.info.batch = count_field(j, "batch", file);
  p.info.step = count_field(j, "step", file);
  const json* rng = j.contains("rng") ? &j["rng"] : nullptr;
  BRAID_CHECK(rng && rng->is_object() && rng->contains("seed") && rng->contains("offset") &&
                  (*rng)["seed"].is_number_unsigned() && (*rng)["offset"].is_number_unsigned(),
              IOError, kLoad,
              "{}: corrupt checkpoint metadata: \"rng\" must be {{\"seed\": n, \"offset\": n}}",
              file);
  p.rng = {(*rng)["seed"].get<uint64_t>(), (*rng)["offset"].get<uint64_t>()};
  const json opt = j.value("optimizer", json());
  BRAID_CHECK(opt.is_null() || opt.is_string(), IOError, kLoad,
              "{}: corrupt checkpoint metadata: \"optimizer\" must be a name or null", file);
  if (opt.is_string()) p.optimizer = opt.get<std::string>();
  const json sched = j.value("scheduler", json(false));
  BRAID_CHECK(sched.is_boolean(), IOError, kLoad,
              "{}: corrupt checkpoint metadata: \"scheduler\" must be true or false", file);
  p.scheduler = sched.get<bool>();
  const json loader = j.value("loader", json());
  BRAID_CHECK(loader.is_null() || loader.is_object(), IOError, kLoad,
              "{}: corrupt checkpoint metadata: \"loader\" must be an object or null", file);
  if (loader.is_object()) p.loader = loader;
  const json user = j.value("metadata", json::object());
  BRAID_CHECK(user.is_object(), IOError, kLoad,
              "{}: corrupt checkpoint metadata: \"metadata\" must be an object", file);
  for (const auto& [k, v] : user.items()) {
    BRAID_CHECK(v.is_string(), IOError, kLoad,
                "{}: corrupt checkpoint metadata: metadata '{}' must be a string", file, k);
    p.info.metadata[k] = v.get<std::string>();
  }
  for (const auto& [name, t] : contents.tensors) {
    std::string_view n = name;
    if (n.starts_with(kCheckpointModelPrefix))
      p.model.insert(name.substr(std::string_view(kCheckpointModelPrefix).size()), t);
    else if (n.starts_with(kOptimizerPrefix))
      p.optim.insert(name.substr(std::string_view(kOptimizerPrefix).size()), t);
    else if (n.starts_with(kSchedulerPrefix))
      p.sched.insert(name.substr(std::string_view(kSchedulerPrefix).size()), t);
    else
      BRAID_CHECK(false, IOError, kLoad,
                  "{}: unexpected tensor '{}' (checkpoint tensors start with model., optimizer. "
                  "or scheduler.)",
                  file, name);
  }
  BRAID_CHECK(p.optimizer || p.optim.empty(), IOError, kLoad,
              "{}: corrupt checkpoint: optimizer tensors but no optimizer name", file);
  return p;
}

// The model must take the saved state exactly: same keys, shapes and dtypes.
void check_model(const nn::Module& model, const nn::StateDict& saved) {
  std::vector<std::string> missing, unexpected, shapes, dtypes;
  std::set<std::string> mine;
  for (const auto& [k, t] : model.state_dict()) {
    mine.insert(k);
    const Tensor* s = saved.find(k);
    if (!s)
      missing.push_back(k);
    else if (s->shape() != t.shape())
      shapes.push_back(fmt::format("'{}': checkpoint {} vs model {}", k, shape_str(s->shape()),
                                   shape_str(t.shape())));
    else if (s->dtype() != t.dtype())
      dtypes.push_back(fmt::format("'{}': checkpoint {} vs model {}", k, dtype_name(s->dtype()),
                                   dtype_name(t.dtype())));
  }
  for (const auto& [k, t] : saved)
    if (!mine.count(k)) unexpected.push_back(k);
  auto list = [](const std::vector<std::string>& v) {
    return v.empty() ? std::string("none") : fmt::format("{}", fmt::join(v, ", "));
  };
  BRAID_CHECK(missing.empty() && unexpected.empty(), ValueError, kLoad,
              "the model's keys do not match the checkpoint's; missing: {}; unexpected: {}",
              list(missing), list(unexpected));
  BRAID_CHECK(shapes.empty(), ShapeError, kLoad, "shape mismatch for {}", fmt::join(shapes, "; "));
  BRAID_CHECK(dtypes.empty(), DTypeError, kLoad, "dtype mismatch for {}", fmt::join(dtypes, "; "));
}

void check_loader(const data::DataLoader& loader, const Parsed& p) {
  if (p.loader) {
    const json now = loader_json(loader);
    std::vector<std::string> diffs;
    for (const auto& [k, v] : now.items())
      if (!p.loader->contains(k) || (*p.loader)[k] != v)
        diffs.push_back(fmt::format("{}: checkpoint {} vs loader {}", k,
                                    p.loader->contains(k) ? (*p.loader)[k].dump() : "absent",
                                    v.dump()));
    BRAID_CHECK(diffs.empty(), ValueError, kLoad,
                "the loader differs from the one saved, so it would resume elsewhere: {}",
                fmt::join(diffs, "; "));
  }
  BRAID_CHECK(p.info.batch <= loader.size(), ValueError, kLoad,
              "the checkpoint resumes at batch {} but the loader has {} batches per epoch",
              p.info.batch, loader.size());
}

}  // namespace

void save_checkpoint(const fs::path& path, const Checkpoint& c) {
  BRAID_CHECK(c.epoch >= 0 && c.batch >= 0 && c.step >= 0, ValueError, kSave,
              "{}: epoch, batch and step must be >= 0; got {}, {}, {}", path.string(), c.epoch,
              c.batch, c.step);
  BRAID_CHECK(!c.loader || c.batch <= c.loader->size(), ValueError, kSave,
              "{}: batch {} is past the loader's {} batches per epoch", path.string(), c.batch,
              c.loader ? c.loader->size() : 0);
  nn::StateDict state;
  add_prefixed(state, kCheckpointModelPrefix, c.model.state_dict());
  if (c.optimizer) add_prefixed(state, kOptimizerPrefix, c.optimizer->state_dict());
  if (c.scheduler) add_prefixed(state, kSchedulerPrefix, c.scheduler->state_dict());
  const GeneratorState rng = default_generator().get_state();
  const json info = {{"version", kVersion},
                     {"epoch", c.epoch},
                     {"batch", c.batch},
                     {"step", c.step},
                     {"rng", {{"seed", rng.seed}, {"offset", rng.offset}}},
                     {"optimizer", c.optimizer ? json(c.optimizer->name()) : json()},
                     {"scheduler", c.scheduler != nullptr},
                     {"loader", c.loader ? loader_json(*c.loader) : json()},
                     {"metadata", c.metadata}};
  save_safetensors(state, path,
                   {{"braid.format", kCheckpointFormat},
                    {"braid.version", version()},
                    {"braid.module", c.model.str()},
                    {"braid.checkpoint", info.dump()}});
}

CheckpointInfo read_checkpoint_info(const fs::path& path) {
  return parse(read_safetensors(path), path.string()).info;
}

CheckpointInfo load_checkpoint(const fs::path& path, nn::Module& model, optim::Optimizer& optimizer,
                               optim::LRScheduler* scheduler, data::DataLoader* loader) {
  const std::string file = path.string();
  Parsed p = parse(read_safetensors(path), file);
  try {
    // Every check that does not need to change anything runs first.
    check_model(model, p.model);
    BRAID_CHECK(p.optimizer, ValueError, kLoad, "the checkpoint holds no optimizer state");
    BRAID_CHECK(*p.optimizer == optimizer.name(), ValueError, kLoad,
                "the checkpoint holds {} state but the optimizer is {}", *p.optimizer,
                optimizer.name());
    BRAID_CHECK(!scheduler || p.scheduler, ValueError, kLoad,
                "the checkpoint holds no scheduler state");
    if (loader) check_loader(*loader, p);

    // The optimizer and the scheduler check their own state as they load it
    // and change nothing when it is bad; a scheduler sets the optimizer's
    // rates (and OneCycleLR its momentum), so those are put back by hand if
    // the optimizer then refuses its state.
    std::vector<double> lrs;
    std::vector<std::optional<double>> momenta;
    for (size_t g = 0; g < optimizer.num_param_groups(); ++g) {
      lrs.push_back(optimizer.lr(g));
      momenta.push_back(optimizer.momentum(g));
    }
    const nn::StateDict sched_before = scheduler ? scheduler->state_dict() : nn::StateDict();
    try {
      if (scheduler) scheduler->load_state_dict(p.sched);
      optimizer.load_state_dict(p.optim);
    } catch (...) {
      if (scheduler) scheduler->load_state_dict(sched_before);
      for (size_t g = 0; g < lrs.size(); ++g) {
        optimizer.set_lr(lrs[g], g);
        if (momenta[g]) optimizer.set_momentum(*momenta[g], g);
      }
      throw;
    }
    // Checked above: these cannot fail.
    model.load_state_dict(p.model, /*strict=*/true);
    default_generator().set_state(p.rng);
    if (loader) loader->set_position(p.info.epoch, p.info.batch);
  } catch (Error& e) {
    e.add_context("io::load_checkpoint from " + file);
    throw;
  }
  return p.info;
}

}  // namespace braid::io
