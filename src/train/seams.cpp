// Note [train seams]
// ModelCheckpoint and TensorBoard write through braid::io and the
// TensorBoard writer of the log layer, behind two small interfaces:
// CheckpointWriter (module, path, weights_only) and ScalarWriter
// (add_scalar, flush). Tests inject their own; the defaults below are the
// only place in train that names io or log.
#include "braid/core/error.hpp"
#include "braid/io/module_file.hpp"
#include "braid/io/safetensors.hpp"
#include "braid/log/summary_writer.hpp"
#include "braid/train/callbacks.hpp"

namespace braid::train {

// save_weights_only: the bare state dict; otherwise io::save, whose metadata
// names the module tree the weights belong to.
void default_checkpoint_writer(const nn::Module& module, const std::string& path,
                               bool weights_only) {
  if (weights_only)
    io::save_safetensors(module.state_dict(), path);
  else
    io::save(module, path);
}

namespace {
class EventFileScalars : public ScalarWriter {
 public:
  explicit EventFileScalars(const std::string& dir) : w_(dir) {}
  void add_scalar(const std::string& tag, double value, int64_t step) override {
    w_.add_scalar(tag, value, step);
  }
  void flush() override { w_.flush(); }

 private:
  tensorboard::SummaryWriter w_;
};
}  // namespace

std::unique_ptr<ScalarWriter> default_scalar_writer(const std::string& dir) {
  return std::make_unique<EventFileScalars>(dir);
}

}  // namespace braid::train
