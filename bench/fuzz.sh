#!/usr/bin/env bash
# Builds the libFuzzer targets (CMake preset `fuzz`: clang, ASan + UBSan,
# build/fuzz) and runs each for N seconds (default 60) on its seed corpus,
# printing libFuzzer's final stats: executions, execs/s, coverage.
#   bash bench/fuzz.sh          60 s per target
#   bash bench/fuzz.sh 30       30 s per target (CI smoke)
#   bash bench/fuzz.sh 60 fuzz_wire   one target
# The seed corpus (tests/fuzz/corpus/<name>/) is read only; new inputs go to
# build/fuzz/corpus/<name>/ (kept between runs). A crash stops the script
# with a non-zero status; the input is saved as build/fuzz/artifacts/<name>/
# crash-* — add it to the seed corpus with the fix.
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-60}"
[ $# -gt 0 ] && shift
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(fuzz_dap fuzz_wire)

cmake --preset fuzz >/dev/null
cmake --build --preset fuzz -j "$(nproc)"

bin=build/fuzz/tests/fuzz
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:${ASAN_OPTIONS:-}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:${UBSAN_OPTIONS:-}"
status=0
for t in "${targets[@]}"; do
  name="${t#fuzz_}"
  seeds="tests/fuzz/corpus/$name"
  work="build/fuzz/corpus/$name"
  art="build/fuzz/artifacts/$name"
  log="build/fuzz/$t.log"
  mkdir -p "$work" "$art"
  echo "== $t: ${secs} s, seeds $seeds"
  rc=0
  "$bin/$t" -max_total_time="$secs" -print_final_stats=1 -timeout=10 -rss_limit_mb=2048 \
    -max_len=65536 -artifact_prefix="$art/" "$work" "$seeds" >"$log" 2>&1 || rc=$?
  # The last status line (execs, cov, ft, corpus) and the final stats.
  grep -E '^#[0-9]+' "$log" | tail -1 || true
  grep -E '^stat::(number_of_executed_units|average_exec_per_sec|new_units_added|peak_rss_mb)' "$log" || true
  if [ "$rc" -ne 0 ]; then
    echo "!! $t failed (exit $rc); log: $log"
    grep -E 'ERROR|SUMMARY|runtime error|Test unit written' "$log" | head -20 || true
    status=1
  fi
done
exit "$status"
