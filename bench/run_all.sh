#!/usr/bin/env bash
# Runs every side-by-side comparison (`make bench`). PyTorch runs on the
# OpenMP OpenBLAS with the Skylake-X kernels, as braid's figures are quoted against.
set -euo pipefail
cd "$(dirname "$0")/.."
export OPENBLAS_CORETYPE=SkylakeX
if [[ -e /usr/lib/x86_64-linux-gnu/openblas-openmp/libblas.so.3 ]]; then
  export LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
fi
/usr/bin/python3 bench/compare_ops.py "$@"
