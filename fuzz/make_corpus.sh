#!/usr/bin/env bash
# Regenerates the committed seed corpus (fuzz/corpus/<target>/) with braid's
# own writers (fuzz/make_corpus.cpp), built in the fuzz preset. Each folder it
# writes is emptied first; a target whose layer is not built keeps its seeds.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake --preset fuzz >/dev/null
cmake --build build/fuzz -j "${JOBS:-2}" --target fuzz_make_corpus
ASAN_OPTIONS=detect_leaks=0 build/fuzz/fuzz/fuzz_make_corpus fuzz/corpus
find fuzz/corpus -type f -size +4k -printf 'warning: %p is over 4 KB\n'
