#!/usr/bin/env bash
# Debian packages the x11 lane (and the stand-in demo) need: Xvfb (the X server), xdotool (independent input),
# xev (the oracle: x11-utils), libXRes (which process owns a window), libXtst (XTest/XRecord).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../aptEnsure.sh"
apt_ensure "x11-lane install" xvfb xdotool x11-utils xterm libxres1 libxtst6
