#!/usr/bin/env python3
"""Parity fixtures for braid's recurrent and attention modules against PyTorch 1.13.

Run by hand (CI only reads the committed JSON); needs Debian's python3-torch:

    /usr/bin/python3 scripts/gen_rnn_fixtures.py

Writes tests/fixtures/rnn/{rnn,attention}.json, read by tests/nn/rnn_test.cpp
and tests/nn/attention_test.cpp. Each case holds the module's settings, its
state dict, the inputs, the outputs and the gradients of
    loss = sum_k sum(output_k * probe_k)
(probe_k a fixed random tensor per output) w.r.t. the floating inputs and
every parameter. Tensors are {"shape": [...], "data": [...]} (row-major;
float32 values printed with 9 significant digits, which round-trips them;
-inf as the string "-inf"). Cases are seeded one by one, so adding a case
leaves the others as they are.

Variable-length cases run PyTorch's pack_padded_sequence(enforce_sorted=False)
and pad_packed_sequence(total_length=L), which is what braid's
forward(x, lengths) matches (Note [variable-length sequences] in
include/braid/nn/rnn.hpp).
"""
import json
import math
import sys
from pathlib import Path

import torch
import torch.nn as nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

OUT = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "rnn"


def enc(t):
    t = t.detach()
    if t.dtype == torch.bool:
        data = [bool(v) for v in t.flatten().tolist()]
    elif t.dtype in (torch.int64, torch.int32):
        data = [int(v) for v in t.flatten().tolist()]
    else:
        data = []
        for v in t.double().flatten().tolist():
            if math.isinf(v):
                data.append("inf" if v > 0 else "-inf")
            elif math.isnan(v):
                data.append("nan")
            else:
                data.append(float(f"{v:.9g}"))
    return {"shape": list(t.shape), "dtype": str(t.dtype).replace("torch.", ""), "data": data}


def grads_of(module, inputs, outputs, seed):
    """Gradients of sum(out * probe) w.r.t. the floating inputs and the parameters."""
    g = torch.Generator().manual_seed(seed + 1000)
    probes = [torch.randn(o.shape, generator=g) for o in outputs]
    loss = sum((o * p).sum() for o, p in zip(outputs, probes))
    module.zero_grad()
    for t in inputs.values():
        if t.grad is not None:
            t.grad = None
    loss.backward()
    grads = {k: enc(t.grad) for k, t in inputs.items()}
    grads.update({k: enc(p.grad) for k, p in module.named_parameters()})
    return [enc(p) for p in probes], grads


# -- RNN / LSTM / GRU ------------------------------------------------------------------

L, N, I, H = 5, 3, 3, 4
LENGTHS = [3, 5, 1]  # unsorted on purpose; one full-length, one of a single step


def rnn_case(kind, layers, bidir, batch_first, with_lengths, with_state, seed):
    torch.manual_seed(seed)
    kwargs = dict(num_layers=layers, bidirectional=bidir, batch_first=batch_first)
    if kind == "RNN_RELU":
        m = nn.RNN(I, H, nonlinearity="relu", **kwargs)
    else:
        m = getattr(nn, kind)(I, H, **kwargs)
    m.eval()
    d = 2 if bidir else 1
    x = torch.randn((N, L, I) if batch_first else (L, N, I), requires_grad=True)
    inputs = {"input": x}
    state = None
    if with_state:
        h0 = torch.randn(layers * d, N, H, requires_grad=True)
        inputs["h0"] = h0
        state = h0
        if kind == "LSTM":
            c0 = torch.randn(layers * d, N, H, requires_grad=True)
            inputs["c0"] = c0
            state = (h0, c0)
    if with_lengths:
        lengths = torch.tensor(LENGTHS, dtype=torch.int64)
        packed = pack_padded_sequence(x, lengths, batch_first=batch_first, enforce_sorted=False)
        out, st = m(packed, state)
        out, _ = pad_packed_sequence(out, batch_first=batch_first, total_length=L)
    else:
        out, st = m(x, state)
    outs = {"output": out}
    if kind == "LSTM":
        outs["h_n"], outs["c_n"] = st
    else:
        outs["h_n"] = st
    probes, grads = grads_of(m, inputs, list(outs.values()), seed)
    name = f"{kind.lower()}_l{layers}{'_bi' if bidir else ''}{'_bf' if batch_first else ''}"
    name += ("_len" if with_lengths else "") + ("_state" if with_state else "")
    case = {
        "name": name,
        "module": "RNN" if kind.startswith("RNN") else kind,
        "repr": repr(m),
        "options": {
            "nonlinearity": "relu" if kind == "RNN_RELU" else "tanh",
            "input_size": I,
            "hidden_size": H,
            "num_layers": layers,
            "bidirectional": bidir,
            "batch_first": batch_first,
        },
        "state_dict": {k: enc(v) for k, v in m.state_dict().items()},
        "inputs": {k: enc(v) for k, v in inputs.items()},
        "outputs": {k: enc(v) for k, v in outs.items()},
        "probes": probes,
        "grads": grads,
    }
    if with_lengths:
        case["lengths"] = enc(torch.tensor(LENGTHS, dtype=torch.int64))
    return case


def rnn_cases():
    cases, seed = [], 0
    for kind in ["RNN", "RNN_RELU", "LSTM", "GRU"]:
        for layers in [1, 2]:
            for bidir in [False, True]:
                for batch_first in [False, True]:
                    for with_lengths in [False, True]:
                        if kind == "RNN_RELU" and (layers == 1 or batch_first):
                            continue  # relu changes only the activation
                        if batch_first and layers == 2:
                            continue  # batch_first only transposes the input and output
                        seed += 1
                        cases.append(rnn_case(kind, layers, bidir, batch_first, with_lengths, False, seed))
        seed += 1
        cases.append(rnn_case(kind, 2, True, False, True, True, seed))
        seed += 1
        cases.append(rnn_case(kind, 1, False, True, False, True, seed))
    return cases


# -- MultiheadAttention, TransformerEncoderLayer ------------------------------------------

E, HEADS, LQ, SK, NB = 8, 2, 4, 5, 3


def masks(kind, lq, sk, n):
    """attn_mask / key_padding_mask of a named kind; no query is left without a key."""
    out = {}
    if "bool_attn" in kind:
        out["attn_mask"] = torch.ones(lq, sk, dtype=torch.bool).triu(1)
    if "float_attn" in kind:
        out["attn_mask"] = torch.randn(lq, sk)
    if "attn3d" in kind:
        out["attn_mask"] = torch.rand(n * HEADS, lq, sk) > 0.7
        out["attn_mask"][..., 0] = False
    if "bool_kpm" in kind:
        kpm = torch.zeros(n, sk, dtype=torch.bool)
        kpm[0, -1] = True
        kpm[n - 1, -2:] = True
        out["key_padding_mask"] = kpm
    if "float_kpm" in kind:
        out["key_padding_mask"] = torch.randn(n, sk)
    return out


def mha_case(name, seed, cross=False, batch_first=False, bias=True, mask_kind="", need_weights=True,
             average=True, unbatched=False):
    torch.manual_seed(seed)
    m = nn.MultiheadAttention(E, HEADS, bias=bias, batch_first=batch_first).eval()
    with torch.no_grad():  # non-zero biases, so their gradients are tested too
        for k, p in m.named_parameters():
            if "bias" in k:
                p.normal_()
    sk = SK if cross else LQ

    def shape(length):
        if unbatched:
            return (length, E)
        return (NB, length, E) if batch_first else (length, NB, E)

    q = torch.randn(shape(LQ), requires_grad=True)
    inputs = {"query": q}
    if cross:
        inputs["key"] = torch.randn(shape(sk), requires_grad=True)
        inputs["value"] = torch.randn(shape(sk), requires_grad=True)
    k = inputs.get("key", q)
    v = inputs.get("value", q)
    mk = masks(mask_kind, LQ, sk, 1 if unbatched else NB)
    if unbatched and "key_padding_mask" in mk:
        mk["key_padding_mask"] = mk["key_padding_mask"][0]
    out, w = m(q, k, v, need_weights=need_weights, average_attn_weights=average, **mk)
    outs = {"output": out}
    if need_weights:
        outs["weights"] = w
    probes, grads = grads_of(m, inputs, list(outs.values()), seed)
    return {
        "name": name,
        "repr": repr(m),
        "options": {"embed_dim": E, "num_heads": HEADS, "bias": bias, "batch_first": batch_first,
                    "need_weights": need_weights, "average_attn_weights": average},
        "state_dict": {k: enc(v) for k, v in m.state_dict().items()},
        "inputs": {k: enc(v) for k, v in inputs.items()},
        "masks": {k: enc(v) for k, v in mk.items()},
        "outputs": {k: enc(v) for k, v in outs.items()},
        "probes": probes,
        "grads": grads,
    }


def encoder_case(name, seed, norm_first=False, activation="relu", batch_first=False, mask_kind="",
                 num_layers=0, final_norm=False):
    torch.manual_seed(seed)
    layer = nn.TransformerEncoderLayer(E, HEADS, dim_feedforward=16, dropout=0.1, activation=activation,
                                       batch_first=batch_first, norm_first=norm_first)
    if num_layers:
        m = nn.TransformerEncoder(layer, num_layers, norm=nn.LayerNorm(E) if final_norm else None,
                                  enable_nested_tensor=False)
    else:
        m = layer
    m.eval()
    with torch.no_grad():  # LayerNorm's ones / zeros would hide a swapped weight and bias
        for k, p in m.named_parameters():
            if "norm" in k or "bias" in k:
                p.add_(0.3 * torch.randn(p.shape))
    x = torch.randn((NB, LQ, E) if batch_first else (LQ, NB, E), requires_grad=True)
    mk = masks(mask_kind, LQ, LQ, NB)
    kw = {}
    if "attn_mask" in mk:
        kw["mask" if num_layers else "src_mask"] = mk["attn_mask"]
    if "key_padding_mask" in mk:
        kw["src_key_padding_mask"] = mk["key_padding_mask"]
    out = m(x, **kw)
    probes, grads = grads_of(m, {"input": x}, [out], seed)
    return {
        "name": name,
        "repr": repr(m),
        "options": {"d_model": E, "nhead": HEADS, "dim_feedforward": 16, "dropout": 0.1,
                    "activation": activation, "batch_first": batch_first, "norm_first": norm_first,
                    "num_layers": num_layers, "final_norm": final_norm},
        "state_dict": {k: enc(v) for k, v in m.state_dict().items()},
        "inputs": {"input": enc(x)},
        "masks": {k: enc(v) for k, v in mk.items()},
        "outputs": {"output": enc(out)},
        "probes": probes,
        "grads": grads,
    }


def attention_cases():
    return [
        mha_case("mha_self", 101),
        mha_case("mha_cross_bf_per_head", 102, cross=True, batch_first=True, average=False),
        mha_case("mha_bool_masks", 103, cross=True, mask_kind="bool_attn bool_kpm"),
        mha_case("mha_float_attn_bool_kpm", 104, cross=True, mask_kind="float_attn bool_kpm"),
        mha_case("mha_float_kpm", 105, cross=True, batch_first=True, mask_kind="float_kpm"),
        mha_case("mha_attn3d", 106, cross=True, mask_kind="attn3d"),
        mha_case("mha_no_weights", 107, cross=True, mask_kind="bool_attn bool_kpm", need_weights=False),
        mha_case("mha_no_bias", 108, bias=False, mask_kind="bool_kpm"),
        mha_case("mha_unbatched", 109, cross=True, unbatched=True, mask_kind="bool_kpm"),
        encoder_case("enc_post_relu", 201, mask_kind="bool_attn bool_kpm"),
        encoder_case("enc_pre_gelu_bf", 202, norm_first=True, activation="gelu", batch_first=True,
                     mask_kind="float_attn bool_kpm"),
        encoder_case("enc_post_gelu_bf", 203, activation="gelu", batch_first=True),
        encoder_case("enc_pre_relu", 204, norm_first=True, mask_kind="bool_kpm"),
        encoder_case("encoder_2_norm", 205, num_layers=2, final_norm=True, mask_kind="bool_kpm"),
        encoder_case("encoder_2_pre", 206, num_layers=2, norm_first=True, batch_first=True),
    ]


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    header = {"torch": torch.__version__, "regenerate": "/usr/bin/python3 scripts/gen_rnn_fixtures.py"}
    for fname, cases in [("rnn.json", rnn_cases()), ("attention.json", attention_cases())]:
        path = OUT / fname
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps({**header, "cases": cases}, separators=(",", ":")) + "\n")
        tmp.replace(path)
        print(f"wrote {path} ({len(cases)} cases, {path.stat().st_size // 1024} KiB)")


if __name__ == "__main__":
    sys.exit(main())
