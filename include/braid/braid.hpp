#pragma once
/// The one header a braid user includes.
#include "braid/autograd/autograd.hpp"
#include "braid/compile/compile.hpp"
#include "braid/core/allocator.hpp"
#include "braid/core/dtype.hpp"
#include "braid/core/error.hpp"
#include "braid/core/grad_mode.hpp"
#include "braid/core/parallel.hpp"
#include "braid/core/rng.hpp"
#include "braid/core/tensor.hpp"
#include "braid/data/data.hpp"
#include "braid/graph/trace.hpp"
#include "braid/io/io.hpp"
#include "braid/log/log.hpp"
#include "braid/nn/nn.hpp"
#include "braid/ops/conv.hpp"
#include "braid/ops/loss.hpp"
#include "braid/ops/norm.hpp"
#include "braid/ops/ops.hpp"
#include "braid/ops/pool.hpp"
#include "braid/ops/recurrent.hpp"
#include "braid/ops/registry.hpp"
#include "braid/optim/optim.hpp"
#include "braid/runtime/executor.hpp"
#include "braid/train/train.hpp"

namespace braid {
/// "0.1.0"
const char* version();
}  // namespace braid
