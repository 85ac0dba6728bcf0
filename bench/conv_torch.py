#!/usr/bin/python3
"""conv2d at the MNIST CNN's shapes: braid (bench/conv_bench.cpp) next to
PyTorch 1.13 in the same run, as one table of medians and ratios.

    /usr/bin/python3 bench/conv_torch.py [--braid build/release/bench/braid_bench] [--threads 2]

Shapes: batch 128, float32, 3x3, stride 1, no padding; 1 -> 32 channels on
28x28 and 32 -> 64 channels on 26x26. Ops: forward (with bias), input
gradient and weight gradient -- for torch, torch.ops.aten.convolution_backward
with one output mask bit set, which is what autograd calls. Both sides use the
same thread count (2, the machine's cores, unless --threads says otherwise)
and time the op with its output allocation. On a busy shared machine the
2-thread figures move a lot from run to run (a parallel region waits for
whichever thread the OS has parked); --threads 1 compares the kernels' work
with less of that noise.

PyTorch is timed on three paths and the fastest is compared (the table names
it): its default (oneDNN, "mkldnn", on NCHW tensors, with reorders to
oneDNN's blocked layout around each call), mkldnn disabled (im2col + BLAS,
"thnn"), and channels-last tensors (oneDNN without the activation reorders;
the conversion is not timed). Torch and braid_bench run in alternating
rounds; each figure is the median over rounds of per-round medians, so a
noisy neighbour on the shared machine hits both sides alike.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import torch
import torch.nn.functional as F

BATCH = 128
LAYERS = [(1, 32, 28), (32, 64, 26)]  # (c_in, c_out, input height = width)
OPS = ["forward", "input_grad", "weight_grad"]


def torch_step(op, x, w, b, gy):
    if op == "forward":
        return lambda: F.conv2d(x, w, b)
    mask = [op == "input_grad", op == "weight_grad", False]
    args = (gy, x, w, None, [1, 1], [0, 0], [1, 1], False, [0, 0], 1, mask)
    return lambda: torch.ops.aten.convolution_backward(*args)


def median_ms(fn, reps):
    """Median over reps of the mean time of enough calls to fill ~50 ms."""
    fn()
    start = time.perf_counter()
    fn()
    calls = max(1, int(0.05 / max(time.perf_counter() - start, 1e-6)))
    samples = []
    for _ in range(reps):
        start = time.perf_counter()
        for _ in range(calls):
            fn()
        samples.append((time.perf_counter() - start) / calls * 1e3)
    return statistics.median(samples)


def torch_round(reps):
    """{(layer, op): {path: ms}} for one round."""
    out = {}
    for c_in, c_out, hw in LAYERS:
        x = torch.randn(BATCH, c_in, hw, hw)
        w = torch.randn(c_out, c_in, 3, 3)
        b = torch.randn(c_out)
        gy = torch.randn(BATCH, c_out, hw - 2, hw - 2)
        cl = [t.contiguous(memory_format=torch.channels_last) for t in (x, w, gy)]
        for op in OPS:
            res = {}
            with torch.backends.mkldnn.flags(enabled=True):
                res["mkldnn"] = median_ms(torch_step(op, x, w, b, gy), reps)
                res["channels_last"] = median_ms(torch_step(op, cl[0], cl[1], b, cl[2]), reps)
            with torch.backends.mkldnn.flags(enabled=False):
                res["thnn"] = median_ms(torch_step(op, x, w, b, gy), reps)
            out[((c_in, c_out, hw), op)] = res
    return out


def braid_round(binary, threads):
    """{(layer, op): ms} from one braid_bench run (its medians of 5 repetitions)."""
    env = dict(os.environ, OMP_NUM_THREADS=str(threads))
    cmd = [binary, "--benchmark_filter=BM_conv_(forward|input_grad|weight_grad)/", "--benchmark_format=json"]
    out = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True).stdout
    res = {}
    for bench in json.loads(out)["benchmarks"]:
        if bench.get("aggregate_name") != "median":
            continue
        name, n, c_in, c_out, hw = bench["run_name"].split("/")[:5]
        if int(n.split(":")[1]) != BATCH:
            continue
        layer = (int(c_in.split(":")[1]), int(c_out.split(":")[1]), int(hw.split(":")[1]))
        assert bench["time_unit"] == "ms", bench["time_unit"]
        res[(layer, name.replace("BM_conv_", ""))] = bench["real_time"]
    return res


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--braid", default="build/release/bench/braid_bench", help="path to braid_bench")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--reps", type=int, default=7, help="torch samples per round")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, mkldnn available: "
          f"{torch.backends.mkldnn.is_available()}; braid_bench with OMP_NUM_THREADS={args.threads}")
    torch_rounds, braid_rounds = {}, {}
    for r in range(args.rounds):
        for key, paths in torch_round(args.reps).items():
            for path, ms in paths.items():
                torch_rounds.setdefault(key, {}).setdefault(path, []).append(ms)
        for key, ms in braid_round(args.braid, args.threads).items():
            braid_rounds.setdefault(key, []).append(ms)
        print(f"round {r + 1}/{args.rounds} done", file=sys.stderr)

    print(f"\nconv2d, batch {BATCH}, float32, 3x3, {args.threads} threads: ms, median of {args.rounds} rounds")
    print(f"{'layer':>18} {'op':>12} {'braid':>8} {'torch':>8} {'torch path':>14} {'braid/torch':>11}"
          f"   (torch mkldnn / thnn / channels_last)")
    for c_in, c_out, hw in LAYERS:
        for op in OPS:
            key = ((c_in, c_out, hw), op)
            paths = {p: statistics.median(v) for p, v in torch_rounds[key].items()}
            best = min(paths, key=paths.get)
            ours = statistics.median(braid_rounds[key])
            layer = f"{c_in}->{c_out} {hw}x{hw}"
            detail = " / ".join(f"{paths[p]:.2f}" for p in ("mkldnn", "thnn", "channels_last"))
            print(f"{layer:>18} {op:>12} {ours:8.2f} {paths[best]:8.2f} {best:>14} {ours / paths[best]:11.2f}"
                  f"   ({detail})")


if __name__ == "__main__":
    main()
