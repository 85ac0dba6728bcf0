#!/usr/bin/env python3
"""Side-by-side: braid (bench/op_overhead_bench.cpp via braid_bench) and PyTorch
on the same machine in the same run. Prints medians and ratios.

Usage: /usr/bin/python3 bench/compare_ops.py [--build build/release] [--reps 7]
PyTorch runs with 2 threads on the OpenMP OpenBLAS (OPENBLAS_CORETYPE=SkylakeX)
when that library is installed; the BLAS torch used is printed.
"""
import argparse, json, os, statistics, subprocess, sys, time

def braid_medians(build, reps):
    exe = os.path.join(build, "bench", "braid_bench")
    out = subprocess.run([exe, "--benchmark_filter=BM_(add|chain3|matmul)", f"--benchmark_repetitions={reps}",
                          "--benchmark_report_aggregates_only=true", "--benchmark_format=json"],
                         check=True, capture_output=True, text=True).stdout
    res = {}
    for b in json.loads(out)["benchmarks"]:
        if b.get("aggregate_name") != "median":
            continue
        res[b["run_name"]] = b
    return res

def torch_medians(reps):
    import torch
    torch.set_num_threads(2)
    def med(fn, inner, warm=3):
        for _ in range(warm): fn()
        ts = []
        for _ in range(reps):
            t0 = time.perf_counter()
            for _ in range(inner): fn()
            ts.append((time.perf_counter() - t0) / inner)
        return statistics.median(ts)
    a1, b1 = torch.ones(1), torch.ones(1)
    x = torch.ones(1, requires_grad=True)
    def chain():
        y = torch.tanh(x * 2.0 + 1.0); y.backward(); x.grad = None
    n = 1 << 24
    a, b = torch.rand(n), torch.rand(n)
    res = {"add_1elem": med(lambda: torch.add(a1, b1), 20000),
           "chain3": med(chain, 5000)}
    for th in (1, 2):
        torch.set_num_threads(th)
        res[f"add_2p24/{th}"] = med(lambda: torch.add(a, b), 20)
    torch.set_num_threads(2)
    m1, m2 = torch.randn(2048, 2048), torch.randn(2048, 2048)
    res["matmul_2048"] = med(lambda: torch.matmul(m1, m2), 3, warm=2)
    import re
    blas = re.findall(r"BLAS_INFO=\w+", torch.__config__.show())
    try:  # the library behind libblas.so.3, as loaded into this process
        with open("/proc/self/maps") as f:
            blas += sorted({l.split()[-1] for l in f if "blas" in l.lower() and l.split()[-1].startswith("/")})
    except OSError:
        pass
    return res, blas

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build/release")
    ap.add_argument("--reps", type=int, default=7)
    args = ap.parse_args()
    b = braid_medians(args.build, args.reps)
    t, blas = torch_medians(args.reps)
    def secs(bm):  # google benchmark real_time in its time_unit
        scale = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}[bm["time_unit"]]
        return bm["real_time"] * scale
    rows = [("add, 1-element tensors (per call)", secs(b["BM_add_1elem"]), t["add_1elem"], "us"),
            ("3-op chain fwd+bwd, 1 element", secs(b["BM_chain3_fwd_bwd"]), t["chain3"], "us")]
    print(f"PyTorch {__import__('torch').__version__}; {'; '.join(blas) or 'BLAS: unknown'}")
    print(f"{'workload':44} {'braid':>12} {'torch':>12} {'braid/torch':>12}")
    for name, bs, ts, unit in rows:
        print(f"{name:44} {bs*1e6:10.3f}us {ts*1e6:10.3f}us {bs/ts:12.3f}")
    for th in (1, 2):
        n = 1 << 24
        bb = 3 * 4 * n / secs(b[f"BM_add_2p24/{th}/real_time"]) / 1e9
        tb = 3 * 4 * n / t[f"add_2p24/{th}"] / 1e9
        print(f"{'add 2^24 floats, ' + str(th) + ' thread(s) (GB/s)':44} {bb:12.2f} {tb:12.2f} {bb/tb:12.3f}")
    flops = 2.0 * 2048 ** 3
    bg = flops / secs(b["BM_matmul_2048/2/real_time"]) / 1e9
    tg = flops / t["matmul_2048"] / 1e9
    print(f"{'matmul 2048^3 fp32, 2 threads (GFLOP/s)':44} {bg:12.1f} {tg:12.1f} {bg/tg:12.3f}")

if __name__ == "__main__":
    sys.exit(main())
