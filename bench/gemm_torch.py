#!/usr/bin/python3
"""torch.matmul fp32 GFLOP/s on the sizes of bench/gemm_bench.cpp, optionally
side by side with braid's gemm_x86 and gemm_portable in the same script.

    /usr/bin/python3 bench/gemm_torch.py                      # torch only
    /usr/bin/python3 bench/gemm_torch.py --braid build/release/bench/braid_bench

Sizes are A (m, k) @ B (k, n): 2048^3 and the MNIST layer [64, 784] x [784, 128].
Both sides use 2 threads. With --braid, torch and braid_bench run in
alternating rounds and each figure is the median over rounds of per-round
medians, so a noisy neighbour on the shared machine hits both sides alike.

Debian's torch calls whatever libblas.so.3 the alternatives system picks;
for the reference we want OpenBLAS's OpenMP build (libopenblas-openmp-dev),
which shares libgomp with braid. The script prints which library and which
OpenBLAS kernel (core type) actually ran. Do not force OPENBLAS_CORETYPE to a
core the CPU lacks (SkylakeX on an AVX2-only CPU dies with SIGILL).
"""
import argparse
import ctypes
import json
import os
import statistics
import subprocess
import sys
import time

import torch

SIZES = [(2048, 2048, 2048), (64, 784, 128)]  # (m, k, n)
THREADS = 2


def loaded_blas():
    """Real paths of the BLAS libraries mapped into this process."""
    libs = set()
    with open("/proc/self/maps") as maps:
        for line in maps:
            path = line.split()[-1]
            if "blas" in os.path.basename(path) or "mkl" in os.path.basename(path):
                libs.add(os.path.realpath(path))
    return sorted(libs)


def openblas_info(libs):
    """OpenBLAS build config and the kernel it picked, if OpenBLAS is loaded."""
    for path in libs:
        try:
            lib = ctypes.CDLL(path)
            lib.openblas_get_config.restype = ctypes.c_char_p
            lib.openblas_get_corename.restype = ctypes.c_char_p
            return (lib.openblas_get_config().decode(), lib.openblas_get_corename().decode(),
                    lib.openblas_get_num_threads())
        except (OSError, AttributeError):
            continue
    return None


def torch_gflops(m, k, n, reps):
    a = torch.randn(m, k)
    b = torch.randn(k, n)
    flop = 2.0 * m * n * k
    # Warm up, then time enough calls per sample to be well above timer noise.
    start = time.perf_counter()
    torch.matmul(a, b)
    calls = max(1, int(0.05 / max(time.perf_counter() - start, 1e-7)))
    for _ in range(calls):
        torch.matmul(a, b)
    samples = []
    for _ in range(reps):
        start = time.perf_counter()
        for _ in range(calls):
            torch.matmul(a, b)
        samples.append(flop * calls / (time.perf_counter() - start) / 1e9)
    return statistics.median(samples)


def braid_gflops(binary):
    """Median GFLOP/s per (kernel, m, k, n) from one braid_bench run."""
    env = dict(os.environ, OMP_NUM_THREADS=str(THREADS))
    out = subprocess.run([binary, "--benchmark_filter=BM_gemm_", "--benchmark_format=json"],
                         env=env, check=True, capture_output=True, text=True).stdout
    result = {}
    for bench in json.loads(out)["benchmarks"]:
        if bench.get("aggregate_name") != "median":
            continue
        name, m, k, n = bench["run_name"].split("/")[:4]
        key = (name.replace("BM_", ""), int(m[2:]), int(k[2:]), int(n[2:]))
        result[key] = bench["GFLOP/s"]
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--braid", help="path to braid_bench, to run side by side")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--reps", type=int, default=7, help="torch samples per round")
    args = parser.parse_args()

    torch.set_num_threads(THREADS)
    torch.matmul(torch.ones(8, 8), torch.ones(8, 8))  # loads the BLAS
    print(torch.__config__.show())
    libs = loaded_blas()
    print("BLAS loaded by torch:", ", ".join(libs) or "none found")
    info = openblas_info(libs)
    if info:
        print(f"OpenBLAS: core={info[1]} threads={info[2]} config: {info[0]}")
    print("OPENBLAS_CORETYPE =", os.environ.get("OPENBLAS_CORETYPE", "(unset: autodetect)"))
    print(f"torch {torch.__version__}, torch.get_num_threads() = {torch.get_num_threads()}\n")

    torch_rounds = {size: [] for size in SIZES}
    braid_rounds = {}
    for r in range(args.rounds):
        for size in SIZES:
            torch_rounds[size].append(torch_gflops(*size, args.reps))
        if args.braid:
            for key, value in braid_gflops(args.braid).items():
                braid_rounds.setdefault(key, []).append(value)
        print(f"round {r + 1}/{args.rounds} done", file=sys.stderr)

    print(f"fp32 GEMM, {THREADS} threads, GFLOP/s (median of {args.rounds} rounds)")
    print(f"{'m x k x n':>18} {'torch.matmul':>13} {'gemm_x86':>9} {'x86/torch':>9} "
          f"{'gemm_portable':>13} {'portable/torch':>14}")
    for m, k, n in SIZES:
        ref = statistics.median(torch_rounds[(m, k, n)])
        row = f"{f'{m}x{k}x{n}':>18} {ref:13.1f}"
        for kernel, width in (("gemm_x86", 9), ("gemm_portable", 13)):
            runs = braid_rounds.get((kernel, m, k, n))
            value = statistics.median(runs) if runs else float("nan")
            row += f" {value:{width}.1f} {value / ref:{9 if width == 9 else 14}.2f}"
        print(row)


if __name__ == "__main__":
    main()
