// Note [train seams]
// ModelCheckpoint and TensorBoard write through braid::io and braid::log.
// Those layers were written in parallel with this one, so the callbacks go
// through two small interfaces: CheckpointWriter (module, path,
// weights_only) and ScalarWriter (add_scalar, flush). Tests inject their
// own; the defaults below are the only place that names io / log.
#include "braid/core/error.hpp"
#include "braid/train/callbacks.hpp"

namespace braid::train {

void default_checkpoint_writer(const nn::Module& module, const std::string& path,
                               bool weights_only) {
  throw IOError(fmt::format(
      "[ModelCheckpoint] cannot write '{}': braid::io is not linked into train yet "
      "(pass ModelCheckpointOptions::writer)",
      path));
}

std::unique_ptr<ScalarWriter> default_scalar_writer(const std::string& dir) {
  throw IOError(fmt::format(
      "[TensorBoard] cannot write '{}': braid::log is not linked into train yet "
      "(pass a ScalarWriterFactory)",
      dir));
}

}  // namespace braid::train
