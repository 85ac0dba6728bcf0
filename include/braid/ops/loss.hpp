#pragma once
/// Network ops: the loss family (src/ops/loss.cpp). See op_list.def.
#include "braid/core/tensor.hpp"

namespace braid {}  // namespace braid
