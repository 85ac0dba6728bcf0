#!/usr/bin/python3
"""cross_entropy on MNIST's (64, 10) logits, braid (bench/loss_bench.cpp) and
PyTorch 1.13 side by side in the same script, in alternating rounds; each
figure is the median over rounds. Both sides run on 1 thread (a (64, 10)
tensor gains nothing from two), and both CPU time and wall time are printed:
on a shared, loaded machine the CPU time is the steadier comparison.

    /usr/bin/python3 bench/loss_torch.py [--build build/release] [--rounds 5]
"""
import argparse
import json
import os
import statistics
import subprocess
import time

import torch
import torch.nn.functional as F

NAMES = ["fwd", "fwd_bwd", "smooth_weight_fwd_bwd"]


def braid_round(build):
    exe = os.path.join(build, "bench", "braid_bench")
    out = subprocess.run(
        [exe, "--benchmark_filter=BM_cross_entropy_64x10", "--benchmark_format=json", "--benchmark_min_time=0.3"],
        check=True, capture_output=True, text=True, env=dict(os.environ, OMP_NUM_THREADS="1"),
    ).stdout
    scale = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3}
    res = {}
    for b in json.loads(out)["benchmarks"]:
        name = b["name"].replace("BM_cross_entropy_64x10_", "")
        res[name] = (b["cpu_time"] * scale[b["time_unit"]], b["real_time"] * scale[b["time_unit"]])
    return res


def torch_round(inner=3000):
    torch.manual_seed(0)
    x = torch.randn(64, 10, requires_grad=True)
    t = torch.randint(0, 10, (64,))
    w = torch.rand(10)

    def fwd_bwd():
        F.cross_entropy(x, t).backward()
        x.grad = None

    def smooth():
        F.cross_entropy(x, t, weight=w, label_smoothing=0.1).backward()
        x.grad = None

    fns = {"fwd": lambda: F.cross_entropy(x.detach(), t), "fwd_bwd": fwd_bwd, "smooth_weight_fwd_bwd": smooth}
    res = {}
    for name, fn in fns.items():
        for _ in range(100):
            fn()
        c0, t0 = time.process_time(), time.perf_counter()
        for _ in range(inner):
            fn()
        res[name] = ((time.process_time() - c0) / inner, (time.perf_counter() - t0) / inner)
    return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build/release")
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    torch.set_num_threads(1)
    b, t = {n: [] for n in NAMES}, {n: [] for n in NAMES}
    for _ in range(args.rounds):
        for n, v in braid_round(args.build).items():
            b[n].append(v)
        for n, v in torch_round().items():
            t[n].append(v)
    print(f"PyTorch {torch.__version__}; medians of {args.rounds} alternating rounds")
    print(f"{'cross_entropy (64, 10) f32, int64 targets':40} {'clock':>5} {'braid':>10} {'torch':>10} {'braid/torch':>12}")
    for n in NAMES:
        for i, clock in enumerate(["cpu", "wall"]):
            bs, ts = statistics.median(v[i] for v in b[n]), statistics.median(v[i] for v in t[n])
            print(f"{n:40} {clock:>5} {bs * 1e6:8.2f}us {ts * 1e6:8.2f}us {bs / ts:12.2f}")


if __name__ == "__main__":
    main()
