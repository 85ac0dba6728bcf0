#pragma once
/// braid::io: safetensors state dicts, module weight files, layer configs
/// (declared with nlohmann/json_fwd.hpp: include <nlohmann/json.hpp> where
/// the json is used); (later) the braid model file and ONNX.
#include "braid/io/layer_config.hpp"
#include "braid/io/module_file.hpp"
#include "braid/io/safetensors.hpp"
