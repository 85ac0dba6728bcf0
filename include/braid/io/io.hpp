#pragma once
/// braid::io: safetensors state dicts, module weight files, training
/// checkpoints, atomic file writes; (later) the braid model file and ONNX.
#include "braid/io/atomic_file.hpp"
#include "braid/io/checkpoint.hpp"
#include "braid/io/module_file.hpp"
#include "braid/io/safetensors.hpp"
