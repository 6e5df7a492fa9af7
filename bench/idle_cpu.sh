#!/usr/bin/env bash
# idle_cpu.sh - how much CPU an idle driver uses (issue 3: "an idle driver
# uses no CPU").
#
# Starts testsuite/neolith_echo on a temporary config, opens N idle telnet
# connections (bash /dev/tcp), lets the welcomes go out, then samples
# /proc/PID/stat (utime + stime, in clock ticks) and /proc/PID/status
# (voluntary + involuntary context switches of the main thread = times the
# driver's loop woke up) over SECONDS.
# A driver with a fixed tick, a busy loop or a timer thread shows up as
# ticks and wake-ups; ours should show 0 and 0 (no timer is scheduled by
# the echo application, so the loop sleeps in epoll_wait without a
# timeout).
#
# Usage: bench/idle_cpu.sh [BUILD_DIR] [CONNECTIONS] [SECONDS]
#   BUILD_DIR defaults to the current directory (the top of the build).
# Prints one line of results; exits non-zero if the driver did not start.
# A measurement, not a test: nothing here asserts a threshold.
set -euo pipefail

build=${1:-.}
conns=${2:-100}
seconds=${3:-10}
bin="$build/testsuite/neolith_echo"
[ -x "$bin" ] || { echo "idle_cpu: $bin not built (make testsuite/neolith_echo)" >&2; exit 1; }

work=$(mktemp -d /tmp/neolith-idle-XXXXXX)
pid=
cleanup() {
    [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
mkdir "$work/mudlib"

# A port: try a few random ones until the driver says it listens.
started=
for attempt in 1 2 3 4 5; do
    port=$((20000 + RANDOM % 30000))
    cat > "$work/neolith.conf" <<EOF
mudlib directory: mudlib
port: $port
bind address: 127.0.0.1
log directory: log
max connections: $((conns + 16))
EOF
    : > "$work/stderr"
    "$bin" -f "$work/neolith.conf" 2> "$work/stderr" &
    pid=$!
    # Start-up wait: the driver's own "listening" line, polled (a script
    # waiting for a process to start, not a synchronisation in a test).
    for _ in $(seq 100); do
        if grep -q "listening on port $port" "$work/stderr"; then started=1; break; fi
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    [ -n "$started" ] && break
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    pid=
done
[ -n "$started" ] || { echo "idle_cpu: the driver did not start:" >&2; cat "$work/stderr" >&2; exit 1; }

ulimit -n $((conns + 64)) 2>/dev/null || true
fds=()
for _ in $(seq "$conns"); do
    exec {fd}<>"/dev/tcp/127.0.0.1/$port"
    fds+=("$fd")
done
# Every connection is announced in the log; wait for the last one, then a
# moment for the welcomes to be flushed.
for _ in $(seq 100); do
    grep -q "($conns connections)" "$work/stderr" && break
    sleep 0.1
done
sleep 1

ticks() {   # utime + stime: fields 14 and 15, counted after the ")" of comm
    local stat rest
    stat=$(cat "/proc/$pid/stat")
    rest=${stat##*) }
    set -- $rest
    echo $(( ${12} + ${13} ))
}
wakeups() {
    awk '/^voluntary_ctxt_switches/ { v = $2 } /^nonvoluntary_ctxt_switches/ { n = $2 }
         END { print v + n }' "/proc/$pid/status"
}

t0=$(ticks); w0=$(wakeups); s0=$(date +%s.%N)
sleep "$seconds"
t1=$(ticks); w1=$(wakeups); s1=$(date +%s.%N)

hz=$(getconf CLK_TCK)
open=$(ls "/proc/$pid/fd" | wc -l)
awk -v dt=$((t1 - t0)) -v hz="$hz" -v w=$((w1 - w0)) -v s0="$s0" -v s1="$s1" \
    -v n="$conns" -v fds="$open" 'BEGIN {
    printf "idle_cpu: %d idle connections, %.1f s: CPU %d ticks (%.0f ms, %.3f%% of one core), %d wake-ups; driver holds %d fds\n",
           n, s1 - s0, dt, dt * 1000 / hz, dt * 100 / hz / (s1 - s0), w, fds
}'

for fd in "${fds[@]}"; do exec {fd}>&-; done
