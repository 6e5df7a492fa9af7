#!/bin/sh
# bench_lpc.sh - LPC interpreter speed against Lua 5.4 on the same
# machine in the same run: each benchmark in bench/lpc/ exists as NAME.c
# (run with `neolith --run`) and NAME.lua (run with lua5.4); both must
# print the same line.  Best wall time of 5 runs each (date +%s%N, no
# hyperfine needed); prints the times and the ratio neolith/lua.  The
# goal (issue 4) is a ratio of at most 2.0.
#
# Usage: bench/bench_lpc.sh [NEOLITH] [LUA]
#   NEOLITH  default ./src/neolith;  LUA  default lua5.4 (Debian:
#   apt-get install lua5.4).  RUNS=n changes the number of runs.
# Exit status 1 when a program fails or the outputs differ.

NEOLITH=${1:-./src/neolith}
LUA=${2:-lua5.4}
RUNS=${RUNS:-5}
here=$(dirname "$0")/lpc

if [ ! -x "$NEOLITH" ]; then
    echo "bench_lpc: $NEOLITH is not built (make src/neolith)" >&2
    exit 1
fi
if ! command -v "$LUA" >/dev/null 2>&1; then
    echo "bench_lpc: $LUA not found (Debian: apt-get install lua5.4)" >&2
    exit 1
fi

now_ns() {
    date +%s%N
}

# best_of CMD...: runs the command RUNS times; prints the best time in
# microseconds; its stdout is left in $out_file.
out_file=$(mktemp "${TMPDIR:-/tmp}/bench_lpc.XXXXXX") || exit 1
trap 'rm -f "$out_file"' EXIT INT TERM
best_of() {
    best=
    i=0
    while [ "$i" -lt "$RUNS" ]; do
        t0=$(now_ns)
        "$@" >"$out_file" 2>&1 || { echo "bench_lpc: '$*' failed:" >&2; cat "$out_file" >&2; return 1; }
        t1=$(now_ns)
        us=$(( (t1 - t0) / 1000 ))
        if [ -z "$best" ] || [ "$us" -lt "$best" ]; then
            best=$us
        fi
        i=$((i + 1))
    done
    echo "$best"
}

status=0
printf '%-12s %12s %12s %8s\n' benchmark "neolith ms" "lua ms" ratio
for lpc in "$here"/*.c; do
    name=$(basename "$lpc" .c)
    lua_file="$here/$name.lua"
    [ -f "$lua_file" ] || continue
    t_lpc=$(best_of "$NEOLITH" --run "$lpc") || { status=1; continue; }
    out_lpc=$(cat "$out_file")
    t_lua=$(best_of "$LUA" "$lua_file") || { status=1; continue; }
    out_lua=$(cat "$out_file")
    if [ "$out_lpc" != "$out_lua" ]; then
        echo "bench_lpc: $name: outputs differ: '$out_lpc' vs '$out_lua'" >&2
        status=1
    fi
    ratio=$(awk -v a="$t_lpc" -v b="$t_lua" 'BEGIN { printf "%.2f", a / b }')
    awk -v n="$name" -v a="$t_lpc" -v b="$t_lua" -v r="$ratio" \
        'BEGIN { printf "%-12s %12.1f %12.1f %8s\n", n, a / 1000, b / 1000, r }'
done
exit $status
