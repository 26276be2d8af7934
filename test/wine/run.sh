#!/usr/bin/env bash
# The wine lane: the real Win32 driver (dist/driver.js, koffi -> user32) against real Win32 windows, under Wine.
#   bash test/wine/run.sh            build, then run test/wine/*.test.ts INSIDE Wine with Windows node.exe
#   bash test/wine/run.sh --bench    build, then run test/wine/bench.ts (prints latency/accuracy figures)
#   bash test/wine/run.sh campaign   only the test files whose name contains "campaign" (one word, no leading -)
#   extra arguments after the mode/filter are passed to node (e.g. --test-name-pattern=notepad)
#   FASTBENCH_WINE_SCREENSHOT=DIR    debug: tests that drop NAME.req in it get the X screen saved as DIR/NAME.png
# Wine cannot pipe a Linux process's stdio into a Windows node.exe, so the test runner and the driver it spawns are
# both Windows processes; X input for the capture tests comes from test/wine/xhelper.mjs (Linux node + xdotool),
# reached over loopback TCP. Starts its own Xvfb on a free display; always stops Xvfb, the helper and this prefix's
# wineserver. Exit code: the tests' (0 = all passed); 2 = the lane could not start.
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
tools="${FASTBENCH_WINE_TOOLS:-$repo/.test-tools/wine}"
mode=test
filter=""
if [ "${1:-}" = "--bench" ]; then mode=bench; shift; fi
if [ "$mode" = test ] && [ -n "${1:-}" ] && [ "${1#-}" = "$1" ]; then filter="$1"; shift; fi
t_start=$(date +%s.%N)
since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }
log() { echo "[wine lane] $*"; }
die() { echo "[wine lane] $*" >&2; exit 2; }

bash "$here/install.sh" | sed 's/^/  /' || die "install failed"

# ---------------------------------------------------------------- build (Linux side)
tb=$(date +%s.%N)
out="$repo/dist/test/wine"
mkdir -p "$out"
(cd "$repo" && node esbuild.mjs --only=driver,standin,agent,cli >/dev/null) || die "driver/stand-in/agent/CLI bundle failed"
tests=()
for f in "$here"/*.test.ts; do tests+=("$f"); done
(cd "$repo" && node_modules/.bin/esbuild "${tests[@]}" "$here/bench.ts" --bundle --platform=node --format=cjs \
  --target=node20 --sourcemap --external:koffi --log-level=warning --outdir="$out") || die "test bundle failed"
x86_64-w64-mingw32-gcc -O2 -Wall -municode -mwindows "$here/target.c" -o "$out/target.exe" -luser32 -lgdi32 -ladvapi32 ||
  die "mingw build of target.c failed"
log "build (driver, stand-in and agent bundles, tests, target.exe): $(since "$tb") s"

# ---------------------------------------------------------------- X server, helper, Wine
work="$(mktemp -d /tmp/fastbench-wine.XXXXXX)"
export WINEPREFIX="$tools/prefix" WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml=" NODE_SKIP_PLATFORM_CHECK=1
xvfb_pid="" helper_pid="" shots_pid=""
cleanup() {
  [ -n "$shots_pid" ] && kill "$shots_pid" 2>/dev/null && wait "$shots_pid" 2>/dev/null
  [ -n "$helper_pid" ] && kill "$helper_pid" 2>/dev/null
  wineserver -k 2>/dev/null
  wineserver -w 2>/dev/null
  [ -n "$xvfb_pid" ] && kill "$xvfb_pid" 2>/dev/null && wait "$xvfb_pid" 2>/dev/null
  [ -z "${FASTBENCH_WINE_KEEP:-}" ] && rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

display=""
for n in $(seq 91 160); do
  if [ ! -e "/tmp/.X11-unix/X$n" ] && [ ! -e "/tmp/.X$n-lock" ]; then display=":$n"; break; fi
done
[ -n "$display" ] || die "no free X display number"
Xvfb "$display" -screen 0 1280x1024x24 -nolisten tcp >"$work/xvfb.log" 2>&1 &
xvfb_pid=$!
export DISPLAY="$display"
for _ in $(seq 1 100); do xdotool getdisplaygeometry >/dev/null 2>&1 && break; sleep 0.05; done
xdotool getdisplaygeometry >/dev/null 2>&1 || die "Xvfb did not start on $display ($(cat "$work/xvfb.log"))"

mkfifo "$work/helper.in"
node "$here/xhelper.mjs" <"$work/helper.in" >"$work/helper.out" 2>"$work/helper.err" &
helper_pid=$!
exec 9>"$work/helper.in" # keeps the helper's stdin open until this script ends
port=""
for _ in $(seq 1 100); do
  port="$(sed -n 's/^xhelper port \([0-9]*\)$/\1/p' "$work/helper.out")"
  [ -n "$port" ] && break
  sleep 0.05
done
[ -n "$port" ] || die "X input helper did not start: $(cat "$work/helper.err")"

winpath() { echo "Z:${1//\//\\}"; }
export FASTBENCH_WINE=1 FASTBENCH_TEST_XHELPER="$port"
export FASTBENCH_TEST_DRIVER="$repo/dist/driver.js" FASTBENCH_TEST_AGENT="$repo/dist/agent.js" FASTBENCH_TEST_TARGET="$out/target.exe" FASTBENCH_TEST_WORK="$work/work"
export NODE_PATH="$(winpath "$tools/node_modules")"
node_exe="$tools/node/node.exe"

shots="${FASTBENCH_WINE_SCREENSHOT:-}"
if [ -n "$shots" ]; then
  mkdir -p "$shots" && shots="$(cd "$shots" && pwd)"
  export FASTBENCH_TEST_SCREENSHOTS="$(winpath "$shots")"
  ( while sleep 0.1; do
      for req in "$shots"/*.req; do
        [ -e "$req" ] || continue
        import -display "$display" -window root "${req%.req}.png" 2>>"$work/screenshots.err"
        rm -f "$req"
      done
    done ) &
  shots_pid=$!
  log "screenshots on request into $shots"
fi

tw=$(date +%s.%N)
wine cmd /c exit 0 >/dev/null 2>&1 # starts wineserver and the desktop before the clock of the tests starts
log "Wine up on $display: $(since "$tw") s (prefix $WINEPREFIX)"

t_run=$(date +%s.%N)
if [ "$mode" = bench ]; then
  wine "$node_exe" "$(winpath "$out/bench.js")" "$@" >"$work/out.txt" 2>&1
  rc=$?
else
  files=()
  for f in "$out"/*.test.js; do
    case "$(basename "$f")" in *"$filter"*) files+=("$(winpath "$f")") ;; esac
  done
  [ ${#files[@]} -gt 0 ] || die "no test file matches \"$filter\""
  [ -n "$filter" ] && log "only ${#files[@]} test file(s) matching \"$filter\""
  wine "$node_exe" --test --test-concurrency=1 --test-reporter=spec "$@" "${files[@]}" >"$work/out.txt" 2>&1
  rc=$?
fi
# Wine writes CRLF; drop Wine's own noise about the missing 32-bit loader.
tr -d '\r' <"$work/out.txt" | grep -v -e '^wine: .*32-bit' -e 'it looks like wine32 is missing'
log "$mode run: $(since "$t_run") s; whole lane $(since "$t_start") s; exit code $rc"
exit $rc
