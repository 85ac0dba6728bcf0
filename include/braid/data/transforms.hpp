#pragma once
/// Per-example transforms (torchvision.transforms' core set) and
/// MappedDataset, which applies them as a loader draws examples.
///
///   auto train = std::make_shared<data::MappedDataset>(mnist_train,
///       data::compose({data::random_crop(28, 2), data::to_float(), data::scale(1.0 / 255),
///                      data::normalize({0.1307}, {0.3081})}));
///
/// Note [example randomness]: a random transform draws from a DataRng named
/// (loader seed, epoch, example index). The example is then the same whichever
/// worker thread makes it and however many workers there are, a new epoch
/// gives new crops, and a rerun with the same seed gives the same ones.
/// Global or per-worker generators (PyTorch's way) would tie the result to
/// the worker count and to the order the workers ran in.
#include <array>
#include <concepts>
#include <functional>
#include <memory>
#include <vector>

#include "braid/data/dataset.hpp"
#include "braid/data/random.hpp"

namespace braid::data {

/// A tensor -> tensor function, optionally random. Built from a callable
/// taking (const Tensor&) or (const Tensor&, DataRng&); default: identity.
class Transform {
 public:
  using Fn = std::function<Tensor(const Tensor&, DataRng&)>;
  Transform() = default;
  template <class F>
  requires std::is_invocable_r_v<Tensor, const F&, const Tensor&, DataRng&> Transform(F f)
      : fn_(std::move(f)) {}  // NOLINT: implicit, so lambdas compose
  template <class F>
  requires(std::is_invocable_r_v<Tensor, const F&, const Tensor&> &&
           !std::is_invocable_r_v<Tensor, const F&, const Tensor&, DataRng&>)
      Transform(F f)  // NOLINT
      : fn_([f = std::move(f)](const Tensor& x, DataRng&) { return f(x); }) {}

  Tensor operator()(const Tensor& x, DataRng& rng) const { return fn_ ? fn_(x, rng) : x; }
  /// Outside a loader: randomness from the stream (seed 0, epoch 0, index 0).
  Tensor operator()(const Tensor& x) const;
  explicit operator bool() const { return static_cast<bool>(fn_); }

 private:
  Fn fn_;
};

/// Applies the transforms in order, drawing from one stream.
Transform compose(std::vector<Transform> transforms);
/// Casts to float32; values unchanged.
Transform to_float();
/// x * factor, in float32 unless x is float64 (to_float + scale(1.0 / 255)
/// is torchvision's ToTensor for uint8 images).
Transform scale(double factor);
/// (x - mean[c]) / std[c] per channel c along dim 0 of (C, ...) examples; a
/// single mean/std applies to every element. x must be floating (DTypeError);
/// ShapeError when the counts do not match C, ValueError for std <= 0.
Transform normalize(std::vector<double> mean, std::vector<double> std);
/// A random {height, width} window of an (H, W) or (C, H, W) example after
/// zero-padding `padding` on every side; one size means a square. ShapeError
/// when the window does not fit. Any dtype.
Transform random_crop(std::array<int64_t, 2> size, int64_t padding = 0);
inline Transform random_crop(int64_t size, int64_t padding = 0) {
  return random_crop(std::array<int64_t, 2>{size, size}, padding);
}
/// Mirrors the last dim with probability p.
Transform random_horizontal_flip(double p = 0.5);

/// `base` with transforms applied per example as it is drawn: `data` to
/// Example::data and `target` to Example::target, or one function of the
/// whole example. See Note [example randomness].
class MappedDataset : public Dataset {
 public:
  using ExampleFn = std::function<Example(const Example&, DataRng&)>;
  MappedDataset(std::shared_ptr<const Dataset> base, Transform data, Transform target = {});
  MappedDataset(std::shared_ptr<const Dataset> base, ExampleFn fn);
  int64_t size() const override { return base_->size(); }
  /// As drawn in epoch 0 by a loader with seed 0.
  Example get(int64_t i) const override { return draw(i, {}); }
  Example draw(int64_t i, const DrawContext& ctx) const override;

 private:
  std::shared_ptr<const Dataset> base_;
  ExampleFn fn_;
};

}  // namespace braid::data
