#!/usr/bin/python3
"""max_pool2d 2x2 at the MNIST CNN's shape, x = (128, 64, 24, 24) fp32, in
PyTorch 1.13 and braid side by side, 2 threads each:

    /usr/bin/python3 bench/pool_torch.py [--braid build/release/bench/braid_bench]

Rows: the forward with indices (what a training step runs), the backward
kernel alone (aten.max_pool2d_with_indices_backward / braid's
max_pool2d_backward) and forward + backward through autograd. torch and
braid_bench run in alternating rounds; each figure is the median over rounds
of per-round medians, so a noisy neighbour on the shared machine hits both
sides alike. ratio = braid time / torch time (below 1: braid is faster).
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

THREADS = 2
SHAPE = (128, 64, 24, 24)
# torch row name -> braid_bench benchmark name
ROWS = {
    "forward (values + indices)": "BM_max_pool2d_fwd",
    "backward op": "BM_max_pool2d_bwd",
    "forward + backward (autograd)": "BM_max_pool2d_fwd_bwd_autograd",
}


def median_ms(fn, reps):
    fn()  # warm up (allocator, first-touch)
    samples = []
    for _ in range(reps):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1e3)
    return statistics.median(samples)


def torch_round(reps):
    x = torch.randn(SHAPE)
    _, idx = F.max_pool2d(x, 2, return_indices=True)
    g = torch.randn(idx.shape)
    xg = x.clone().requires_grad_()

    def fwd_bwd():
        F.max_pool2d(xg, 2).backward(g)
        xg.grad = None

    with torch.no_grad():
        fwd = median_ms(lambda: F.max_pool2d(x, 2, return_indices=True), reps)
        bwd = median_ms(
            lambda: torch.ops.aten.max_pool2d_with_indices_backward(g, x, [2, 2], [2, 2], [0, 0], [1, 1], False, idx),
            reps,
        )
    both = median_ms(fwd_bwd, reps)
    return dict(zip(ROWS, (fwd, bwd, both)))


def braid_round(binary):
    """Median ms per benchmark at 2 threads from one braid_bench run."""
    env = dict(os.environ, OMP_NUM_THREADS=str(THREADS))
    out = subprocess.run(
        [binary, "--benchmark_filter=max_pool2d.*threads:2", "--benchmark_format=json"],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    result = {}
    for bench in json.loads(out)["benchmarks"]:
        if bench.get("aggregate_name") == "median":
            result[bench["run_name"].split("/")[0]] = bench["real_time"]  # ms (the bench's unit)
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--braid", default="build/release/bench/braid_bench", help="path to braid_bench")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--reps", type=int, default=15, help="torch samples per round")
    args = parser.parse_args()

    torch.set_num_threads(THREADS)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; braid: {args.braid}, {THREADS} threads")
    torch_runs = {r: [] for r in ROWS}
    braid_runs = {r: [] for r in ROWS}
    for r in range(args.rounds):
        for row, ms in torch_round(args.reps).items():
            torch_runs[row].append(ms)
        got = braid_round(args.braid)
        for row, name in ROWS.items():
            braid_runs[row].append(got.get(name, float("nan")))
        print(f"round {r + 1}/{args.rounds} done", file=sys.stderr)

    print(f"max_pool2d 2x2, x = {SHAPE} fp32, ms (median of {args.rounds} rounds)")
    print(f"{'':>30} {'torch':>8} {'braid':>8} {'braid/torch':>12}")
    for row in ROWS:
        t, b = statistics.median(torch_runs[row]), statistics.median(braid_runs[row])
        print(f"{row:>30} {t:8.2f} {b:8.2f} {b / t:12.2f}")


if __name__ == "__main__":
    main()
