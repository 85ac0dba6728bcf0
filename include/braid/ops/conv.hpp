#pragma once
/// Network ops: the conv family (src/ops/conv.cpp). See op_list.def.
#include "braid/core/tensor.hpp"

namespace braid {}  // namespace braid
