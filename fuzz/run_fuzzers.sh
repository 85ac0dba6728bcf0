#!/usr/bin/env bash
# Runs each built libFuzzer target for a bounded time on a copy of its seed
# corpus and prints, per target, the executions and whether it crashed. Exits
# non-zero when any target found a crash (or a leak, UB, a timeout, an
# out-of-memory). `make fuzz` builds the targets first.
#   FUZZ_SECONDS=60   seconds per target
#   FUZZ_TARGETS="fuzz_idx ..."  a subset (default: every target built)
#   FUZZ_FRESH=1      start from the committed seeds again (default: keep
#                     growing build/fuzz/corpus, the copy, across runs)
# Crash inputs land in build/fuzz/artifacts/<target>/, logs in build/fuzz/logs/.
set -uo pipefail
cd "$(dirname "$0")/.."
build=build/fuzz
seconds=${FUZZ_SECONDS:-60}
# Long enough for every seed plus room to grow, short enough to stay fast.
declare -A max_len=([fuzz_safetensors]=4096 [fuzz_idx]=4096 [fuzz_graph_json]=8192
                    [fuzz_model_file]=16384 [fuzz_onnx]=16384)
targets=${FUZZ_TARGETS:-fuzz_safetensors fuzz_idx fuzz_graph_json fuzz_model_file fuzz_onnx}
failed=0
printf '%-18s %12s %8s  %s\n' target executions crashed log
for t in $targets; do
  bin=$build/fuzz/$t
  if [[ ! -x $bin ]]; then
    printf '%-18s %12s %8s  %s\n' "$t" - - "not built (its layer is missing)"
    continue
  fi
  work=$build/corpus/$t
  [[ ${FUZZ_FRESH:-0} == 1 ]] && rm -rf "$work"
  mkdir -p "$work" "$build/artifacts/$t" "$build/logs"
  cp -n fuzz/corpus/"$t"/* "$work"/ 2>/dev/null
  log=$build/logs/$t.log
  dict=()
  [[ -f fuzz/dict/$t.dict ]] && dict=(-dict="fuzz/dict/$t.dict")
  # -rss_limit_mb also caps single allocations (malloc_limit_mb defaults to
  # it): a header that makes the reader allocate gigabytes is a finding.
  ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=0 \
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    "$bin" "$work" -max_total_time="$seconds" -max_len="${max_len[$t]:-4096}" \
      -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 "${dict[@]}" \
      -artifact_prefix="$build/artifacts/$t/" >"$log" 2>&1
  rc=$?
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
  crashed=no
  if ((rc != 0)); then
    crashed=YES
    failed=1
  fi
  printf '%-18s %12s %8s  %s\n' "$t" "${execs:-?}" "$crashed" "$log"
  if ((rc != 0)); then
    grep -m1 -E 'ERROR: |runtime error:|uncaught exception|out-of-memory' "$log" |
      sed 's/^/    /'
    grep -m1 'Test unit written' "$log" | sed 's/^/    /'
  fi
done
exit $failed
