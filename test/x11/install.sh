#!/usr/bin/env bash
# Debian packages the x11 lane needs: Xvfb (the X server), xdotool (independent input), xev (the oracle:
# x11-utils), libXRes (which process owns a window). Idempotent; needs root only when something is missing.
set -euo pipefail
pkgs=(xvfb xdotool x11-utils libxres1 libxtst6)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  echo "[x11-lane install] Debian packages present (${pkgs[*]})"
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "[x11-lane install] missing Debian packages: ${missing[*]} (run as root, or apt-get install them)" >&2
  exit 1
fi
t0=$SECONDS
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "[x11-lane install] installed ${missing[*]} in $((SECONDS - t0)) s"
