#!/usr/bin/env python3
"""`make bench`: the comparison workloads (bench/workloads/README.md) in braid
and in every reference, side by side on this machine, in one run.

Runs each (harness, mode) --runs times (default 3), interleaved so that the
machine's noise falls on all of them alike, takes medians, prints one table
with braid/reference ratios and the issue-6 targets, and writes
bench/results.md, bench/results.png (ratios) and bench/scaling.png (W1 step
time against batch and width).

    /usr/bin/python3 bench/workloads.py [--runs 3] [--only braid,pytorch-eager]
                                        [--modes w1,w3-mlp] [--threads 2]
"""
import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
MODELS = os.path.join(ROOT, "build", "bench-models")
BRAID = os.path.join(ROOT, "build", "release", "bench", "braid_workloads")
BRAID_CLI = os.path.join(ROOT, "build", "release", "braid")
LIBTORCH = os.path.join(ROOT, "build", "libtorch", "libtorch_workloads")
NODE_DIR = os.path.join(ROOT, "bench", "workloads")

TRAIN = ["w1", "w2"]
INFER = ["w3-mlp", "w3-cnn"]
SCALE = ["scale-batch", "scale-width"]


def harnesses(threads):
    """impl -> (command prefix, modes it runs)."""
    py = "/usr/bin/python3"
    common = ["--threads", str(threads), "--models", MODELS]
    return {
        "braid-eager": ([BRAID], TRAIN + INFER + SCALE, common),
        "braid-compiled": ([BRAID, "--compiled"], INFER, common),
        "pytorch-eager": ([py, os.path.join(NODE_DIR, "torch_workloads.py")], TRAIN + INFER + SCALE, common),
        "torchscript": ([py, os.path.join(NODE_DIR, "torch_workloads.py"), "--torchscript"], INFER, common),
        "libtorch": ([LIBTORCH], TRAIN + INFER + SCALE, common),
        "onnxruntime": (["node", os.path.join(NODE_DIR, "ort_workloads.js")], INFER, common),
        "tfjs-wasm": (["node", os.path.join(NODE_DIR, "tfjs_workloads.js"), "--backend", "wasm"], INFER, common),
        "tfjs-cpu": (["node", os.path.join(NODE_DIR, "tfjs_workloads.js"), "--backend", "cpu"], INFER, common),
    }


def reference_env(threads):
    """PyTorch at its best here: the OpenMP OpenBLAS first, its AVX-512
    kernels where the CPU has them (the environment's Haswell halves GEMM)."""
    env = dict(os.environ)
    env["OMP_NUM_THREADS"] = str(threads)
    omp = "/usr/lib/x86_64-linux-gnu/openblas-openmp"
    if os.path.isdir(omp):
        env["LD_LIBRARY_PATH"] = omp + (":" + env["LD_LIBRARY_PATH"] if env.get("LD_LIBRARY_PATH") else "")
    with open("/proc/cpuinfo") as f:
        if " avx512f" in f.read():
            env["OPENBLAS_CORETYPE"] = "SkylakeX"
    return env


def run_one(cmd, mode, env, timeout):
    """Runs one process; returns (records, configs, error). The mode is the
    first argument of every harness (after the script for python and node)."""
    prefix, common = cmd
    k = 2 if prefix[0] in ("/usr/bin/python3", "node") else 1
    argv = prefix[:k] + [mode] + prefix[k:] + common
    try:
        p = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=timeout, cwd=ROOT)
    except subprocess.TimeoutExpired:
        return [], [], f"timed out after {timeout} s"
    recs, configs = [], []
    for line in p.stdout.splitlines():
        line = line.strip()
        if not line.startswith("{"):
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError:
            continue
        (configs if "config" in obj else recs).append(obj)
    err = None
    if p.returncode != 0:
        err = f"exit {p.returncode}: " + " | ".join(p.stderr.strip().splitlines()[-3:])
    return recs, configs, err


def lib_sizes(threads):
    """MiB of the shared libraries each inference runtime loads (ldd), plus
    the harness binary for the C++ ones and the npm packages for node."""
    def ldd_total(binary):
        if not os.path.exists(binary):
            return None
        out = subprocess.run(["ldd", binary], capture_output=True, text=True).stdout
        total = os.path.getsize(binary)
        for line in out.splitlines():
            parts = line.split("=>")
            if len(parts) == 2:
                path = parts[1].split("(")[0].strip()
                if os.path.exists(path) and not any(s in path for s in ("libc.so", "libm.so", "ld-linux")):
                    total += os.path.getsize(os.path.realpath(path))
        return total / 2**20

    def tree(path):
        total = 0
        for dirpath, _, files in os.walk(path):
            for f in files:
                fp = os.path.join(dirpath, f)
                if not os.path.islink(fp):
                    total += os.path.getsize(fp)
        return total / 2**20 if total else None

    return {
        "braid": ldd_total(BRAID),
        "libtorch": ldd_total(LIBTORCH),
        "onnxruntime (npm package)": tree(os.path.join(ROOT, ".cache", "node", "node_modules", "onnxruntime-node")),
        "tfjs + wasm backend (npm)": tree(os.path.join(ROOT, ".cache", "bench-node", "node_modules", "@tensorflow")),
    }


# (mode, metric, higher is better, label)
ROWS = [
    ("w1", "epoch_s", False, "W1 MLP train, s/epoch"),
    ("w1", "peak_rss_mb", False, "W1 peak RSS, MiB"),
    ("w1", "test_acc", True, "W1 test accuracy, %"),
    ("w2", "epoch_s", False, "W2 CNN train, s/epoch"),
    ("w2", "peak_rss_mb", False, "W2 peak RSS, MiB"),
    ("w2", "test_acc", True, "W2 test accuracy, %"),
    ("w3-mlp", "b1_median_us", False, "W3 MLP b=1 median, us"),
    ("w3-mlp", "b1_p99_us", False, "W3 MLP b=1 p99, us"),
    ("w3-mlp", "b256_images_per_s", True, "W3 MLP b=256, images/s"),
    ("w3-cnn", "b1_median_us", False, "W3 CNN b=1 median, us"),
    ("w3-cnn", "b1_p99_us", False, "W3 CNN b=1 p99, us"),
    ("w3-cnn", "b256_images_per_s", True, "W3 CNN b=256, images/s"),
]


def best_braid(med, mode, metric, higher):
    vals = [med.get((impl, mode, metric, None)) for impl in ("braid-eager", "braid-compiled")]
    vals = [v for v in vals if v is not None]
    if not vals:
        return None
    return max(vals) if higher else min(vals)


def targets(med):
    """The issue-6 targets: (text, braid value, reference value, limit ratio,
    higher is better)."""
    out = []
    def ref(impls, mode, metric, higher):
        vals = [(med.get((i, mode, metric, None)), i) for i in impls]
        vals = [v for v in vals if v[0] is not None]
        if not vals:
            return None, None
        return (max(vals) if higher else min(vals))
    b = lambda m, k, h: best_braid(med, m, k, h)
    w1 = b("w1", "epoch_s", False)
    for impl, lim in (("pytorch-eager", 1 / 3.5), ("libtorch", 1 / 3)):
        out.append((f"W1 epoch <= {lim:.3f} x {impl}", w1, med.get((impl, "w1", "epoch_s", None)), lim, False))
    out.append(("W2 epoch <= 0.4 x pytorch-eager", b("w2", "epoch_s", False),
                med.get(("pytorch-eager", "w2", "epoch_s", None)), 0.4, False))
    refs = ["pytorch-eager", "torchscript", "libtorch", "onnxruntime", "tfjs-wasm", "tfjs-cpu"]
    v, who = ref(refs, "w3-mlp", "b1_median_us", False)
    out.append((f"W3 MLP b=1 <= 0.5 x best reference ({who})", b("w3-mlp", "b1_median_us", False), v, 0.5, False))
    out.append(("W3 CNN b=1 <= 0.75 x onnxruntime", b("w3-cnn", "b1_median_us", False),
                med.get(("onnxruntime", "w3-cnn", "b1_median_us", None)), 0.75, False))
    for net in ("mlp", "cnn"):
        out.append((f"W3 {net.upper()} b=256 >= 1.05 x onnxruntime", b(f"w3-{net}", "b256_images_per_s", True),
                    med.get(("onnxruntime", f"w3-{net}", "b256_images_per_s", None)), 1.05, True))
    out.append(("W1 peak RSS <= 0.25 x pytorch-eager", med.get(("braid-eager", "w1", "peak_rss_mb", None)),
                med.get(("pytorch-eager", "w1", "peak_rss_mb", None)), 0.25, False))
    return out


def fmt(v):
    if v is None:
        return "-"
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    if abs(v) >= 10:
        return f"{v:.1f}"
    return f"{v:.3g}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--only", default="", help="comma-separated impls")
    ap.add_argument("--modes", default="", help="comma-separated modes")
    ap.add_argument("--timeout", type=int, default=600)
    ap.add_argument("--out", default=os.path.join(ROOT, "bench"))
    ap.add_argument("--from-json", default="", help="report the raw samples of an earlier run")
    args = ap.parse_args()
    if args.from_json:
        with open(args.from_json) as f:
            raw = json.load(f)
        samples = {tuple(r["key"]): r["values"] for r in raw["samples"]}
        med = {k: statistics.median(v) for k, v in samples.items()}
        args.runs = raw["runs"]
        report(args, med, samples, raw["configs"], raw["errors"], raw["started"], raw["modes"])
        return

    hs = harnesses(args.threads)
    only = set(filter(None, args.only.split(",")))
    modes = [m for m in TRAIN + INFER + SCALE if not args.modes or m in args.modes.split(",")]
    env = reference_env(args.threads)
    if not all(os.path.exists(os.path.join(MODELS, f)) for f in ("cnn_io.safetensors", "cnn.onnx")):
        subprocess.run([BRAID, "export", "--models", MODELS], check=True, cwd=ROOT,
                       stdout=subprocess.DEVNULL)
        for name in ("mlp", "cnn"):  # the ONNX files, by braid's own CLI
            base = os.path.join(MODELS, name)
            subprocess.run([BRAID_CLI, "export", base + ".safetensors", "--onnx", base + ".onnx"],
                           check=True, cwd=ROOT, stdout=subprocess.DEVNULL)

    samples, configs, errors = {}, {}, []
    started = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())
    for r in range(args.runs):
        for mode in modes:
            for impl, (cmd, impl_modes, common) in hs.items():
                if (only and impl not in only and impl.split("-")[0] not in only) or mode not in impl_modes:
                    continue
                if not os.path.exists(cmd[0]) and cmd[0] not in ("node", "/usr/bin/python3"):
                    if r == 0:
                        errors.append(f"{impl}: {cmd[0]} is not built")
                    continue
                run_env = env if not impl.startswith("braid") else dict(os.environ)
                t0 = time.time()
                recs, cfgs, err = run_one((cmd, common), mode, run_env, args.timeout)
                print(f"[{r + 1}/{args.runs}] {impl:15s} {mode:12s} {time.time() - t0:6.1f} s"
                      + (f"  ERROR {err}" if err else ""), file=sys.stderr, flush=True)
                if err:
                    errors.append(f"{impl} {mode} (run {r + 1}): {err}")
                for c in cfgs:
                    configs.setdefault(impl, c["config"])
                for rec in recs:
                    key = (impl, rec["mode"], rec["metric"], rec.get("param"))
                    samples.setdefault(key, []).append(float(rec["value"]))
    # The raw samples first, so that a report can be remade (--from-json).
    os.makedirs(args.out, exist_ok=True)
    raw = {"runs": args.runs, "started": started, "modes": modes, "configs": configs, "errors": errors,
           "samples": [{"key": list(k), "values": v} for k, v in samples.items()]}
    write_atomically(os.path.join(args.out, "results.json"), json.dumps(raw, indent=1) + "\n")
    med = {k: statistics.median(v) for k, v in samples.items()}
    report(args, med, samples, configs, errors, started, modes)


def report(args, med, samples, configs, errors, started, modes):
    impls = [i for i in harnesses(args.threads) if any(k[0] == i for k in med)]
    lines = []
    lines.append(f"# braid vs references: comparison workloads\n")
    lines.append(f"Run {started} on {platform.node()} ({cpu_name()}), {args.threads} threads, "
                 f"{args.runs} runs each, medians. Command: `make bench` "
                 f"(`/usr/bin/python3 bench/workloads.py --runs {args.runs}`).\n")
    lines.append("Ratio = braid's best (eager or compiled) / the reference; < 1 means braid is "
                 "faster or smaller (for images/s and accuracy, > 1 means braid is ahead).\n")
    header = "| workload | " + " | ".join(impls) + " |"
    lines.append(header)
    lines.append("|" + "---|" * (len(impls) + 1))
    for mode, metric, higher, label in ROWS:
        if mode not in modes:
            continue
        b = best_braid(med, mode, metric, higher)
        cells = []
        for i in impls:
            v = med.get((i, mode, metric, None))
            cell = fmt(v)
            if v and b is not None and not i.startswith("braid"):
                cell += f" ({b / v:.2f}x)"
            cells.append(cell)
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    lines.append("\n## Targets (issue 6)\n")
    lines.append("| target | braid | reference | ratio | met |")
    lines.append("|---|---|---|---|---|")
    for text, bv, rv, lim, higher in targets(med):
        if bv is None or rv is None:
            lines.append(f"| {text} | {fmt(bv)} | {fmt(rv)} | - | not measured |")
            continue
        ratio = bv / rv
        ok = ratio >= lim if higher else ratio <= lim
        lines.append(f"| {text} | {fmt(bv)} | {fmt(rv)} | {ratio:.2f} | {'yes' if ok else 'no'} |")
    scale = [(k, v) for k, v in med.items() if k[1] in SCALE and k[3] is not None]
    if scale:
        lines.append("\n## How cost grows (W1 train step, ms; see bench/scaling.png)\n")
        for mode in SCALE:
            params = sorted({k[3] for k, _ in scale if k[1] == mode and k[2] == "step_ms"})
            if not params:
                continue
            si = [i for i in impls if any(k[0] == i and k[1] == mode for k, _ in scale)]
            lines.append(f"| {mode} param | " + " | ".join(si) + " |")
            lines.append("|" + "---|" * (len(si) + 1))
            for p in params:
                lines.append(f"| {p} | " + " | ".join(fmt(med.get((i, mode, 'step_ms', p))) for i in si) + " |")
            lines.append("")
    lines.append("\n## Runtime size (MiB: the harness binary and the shared libraries it loads)\n")
    for name, mb in lib_sizes(args.threads).items():
        lines.append(f"- {name}: {fmt(mb)}")
    lines.append("\n## Configuration of each run\n")
    for impl, cfg in configs.items():
        lines.append(f"- {impl}: `{json.dumps(cfg, sort_keys=True)}`")
    if errors:
        lines.append("\n## Errors\n")
        lines += [f"- {e}" for e in errors]
    text = "\n".join(lines) + "\n"
    print(text)
    os.makedirs(args.out, exist_ok=True)
    write_atomically(os.path.join(args.out, "results.md"), text)
    charts(args, med, impls)


def cpu_name():
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor()


def write_atomically(path, text):
    tmp = f"{path}.tmp.{os.getpid()}"
    with open(tmp, "w") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def charts(args, med, impls):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("workloads: no matplotlib (scripts/setup.sh bench installs python3-matplotlib); "
              "no charts", file=sys.stderr)
        return
    # Speed-up of braid's best over each reference, per workload metric.
    refs = [i for i in impls if not i.startswith("braid")]
    rows = [r for r in ROWS if r[1] not in ("test_acc", "b1_p99_us")]
    fig, ax = plt.subplots(figsize=(11, 5))
    width = 0.8 / max(1, len(refs))
    for j, ref in enumerate(refs):
        xs, ys = [], []
        for i, (mode, metric, higher, label) in enumerate(rows):
            b, v = best_braid(med, mode, metric, higher), med.get((ref, mode, metric, None))
            if b and v:
                xs.append(i + j * width)
                ys.append(b / v if higher else v / b)
        ax.bar(xs, ys, width, label=ref)
    ax.axhline(1.0, color="black", linewidth=0.8)
    ax.set_yscale("log")
    ax.set_xticks([i + 0.4 - width / 2 for i in range(len(rows))])
    ax.set_xticklabels([r[3] for r in rows], rotation=30, ha="right", fontsize=8)
    ax.set_ylabel("braid advantage (x; > 1: braid better)")
    ax.set_title("braid vs references, same machine, same run (medians)")
    if refs:
        ax.legend(fontsize=8)
    fig.tight_layout()
    save_png(fig, os.path.join(args.out, "results.png"))
    plt.close(fig)
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.5))
    for ax, mode, xlabel in ((axes[0], "scale-batch", "batch (hidden 128)"),
                             (axes[1], "scale-width", "hidden width (batch 64)")):
        for impl in impls:
            pts = sorted((k[3], v) for k, v in med.items()
                         if k[0] == impl and k[1] == mode and k[2] == "step_ms" and k[3] is not None)
            if pts:
                ax.plot([p for p, _ in pts], [v for _, v in pts], marker="o", label=impl)
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel(xlabel)
        ax.set_ylabel("W1 train step, ms (median)")
        if ax.get_lines():
            ax.legend(fontsize=8)
        ax.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    save_png(fig, os.path.join(args.out, "scaling.png"))
    plt.close(fig)


def save_png(fig, path):
    tmp = f"{path}.tmp.{os.getpid()}.png"
    fig.savefig(tmp, dpi=110)
    os.replace(tmp, path)


if __name__ == "__main__":
    main()
