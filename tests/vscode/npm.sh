#!/usr/bin/env bash
# Runs one npm script of vscode-extension/ for CTest (vscode_unit: `test`,
# vscode_vsix: `test:vsix`). Exits 77 (CTest: skipped) with the reason when
# npm or vscode-extension/node_modules is missing.
set -euo pipefail
ext="$(cd "$(dirname "$0")/../../vscode-extension" && pwd)"
if ! command -v npm >/dev/null 2>&1; then
  echo "SKIPPED: npm not found; bash setup.sh --deps installs Node.js and the extension's packages"
  exit 77
fi
if [ ! -d "$ext/node_modules" ]; then
  echo "SKIPPED: $ext/node_modules is missing; run 'bash setup.sh --deps' (npm ci in vscode-extension/)"
  exit 77
fi
cd "$ext"
exec npm run --silent "$1"
