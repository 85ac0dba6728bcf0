#!/usr/bin/env python3
"""Side-by-side: one optimizer step in braid (bench/optim_bench.cpp, run
through braid_bench) and in PyTorch (both its single-tensor loop and
foreach=True), same machine, same run, 2 threads. Prints medians in ms and
braid/torch (against torch's faster variant).

Usage: /usr/bin/python3 bench/optim_torch.py [--build build/release] [--reps 5]
"""
import argparse, json, os, statistics, subprocess, time

import torch

SHAPES = [
    [(32, 1, 3, 3), (32,), (64, 32, 3, 3), (64,), (128, 9216), (128,), (10, 128), (10,)],
    [(10_000_000,)],
]
CASES = {
    "BM_optim_sgd_momentum": lambda ps, fe: torch.optim.SGD(ps, lr=1e-3, momentum=0.9, foreach=fe),
    "BM_optim_adam": lambda ps, fe: torch.optim.Adam(ps, lr=1e-3, foreach=fe),
    "BM_optim_adamw_amsgrad": lambda ps, fe: torch.optim.AdamW(ps, amsgrad=True, foreach=fe),
    "BM_optim_rmsprop_centered": lambda ps, fe: torch.optim.RMSprop(ps, centered=True, foreach=fe),
    "BM_optim_adagrad": lambda ps, fe: torch.optim.Adagrad(ps, foreach=fe),
}


def braid_medians(build, reps):
    exe = os.path.join(build, "bench", "braid_bench")
    out = subprocess.run([exe, "--benchmark_filter=BM_optim_", f"--benchmark_repetitions={reps}",
                          "--benchmark_report_aggregates_only=true", "--benchmark_format=json"],
                         check=True, capture_output=True, text=True).stdout
    scale = {"ns": 1e-6, "us": 1e-3, "ms": 1.0, "s": 1e3}
    return {b["run_name"]: b["real_time"] * scale[b["time_unit"]]
            for b in json.loads(out)["benchmarks"] if b.get("aggregate_name") == "median"}


def torch_median(name, which, foreach, reps, inner=5):
    torch.manual_seed(0)
    ps = []
    for s in SHAPES[which]:
        p = torch.randn(s, requires_grad=True)
        p.grad = torch.randn(s)
        ps.append(p)
    opt = CASES[name](ps, foreach)
    opt.step()
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter()
        for _ in range(inner):
            opt.step()
        ts.append((time.perf_counter() - t0) / inner * 1e3)
    return statistics.median(ts)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build/release")
    ap.add_argument("--reps", type=int, default=5)
    args = ap.parse_args()
    torch.set_num_threads(2)
    braid = braid_medians(args.build, args.reps)
    print(f"{'step':34} {'braid ms':>9} {'torch ms':>9} {'foreach':>9} {'ratio':>6}")
    for name in CASES:
        for which in (0, 1):
            key = f"{name}/{which}/real_time"
            single = torch_median(name, which, False, args.reps)
            fe = torch_median(name, which, True, args.reps)
            b = braid.get(key, float("nan"))
            print(f"{name + '/' + str(which):34} {b:9.3f} {single:9.3f} {fe:9.3f} {b / min(single, fe):6.2f}")


if __name__ == "__main__":
    main()
