#!/usr/bin/env python3
"""safetensors files written on the PyTorch side, for tests/io/safetensors_test.cpp.

Run by hand (needs Debian's python3-torch, which lives in /usr/bin/python3):

    /usr/bin/python3 scripts/gen_io_fixtures.py

Debian has no `safetensors` Python package, so the files are built here by
hand from the published format, the way safetensors.torch.save_file lays them
out: an 8-byte little-endian header length, a compact JSON header with
"__metadata__" {"format": "pt"}, padded with spaces to a multiple of 8 bytes,
then the tensors' bytes ordered by element size (largest first) and name.
The header's keys are sorted by name, so their order differs from the data's
and the reader must go by data_offsets.

Writes tests/fixtures/io/:
  torch_dtypes.safetensors + .json  one tensor per dtype (and a 0-dim and an
                                    empty one) with the expected values
  torch_mlp.safetensors + .json     a Linear(4,5)-ReLU-Linear(5,3) state dict,
                                    an input and PyTorch's output
"""
import json
import os
import struct

import torch

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "io")

CODES = {
    torch.bool: "BOOL",
    torch.uint8: "U8",
    torch.int8: "I8",
    torch.int32: "I32",
    torch.int64: "I64",
    torch.float16: "F16",
    torch.bfloat16: "BF16",
    torch.float32: "F32",
    torch.float64: "F64",
}


def raw_bytes(t):
    t = t.contiguous()
    if t.dtype == torch.bfloat16:  # numpy has no bfloat16: take the bits
        t = t.view(torch.int16)
    return t.numpy().tobytes()


def save(tensors, path, metadata):
    order = sorted(tensors, key=lambda k: (-tensors[k].element_size(), k))
    header, data, offset = {}, b"", 0
    for name in order:
        b = raw_bytes(tensors[name])
        header[name] = {
            "dtype": CODES[tensors[name].dtype],
            "shape": list(tensors[name].shape),
            "data_offsets": [offset, offset + len(b)],
        }
        data += b
        offset += len(b)
    text = json.dumps({"__metadata__": metadata, **dict(sorted(header.items()))}, separators=(",", ":"))
    text += " " * ((8 - (8 + len(text)) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text.encode() + data)


def expected(tensors):
    return {
        name: {"dtype": str(t.dtype).replace("torch.", ""), "shape": list(t.shape), "values": t.flatten().tolist()}
        for name, t in tensors.items()
    }


def write_json(obj, path):
    with open(path, "w") as f:
        json.dump(obj, f, indent=1)
        f.write("\n")


def main():
    os.makedirs(OUT, exist_ok=True)
    g = torch.Generator().manual_seed(0)
    dtypes = {
        "bool": torch.tensor([[True, False, True], [False, False, True]]),
        "u8": torch.tensor([0, 1, 127, 128, 255], dtype=torch.uint8),
        "i8": torch.tensor([-128, -1, 0, 1, 127], dtype=torch.int8),
        "i32": torch.tensor([[-(2**31), 2**31 - 1], [7, -7]], dtype=torch.int32),
        "i64": torch.tensor([-(2**63), 2**63 - 1, 123456789012345], dtype=torch.int64),
        "f16": torch.tensor([0.0, -0.0, 1.5, 65504.0, 6e-8, -2.0], dtype=torch.float16),
        "bf16": torch.tensor([1.0, -3.140625, 1e30, 1e-30], dtype=torch.bfloat16),
        "f32": torch.randn(2, 3, 4, generator=g),
        "f64": torch.randn(5, generator=g, dtype=torch.float64),
        "f32_scalar": torch.tensor(2.5),
        "f32_empty": torch.zeros(0, 3),
        "f32_transposed": torch.arange(6, dtype=torch.float32).reshape(2, 3).t(),
    }
    save(dtypes, os.path.join(OUT, "torch_dtypes.safetensors"), {"format": "pt"})
    write_json(
        {"torch_version": torch.__version__, "metadata": {"format": "pt"}, "tensors": expected(dtypes)},
        os.path.join(OUT, "torch_dtypes.json"),
    )

    torch.manual_seed(0)
    mlp = torch.nn.Sequential(torch.nn.Linear(4, 5), torch.nn.ReLU(), torch.nn.Linear(5, 3))
    x = torch.randn(2, 4, generator=g)
    with torch.no_grad():
        y = mlp(x)
    save(dict(mlp.state_dict()), os.path.join(OUT, "torch_mlp.safetensors"), {"format": "pt"})
    write_json(
        {"torch_version": torch.__version__, "x": expected({"x": x})["x"], "y": expected({"y": y})["y"]},
        os.path.join(OUT, "torch_mlp.json"),
    )


if __name__ == "__main__":
    main()
