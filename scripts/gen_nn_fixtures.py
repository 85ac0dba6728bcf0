#!/usr/bin/env python3
"""Layer-parity fixtures: braid::nn layers against PyTorch 1.13's torch.nn.

Run by hand, never in CI (CI reads the committed JSON):

    /usr/bin/python3 scripts/gen_nn_fixtures.py

Writes tests/fixtures/nn/layers.json (one case per layer setting), and
tests/fixtures/nn/models.json (prints and state-dict keys of whole models,
and BatchNorm running statistics over several training steps). Every case
is seeded by its name, so adding one leaves the others as they are.

A layer case:
  {"name", "repr": print(layer), "train": bool,
   "state": [{"key", "dtype", "shape", "values"}]   (state_dict, after any init randomisation),
   "input": tensor, "target": tensor (losses only),
   "output": tensor, "grad_output": tensor (the upstream gradient),
   "grad_input": tensor or null, "grads": {param key: tensor},
   "state_after": [...] (buffers after the call, train-mode BatchNorm)}
tensor = {"dtype": "float32" | "int64", "shape": [...], "values": [flat, row-major]}.
tests/nn/layers_test.cpp builds the same layer by name (see its table),
loads "state", and compares.
"""
import json
import sys
import zlib
from pathlib import Path

import torch
import torch.nn as nn

ROOT = Path(__file__).resolve().parent.parent
OUT_DIR = ROOT / "tests/fixtures/nn"
REGENERATE = "/usr/bin/python3 scripts/gen_nn_fixtures.py"


def seed(name):
    torch.manual_seed(zlib.crc32(name.encode()))


def tensor_json(t):
    t = t.detach().contiguous()
    dtype = {torch.float32: "float32", torch.int64: "int64"}[t.dtype]
    vals = t.reshape(-1).tolist()
    return {"dtype": dtype, "shape": list(t.shape), "values": vals}


def state_json(m):
    return [dict(key=k, **tensor_json(v)) for k, v in m.state_dict().items()]


def randomise(m):
    """Non-trivial parameters and running statistics, so parity means something."""
    with torch.no_grad():
        for n, p in m.named_parameters():
            p.copy_(torch.randn_like(p) * 0.5 + (1.0 if n.endswith("weight") and p.dim() == 1 else 0.0))
        for n, b in m.named_buffers():
            if n.endswith("running_mean"):
                b.copy_(torch.randn_like(b) * 0.3)
            elif n.endswith("running_var"):
                b.copy_(torch.rand_like(b) + 0.5)
            elif n.endswith("num_batches_tracked"):
                b.fill_(3)


# name -> (factory, input maker, train mode, target maker or None, randomise?)
CASES = []


def case(name, make, inp, train=False, target=None, rand=True):
    CASES.append((name, make, inp, train, target, rand))


def randn(*shape):
    return lambda: torch.randn(*shape)


def ints(high, *shape):
    return lambda: torch.randint(0, high, shape)


# -- linear, conv ----------------------------------------------------------------------
case("linear", lambda: nn.Linear(5, 3), randn(2, 5))
case("linear_nobias", lambda: nn.Linear(4, 2, bias=False), randn(3, 2, 4))
case("conv1d", lambda: nn.Conv1d(3, 4, 3, stride=2, padding=1), randn(2, 3, 7))
case("conv1d_same", lambda: nn.Conv1d(2, 3, 4, padding="same", dilation=2, bias=False), randn(2, 2, 9))
case("conv2d_mnist", lambda: nn.Conv2d(1, 32, 3), randn(2, 1, 6, 6))
case("conv2d_pad", lambda: nn.Conv2d(1, 4, 3, stride=1, padding=1), randn(2, 1, 5, 5))
case(
    "conv2d_groups",
    lambda: nn.Conv2d(4, 6, (3, 2), stride=(2, 1), padding=(1, 0), dilation=(1, 2), groups=2),
    randn(2, 4, 7, 6),
)
case("conv2d_same", lambda: nn.Conv2d(3, 2, 4, padding="same"), randn(1, 3, 6, 5))
case("conv2d_valid", lambda: nn.Conv2d(2, 2, 3, padding="valid"), randn(2, 5, 5))
case("conv2d_reflect", lambda: nn.Conv2d(2, 3, 3, padding=1, padding_mode="reflect"), randn(1, 2, 5, 4))
case("conv2d_replicate_same", lambda: nn.Conv2d(1, 2, 2, padding="same", padding_mode="replicate"), randn(1, 1, 4, 4))
case(
    "conv_transpose2d",
    lambda: nn.ConvTranspose2d(4, 2, 3, stride=2, padding=1, output_padding=1),
    randn(2, 4, 3, 3),
)
case(
    "conv_transpose2d_groups",
    lambda: nn.ConvTranspose2d(4, 6, (2, 3), groups=2, bias=False, dilation=2),
    randn(1, 4, 3, 4),
)
# -- pooling -----------------------------------------------------------------------------
case("maxpool2d", lambda: nn.MaxPool2d(2), randn(2, 3, 6, 6))
case("maxpool2d_opts", lambda: nn.MaxPool2d(3, stride=2, padding=1, ceil_mode=True), randn(1, 2, 7, 6))
case("maxpool2d_tuple", lambda: nn.MaxPool2d((2, 3), stride=(1, 2), dilation=(2, 1)), randn(2, 6, 7))
case("avgpool2d", lambda: nn.AvgPool2d(2), randn(2, 3, 6, 6))
case(
    "avgpool2d_opts",
    lambda: nn.AvgPool2d(3, stride=2, padding=1, ceil_mode=True, count_include_pad=False),
    randn(1, 2, 7, 6),
)
case("adaptive_avg_pool2d", lambda: nn.AdaptiveAvgPool2d((2, 3)), randn(2, 3, 5, 7))
case("adaptive_avg_pool2d_int", lambda: nn.AdaptiveAvgPool2d(1), randn(2, 3, 4, 4))
case("adaptive_max_pool2d", lambda: nn.AdaptiveMaxPool2d((3, 2)), randn(2, 2, 7, 5))
# -- normalisation ------------------------------------------------------------------------
case("batchnorm1d_eval", lambda: nn.BatchNorm1d(4), randn(5, 4))
case("batchnorm1d_train3d", lambda: nn.BatchNorm1d(4, eps=1e-3, momentum=0.2), randn(3, 4, 5), train=True)
case("batchnorm2d_train", lambda: nn.BatchNorm2d(3), randn(4, 3, 3, 3), train=True)
case("batchnorm2d_eval", lambda: nn.BatchNorm2d(3), randn(2, 3, 4, 4))
case("batchnorm2d_cma", lambda: nn.BatchNorm2d(2, momentum=None), randn(3, 2, 2, 3), train=True)
case(
    "batchnorm2d_plain",
    lambda: nn.BatchNorm2d(3, affine=False, track_running_stats=False),
    randn(2, 3, 3, 3),
)
case("layernorm", lambda: nn.LayerNorm(6), randn(2, 3, 6))
case("layernorm_2d", lambda: nn.LayerNorm([3, 4], eps=1e-3, elementwise_affine=False), randn(2, 3, 4))
case("groupnorm", lambda: nn.GroupNorm(2, 4), randn(2, 4, 3, 3))
case("groupnorm_noaffine", lambda: nn.GroupNorm(3, 6, eps=1e-4, affine=False), randn(2, 6, 5))
# -- dropout, embedding, shapes --------------------------------------------------------------
case("dropout_eval", lambda: nn.Dropout(0.2), randn(3, 4))
case("dropout_default_eval", lambda: nn.Dropout(), randn(3, 4))
case("embedding", lambda: nn.Embedding(10, 3, padding_idx=1), ints(10, 2, 4), rand=False)
case("embedding_negpad", lambda: nn.Embedding(5, 2, padding_idx=-1), ints(5, 6), rand=False)
case("embedding_plain", lambda: nn.Embedding(7, 4), ints(7, 3), rand=False)
case("flatten", lambda: nn.Flatten(), randn(2, 3, 2, 2))
case("flatten_range", lambda: nn.Flatten(0, 2), randn(2, 3, 2, 2))
case("unflatten", lambda: nn.Unflatten(1, (2, 3)), randn(4, 6, 2))
case("identity", lambda: nn.Identity(), randn(2, 3))
# -- activations -----------------------------------------------------------------------------
case("relu", lambda: nn.ReLU(), randn(3, 5))
case("leaky_relu", lambda: nn.LeakyReLU(0.2), randn(3, 5))
case("leaky_relu_default", lambda: nn.LeakyReLU(), randn(3, 5))
case("elu", lambda: nn.ELU(), randn(3, 5))
case("elu_alpha", lambda: nn.ELU(0.5), randn(3, 5))
case("gelu", lambda: nn.GELU(), randn(3, 5))
case("gelu_tanh", lambda: nn.GELU(approximate="tanh"), randn(3, 5))
case("silu", lambda: nn.SiLU(), randn(3, 5))
case("sigmoid", lambda: nn.Sigmoid(), randn(3, 5))
case("tanh", lambda: nn.Tanh(), randn(3, 5))
case("softmax", lambda: nn.Softmax(dim=1), randn(3, 5))
case("log_softmax", lambda: nn.LogSoftmax(dim=-1), randn(2, 3, 4))
# -- losses ------------------------------------------------------------------------------------
case("cross_entropy", lambda: nn.CrossEntropyLoss(), randn(4, 5), target=ints(5, 4))
case(
    "cross_entropy_opts",
    lambda: nn.CrossEntropyLoss(weight=torch.rand(5) + 0.5, ignore_index=1, label_smoothing=0.1),
    randn(6, 5),
    target=lambda: torch.tensor([0, 1, 2, 3, 4, 1]),
    rand=False,
)
case("cross_entropy_sum", lambda: nn.CrossEntropyLoss(reduction="sum"), randn(2, 3, 4), target=ints(3, 2, 4))
case(
    "cross_entropy_probs",
    lambda: nn.CrossEntropyLoss(reduction="none"),
    randn(3, 4),
    target=lambda: torch.softmax(torch.randn(3, 4), 1),
)
case("nll", lambda: nn.NLLLoss(), lambda: torch.log_softmax(torch.randn(4, 3), 1), target=ints(3, 4))
case(
    "nll_weight",
    lambda: nn.NLLLoss(weight=torch.rand(3) + 0.5, reduction="sum"),
    lambda: torch.log_softmax(torch.randn(4, 3), 1),
    target=ints(3, 4),
    rand=False,
)
case("mse", lambda: nn.MSELoss(), randn(3, 4), target=randn(3, 4))
case("mse_none", lambda: nn.MSELoss(reduction="none"), randn(3, 4), target=randn(3, 4))
case("l1", lambda: nn.L1Loss(reduction="sum"), randn(3, 4), target=randn(3, 4))
case("smooth_l1", lambda: nn.SmoothL1Loss(beta=0.5), randn(3, 4), target=randn(3, 4))
case("huber", lambda: nn.HuberLoss(delta=0.7), randn(3, 4), target=randn(3, 4))
case("bce", lambda: nn.BCELoss(), lambda: torch.rand(3, 4) * 0.9 + 0.05, target=lambda: torch.rand(3, 4))
case(
    "bce_weight",
    lambda: nn.BCELoss(weight=torch.rand(4) + 0.5, reduction="sum"),
    lambda: torch.rand(3, 4) * 0.9 + 0.05,
    target=lambda: torch.rand(3, 4),
    rand=False,
)
case(
    "bce_logits",
    lambda: nn.BCEWithLogitsLoss(pos_weight=torch.rand(4) + 0.5),
    randn(3, 4),
    target=lambda: torch.randint(0, 2, (3, 4)).float(),
    rand=False,
)
case(
    "kl_div",
    lambda: nn.KLDivLoss(reduction="batchmean"),
    lambda: torch.log_softmax(torch.randn(3, 4), 1),
    target=lambda: torch.softmax(torch.randn(3, 4), 1),
)
case(
    "kl_div_log_target",
    lambda: nn.KLDivLoss(reduction="sum", log_target=True),
    lambda: torch.log_softmax(torch.randn(3, 4), 1),
    target=lambda: torch.log_softmax(torch.randn(3, 4), 1),
)


def run(name, make, inp, train, target, rand):
    seed(name)
    m = make()
    if rand:
        randomise(m)
    m.train(train)
    state = state_json(m)
    x = inp()
    out = {"name": name, "repr": str(m), "train": train, "state": state, "input": tensor_json(x)}
    xg = x.clone().requires_grad_(x.is_floating_point())
    if target is not None:
        t = target()
        out["target"] = tensor_json(t)
        y = m(xg, t)
    else:
        y = m(xg)
    g = torch.randn_like(y)
    (y * g).sum().backward()
    out["output"] = tensor_json(y)
    out["grad_output"] = tensor_json(g)
    out["grad_input"] = tensor_json(xg.grad) if xg.grad is not None else None
    out["grads"] = {n: tensor_json(p.grad) for n, p in m.named_parameters() if p.grad is not None}
    if train and any(True for _ in m.buffers()):
        out["state_after"] = [s for s in state_json(m) if s["key"] not in {p for p, _ in m.named_parameters()}]
    return out


# -- whole models ------------------------------------------------------------------------------------


class Net(nn.Module):
    """A model with containers, as tests/nn/layers_test.cpp builds it."""

    def __init__(self):
        super().__init__()
        self.blocks = nn.ModuleList([nn.Linear(4, 4), nn.ReLU(), nn.Linear(4, 2)])
        self.heads = nn.ModuleDict({"cls": nn.Linear(2, 3), "reg": nn.Linear(2, 1, bias=False)})
        self.norm = nn.BatchNorm1d(2)
        self.emb = nn.Embedding(6, 4, padding_idx=0)


def models():
    mlp = nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.ReLU(), nn.Dropout(0.2), nn.Linear(128, 10))
    cnn = nn.Sequential(
        nn.Conv2d(1, 32, 3),
        nn.ReLU(),
        nn.Conv2d(32, 64, 3),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Dropout(0.25),
        nn.Flatten(),
        nn.Linear(9216, 128),
        nn.ReLU(),
        nn.Dropout(0.5),
        nn.Linear(128, 10),
    )
    out = []
    for name, m in [("mnist_mlp", mlp), ("mnist_cnn", cnn), ("net", Net())]:
        keys = [{"key": k, "dtype": str(v.dtype).replace("torch.", ""), "shape": list(v.shape)} for k, v in m.state_dict().items()]
        out.append({"name": name, "repr": str(m), "state": keys})
    return out


def bn_steps():
    """BatchNorm2d(3): three training steps, then eval on a fourth batch."""
    seed("bn_steps")
    m = nn.BatchNorm2d(3, momentum=0.3)
    randomise(m)
    xs = [torch.randn(4, 3, 2, 2) * (i + 1) + i for i in range(3)]
    state0 = state_json(m)
    m.train()
    outs = [m(x) for x in xs]
    after = state_json(m)
    m.eval()
    xe = torch.randn(2, 3, 2, 2)
    return {
        "state": state0,
        "inputs": [tensor_json(x) for x in xs],
        "outputs": [tensor_json(y) for y in outs],
        "state_after": after,
        "eval_input": tensor_json(xe),
        "eval_output": tensor_json(m(xe)),
    }


def main():
    if not torch.__version__.startswith("1.13"):
        sys.exit(f"gen_nn_fixtures: the fixtures are PyTorch 1.13's; this is {torch.__version__}")
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    head = {"torch_version": torch.__version__, "regenerate": REGENERATE}
    layers = dict(head, cases=[run(*c) for c in CASES])
    mods = dict(head, models=models(), bn_steps=bn_steps())
    for fname, data in [("layers.json", layers), ("models.json", mods)]:
        path = OUT_DIR / fname
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(data, separators=(",", ":")) + "\n")
        tmp.replace(path)
        print(f"wrote {path} ({path.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
