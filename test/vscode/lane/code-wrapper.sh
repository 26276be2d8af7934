#!/bin/sh
# Executable shim given to @vscode/test-electron's runTests as vscodeExecutablePath (it spawns the path directly).
exec "${FASTBENCH_NODE:-node}" "$(dirname "$0")/code-wrapper.mjs" "$@"
