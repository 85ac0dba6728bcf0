#pragma once
/// In-memory datasets: TensorDataset (rows of tensors), Subset (a view on
/// some indices of another dataset) and random_split.
#include <memory>
#include <span>
#include <vector>

#include "braid/data/dataset.hpp"

namespace braid::data {

/// Example i is (x[i], y[i]). x: (n, ...), y: (n, ...) or undefined.
/// Keeps contiguous, detached copies (no copy when already contiguous).
/// Throws ShapeError when x is 0-dim or the first dims differ.
class TensorDataset : public Dataset {
 public:
  explicit TensorDataset(Tensor x, Tensor y = {});
  int64_t size() const override { return x_.size(0); }
  /// Views of row i (no copy). Throws IndexError.
  Example get(int64_t i) const override;
  /// Gathers the rows into fresh (len(indices), ...) tensors.
  Example get_batch(std::span<const int64_t> indices, const DrawContext& ctx) const override;
  const Tensor& x() const { return x_; }
  const Tensor& y() const { return y_; }

 private:
  Tensor x_, y_;
};

/// The examples of `base` at `indices` (torch.utils.data.Subset): example i
/// is base->get(indices[i]). Throws IndexError for an index outside base.
class Subset : public Dataset {
 public:
  Subset(std::shared_ptr<const Dataset> base, std::vector<int64_t> indices);
  int64_t size() const override { return static_cast<int64_t>(indices_.size()); }
  Example get(int64_t i) const override;
  Example draw(int64_t i, const DrawContext& ctx) const override;
  Example get_batch(std::span<const int64_t> indices, const DrawContext& ctx) const override;
  const std::vector<int64_t>& indices() const { return indices_; }
  const std::shared_ptr<const Dataset>& base() const { return base_; }

 private:
  std::shared_ptr<const Dataset> base_;
  std::vector<int64_t> indices_;
};

/// Splits `dataset` into disjoint random subsets, the same ones for the same
/// seed. `lengths` are either sizes that sum to dataset->size() or fractions
/// that sum to 1 (PyTorch's rule: the sizes are floored and the remainder is
/// handed out one by one from the first subset). Throws ValueError.
///   auto parts = random_split(ds, {0.8, 0.2}, 42);  // or {48000, 12000}
std::vector<std::shared_ptr<Subset>> random_split(std::shared_ptr<const Dataset> dataset,
                                                  const std::vector<double>& lengths,
                                                  uint64_t seed = 0);
std::vector<std::shared_ptr<Subset>> random_split(std::shared_ptr<const Dataset> dataset,
                                                  std::span<const int64_t> lengths,
                                                  uint64_t seed = 0);

}  // namespace braid::data
