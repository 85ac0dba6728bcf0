#pragma once
/// Network ops: the pool family (src/ops/pool.cpp). See op_list.def.
#include "braid/core/tensor.hpp"

namespace braid {}  // namespace braid
