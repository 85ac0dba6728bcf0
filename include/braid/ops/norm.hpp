#pragma once
/// Network ops: the norm family (src/ops/norm.cpp). See op_list.def.
#include "braid/core/tensor.hpp"

namespace braid {}  // namespace braid
