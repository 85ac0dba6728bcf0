#!/usr/bin/env bash
# Puts ONNX Runtime for Node (npm onnxruntime-node, pinned) in
# <repo>/.cache/node, where tests/onnx/ort_run.js finds it: the ONNX export
# tests run every exported model in it. --ignore-scripts: the package ships
# its CPU library (bin/napi-v3/linux/x64/libonnxruntime.so.1) and its install
# script only downloads GPU extras. npm checks the tarball against the
# registry's hash. Does nothing when the pinned version is already there.
set -euo pipefail
version=1.20.1
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
dest=$repo/.cache/node
pkg=$dest/node_modules/onnxruntime-node/package.json
if [[ -f $pkg ]] && grep -q "\"version\": \"$version\"" "$pkg"; then
  echo "fetch_onnxruntime: onnxruntime-node@$version is already in $dest"
  exit 0
fi
command -v npm >/dev/null || { echo "fetch_onnxruntime: needs npm (scripts/setup.sh demo installs it)" >&2; exit 1; }
mkdir -p "$dest"
echo "fetch_onnxruntime: installing onnxruntime-node@$version from the npm registry (about 60 MB)"
npm install --prefix "$dest" --ignore-scripts --no-audit --no-fund --silent "onnxruntime-node@$version"
echo "fetch_onnxruntime: ONNX Runtime for Node is in $dest"
