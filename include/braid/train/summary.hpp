#pragma once
/// Keras' model.summary() table for any module:
///
///     Model: "sequential"
///     ┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┓
///     ┃ Layer (type)                    ┃ Output Shape           ┃       Param # ┃
///     ┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━┩
///     │ 0 (Linear)                      │ (None, 128)            │       100,480 │
///     ├─────────────────────────────────┼────────────────────────┼───────────────┤
///     ...
///     └─────────────────────────────────┴────────────────────────┴───────────────┘
///      Total params: 101,770 (397.54 KB)
///      Trainable params: 101,770 (397.54 KB)
///      Non-trainable params: 0 (0.00 B)
///
/// One row per registered child (the module itself when it has none), named
/// as in state_dict keys, with its output shape from a forward pass on a
/// batch of one example of `input_shape` (batch shown as None), in eval mode
/// without a graph. Param # counts parameters and floating buffers
/// (non-trainable: frozen parameters and buffers, as BatchNorm's running
/// statistics in Keras). Widths are those Keras prints in an 80-column
/// console; a cell longer than its column widens it.
#include <string>

#include "braid/core/tensor.hpp"
#include "braid/nn/module.hpp"

namespace braid::train {

std::string summary(nn::Module& module, const Shape& input_shape, DType dtype = DType::Float32);

/// "1,199,882"
std::string group_thousands(int64_t n);
/// Keras' readable_memory_size: "4.58 MB" (1024-based units B..PB).
std::string readable_size(double bytes);
/// Keras' layer naming: "Sequential" -> "sequential", "MyNet" -> "my_net".
std::string snake_case(const std::string& type_name);

}  // namespace braid::train
