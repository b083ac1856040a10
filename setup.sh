#!/usr/bin/env bash
# Installs what is missing (Debian packages, the npm packages of
# tests/dap-client and vscode-extension/), builds dapper-adapter and its
# runtime for every Python found, then runs the main job:
#   bash setup.sh            a demo DAP session against docs/examples/demo.py
#   bash setup.sh --serve    the adapter on 127.0.0.1:5678 (Ctrl-C stops it)
#   bash setup.sh --deps     only install the packages
set -euo pipefail
cd "$(dirname "$0")"

packages=(build-essential cmake pkg-config libuv1-dev libcjson-dev libcmocka-dev
          python3 python3-dev clang libclang-rt-14-dev gdb strace
          # the real programs the tests debug (Debian's Python only) and the
          # debugger they are compared with
          python3-pytest python3-django python3-numpy python3-scipy python3-pandas
          python3-debugpy)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Node.js and npm for tests/dap-client and vscode-extension/: the machine's
# own when it has one (NodeSource's nodejs has npm built in), else Debian's.
command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi
# npm packages, as locked: the DebugClient tests (tests/dap-client) and the
# VS Code extension (vscode-extension/).
for dir in tests/dap-client vscode-extension; do
  if [ ! -d "$dir/node_modules" ]; then
    echo "setup: npm ci in $dir"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
  fi
done
[ "${1:-}" = "--deps" ] && exit 0

cmake --preset dev >/dev/null
cmake --build --preset dev -j "$(nproc)"

adapter=build/dev/adapter/dapper-adapter
case "${1:-}" in
  --serve)
    echo "setup: dapper-adapter on 127.0.0.1:5678 (see README for VS Code and nvim-dap)"
    exec "$adapter" --port 5678
    ;;
  "")
    exec /usr/bin/python3 tests/integration/demo.py --adapter "$adapter" docs/examples/demo.py
    ;;
  *)
    echo "setup: unknown option $1 (use --serve or --deps)" >&2
    exit 2
    ;;
esac
