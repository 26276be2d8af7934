@echo off
rem `fastbench` in VS Code's terminals: the FastBench extension puts this folder first on their PATH and names its
rem VS Code's own runtime in FASTBENCH_NODE (Code.exe, which runs as plain Node with ELECTRON_RUN_AS_NODE=1).
setlocal
if not defined FASTBENCH_NODE (
  echo fastbench: FASTBENCH_NODE is not set; open a new terminal in VS Code with the FastBench extension active 1>&2
  exit /b 2
)
set ELECTRON_RUN_AS_NODE=1
"%FASTBENCH_NODE%" "%~dp0..\dist\cli.js" %*
exit /b %ERRORLEVEL%
