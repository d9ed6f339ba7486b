#!/usr/bin/env bash
# The cost of attach mode on a process that makes non-memory syscalls: its
# rate untraced, under memstrace -p and under strace -p, all in one run of
# one process, unpinned and with everything on CPU 0.
# Usage: test/bench/attach.sh [BUILD_DIR]   (default: build)
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$top/build}
memstrace=$build/memstrace
work=$(mktemp -d)
trap 'kill $prog 2>/dev/null; rm -rf "$work"' EXIT
gcc -O2 -o "$work/syscall-rate" "$top/test/bench/syscall-rate.c"

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# rate_for SECONDS: the median of the rates printed over the next SECONDS
rate_for() {
	local lines=$(( $1 * 2 ))
	sleep 0.6 # skip the half-second that straddles the change
	: > "$work/out"
	sleep "$1"
	tail -n "$lines" "$work/out" | median
}

run() { # label, taskset prefix...
	local label=$1; shift
	"$@" "$work/syscall-rate" > "$work/out" &
	prog=$!
	sleep 0.6
	local plain mem st
	plain=$(rate_for 3)
	"$@" "$memstrace" -o /dev/null -p "$prog" & local tracer=$!
	mem=$(rate_for 3)
	kill -INT $tracer; wait $tracer
	"$@" strace -qq -p "$prog" -e trace=%memory -o /dev/null & tracer=$!
	st=$(rate_for 3)
	kill -INT $tracer; wait $tracer || true
	kill $prog; wait $prog 2>/dev/null || true
	awk -v l="$label" -v p="$plain" -v m="$mem" -v s="$st" 'BEGIN {
		printf "| %s | %.0f | %.0f | %.0f | %.2fx | %.2fx | %.2f |\n", l, p, m, s, p/m, p/s, s/m }'
}

echo "| placement | untraced (syscalls/s) | memstrace -p | strace -p -e trace=%memory | slowdown memstrace | slowdown strace | memstrace/strace speed |"
echo "|---|---|---|---|---|---|---|"
run unpinned
run "taskset -c 0" taskset -c 0
