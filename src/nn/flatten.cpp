#include "braid/nn/flatten.hpp"

#include "braid/nn/layer_args.hpp"
#include "braid/ops/ops.hpp"

namespace braid::nn {

namespace {
// The dim `d` of a rank-`rank` tensor counted from the front, or -1 when out of range.
int64_t wrapped(int64_t d, int64_t rank) {
  const int64_t r = std::max<int64_t>(rank, 1);  // a 0-dim tensor flattens as 1-dim
  if (d < -r || d >= r) return -1;
  return d < 0 ? d + r : d;
}
}  // namespace

Tensor Flatten::forward(const Tensor& x) {
  const int64_t s = wrapped(start_dim, x.dim()), e = wrapped(end_dim, x.dim());
  BRAID_CHECK(s >= 0 && e >= 0 && s <= e, ShapeError, "Flatten",
              "expected input with dims {}..{} (start_dim <= end_dim); got input={}", start_dim,
              end_dim, shape_str(x.shape()));
  return flatten(x, start_dim, end_dim);
}

std::string Flatten::extra_repr() const {
  return fmt::format("start_dim={}, end_dim={}", start_dim, end_dim);
}

Unflatten::Unflatten(int64_t d, std::vector<int64_t> sizes)
    : dim(d), unflattened_size(std::move(sizes)) {
  BRAID_CHECK(!unflattened_size.empty(), ValueError, "Unflatten",
              "unflattened_size must not be empty");
  int inferred = 0;
  for (int64_t v : unflattened_size) {
    BRAID_CHECK(v > 0 || v == -1, ValueError, "Unflatten",
                "unflattened_size entries must be positive or -1; got {}",
                py_tuple(unflattened_size));
    inferred += v == -1;
  }
  BRAID_CHECK(inferred <= 1, ValueError, "Unflatten",
              "unflattened_size may hold one -1 at most; got {}", py_tuple(unflattened_size));
}

Tensor Unflatten::forward(const Tensor& x) {
  const int64_t d = wrapped(dim, x.dim());
  int64_t known = 1;
  bool inferred = false;
  for (int64_t v : unflattened_size) {
    if (v == -1)
      inferred = true;
    else
      known *= v;
  }
  const bool ok = x.dim() > 0 && d >= 0 &&
                  (inferred ? known > 0 && x.size(d) % known == 0 : x.size(d) == known);
  BRAID_CHECK(ok, ShapeError, "Unflatten",
              "expected input whose dim {} has size {} (the product of unflattened_size={}); "
              "got input={}",
              dim, inferred ? fmt::format("a multiple of {}", known) : std::to_string(known),
              py_tuple(unflattened_size), shape_str(x.shape()));
  Shape s;
  for (int64_t i = 0; i < x.dim(); ++i) {
    if (i != d) {
      s.push_back(x.size(i));
      continue;
    }
    for (int64_t v : unflattened_size) s.push_back(v == -1 ? x.size(d) / known : v);
  }
  return reshape(x, s);
}

std::string Unflatten::extra_repr() const {
  return fmt::format("dim={}, unflattened_size={}", dim, py_tuple(unflattened_size));
}

}  // namespace braid::nn
