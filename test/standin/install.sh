#!/usr/bin/env bash
# Tools for the stand-in lane, outside the extension's own dependencies (idempotent):
# - a PowerShell parser (tree-sitter-powershell's WebAssembly grammar run by web-tree-sitter), because no
#   pwsh can be installed here: the lane checks the syntax of ps/*.ps1 with it.
# - util-linux (fincore) and coreutils (dd iflag=nocache), used by `fastbench cache clear` on Linux.
set -euo pipefail
cd "$(dirname "$0")/../.."
dest=.test-tools/ps-syntax
if [ ! -f "$dest/node_modules/tree-sitter-powershell/tree-sitter-powershell.wasm" ] || [ ! -d "$dest/node_modules/web-tree-sitter" ]; then
  mkdir -p "$dest"
  [ -f "$dest/package.json" ] || echo '{"name":"ps-syntax","private":true}' > "$dest/package.json"
  npm install --prefix "$dest" --no-audit --no-fund --ignore-scripts --no-save web-tree-sitter@0.25.10 tree-sitter-powershell@0.26.4 >/dev/null
fi
if ! command -v fincore >/dev/null || ! dd --version >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq --no-install-recommends util-linux coreutils >/dev/null
fi
echo "stand-in lane tools ready"
