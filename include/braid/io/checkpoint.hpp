#pragma once
/// Training checkpoints: everything needed to stop a run anywhere, also in
/// the middle of an epoch, and resume it with bit-identical results.
///
///   io::save_checkpoint("run/ckpt.safetensors",
///                       {.model = net, .optimizer = &opt, .scheduler = &sched,
///                        .loader = &loader, .epoch = epoch, .batch = b + 1, .step = step});
///   ...
///   io::CheckpointInfo at = io::load_checkpoint("run/ckpt.safetensors", net, opt, &sched,
///   &loader); for (int64_t epoch = at.epoch; epoch < epochs; ++epoch)
///     for (const data::Example& batch : loader) { ... }   // resumes at batch at.batch
///
/// Note [checkpoint file]
/// A checkpoint is a safetensors file (written atomically, Note [atomic file
/// writes]). Tensors: "model.<key>" (Module::state_dict), "optimizer.<key>"
/// (Optimizer::state_dict, Note [optimizer state_dict]) and
/// "scheduler.<key>" (LRScheduler::state_dict). __metadata__:
///   braid.format      "checkpoint"
///   braid.version     the braid that wrote it
///   braid.module      the model's tree (Module::str), for error messages
///   braid.checkpoint  JSON: {"version": 1, "epoch", "batch", "step",
///                     "rng": {"seed", "offset"}   (the default generator),
///                     "optimizer": name or null, "scheduler": true/false,
///                     "loader": {"batches", "batch_size", "dataset_size",
///                                "shuffle", "drop_last", "seed"} or null,
///                     "metadata": {the caller's strings}}
/// Resuming is exact because everything random is a pure function of saved
/// numbers: dropout and init draw from the default generator (seed, offset),
/// and a loader's batch order and random transforms from (loader seed,
/// epoch, index) (Note [loader determinism]). Same thread count required
/// (DESIGN rule 3). io::load reads the model part of a checkpoint.
#include <cstdint>
#include <filesystem>

#include "braid/data/dataloader.hpp"
#include "braid/io/safetensors.hpp"
#include "braid/optim/optimizer.hpp"
#include "braid/optim/scheduler.hpp"

namespace braid::io {

inline constexpr const char* kCheckpointFormat = "checkpoint";
inline constexpr const char* kCheckpointModelPrefix = "model.";

/// What save_checkpoint writes. Only the model is required.
struct Checkpoint {
  const nn::Module& model;
  const optim::Optimizer* optimizer = nullptr;
  const optim::LRScheduler* scheduler = nullptr;
  /// The loader's settings are saved, so that loading can refuse a loader
  /// that would resume at a different place; the position is epoch/batch.
  const data::DataLoader* loader = nullptr;
  /// The epoch in progress and how many of its batches were trained on.
  /// Save after an epoch's end-of-epoch work (scheduler.step()) as
  /// {epoch + 1, 0}, so that resuming does not repeat it.
  int64_t epoch = 0;
  int64_t batch = 0;
  /// Optimizer steps taken so far (the global step).
  int64_t step = 0;
  /// The caller's own strings; load_checkpoint returns them.
  Metadata metadata = {};
};

/// Writes `checkpoint` and the default generator's state to `path`
/// atomically. Throws ValueError (negative epoch, batch or step; a batch
/// past the loader's size; an optimizer without state_dict), IOError (file).
void save_checkpoint(const std::filesystem::path& path, const Checkpoint& checkpoint);

/// Where a checkpoint was made.
struct CheckpointInfo {
  int64_t epoch = 0;
  int64_t batch = 0;
  int64_t step = 0;
  Metadata metadata;  ///< Checkpoint::metadata
};

/// Restores a checkpoint into fresh (or used) objects made like the saved
/// ones: the model's parameters and buffers, the optimizer's state and
/// options, the scheduler's state (and so the learning rates), the default
/// generator, and the loader's position (set_position(epoch, batch)).
/// Everything passed must be in the file (a null scheduler or loader is
/// skipped); what the file holds beyond that is ignored. Every check runs
/// before anything changes, so on error nothing has: IOError (not a
/// checkpoint, corrupt file or metadata), ValueError (keys, optimizer kind,
/// state missing, loader settings), ShapeError, DTypeError (the model's
/// dtypes must match exactly: a checkpoint resumes, it does not convert).
/// Errors gain a line naming the file.
CheckpointInfo load_checkpoint(const std::filesystem::path& path, nn::Module& model,
                               optim::Optimizer& optimizer, optim::LRScheduler* scheduler = nullptr,
                               data::DataLoader* loader = nullptr);

/// Reads only the CheckpointInfo (and checks the file is a checkpoint).
/// Throws IOError.
CheckpointInfo read_checkpoint_info(const std::filesystem::path& path);

}  // namespace braid::io
