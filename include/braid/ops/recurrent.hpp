#pragma once
/// Network ops: the recurrent family (src/ops/recurrent.cpp). See op_list.def.
#include "braid/core/tensor.hpp"

namespace braid {}  // namespace braid
