#pragma once
/// Embedding: a lookup table of num_embeddings vectors of embedding_dim.
/// indices: int32/int64 of any shape -> (*indices.shape, embedding_dim).
/// Weights start standard normal; the padding_idx row starts at zero and gets
/// no gradient.
#include <optional>

#include "braid/nn/module.hpp"

namespace braid::nn {

struct EmbeddingOptions {
  /// May be negative (counted from the end); stored non-negative, as PyTorch does.
  std::optional<int64_t> padding_idx = {};
};

class Embedding : public Module {
 public:
  Embedding(int64_t num_embeddings, int64_t embedding_dim, const EmbeddingOptions& options = {});
  /// A table holding a copy of `embeddings` (num_embeddings, embedding_dim);
  /// freeze: no gradient.
  static Embedding from_pretrained(const Tensor& embeddings, bool freeze = true,
                                   const EmbeddingOptions& options = {});
  Tensor forward(const Tensor& indices) override;
  std::string extra_repr() const override;
  void reset_parameters();

  const int64_t num_embeddings, embedding_dim;
  const std::optional<int64_t> padding_idx;
  Tensor& weight;  ///< (num_embeddings, embedding_dim)
};

}  // namespace braid::nn
