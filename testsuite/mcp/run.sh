#!/bin/sh
# testsuite/mcp/run.sh - the MCP end-to-end tests, for `make check`.
#
# Drives the real driver (testsuite/neolith_mcp_test: the driver around a
# test provider; src/neolith: the shipped binary) with the official MCP
# TypeScript SDK clients pinned in package.json / package-lock.json:
#   raw.mjs     plain child_process pipes: malformed lines, ids, huge and
#               split lines, every error code, 2026-07-28, exit paths
#   sdk_v1.mjs  @modelcontextprotocol/sdk (v1) Client + StdioClientTransport
#   sdk_v2.mjs  @modelcontextprotocol/client (v2), legacy and 2026-07-28
#   mudlib.mjs  src/neolith on a copy of the bundled mudlib (SDK v1): the
#               master's tools and resources, the agent, the sandbox
#
# Needs node >= 20 and npm.  node_modules is installed with `npm ci` when
# missing.  Without node (or when npm ci fails) the test FAILS: it never
# passes silently.  Building the driver never needs node.
#
# NEOLITH_MCP_WINE=<a Windows cross build> (run_wine.sh) runs the same
# scripts against that build's .exe files under wine; the few cases that
# cannot work there print SKIP with the reason and are not counted.
#
# The last line is the total in Check's format, which CI adds up:
#   NN%: Checks: N, Failures: F, Errors: E
set -u
case "$0" in */*) here=${0%/*} ;; *) here=. ;; esac
here=$(cd "$here" && pwd)
if [ -n "${NEOLITH_MCP_WINE:-}" ]; then
  build=$(cd "$NEOLITH_MCP_WINE" 2>/dev/null && pwd) || build=$NEOLITH_MCP_WINE
  NEOLITH_MCP_WINE=$build
  export NEOLITH_MCP_WINE
  exe=.exe
else
  build=${NEOLITH_BUILD_DIR:-$(pwd)}
  exe=
fi

fail() {
  echo "mcp/run.sh: $*" >&2
  echo "0%: Checks: 1, Failures: 0, Errors: 1"
  exit 1
}

command -v node >/dev/null 2>&1 ||
  fail "node not found: the MCP client tests need node >= 20 and npm (Debian: apt-get install nodejs npm)"
major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
[ "$major" -ge 20 ] 2>/dev/null || fail "node $(node --version 2>/dev/null) is too old: node >= 20 is needed"
if [ -n "$exe" ]; then
  command -v wine >/dev/null 2>&1 || fail "wine not found: NEOLITH_MCP_WINE runs the Windows build under wine"
fi
for bin in testsuite/neolith_mcp_test$exe src/neolith$exe; do
  [ -f "$build/$bin" ] || fail "$build/$bin is missing (run from the build directory, or set NEOLITH_BUILD_DIR or NEOLITH_MCP_WINE; make check builds testsuite/neolith_mcp_test)"
done
if [ ! -d "$here/node_modules/@modelcontextprotocol/sdk" ] ||
   [ ! -d "$here/node_modules/@modelcontextprotocol/client" ]; then
  command -v npm >/dev/null 2>&1 || fail "npm not found: it installs the pinned MCP SDK clients (npm ci)"
  echo "mcp/run.sh: installing the pinned MCP SDK clients (npm ci) in $here"
  (cd "$here" && npm ci --no-audit --no-fund) || fail "npm ci failed in $here"
fi

checks=0
failures=0
errors=0
skipped=0
for script in raw sdk_v1 sdk_v2 mudlib; do
  echo "==== $script.mjs"
  out=$(cd "$build" && NEOLITH_BUILD_DIR="$build" node "$here/$script.mjs" 2>&1)
  rc=$?
  printf '%s\n' "$out"
  skipped=$((skipped + $(printf '%s\n' "$out" | grep -c '^SKIP ')))
  line=$(printf '%s\n' "$out" | grep -E '^[a-z0-9-]+: [0-9]+%: Checks: [0-9]+, Failures: [0-9]+, Errors: [0-9]+' | tail -n 1)
  if [ -z "$line" ]; then
    echo "mcp/run.sh: $script.mjs ended (status $rc) without its summary: counted as an error"
    checks=$((checks + 1))
    errors=$((errors + 1))
    continue
  fi
  c=$(echo "$line" | sed -E 's/.*Checks: ([0-9]+).*/\1/')
  f=$(echo "$line" | sed -E 's/.*Failures: ([0-9]+).*/\1/')
  e=$(echo "$line" | sed -E 's/.*Errors: ([0-9]+).*/\1/')
  checks=$((checks + c))
  failures=$((failures + f))
  errors=$((errors + e))
  if [ "$rc" -ne 0 ] && [ $((f + e)) -eq 0 ]; then
    echo "mcp/run.sh: $script.mjs exited with status $rc: counted as an error"
    errors=$((errors + 1))
  fi
done

if [ "$skipped" -gt 0 ]; then
  echo "mcp/run.sh: $skipped cases not run under wine (the SKIP lines above say why); not counted"
fi
if [ "$checks" -gt 0 ]; then
  pct=$(( (checks - failures - errors) * 100 / checks ))
else
  pct=0
fi
echo "$pct%: Checks: $checks, Failures: $failures, Errors: $errors"
[ "$checks" -gt 0 ] && [ $((failures + errors)) -eq 0 ]
