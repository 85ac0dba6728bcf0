#!/usr/bin/env python3
"""The comparison workloads (bench/workloads/README.md, the contract) in
PyTorch 1.13: impl "pytorch-eager", or "torchscript" with --torchscript
(w3 modes only: torch.jit.trace + freeze + optimize_for_inference).

    /usr/bin/python3 bench/workloads/torch_workloads.py <mode> [--threads 2]
        [--data .cache/mnist] [--models build/bench-models] [--seed 0] [--torchscript]

modes: w1, w2, w3-mlp, w3-cnn, scale-batch, scale-width. One JSON object per
line on stdout (a config line first), everything else on stderr.

Note [reference at its best]: Debian's torch calls whatever libblas.so.3 and
libopenblas.so.0 resolve to, and OpenBLAS picks its kernels from
OPENBLAS_CORETYPE, which this machine's environment sets to Haswell (half the
GEMM rate of SkylakeX here). Both are read when the process starts, so the
harness re-executes itself (os.execve) with LD_LIBRARY_PATH starting with the
OpenMP OpenBLAS, OPENBLAS_CORETYPE=SkylakeX where the CPU has avx512f, and
OMP_NUM_THREADS=--threads, unless they already hold. It also sets glibc's
MALLOC_MMAP_THRESHOLD_ and MALLOC_TRIM_THRESHOLD_ to 1 GiB: PyTorch on CPU
has no caching allocator, so by default every temporary over the (at most
32 MiB) mmap threshold, and every block freed at the top of the heap, comes
back as fresh pages that fault again on the next step; in this VM that made
a W1 step at hidden width 1024 7-8x slower (50-70 ms against 7-8 ms on one
thread, PyTorch and libtorch alike), and a W2 step 2-3x slower; W1 at width
128 and W1's peak memory are unchanged, W2's peak grows (libtorch 841 ->
1130 MiB: freed blocks stay in the heap). PyTorch's tuning guide recommends
jemalloc for the same reason, but Debian's libjemalloc2 (LD_PRELOAD) was
slower still here: it hands pages back too. A plain call is thus always the
best configuration; --as-is keeps the environment untouched (to measure what
the defaults cost). The config line says what was loaded and set.
"""
import argparse
import json
import math
import os
import statistics
import struct
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OPENBLAS_OPENMP = "/usr/lib/x86_64-linux-gnu/openblas-openmp"
MALLOC_NO_GIVE_BACK = str(1 << 30)  # glibc: no mmap per big block, no trimming (1 GiB)
MODES = ("w1", "w2", "w3-mlp", "w3-cnn", "scale-batch", "scale-width")


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("mode", choices=MODES)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--data", default=os.path.join(REPO, ".cache", "mnist"))
    ap.add_argument("--models", default=os.path.join(REPO, "build", "bench-models"))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--torchscript", action="store_true", help="w3 modes: trace+freeze+optimize")
    ap.add_argument("--as-is", action="store_true", help="do not fix the environment")
    # Smoke tests only: cut w1/w2 to N steps, scale-* to short sweeps.
    ap.add_argument("--steps", type=int, default=0, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.torchscript and not a.mode.startswith("w3"):
        ap.error("--torchscript is for the w3 modes only")
    if a.threads < 1:
        ap.error("--threads must be >= 1")
    return a


def has_avx512f():
    try:
        with open("/proc/cpuinfo") as f:
            return any(l.startswith("flags") and " avx512f" in l for l in f)
    except OSError:
        return False


def reexec_at_best(a):
    """Note [reference at its best]: restart with the best environment."""
    if a.as_is:
        return
    env = dict(os.environ)
    if os.path.isdir(OPENBLAS_OPENMP):
        paths = env.get("LD_LIBRARY_PATH", "").split(":")
        # Settles after one re-execution.
        env["LD_LIBRARY_PATH"] = ":".join([OPENBLAS_OPENMP] +
                                          [p for p in paths if p and p != OPENBLAS_OPENMP])
    if has_avx512f():
        env["OPENBLAS_CORETYPE"] = "SkylakeX"
    env["OMP_NUM_THREADS"] = str(a.threads)
    env["MALLOC_MMAP_THRESHOLD_"] = env["MALLOC_TRIM_THRESHOLD_"] = MALLOC_NO_GIVE_BACK
    if env != dict(os.environ):
        script = os.path.abspath(__file__)
        os.execve(sys.executable, [sys.executable, script] + sys.argv[1:], env)


ARGS = parse_args()
reexec_at_best(ARGS)

import numpy as np  # noqa: E402  (after the re-exec: the loader reads the env at start)
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402


def emit(obj):
    print(json.dumps(obj), flush=True)


def read_idx(path, dtype):
    """The IDX file (big-endian magic 0x0000080N, N dims, uint8 data) as a
    tensor of dtype, converted in 1 MiB chunks so that no uint8 copy of the
    whole file inflates the peak memory we report."""
    try:
        f = open(path, "rb")
    except OSError as e:
        sys.exit(f"torch_workloads: cannot read MNIST file {path}: {e.strerror} "
                 "(scripts/fetch_mnist.sh fetches it; --data DIR points elsewhere)")
    with f:
        head = f.read(4)
        if len(head) != 4:
            sys.exit(f"torch_workloads: {path} is not an IDX file (shorter than 4 bytes)")
        magic, = struct.unpack(">I", head)
        ndim = magic & 0xFF
        dims = struct.unpack(">" + "I" * ndim, f.read(4 * ndim))
        count = math.prod(dims)
        if magic >> 8 != 0x08 or os.fstat(f.fileno()).st_size != 4 + 4 * ndim + count:
            sys.exit(f"torch_workloads: {path} is not a uint8 IDX file of shape {dims}")
        out = torch.empty(dims, dtype=dtype)
        flat = out.view(-1)
        buf = bytearray(1 << 20)
        for i in range(0, count, len(buf)):
            n = f.readinto(memoryview(buf)[:min(len(buf), count - i)])
            flat[i:i + n] = torch.frombuffer(buf, dtype=torch.uint8, count=n)
    return out


def load_mnist(split):
    """(N,1,28,28) uint8 images, int64 labels. The images stay uint8 and each
    batch is normalised when it is used (normalise), as in every harness: the
    same data pipeline, so epoch times and peak memory compare like for like
    (a float32 copy of the training set would be 188 MB more)."""
    x = read_idx(os.path.join(ARGS.data, f"{split}-images-idx3-ubyte"), torch.uint8)
    return x.unsqueeze(1), read_idx(os.path.join(ARGS.data, f"{split}-labels-idx1-ubyte"),
                                    torch.int64)


def normalise(xb):
    """uint8 -> float32, (x / 255 - 0.1307) / 0.3081, in place after the cast."""
    return xb.to(torch.float32).div_(255.0).sub_(0.1307).div_(0.3081)


def read_safetensors(path):
    """name -> float32 tensor; safetensors is an 8-byte little-endian header
    length, a JSON header (dtype, shape, data_offsets), then the raw data."""
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except OSError as e:
        sys.exit(f"torch_workloads: cannot read {path}: {e.strerror} "
                 "(`build/release/bench/braid_workloads export --models DIR` writes it)")
    n, = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    out = {}
    for name, meta in header.items():
        if name == "__metadata__":
            continue
        if meta["dtype"] != "F32":
            sys.exit(f"torch_workloads: {path}: tensor {name} is {meta['dtype']}, expected F32")
        begin, end = meta["data_offsets"]
        count = math.prod(meta["shape"])
        if end - begin != 4 * count or 8 + n + end > len(raw):
            sys.exit(f"torch_workloads: {path}: tensor {name} has bad data_offsets {begin}..{end}")
        arr = np.frombuffer(raw, dtype="<f4", count=count, offset=8 + n + begin)
        out[name] = torch.from_numpy(arr.reshape(meta["shape"]).copy())
    return out


def mlp(width=128):
    return nn.Sequential(nn.Flatten(), nn.Linear(784, width), nn.ReLU(), nn.Dropout(0.2),
                         nn.Linear(width, 10))


def cnn():
    return nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.Conv2d(32, 64, 3), nn.ReLU(),
                         nn.MaxPool2d(2), nn.Dropout(0.25), nn.Flatten(),
                         nn.Linear(9216, 128), nn.ReLU(), nn.Dropout(0.5), nn.Linear(128, 10))


def adam(model):
    # 1.13's default implementation (a loop over the parameters): foreach=True
    # measured no faster here on CPU.
    return torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-8,
                            weight_decay=0)


def train_step(model, opt, xb, yb):
    opt.zero_grad(set_to_none=True)  # no fill per gradient (2.0's default)
    F.cross_entropy(model(xb), yb).backward()
    opt.step()


def peak_rss_mb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


def loaded_blas():
    """Real files of the BLAS/LAPACK libraries mapped into this process."""
    seen = []
    with open("/proc/self/maps") as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 6 and ("blas" in parts[5] or "lapack" in parts[5]) \
                    and parts[5] not in seen:
                seen.append(parts[5])
    return seen


def openblas_info():
    import ctypes
    try:
        lib = ctypes.CDLL("libopenblas.so.0")  # the copy already mapped, if any
        lib.openblas_get_corename.restype = ctypes.c_char_p
        lib.openblas_get_config.restype = ctypes.c_char_p
        return {"openblas_core": lib.openblas_get_corename().decode(),
                "openblas_config": lib.openblas_get_config().decode().strip(),
                "openblas_threads": lib.openblas_get_num_threads()}
    except (OSError, AttributeError):
        return {"openblas_core": None}


def config_line(impl):
    torch.mm(torch.ones(64, 64), torch.ones(64, 64))  # BLAS initialised before we look
    parallel = [l.strip() for l in torch.__config__.parallel_info().splitlines()]
    parallel = [l for l in parallel[:parallel.index("Environment variables:")] if l]
    cap = [l.split(":", 1)[1].strip() for l in torch.__config__.show().splitlines()
           if "CPU capability usage" in l]
    cfg = {"threads": torch.get_num_threads(), "version": torch.__version__,
           "python": sys.version.split()[0], "parallel": "; ".join(parallel),
           "cpu_capability": cap[0] if cap else None,
           "blas_loaded": loaded_blas(), **openblas_info(),
           "env": {k: os.environ.get(k) for k in ("OPENBLAS_CORETYPE", "LD_LIBRARY_PATH",
                                                  "OMP_NUM_THREADS", "ATEN_CPU_CAPABILITY",
                                                  "LD_PRELOAD", "MALLOC_MMAP_THRESHOLD_",
                                                  "MALLOC_TRIM_THRESHOLD_")},
           "env_fixed": not ARGS.as_is, "seed": ARGS.seed}
    if ARGS.mode in ("w1", "w2") or ARGS.mode.startswith("scale"):
        cfg["optimizer"] = "torch.optim.Adam(lr=1e-3), zero_grad(set_to_none=True)"
    emit({"impl": impl, "mode": ARGS.mode, "config": cfg})


def run_training(impl, make, batch):
    xtr, ytr = load_mnist("train")
    xte, yte = load_mnist("t10k")
    torch.manual_seed(ARGS.seed)  # initial weights and dropout masks
    model = make()
    opt = adam(model)
    gen = torch.Generator().manual_seed(ARGS.seed)  # the shuffle
    n = xtr.shape[0]
    limit = ARGS.steps * batch if ARGS.steps else n
    model.train()
    steps = 0
    t0 = time.perf_counter()
    perm = torch.randperm(n, generator=gen)
    for i in range(0, min(n, limit), batch):
        idx = perm[i:i + batch]
        train_step(model, opt, normalise(xtr.index_select(0, idx)), ytr.index_select(0, idx))
        steps += 1
    epoch_s = time.perf_counter() - t0
    model.eval()
    correct = 0
    with torch.inference_mode():
        for i in range(0, xte.shape[0], 1000):
            correct += (model(normalise(xte[i:i + 1000])).argmax(1) == yte[i:i + 1000]).sum().item()
    emit({"impl": impl, "mode": ARGS.mode, "metric": "epoch_s", "value": epoch_s})
    emit({"impl": impl, "mode": ARGS.mode, "metric": "step_ms", "value": epoch_s / steps * 1e3})
    emit({"impl": impl, "mode": ARGS.mode, "metric": "test_acc",
          "value": 100.0 * correct / xte.shape[0]})


def time_calls(f, x, warmup, min_calls, min_s):
    """Each inference call timed alone, seconds; at least min_calls and min_s
    in all. As the contract says, a first warm-up call over 1 s means 3 timed
    calls after that one warm-up instead."""
    first = time.perf_counter()
    f(x)
    if time.perf_counter() - first > 1.0:
        warmup, min_calls, min_s = 1, 3, 0.0
    for _ in range(warmup - 1):
        f(x)
    times = []
    start = time.perf_counter()
    while len(times) < min_calls or time.perf_counter() - start < min_s:
        t = time.perf_counter()
        f(x)
        times.append(time.perf_counter() - t)
    return times


def p99(times):
    s = sorted(times)
    return s[max(0, math.ceil(0.99 * len(s)) - 1)]  # nearest rank


def run_inference(impl, net):
    model = mlp() if net == "mlp" else cnn()
    path = os.path.join(ARGS.models, f"{net}.safetensors")
    weights = read_safetensors(path)
    wanted = model.state_dict()
    for key, t in wanted.items():
        if key not in weights:
            sys.exit(f"torch_workloads: {path} lacks {key} (has {sorted(weights)})")
        if tuple(weights[key].shape) != tuple(t.shape):
            sys.exit(f"torch_workloads: {path}: {key} has shape {tuple(weights[key].shape)}, "
                     f"expected {tuple(t.shape)}")
    model.load_state_dict({k: weights[k] for k in wanted})
    model.eval()
    io = read_safetensors(os.path.join(ARGS.models, f"{net}_io.safetensors"))
    xte, _ = load_mnist("t10k")
    one, big = normalise(xte[:1]), normalise(xte[:256])
    if ARGS.torchscript:
        with torch.no_grad():
            traced = torch.jit.trace(model, one)
            model = torch.jit.optimize_for_inference(torch.jit.freeze(traced))
    with torch.inference_mode():
        got = model(io["input"])
        diff = (got - io["output"]).abs().max().item()
        if got.shape != io["output"].shape or not diff <= 1e-4:
            sys.exit(f"torch_workloads: {impl} {net} output differs from braid's "
                     f"{net}_io.safetensors: shape {tuple(got.shape)}, max abs diff {diff}")
        print(f"torch_workloads: {impl} {net} matches braid's output (max abs diff {diff:.2e})",
              file=sys.stderr)
        quick = bool(ARGS.steps)
        lat = time_calls(model, one, 50, 20 if quick else (2000 if net == "mlp" else 500),
                         0.05 if quick else 1.0)
        thr = time_calls(model, big, 5, 5 if quick else 20, 0.05 if quick else 1.0)
    emit({"impl": impl, "mode": ARGS.mode, "metric": "b1_median_us",
          "value": statistics.median(lat) * 1e6})
    emit({"impl": impl, "mode": ARGS.mode, "metric": "b1_p99_us", "value": p99(lat) * 1e6})
    emit({"impl": impl, "mode": ARGS.mode, "metric": "b256_images_per_s",
          "value": 256 / statistics.median(thr)})


def run_scale(impl, by_batch):
    xtr, ytr = load_mnist("train")
    n = xtr.shape[0]
    params = [2 ** k for k in range(0, 11)] if by_batch else [128 * 2 ** k for k in range(0, 6)]
    if ARGS.steps:
        params = params[::3]
    for p in params:
        batch, width = (p, 128) if by_batch else (64, p)
        torch.manual_seed(ARGS.seed)
        model = mlp(width)
        opt = adam(model)
        model.train()
        off = 0

        def step():
            nonlocal off
            if off + batch > n:
                off = 0
            train_step(model, opt, normalise(xtr[off:off + batch]), ytr[off:off + batch])
            off += batch

        for _ in range(10):
            step()
        times = []
        start = time.perf_counter()
        while len(times) < (5 if ARGS.steps else 50) or time.perf_counter() - start < 0.3:
            t = time.perf_counter()
            step()
            times.append(time.perf_counter() - t)
        emit({"impl": impl, "mode": ARGS.mode, "metric": "step_ms",
              "value": statistics.median(times) * 1e3, "param": p})


def main():
    torch.set_num_threads(ARGS.threads)
    impl = "torchscript" if ARGS.torchscript else "pytorch-eager"
    config_line(impl)
    if ARGS.mode == "w1":
        run_training(impl, mlp, 64)
    elif ARGS.mode == "w2":
        run_training(impl, cnn, 128)
    elif ARGS.mode.startswith("w3"):
        run_inference(impl, ARGS.mode[3:])
    else:
        run_scale(impl, ARGS.mode == "scale-batch")
    if not ARGS.mode.startswith("scale"):
        emit({"impl": impl, "mode": ARGS.mode, "metric": "peak_rss_mb", "value": peak_rss_mb()})


if __name__ == "__main__":
    main()
