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
ctest --preset "$preset" -j 2 "$@"
