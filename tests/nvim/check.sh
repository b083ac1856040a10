#!/usr/bin/env bash
# Checks docs/neovim.md's nvim-dap configuration, as copied from the doc, in
# a headless Neovim: not part of the CTest suite (it needs Neovim and a copy
# of nvim-dap, neither of which the build installs).
#   bash tests/nvim/check.sh /path/to/nvim-dap [build-dir]
# build-dir (default build/dev) is installed into a temporary prefix whose
# bin/ is put first on PATH, as `cmake --install ... --prefix ~/.local` does.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
nvim_dap="$(cd "${1:?usage: check.sh /path/to/nvim-dap [build-dir]}" && pwd)"
build="$(cd "${2:-$repo/build/dev}" && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

cmake --install "$build" --prefix "$tmp/prefix" >/dev/null
# The doc's Lua block, exactly as a user would copy it.
awk '/^```lua$/{on=1; next} /^```$/{on=0} on' "$repo/docs/neovim.md" > "$tmp/dapper.lua"
mkdir -p "$tmp/ws/pkg"
printf 'x = 40\ny = x + 2\nprint("y is", y)\n' > "$tmp/ws/prog.py"
printf '' > "$tmp/ws/pkg/__init__.py"
printf 'import sys\n\n\ndef main(argv):\n    total = len(argv)\n    print("args", argv)\n    return total\n\n\nsys.exit(main(sys.argv[1:]))\n' > "$tmp/ws/pkg/tool.py"

nvim --version | head -1
git -C "$nvim_dap" describe --tags 2>/dev/null || true
cd "$tmp/ws"
PATH="$tmp/prefix/bin:$PATH" DAPPER_DOC="$tmp/dapper.lua" \
  timeout 90 nvim --headless -u NONE -i NONE -n --cmd "set rtp^=$nvim_dap" \
  -c "luafile $here/check.lua"
