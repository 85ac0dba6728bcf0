#!/usr/bin/env python3
"""ONNX models and their expected outputs, for tests/onnx/import_test.cpp.

Run by hand with Debian's python3-torch and python3-onnx (scripts/setup.sh
bench installs both; they live in /usr/bin/python3):

    /usr/bin/python3 scripts/gen_onnx_fixtures.py

Writes tests/fixtures/onnx/:
  <name>.onnx               a model (a few KB: small layers)
  <name>.io.safetensors     its inputs in0, in1, ... and the outputs out0, ...
                            computed here (PyTorch's eager model, or a torch
                            reference of the ONNX semantics for the models
                            written with onnx.helper)
  bad_<what>.onnx           hostile files the importer must refuse clearly
  manifest.json             the model names, for the test

Models exported by torch.onnx.export (PyTorch 1.13), at several opsets so the
opset differences are covered (Softmax axis, Squeeze/Unsqueeze axes input,
Slice inputs, LayerNormalization at 17 vs decomposed): mlp, cnn (Conv +
BatchNorm + MaxPool + Flatten), cnn2 (dilation, ConvTranspose, global
pooling), lstm (2 layers, bidirectional, batch_first, initial states), gru
(bidirectional), transformer (nn.TransformerEncoderLayer, batch_first, gelu),
misc (slicing, view(-1), cat, where, reductions...). Models written with
onnx.helper in TensorFlow's style: tf_cnn (NHWC input + Transpose, Conv with
auto_pad SAME_UPPER, Reshape with a constant shape, MatMul + Add),
tf_rnn (GRU with linear_before_reset = 0, LSTM with layout = 1 running in
reverse), softmax_axis_11/13 (Softmax over a middle axis before and after
opset 13).
"""
import io
import json
import os
import struct

import numpy as np
import onnx
import torch
import torch.nn.functional as F
from onnx import TensorProto, helper, numpy_helper

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "onnx")
CODES = {torch.float32: "F32", torch.int64: "I64", torch.bool: "BOOL"}
names = []


def save_safetensors(tensors, path):
    header, data, offset = {}, b"", 0
    for name, t in tensors.items():
        b = t.contiguous().numpy().tobytes()
        header[name] = {"dtype": CODES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(b)]}
        data += b
        offset += len(b)
    text = json.dumps({"__metadata__": {"format": "pt"}, **header}, separators=(",", ":"))
    text += " " * ((8 - (8 + len(text)) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text.encode() + data)


def save_case(name, model_bytes, inputs, outputs):
    assert len(model_bytes) < 200_000, (name, len(model_bytes))
    with open(os.path.join(OUT, name + ".onnx"), "wb") as f:
        f.write(model_bytes)
    tensors = {f"in{i}": t for i, t in enumerate(inputs)}
    tensors.update({f"out{i}": t.detach() for i, t in enumerate(outputs)})
    save_safetensors(tensors, os.path.join(OUT, name + ".io.safetensors"))
    names.append(name)
    print(f"{name}: {len(model_bytes)} bytes")


def export(name, model, inputs, opsets):
    model.eval()
    with torch.no_grad():
        outs = model(*inputs)
    outs = list(outs) if isinstance(outs, tuple) else [outs]
    for opset in opsets:
        buf = io.BytesIO()
        torch.onnx.export(model, tuple(inputs), buf, opset_version=opset, do_constant_folding=True,
                          input_names=[f"in{i}" for i in range(len(inputs))],
                          output_names=[f"out{i}" for i in range(len(outs))])
        save_case(f"{name}_op{opset}", buf.getvalue(), inputs, outs)


class Misc(torch.nn.Module):
    """Shape plumbing PyTorch turns into Shape/Gather/Slice/Concat/Unsqueeze chains."""

    def __init__(self):
        super().__init__()
        self.fc = torch.nn.Linear(12, 6)

    def forward(self, x):  # x: (2, 3, 4)
        a = x[:, 1:3, :]  # Slice
        b = x.view(x.size(0), -1)  # Shape -> Gather -> Concat -> Reshape
        c = torch.cat([a.reshape(2, -1), b[:, :4]], dim=1)  # (2, 12)
        d = self.fc(c).unsqueeze(1).squeeze(1)
        e = torch.where(d > 0, d.pow(2), -d.abs()).sqrt().clamp(0.1, 2.0)
        m = e.mean(dim=-1, keepdim=True)
        f = (e - m).exp() + x.sum(dim=(1, 2)).unsqueeze(1).log1p().expand(2, 6) / 10
        g = x.transpose(1, 2)[:, 0] * x.max(dim=2)[0][:, :1]  # (2, 3)
        return f, torch.nn.functional.gelu(g), x.argmax(dim=1)


class Ops(torch.nn.Module):
    """Embedding lookups (Gather with run-time indices), Conv1d, the rarer activations, Split, Tile, Pad, Cast..."""

    def __init__(self):
        super().__init__()
        self.emb = torch.nn.Embedding(10, 6)
        self.conv = torch.nn.Conv1d(6, 4, 3, padding=1)
        self.prelu = torch.nn.PReLU(4)
        self.norm = torch.nn.InstanceNorm1d(4, affine=True)

    def forward(self, tokens, x):  # tokens: (2, 5) int64, x: (2, 4, 5)
        e = self.emb(tokens).transpose(1, 2)  # (2, 6, 5)
        c = self.norm(self.prelu(self.conv(e)))  # (2, 4, 5)
        a, b = c.split([1, 3], dim=1)
        y = torch.cat([F.hardsigmoid(a), F.selu(b[:, :1]), F.elu(b[:, 1:2]), F.softplus(b[:, 2:])], dim=1)
        y = torch.maximum(y, x) - torch.minimum(y, x * 0.5)
        p = F.pad(y, (2, 1), mode="reflect")  # (2, 4, 8)
        mask = (~(tokens == 3)).float().unsqueeze(1).repeat(1, 4, 1)  # (2, 4, 5)
        z = p[..., :5] * mask + (tokens.unsqueeze(1) > 4).to(torch.float32)
        return z, z.min(dim=1)[1], torch.sigmoid(z).prod(dim=2), z[:, 1::2, ::3]


def torch_models():
    torch.manual_seed(0)
    mlp = torch.nn.Sequential(torch.nn.Linear(6, 16), torch.nn.ReLU(), torch.nn.Linear(16, 8),
                              torch.nn.LeakyReLU(0.1), torch.nn.Linear(8, 8), torch.nn.Sigmoid(),
                              torch.nn.Linear(8, 4), torch.nn.Tanh(), torch.nn.LogSoftmax(dim=-1))
    export("mlp", mlp, [torch.randn(3, 6)], [7, 9, 13])

    cnn = torch.nn.Sequential(
        # The first BatchNorm follows a ReLU, so it stays a BatchNormalization
        # node; the second is folded into its Conv by the exporter.
        torch.nn.Conv2d(3, 8, 3, padding=1), torch.nn.ReLU(), torch.nn.BatchNorm2d(8), torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(8, 8, 3, stride=2, padding=1, groups=2), torch.nn.BatchNorm2d(8), torch.nn.ReLU(),
        torch.nn.AvgPool2d(2), torch.nn.Flatten(), torch.nn.Linear(32, 5), torch.nn.Softmax(dim=1))
    with torch.no_grad():  # non-trivial running statistics
        for m in cnn:
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.uniform_(-0.5, 0.5)
                m.running_var.uniform_(0.5, 1.5)
    export("cnn", cnn, [torch.randn(2, 3, 16, 16)], [9, 11, 13, 17])

    cnn2 = torch.nn.Sequential(
        torch.nn.Conv2d(3, 4, 3, dilation=2), torch.nn.Sigmoid(),
        torch.nn.ConvTranspose2d(4, 2, 3, stride=2, padding=1, output_padding=1), torch.nn.ReLU(),
        torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten())
    export("cnn2", cnn2, [torch.randn(1, 3, 9, 9)], [11, 17])

    class Lstm(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.rnn = torch.nn.LSTM(5, 6, num_layers=2, bidirectional=True, batch_first=True)
            self.fc = torch.nn.Linear(12, 3)

        def forward(self, x, h0, c0):
            y, (h, c) = self.rnn(x, (h0, c0))
            return self.fc(y[:, -1]), h, c

    export("lstm", Lstm(), [torch.randn(2, 4, 5), torch.randn(4, 2, 6), torch.randn(4, 2, 6)], [9, 14, 17])

    class Gru(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.rnn = torch.nn.GRU(5, 6, bidirectional=True)

        def forward(self, x):
            y, h = self.rnn(x)
            return y, h

    export("gru", Gru(), [torch.randn(3, 2, 5)], [9, 13])

    enc = torch.nn.TransformerEncoderLayer(d_model=16, nhead=2, dim_feedforward=32, dropout=0.0,
                                           batch_first=True, activation="gelu")
    export("transformer", enc, [torch.randn(2, 5, 16)], [11, 13, 17])

    export("misc", Misc(), [torch.rand(2, 3, 4) - 0.3], [9, 11, 13, 17])
    tokens = torch.tensor([[1, 3, 5, 7, 9], [0, 2, 3, 4, 8]])
    export("ops", Ops(), [tokens, torch.randn(2, 4, 5)], [11, 13])


# -- models written with onnx.helper, TensorFlow style ----------------------------


def make_model(nodes, inputs, outputs, inits, opset, name):
    g = helper.make_graph(nodes, name, inputs, outputs, initializer=inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)], producer_name="gen_onnx_fixtures")
    m.ir_version = 7
    onnx.checker.check_model(m)
    return m.SerializeToString()


def vi(name, shape, t=TensorProto.FLOAT):
    return helper.make_tensor_value_info(name, t, shape)


def init(name, t):
    return numpy_helper.from_array(t.numpy(), name)


def tf_cnn():
    g = torch.Generator().manual_seed(1)
    w1, b1 = torch.randn(4, 3, 3, 3, generator=g) * 0.3, torch.randn(4, generator=g) * 0.1
    w2 = torch.randn(2, 4, 2, 2, generator=g) * 0.3
    wd, bd = torch.randn(2 * 2 * 2, 5, generator=g) * 0.3, torch.randn(5, generator=g) * 0.1
    nodes = [
        helper.make_node("Transpose", ["x"], ["nchw"], perm=[0, 3, 1, 2], name="to_nchw"),
        helper.make_node("Conv", ["nchw", "w1", "b1"], ["c1"], auto_pad="SAME_UPPER", strides=[2, 2],
                         kernel_shape=[3, 3], name="conv1"),
        helper.make_node("Relu", ["c1"], ["r1"], name="relu1"),
        helper.make_node("Conv", ["r1", "w2"], ["c2"], auto_pad="SAME_UPPER", name="conv2"),
        helper.make_node("MaxPool", ["c2"], ["p2"], kernel_shape=[2, 2], strides=[2, 2], auto_pad="VALID",
                         name="pool"),
        helper.make_node("Transpose", ["p2"], ["nhwc"], perm=[0, 2, 3, 1], name="to_nhwc"),
        helper.make_node("Reshape", ["nhwc", "shape"], ["flat"], name="flatten"),
        helper.make_node("MatMul", ["flat", "wd"], ["mm"], name="dense/MatMul"),
        helper.make_node("Add", ["mm", "bd"], ["logits"], name="dense/BiasAdd"),
        helper.make_node("Softmax", ["logits"], ["y"], axis=-1, name="softmax"),
    ]
    inits = [init("w1", w1), init("b1", b1), init("w2", w2), init("wd", wd), init("bd", bd),
             init("shape", torch.tensor([2, -1]))]
    x = torch.randn(2, 8, 8, 3, generator=g)
    model = make_model(nodes, [vi("x", [2, 8, 8, 3])], [vi("y", [2, 5])], inits, 13, "tf_cnn")
    # Reference: SAME_UPPER puts the odd padding row/column at the end.
    t = x.permute(0, 3, 1, 2)
    t = F.relu(F.conv2d(F.pad(t, (0, 1, 0, 1)), w1, b1, stride=2))  # 8 -> 4
    t = F.conv2d(F.pad(t, (0, 1, 0, 1)), w2)  # 4 -> 4
    t = F.max_pool2d(t, 2).permute(0, 2, 3, 1).reshape(2, -1)
    y = torch.softmax(t @ wd + bd, dim=-1)
    save_case("tf_cnn", model, [x], [y])


def tf_pool():
    """Uneven padding: MaxPool and Conv with auto_pad (SAME_UPPER, SAME_LOWER), AveragePool without the pads."""
    g = torch.Generator().manual_seed(4)
    x = torch.randn(1, 2, 5, 5, generator=g)
    w = torch.randn(3, 2, 2, 2, generator=g) * 0.5
    nodes = [
        helper.make_node("MaxPool", ["x"], ["mp"], kernel_shape=[2, 2], strides=[2, 2], auto_pad="SAME_UPPER",
                         name="maxpool_same"),
        helper.make_node("AveragePool", ["x"], ["ap"], kernel_shape=[3, 3], pads=[1, 1, 1, 1],
                         count_include_pad=0, name="avgpool"),
        helper.make_node("Conv", ["x", "w"], ["cv"], auto_pad="SAME_LOWER", name="conv_same_lower"),
    ]
    model = make_model(nodes, [vi("x", [1, 2, 5, 5])], [vi("mp", [1, 2, 3, 3]), vi("ap", [1, 2, 5, 5]),
                                                         vi("cv", [1, 3, 5, 5])], [init("w", w)], 11, "tf_pool")
    mp = F.max_pool2d(F.pad(x, (0, 1, 0, 1), value=float("-inf")), 2)
    ap = F.avg_pool2d(x, 3, 1, 1, count_include_pad=False)
    cv = F.conv2d(F.pad(x, (1, 0, 1, 0)), w)  # SAME_LOWER: the odd pad goes first
    save_case("tf_pool", model, [x], [mp, ap, cv])


def onnx_lstm_ref(x, w, r, b, h, c):
    """One direction of ONNX LSTM (gates i, o, f, c) over x (seq, batch, in)."""
    ys = []
    for t in range(x.shape[0]):
        g = x[t] @ w.T + h @ r.T + b[: w.shape[0]] + b[w.shape[0]:]
        i, o, f, cc = g.chunk(4, dim=1)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(cc)
        h = torch.sigmoid(o) * torch.tanh(c)
        ys.append(h)
    return torch.stack(ys), h, c


def onnx_gru_lbr0_ref(x, w, r, b, h):
    """ONNX GRU (gates z, r, h) with linear_before_reset = 0."""
    hs = w.shape[0] // 3
    wz, wr, wh = w.split(hs)
    rz, rr, rh = r.split(hs)
    bwz, bwr, bwh, brz, brr, brh = b.split(hs)
    ys = []
    for t in range(x.shape[0]):
        z = torch.sigmoid(x[t] @ wz.T + h @ rz.T + bwz + brz)
        rt = torch.sigmoid(x[t] @ wr.T + h @ rr.T + bwr + brr)
        hh = torch.tanh(x[t] @ wh.T + (rt * h) @ rh.T + brh + bwh)
        h = (1 - z) * hh + z * h
        ys.append(h)
    return torch.stack(ys), h


def tf_rnn():
    g = torch.Generator().manual_seed(2)
    seq, batch, inp, hid = 4, 2, 3, 5
    x = torch.randn(seq, batch, inp, generator=g)
    gw, gr, gb = (torch.randn(1, 3 * hid, inp, generator=g) * 0.5, torch.randn(1, 3 * hid, hid, generator=g) * 0.5,
                  torch.randn(1, 6 * hid, generator=g) * 0.2)
    lw, lr, lb = (torch.randn(1, 4 * hid, hid, generator=g) * 0.5, torch.randn(1, 4 * hid, hid, generator=g) * 0.5,
                  torch.randn(1, 8 * hid, generator=g) * 0.2)
    h0 = torch.randn(batch, 1, hid, generator=g)  # layout 1: (batch, num_directions, hidden)
    nodes = [
        helper.make_node("GRU", ["x", "gw", "gr", "gb"], ["gy", "gh"], hidden_size=hid, linear_before_reset=0,
                         name="gru"),
        helper.make_node("Squeeze", ["gy", "axis1"], ["gy3"], name="squeeze"),  # (seq, batch, hid)
        helper.make_node("Transpose", ["gy3"], ["gyb"], perm=[1, 0, 2], name="batch_major"),
        helper.make_node("LSTM", ["gyb", "lw", "lr", "lb", "", "h0"], ["ly", "lh", "lc"], hidden_size=hid,
                         layout=1, direction="reverse", name="lstm"),
    ]
    inits = [init("gw", gw), init("gr", gr), init("gb", gb), init("lw", lw), init("lr", lr), init("lb", lb),
             init("axis1", torch.tensor([1]))]
    model = make_model(nodes, [vi("x", [seq, batch, inp]), vi("h0", [batch, 1, hid])],
                       [vi("ly", [batch, seq, 1, hid]), vi("lh", [batch, 1, hid]), vi("lc", [batch, 1, hid])],
                       inits, 14, "tf_rnn")
    gy, _ = onnx_gru_lbr0_ref(x, gw[0], gr[0], gb[0], torch.zeros(batch, hid))
    ys, h, c = onnx_lstm_ref(gy.flip(0), lw[0], lr[0], lb[0], h0[:, 0], torch.zeros(batch, hid))
    ly = ys.flip(0).permute(1, 0, 2).unsqueeze(2)  # (batch, seq, 1, hid)
    save_case("tf_rnn", model, [x, h0], [ly, h.unsqueeze(1), c.unsqueeze(1)])


def softmax_axis():
    x = torch.randn(2, 3, 4, generator=torch.Generator().manual_seed(3))
    for opset in (11, 13):
        nodes = [helper.make_node("Softmax", ["x"], ["s"], axis=1, name="softmax"),
                 helper.make_node("LogSoftmax", ["x"], ["l"], axis=1, name="log_softmax")]
        model = make_model(nodes, [vi("x", [2, 3, 4])], [vi("s", [2, 3, 4]), vi("l", [2, 3, 4])], [], opset,
                           "softmax_axis")
        if opset < 13:  # over the flattening (2, 12)
            s = torch.softmax(x.reshape(2, 12), dim=1).reshape(2, 3, 4)
            lg = torch.log_softmax(x.reshape(2, 12), dim=1).reshape(2, 3, 4)
        else:
            s, lg = torch.softmax(x, dim=1), torch.log_softmax(x, dim=1)
        save_case(f"softmax_axis_op{opset}", model, [x], [s, lg])


# -- hostile files -------------------------------------------------------------------


def write_bad(name, data):
    with open(os.path.join(OUT, f"bad_{name}.onnx"), "wb") as f:
        f.write(data)


def relu_model(nodes, inits=(), inputs=None, opset=13):
    g = helper.make_graph(nodes, "bad", inputs or [vi("x", [2])], [vi("y", [2])], initializer=list(inits))
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])
    return m.SerializeToString()


def hostile():
    write_bad("not_protobuf", b"this is plain text, not a protobuf \xff\xff\xff\xff\xff")
    w = helper.make_tensor("w", TensorProto.FLOAT, [4, 4], b"\0" * 64, raw=True)
    w.raw_data = b"\0" * 12  # 12 bytes where [4, 4] float needs 64
    write_bad("raw_data_size", relu_model([helper.make_node("Add", ["x", "w"], ["y"])], [w]))
    ext = helper.make_tensor("w", TensorProto.FLOAT, [2], [1.0, 2.0])
    ext.ClearField("float_data")
    ext.data_location = TensorProto.EXTERNAL
    ext.external_data.add(key="location", value="weights.bin")
    write_bad("external_data", relu_model([helper.make_node("Add", ["x", "w"], ["y"])], [ext]))
    write_bad("cycle", relu_model([helper.make_node("Relu", ["b"], ["a"], name="first"),
                                   helper.make_node("Add", ["x", "a"], ["b"], name="second"),
                                   helper.make_node("Relu", ["b"], ["y"], name="last")]))
    write_bad("undefined_input", relu_model([helper.make_node("Add", ["x", "ghost"], ["y"], name="add_ghost")]))
    write_bad("unsupported_op", relu_model([helper.make_node("Hardmax", ["x"], ["y"], name="hardmax_1")]))
    write_bad("old_opset", relu_model([helper.make_node("Relu", ["x"], ["y"])], opset=5))


def main():
    os.makedirs(OUT, exist_ok=True)
    torch_models()
    tf_cnn()
    tf_pool()
    tf_rnn()
    softmax_axis()
    hostile()
    with open(os.path.join(OUT, "manifest.json"), "w") as f:
        json.dump({"torch_version": torch.__version__, "onnx_version": onnx.__version__, "models": names}, f,
                  indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
