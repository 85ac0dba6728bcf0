#pragma once
// Internal: one factory per op in op_list.def, each defined in its family
// file. The registry calls them all; a missing one is a link error.
#include "braid/ops/registry.hpp"

namespace braid::detail {
#define BRAID_OP(name) OpDef make_def_##name();
#include "braid/ops/op_list.def"
#undef BRAID_OP
}  // namespace braid::detail
