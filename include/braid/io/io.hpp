#pragma once
/// braid::io: safetensors state dicts, module weight files, the braid model
/// file, training checkpoints, atomic file writes, layer configs (declared
/// with nlohmann/json_fwd.hpp: include <nlohmann/json.hpp> where the json is
/// used).
#include "braid/io/atomic_file.hpp"
#include "braid/io/checkpoint.hpp"
#include "braid/io/layer_config.hpp"
#include "braid/io/model_file.hpp"
#include "braid/io/module_file.hpp"
#include "braid/io/safetensors.hpp"
