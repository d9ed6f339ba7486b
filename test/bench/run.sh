#!/usr/bin/env bash
# memstrace benchmark: whole-process wall time of two workloads, untraced and
# under memstrace / strace / strace -k, unpinned and pinned to one CPU.
#
# Usage: test/bench/run.sh
# Environment (all optional):
#   RUNS=5            runs per cell; the table shows the median
#   CHURN_N=200000    mmap/munmap pairs for churn
#   CHURN_K_N=4000    pairs for churn under strace -k (scaled to CHURN_N)
#   MODES="unpinned pinned"
#   PIN_CPU=0         CPU for the pinned mode (taskset -c PIN_CPU)
#   MEMSTRACE=...     default: <repo>/build/memstrace
#   STRACE=strace     needs --seccomp-bpf (strace >= 5.3)
#   PYTHON=...        default: the real interpreter behind python3
#   BENCH_BUILD=...   where churn is built (default: $TMPDIR/memstrace-bench)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)

RUNS=${RUNS:-5}
CHURN_N=${CHURN_N:-200000}
CHURN_K_N=${CHURN_K_N:-4000}
MODES=${MODES:-unpinned pinned}
PIN_CPU=${PIN_CPU:-0}
MEMSTRACE=${MEMSTRACE:-$repo/build/memstrace}
STRACE=${STRACE:-strace}
BENCH_BUILD=${BENCH_BUILD:-${TMPDIR:-/tmp}/memstrace-bench}
CC=${CC:-gcc}

die() { echo "run.sh: $*" >&2; exit 1; }

# --- prerequisites --------------------------------------------------------
[[ -x $MEMSTRACE ]] || die "no memstrace at $MEMSTRACE (ninja -C $repo/build)"
command -v "$STRACE" >/dev/null || die "strace not found"
command -v taskset >/dev/null || die "taskset not found"
sv=$("$STRACE" -V | head -1 | grep -oE '[0-9]+\.[0-9]+' | head -1)
[[ $(printf '%s\n5.3\n' "$sv" | sort -V | head -1) == 5.3 ]] ||
	die "strace $sv lacks --seccomp-bpf (need >= 5.3)"
# python3 may be a wrapper script (pyenv shim); time the real interpreter so
# the tracers do not also trace a shell and pyenv.
PYTHON=${PYTHON:-$(python3 -c 'import sys; print(sys.executable)')}
[[ -x $PYTHON ]] || die "no python interpreter at $PYTHON"

# --- build churn if needed ------------------------------------------------
mkdir -p "$BENCH_BUILD"
churn=$BENCH_BUILD/churn
srcs=("$here/churn.c" "$here"/churn_[abcd].c)
need=0
[[ -x $churn ]] || need=1
for f in "${srcs[@]}" "$here/churn.h"; do
	[[ $f -nt $churn ]] && need=1
done
if ((need)); then
	echo "building $churn" >&2
	# -fno-optimize-sibling-calls: no tail calls, so every frame stays.
	"$CC" -O2 -g -fno-optimize-sibling-calls -o "$churn" "${srcs[@]}"
fi

# --- timing ---------------------------------------------------------------
# timeone CMD...: wall seconds of one run; output discarded, stderr kept
# (short) on failure.  Fails if the command exits non-zero.
timeone() {
	python3 - "$@" <<'EOF'
import subprocess, sys, time
t0 = time.perf_counter()
r = subprocess.run(sys.argv[1:], stdin=subprocess.DEVNULL,
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
t = time.perf_counter() - t0
if r.returncode != 0:
    sys.stderr.write("FAILED (exit %d): %s\n%s\n" % (r.returncode,
                     " ".join(sys.argv[1:]), r.stderr.decode()[-2000:]))
    sys.exit(1)
print("%.4f" % t)
EOF
}

median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {
	if (NR % 2) print a[(NR+1)/2]; else printf "%.4f\n", (a[NR/2]+a[NR/2+1])/2 }'; }
spread() { printf '%s\n' "$@" | sort -g | awk 'NR==1{lo=$1} {hi=$1} END {
	printf "%.4f-%.4f", lo, hi }'; }

# Variants: name and the tracer prefix.
variants=(untraced memstrace strace strace-k)
prefix() {
	case $1 in
	untraced) ;;
	memstrace) printf '%s\n' "$MEMSTRACE" -o /dev/null ;;
	strace) printf '%s\n' "$STRACE" -f --seccomp-bpf -e trace=%memory -o /dev/null ;;
	strace-k) printf '%s\n' "$STRACE" -f --seccomp-bpf -e trace=%memory -k -o /dev/null ;;
	esac
}

# workload_cmd WORKLOAD VARIANT: the workload's command line (one word a line)
workload_cmd() {
	case $1 in
	churn)
		if [[ $2 == strace-k ]]; then
			printf '%s\n' "$churn" "$CHURN_K_N"
		else
			printf '%s\n' "$churn" "$CHURN_N"
		fi ;;
	json) printf '%s\n' "$PYTHON" "$here/json.py" ;;
	esac
}
# Factor applied to a measured time (strace -k on churn runs fewer pairs).
scale() {
	if [[ $1 == churn && $2 == strace-k ]]; then
		awk -v a="$CHURN_N" -v b="$CHURN_K_N" 'BEGIN { printf "%.6f", a / b }'
	else
		echo 1
	fi
}

workloads=(churn json)
declare -A med rng
log=$BENCH_BUILD/times.log
: >"$log"

echo "memstrace bench: $(date -u '+%F %T UTC'), $(nproc) CPUs, $(uname -r)" >&2
echo "  memstrace $MEMSTRACE; $("$STRACE" -V | head -1); python $PYTHON" >&2
echo "  raw times: $log" >&2

for mode in $MODES; do
	pin=()
	[[ $mode == pinned ]] && pin=(taskset -c "$PIN_CPU")
	for w in "${workloads[@]}"; do
		declare -A times=()
		# Interleave the variants run by run, so slow drift on a noisy
		# machine hits every cell alike; each cell is still its own set
		# of RUNS measurements.
		for ((r = 1; r <= RUNS; r++)); do
			for v in "${variants[@]}"; do
				mapfile -t pre < <(prefix "$v")
				mapfile -t cmd < <(workload_cmd "$w" "$v")
				t=$(timeone "${pin[@]}" "${pre[@]}" "${cmd[@]}") ||
					die "$mode $w $v run $r failed"
				f=$(scale "$w" "$v")
				ts=$(awk -v t="$t" -v f="$f" 'BEGIN { printf "%.4f", t * f }')
				times[$v]+="$ts "
				echo "$mode $w $v run $r: ${t}s (x$f = ${ts}s)" | tee -a "$log" >&2
			done
		done
		for v in "${variants[@]}"; do
			# shellcheck disable=SC2086
			med[$mode,$w,$v]=$(median ${times[$v]})
			# shellcheck disable=SC2086
			rng[$mode,$w,$v]=$(spread ${times[$v]})
		done
		unset times
	done
done

# --- table ----------------------------------------------------------------
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.3f", a / b; else print "n/a" }'; }

echo
echo "Median wall time (s) of $RUNS runs; memstrace = \`memstrace -o /dev/null\` (stacks on, depth 16);"
echo "strace = \`strace -f --seccomp-bpf -e trace=%memory -o /dev/null\`; strace-k = same with \`-k\`;"
echo "pinned = every command under \`taskset -c $PIN_CPU\`. churn = $CHURN_N mmap/munmap pairs;"
echo "json = \`python3 json.py\` (~50 MB dumps + loads)."
echo
echo "| mode | workload | untraced | memstrace | strace | strace-k | ms/untraced | ms/strace | ms/strace-k |"
echo "|---|---|---:|---:|---:|---:|---:|---:|---:|"
for mode in $MODES; do
	for w in "${workloads[@]}"; do
		u=${med[$mode,$w,untraced]} m=${med[$mode,$w,memstrace]}
		s=${med[$mode,$w,strace]} k=${med[$mode,$w,strace-k]}
		kcell=$k
		[[ $w == churn ]] && kcell="$k *"
		echo "| $mode | $w | $u | $m | $s | $kcell | $(ratio "$m" "$u") | $(ratio "$m" "$s") | $(ratio "$m" "$k") |"
	done
done
echo
echo "\* churn under strace -k ran $CHURN_K_N pairs per run; the time is scaled linearly by $(scale churn strace-k | sed 's/0*$//; s/\.$//')x to $CHURN_N pairs."
echo
echo "Range (min-max, s) of the $RUNS runs per cell:"
echo
echo "| mode | workload | untraced | memstrace | strace | strace-k |"
echo "|---|---|---:|---:|---:|---:|"
for mode in $MODES; do
	for w in "${workloads[@]}"; do
		echo "| $mode | $w | ${rng[$mode,$w,untraced]} | ${rng[$mode,$w,memstrace]} | ${rng[$mode,$w,strace]} | ${rng[$mode,$w,strace-k]} |"
	done
done
