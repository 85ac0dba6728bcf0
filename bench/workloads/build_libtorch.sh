#!/usr/bin/env bash
# Configures and builds the libtorch harness (bench/workloads/libtorch/) into
# <repo>/build/libtorch (Release, -O3) against Debian's libtorch-dev
# (scripts/setup.sh bench installs it). Does nothing when up to date: the
# configure step runs only once, and the build step is make's no-op.
# Run it as build/libtorch/libtorch_workloads <mode>; the program re-executes
# itself with the OpenMP OpenBLAS environment (Note [reference at its best]).
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
src=$repo/bench/workloads/libtorch
out=$repo/build/libtorch
if [[ ! -f $out/CMakeCache.txt ]]; then
  gen=(); command -v ninja >/dev/null && gen=(-G Ninja)
  cmake -S "$src" -B "$out" "${gen[@]}" -DCMAKE_BUILD_TYPE=Release >&2
fi
cmake --build "$out" -j "${JOBS:-2}" >&2
