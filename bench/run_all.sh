#!/usr/bin/env bash
# Runs every side-by-side comparison (`make bench`). PyTorch runs on Debian's
# OpenMP OpenBLAS (libblas.so.3 alternative). OPENBLAS_CORETYPE is left to
# OpenBLAS: forcing SkylakeX crashes (SIGILL) on CPUs without AVX-512.
set -euo pipefail
cd "$(dirname "$0")/.."
/usr/bin/python3 bench/compare_ops.py "$@"
/usr/bin/python3 bench/gemm_torch.py --braid build/release/bench/braid_bench
/usr/bin/python3 bench/loss_torch.py --build build/release
/usr/bin/python3 bench/conv_torch.py --braid build/release/bench/braid_bench
/usr/bin/python3 bench/norm_torch.py
/usr/bin/python3 bench/pool_torch.py
/usr/bin/python3 bench/optim_torch.py
