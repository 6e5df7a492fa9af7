#!/bin/sh
# testsuite/mcp/run_wine.sh CROSS_BUILD - the MCP end-to-end tests (run.sh)
# against a Windows cross build under wine: CROSS_BUILD/src/neolith.exe and
# CROSS_BUILD/testsuite/neolith_mcp_test.exe, each started as
# `wine <exe> ...` (see driverCommand in lib.mjs).  Uses the caller's
# WINEPREFIX (CI creates it with `wineboot -i` first).
#
# Like run.sh it ends with ONE total line in Check's format, which CI's
# count_results adds up:
#   NN%: Checks: N, Failures: F, Errors: E
set -u
case "$0" in */*) here=${0%/*} ;; *) here=. ;; esac
if [ $# -ne 1 ] || [ ! -d "$1" ]; then
  echo "usage: $0 CROSS_BUILD_DIR (a build configured with --host=x86_64-w64-mingw32)" >&2
  echo "0%: Checks: 1, Failures: 0, Errors: 1"
  exit 1
fi
WINEDEBUG=-all
NEOLITH_MCP_WINE=$1
export WINEDEBUG NEOLITH_MCP_WINE
exec "$here/run.sh"
