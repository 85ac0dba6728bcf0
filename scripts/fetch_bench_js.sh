#!/usr/bin/env bash
# Puts TensorFlow.js (npm @tensorflow/tfjs and its WebAssembly backend, pinned)
# in <repo>/.cache/bench-node, where bench/workloads/tfjs_workloads.js finds
# it. Not @tensorflow/tfjs-node: it downloads a native TensorFlow at install
# time; these two are plain JavaScript plus .wasm files, so --ignore-scripts
# installs them completely and they run offline. ONNX Runtime for the
# onnxruntime harness comes from scripts/fetch_onnxruntime.sh (.cache/node).
# npm checks each tarball against the registry's hash. Does nothing when the
# pinned versions are already there.
set -euo pipefail
version=4.22.0  # @tensorflow/tfjs and @tensorflow/tfjs-backend-wasm release together
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
dest=$repo/.cache/bench-node
have() {  # have PACKAGE: the pinned version of PACKAGE is installed in $dest
  local pkg=$dest/node_modules/$1/package.json
  [[ -f $pkg ]] && grep -q "\"version\": \"$version\"" "$pkg"
}
if have @tensorflow/tfjs && have @tensorflow/tfjs-backend-wasm; then
  echo "fetch_bench_js: @tensorflow/tfjs@$version and tfjs-backend-wasm@$version are already in $dest"
  exit 0
fi
command -v npm >/dev/null || { echo "fetch_bench_js: needs npm (scripts/setup.sh bench installs it)" >&2; exit 1; }
mkdir -p "$dest"
echo "fetch_bench_js: installing @tensorflow/tfjs@$version and @tensorflow/tfjs-backend-wasm@$version from the npm registry"
npm install --prefix "$dest" --ignore-scripts --no-audit --no-fund --silent \
  "@tensorflow/tfjs@$version" "@tensorflow/tfjs-backend-wasm@$version"
echo "fetch_bench_js: TensorFlow.js is in $dest"
