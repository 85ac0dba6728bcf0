#!/usr/bin/env python3
"""Side-by-side: the norm family in braid (bench/norm_bench.cpp, run through
braid_bench) and the same calls in PyTorch, same machine, same run, 2 threads.
Prints medians in ms and braid/torch.

Usage: /usr/bin/python3 bench/norm_torch.py [--build build/release] [--reps 5]
"""
import argparse, json, os, statistics, subprocess, time

import torch
import torch.nn.functional as F


def braid_medians(build, reps):
    exe = os.path.join(build, "bench", "braid_bench")
    out = subprocess.run([exe, "--benchmark_filter=BM_norm_", f"--benchmark_repetitions={reps}",
                          "--benchmark_report_aggregates_only=true", "--benchmark_format=json"],
                         check=True, capture_output=True, text=True).stdout
    scale = {"ns": 1e-6, "us": 1e-3, "ms": 1.0, "s": 1e3}
    return {b["run_name"]: b["real_time"] * scale[b["time_unit"]]
            for b in json.loads(out)["benchmarks"] if b.get("aggregate_name") == "median"}


def med(fn, reps, inner=3):
    for _ in range(2):
        fn()
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter()
        for _ in range(inner):
            fn()
        ts.append((time.perf_counter() - t0) / inner * 1e3)
    return statistics.median(ts)


def torch_medians(reps):
    torch.set_num_threads(2)
    res = {}
    for i, s in enumerate([(128, 32, 26, 26), (128, 64, 24, 24)]):
        c = s[1]
        x, rm, rv = torch.randn(s), torch.zeros(c), torch.ones(c)
        w, b = torch.ones(c), torch.zeros(c)
        res[f"BM_norm_batch_norm_fwd/{i}"] = med(lambda: F.batch_norm(x, rm, rv, w, b, True), reps)
        xg, wg, bg, g = x.clone().requires_grad_(), w.clone().requires_grad_(), b.clone().requires_grad_(), torch.randn(s)
        res[f"BM_norm_batch_norm_fwd_bwd/{i}"] = med(
            lambda: torch.autograd.grad(F.batch_norm(xg, rm, rv, wg, bg, True), (xg, wg, bg), g), reps)
    x, w, b = torch.randn(4096, 768, requires_grad=True), torch.ones(768, requires_grad=True), torch.zeros(768, requires_grad=True)
    g = torch.randn(4096, 768)
    res["BM_norm_layer_norm_fwd_bwd"] = med(lambda: torch.autograd.grad(F.layer_norm(x, (768,), w, b), (x, w, b), g), reps)
    xd = torch.randn(128, 9216)
    res["BM_norm_dropout_fwd"] = med(lambda: F.dropout(xd, 0.25), reps)
    we, idx, ge = torch.randn(30000, 256, requires_grad=True), torch.randint(0, 30000, (64, 128)), torch.randn(64, 128, 256)
    res["BM_norm_embedding_fwd_bwd"] = med(lambda: torch.autograd.grad(F.embedding(idx, we), (we,), ge), reps)
    return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build/release")
    ap.add_argument("--reps", type=int, default=5)
    args = ap.parse_args()
    b = braid_medians(args.build, args.reps)
    t = torch_medians(args.reps)
    print(f"PyTorch {torch.__version__}, 2 threads; medians of {args.reps}")
    print(f"{'workload':44} {'braid ms':>10} {'torch ms':>10} {'braid/torch':>12}")
    for name, tt in t.items():
        bb = b.get(name + "/real_time") or b.get(name)
        print(f"{name:44} {bb:10.3f} {tt:10.3f} {bb / tt:12.2f}")


if __name__ == "__main__":
    main()
