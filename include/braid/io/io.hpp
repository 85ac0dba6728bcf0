#pragma once
/// braid::io: safetensors state dicts and module weight files; (later) the
/// braid model file and ONNX.
#include "braid/io/model_file.hpp"
#include "braid/io/module_file.hpp"
#include "braid/io/safetensors.hpp"
