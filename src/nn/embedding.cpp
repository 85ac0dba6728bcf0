#include "braid/nn/embedding.hpp"

#include "braid/core/grad_mode.hpp"
#include "braid/nn/init.hpp"
#include "braid/ops/norm.hpp"
#include "braid/ops/ops.hpp"

namespace braid::nn {

namespace {
int64_t positive(int64_t n, const char* what) {
  BRAID_CHECK(n > 0, ValueError, "Embedding", "{} must be positive; got {}", what, n);
  return n;
}
std::optional<int64_t> wrap_padding(std::optional<int64_t> idx, int64_t n) {
  if (!idx) return idx;
  BRAID_CHECK(*idx >= -n && *idx < n, ValueError, "Embedding",
              "padding_idx must be within num_embeddings={} (in [-{}, {})); got {}", n, n, n, *idx);
  return *idx < 0 ? *idx + n : *idx;
}
}  // namespace

Embedding::Embedding(int64_t n, int64_t dim, const EmbeddingOptions& o)
    : num_embeddings(positive(n, "num_embeddings")),
      embedding_dim(positive(dim, "embedding_dim")),
      padding_idx(wrap_padding(o.padding_idx, n)),
      weight(register_parameter("weight", empty({n, dim}))) {
  reset_parameters();
}

Embedding Embedding::from_pretrained(const Tensor& embeddings, bool freeze,
                                     const EmbeddingOptions& options) {
  BRAID_CHECK(embeddings.defined() && embeddings.dim() == 2, ShapeError,
              "Embedding.from_pretrained",
              "expected embeddings (num_embeddings, embedding_dim); got {}",
              embeddings.defined() ? shape_str(embeddings.shape()) : "an undefined tensor");
  Embedding e(embeddings.size(0), embeddings.size(1), options);
  {
    NoGradGuard ng;
    Tensor w = e.weight;
    w.copy_(embeddings);
  }
  if (freeze) e.weight.requires_grad_(false);
  return e;
}

void Embedding::reset_parameters() {
  init::normal_(weight);
  if (padding_idx) {
    NoGradGuard ng;
    select(weight, 0, *padding_idx).fill_(0);
  }
}

Tensor Embedding::forward(const Tensor& indices) {
  BRAID_CHECK(indices.dtype() == DType::Int64 || indices.dtype() == DType::Int32, DTypeError,
              "Embedding", "expected int64 or int32 indices; got {} indices of shape {}",
              dtype_name(indices.dtype()), shape_str(indices.shape()));
  return embedding(weight, indices, padding_idx);
}

std::string Embedding::extra_repr() const {
  std::string s = fmt::format("{}, {}", num_embeddings, embedding_dim);
  if (padding_idx) s += fmt::format(", padding_idx={}", *padding_idx);
  return s;
}

}  // namespace braid::nn
