#!/bin/sh
# run-smp-bench.sh - SMP scaling (issue 11): the same fixed work on one CPU and
# on two, under uvk (--cpus 1 vs --cpus 2) and natively (taskset -c 0 vs
# taskset -c 0,1), medians of ROUNDS runs, and each side's ratio. Never
# asserted: a benchmark, not a test.
#
#   run-smp-bench.sh UVK SMPWORK [WORK] [ITERS]
#
# UVK      the uvk executable.
# SMPWORK  bench/guest/smpwork.c built static (meson builds it).
# WORK     millions of loop steps per thread or process in the CPU rows (default 400).
# ITERS    getppid calls per process in the syscall row (default 200000).
#
# Rows: 2 threads spinning, 2 processes spinning (CPU-bound: the goal is the
# native ratio within 10%), 2 processes calling getppid (goal: >= 1.6x on 2
# vCPUs). The load average is printed before and after: on a busy machine
# the ratios mean little.
#
# Environment: ROUNDS (default 5). Exit status 0, or 1 if a run failed.

set -u
say() { printf '%s\n' "run-smp-bench: $*" >&2; }
[ $# -ge 2 ] || { say "usage: run-smp-bench.sh UVK SMPWORK [WORK] [ITERS]"; exit 99; }
UVK=$(readlink -f "$1")
PROG=$(readlink -f "$2")
WORK=${3:-400}
ITERS=${4:-200000}
ROUNDS=${ROUNDS:-5}
command -v taskset >/dev/null || { say "needs taskset (util-linux)"; exit 99; }
# The guest's /tmp is its own: run a copy from outside /tmp.
case $PROG in
/tmp/*)
	dir=$(mktemp -d /var/tmp/uvk-smpbench.XXXXXX) || exit 99
	cp "$PROG" "$dir/" && PROG=$dir/$(basename "$PROG")
	trap 'rm -rf "$dir"' EXIT
	;;
esac

failed=0
# median CMD... - run it ROUNDS times, print the median wall time in ms.
median() {
	i=0
	times=
	while [ $i -lt "$ROUNDS" ]; do
		t0=$(date +%s%N)
		if ! "$@" >/dev/null 2>&1; then
			say "failed: $*"
			failed=1
		fi
		t1=$(date +%s%N)
		times="$times $(((t1 - t0) / 1000000))"
		i=$((i + 1))
	done
	printf '%s\n' $times | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'
}

say "load before: $(uptime)"
printf '%-16s %10s %10s %7s %10s %10s %7s\n' row 'uvk -c1' 'uvk -c2' ratio 'native 1' 'native 2' ratio
for row in "threads 2 $WORK" "procs 2 $WORK" "getppid 2 $ITERS"; do
	# shellcheck disable=SC2086 # the row is three words on purpose
	u1=$(median "$UVK" --cpus 1 "$PROG" $row)
	# shellcheck disable=SC2086
	u2=$(median "$UVK" --cpus 2 "$PROG" $row)
	# shellcheck disable=SC2086
	n1=$(median taskset -c 0 "$PROG" $row)
	# shellcheck disable=SC2086
	n2=$(median taskset -c 0,1 "$PROG" $row)
	printf '%-16s %8sms %8sms %6.2fx %8sms %8sms %6.2fx\n' "${row% *}" "$u1" "$u2" \
		"$(echo "$u1 $u2" | awk '{ print $2 ? $1 / $2 : 0 }')" "$n1" "$n2" \
		"$(echo "$n1 $n2" | awk '{ print $2 ? $1 / $2 : 0 }')"
done
say "load after: $(uptime)"
exit $failed
