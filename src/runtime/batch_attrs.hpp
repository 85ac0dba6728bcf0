// The attributes a node runs with at a given batch size (Node::batch_attrs),
// shared by runtime::Executor and braid::compile's plans.
#pragma once

#include <cstdint>

#include "braid/runtime/graph.hpp"

namespace braid::runtime {

/// n's attributes with its batch entries set to `batch` (n's own attributes
/// when batch < 0 or it has none).
Attrs with_batch(const Node& n, int64_t batch);

}  // namespace braid::runtime
