#!/usr/bin/env bash
# Tools for the stand-in lane, outside the extension's own dependencies (idempotent):
# - a PowerShell parser (tree-sitter-powershell's WebAssembly grammar run by web-tree-sitter), because no
#   pwsh can be installed here: the lane checks the syntax of ps/*.ps1 with it.
# - Debian packages: below.
set -euo pipefail
cd "$(dirname "$0")/../.."
dest=.test-tools/ps-syntax
if [ ! -f "$dest/node_modules/tree-sitter-powershell/tree-sitter-powershell.wasm" ] || [ ! -d "$dest/node_modules/web-tree-sitter" ]; then
  mkdir -p "$dest"
  [ -f "$dest/package.json" ] || echo '{"name":"ps-syntax","private":true}' > "$dest/package.json"
  npm install --prefix "$dest" --no-audit --no-fund --ignore-scripts --no-save web-tree-sitter@0.25.10 tree-sitter-powershell@0.26.4 >/dev/null
fi
# util-linux (fincore) and coreutils (dd iflag=nocache): `fastbench cache clear` on Linux. fuse3 (libfuse3 and
# fusermount3): fastcache's FUSE mount. sshfs + openssh-server (+ openssh-client for ssh-keygen): the NAS
# stand-in, sshfs to a private sshd on loopback.
source "$(dirname "${BASH_SOURCE[0]}")/../aptEnsure.sh"
apt_ensure "stand-in lane install" util-linux coreutils fuse3 sshfs openssh-server openssh-client
echo "stand-in lane tools ready"
