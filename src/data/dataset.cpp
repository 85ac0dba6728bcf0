// The braid_data library; see braid/data/data.hpp.
#include "braid/data/dataset.hpp"

#include "braid/ops/ops.hpp"
#include "data/util.hpp"

namespace braid::data {

Example Dataset::get_batch(std::span<const int64_t> indices, const DrawContext& ctx) const {
  std::vector<Example> ex;
  ex.reserve(indices.size());
  for (int64_t i : indices) {
    detail::check_index("get_batch", i, size());
    ex.push_back(draw(i, ctx));
  }
  return collate_stack(ex);
}

Example collate_stack(const std::vector<Example>& examples) {
  BRAID_CHECK(!examples.empty(), ValueError, "collate_stack", "no examples to stack");
  bool has_target = examples[0].target.defined();
  std::vector<Tensor> data, target;
  data.reserve(examples.size());
  for (size_t k = 0; k < examples.size(); ++k) {
    const Example& e = examples[k];
    BRAID_CHECK(e.data.defined(), ValueError, "collate_stack", "example {} has no data", k);
    BRAID_CHECK(e.target.defined() == has_target, ValueError, "collate_stack",
                "example 0 {} a target but example {} {}", has_target ? "has" : "has no", k,
                e.target.defined() ? "has one" : "has none");
    BRAID_CHECK(e.data.shape() == examples[0].data.shape(), ShapeError, "collate_stack",
                "every example must have the same data shape; example 0 has {}, example {} has {}",
                shape_str(examples[0].data.shape()), k, shape_str(e.data.shape()));
    data.push_back(e.data);
    if (has_target) {
      BRAID_CHECK(e.target.shape() == examples[0].target.shape(), ShapeError, "collate_stack",
                  "every example must have the same target shape; example 0 has {}, example {} "
                  "has {}",
                  shape_str(examples[0].target.shape()), k, shape_str(e.target.shape()));
      target.push_back(e.target);
    }
  }
  Example out{stack(data, 0), {}};
  if (has_target) out.target = stack(target, 0);
  return out;
}

}  // namespace braid::data
