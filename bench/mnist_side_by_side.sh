#!/usr/bin/env bash
# The MNIST recipes in braid (examples/mnist_tour) and PyTorch 1.13
# (bench/mnist_torch.py) one after the other on the same machine, same data,
# same threads. Prints both reports' accuracy, training time and inference
# lines, then the braid/torch ratios.
#   bench/mnist_side_by_side.sh [threads]     (build first: make build)
set -euo pipefail
cd "$(dirname "$0")/.."
threads=${1:-$(nproc)}
scripts/fetch_mnist.sh >/dev/null
braid_out=$(./build/release/examples/mnist_tour --threads "$threads" | tee >(cat >&2))
torch_out=$(/usr/bin/python3 bench/mnist_torch.py --threads "$threads" | tee >(cat >&2))
/usr/bin/python3 - "$braid_out" "$torch_out" <<'PY'
import re, sys
braid, torch = sys.argv[1], sys.argv[2]
def grab(pat, text):
    m = re.search(pat, text)
    return float(m.group(1)) if m else float("nan")
print("\nside by side (braid / torch; time ratios < 1 mean braid is faster)")
for net in ("MLP", "CNN"):
    b_acc = grab(rf"{net}\s+Sequential \+ fit\(\)\s+\d+\s+([\d.]+)%", braid)
    b_train = grab(rf"{net}\s+Sequential \+ fit\(\)\s+\d+\s+[\d.]+%\s+([\d.]+)s", braid)
    b_lat = grab(rf"{net}: latency at batch 1 ([\d.]+) ms", braid)
    b_thr = grab(rf"{net}: latency at batch 1 [\d.]+ ms, throughput at batch 256 (\d+)", braid)
    t_acc = grab(rf"torch {net}: test accuracy ([\d.]+)", torch)
    t_train = grab(rf"torch {net}: .* train ([\d.]+) s", torch)
    t_lat = grab(rf"torch {net}: .* latency b=1 ([\d.]+) ms", torch)
    t_thr = grab(rf"torch {net}: .* throughput b=256 (\d+)", torch)
    print(f"{net}: accuracy {b_acc:.2f}% vs {t_acc:.2f}%; train time {b_train:.1f}s vs "
          f"{t_train:.1f}s ({b_train / t_train:.2f}x); latency b=1 {b_lat:.3f} vs {t_lat:.3f} ms "
          f"({b_lat / t_lat:.2f}x); throughput b=256 {b_thr:.0f} vs {t_thr:.0f} img/s "
          f"({b_thr / t_thr:.2f}x)")
PY
