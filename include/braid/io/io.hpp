#pragma once
/// braid::io: safetensors state dicts, (later) the braid model file and ONNX.
