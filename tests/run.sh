#!/usr/bin/env bash
# Builds and runs the whole test suite with a CMake preset (default: dev).
#   bash tests/run.sh            dev build
#   bash tests/run.sh asan       AddressSanitizer + UndefinedBehaviorSanitizer
#   bash tests/run.sh dev -L unit   extra arguments go to ctest
set -euo pipefail
cd "$(dirname "$0")/.."
preset="${1:-dev}"
[ $# -gt 0 ] && shift
cmake --preset "$preset" >/dev/null
cmake --build --preset "$preset" -j "$(nproc)"
# The 3.11 instrumentation cache on disk goes to a directory of this run,
# never the user's ~/.cache (every test tier inherits it).
XDG_CACHE_HOME="$(mktemp -d "${TMPDIR:-/tmp}/dapper-test-cache.XXXXXX")"
export XDG_CACHE_HOME
trap 'rm -rf "$XDG_CACHE_HOME"' EXIT
ctest --preset "$preset" -j 2 "$@"
