#!/bin/sh
# tsan-smp.sh - the ThreadSanitizer job of issue 11: build uvk with -Dtsan=true
# (meson_options.txt: ThreadSanitizer for everything in the tracer) and run
# the concurrent guest programs (t_smp's modes, the futex and thread cases)
# under `uvk -c 2`, so that every data race between the vCPU threads of the
# guest kernel (one outside the big kernel lock, say) is reported with both
# stacks.
#
#   scripts/tsan-smp.sh [BUILDDIR]     (default /var/tmp/uvk-tsan)
#
# The reports land in BUILDDIR/tsan-logs/run.N, each run's output (on stderr:
# uvk confines itself, so TSan's log_path files cannot be opened); the script
# prints each report's first lines and a count. Exit status 0 when
# every program passed and TSan reported nothing, 1 otherwise, 99 when the
# build failed. Not part of `meson test`: a TSan build is slow (5-15x) and
# reads the guest kernel's locking, not its behaviour. The static guest
# programs carry no sanitizer runtime (tests/guests/meson.build).

set -u
SRC=$(cd "$(dirname "$0")/.." && pwd)
B=${1:-/var/tmp/uvk-tsan}
say() { printf '%s\n' "tsan-smp: $*"; }

if [ ! -f "$B/build.ninja" ]; then
	meson setup "$B" "$SRC" -Dtsan=true -Dbuildtype=debugoptimized -Dexamples=false \
		>/dev/null || { say "meson setup failed"; exit 99; }
fi
ninja -C "$B" src/cli/uvk tests/guests/t_smp-glibc tests/guests/t_futex-glibc \
	>/dev/null || { say "build failed"; exit 99; }

LOGS=$B/tsan-logs
rm -rf "$LOGS"
mkdir -p "$LOGS"
export TSAN_OPTIONS="halt_on_error=0 second_deadlock_stack=1 history_size=4"
G=$B/tests/guests
status=0
runs=0
# run TIMEOUT UVK-ARGS... - one guest program under the TSan uvk.
run() {
	t=$1
	shift
	runs=$((runs + 1))
	out=$LOGS/run.$runs
	echo "uvk $*" >"$out"
	if timeout "$t" "$B/src/cli/uvk" "$@" >>"$out" 2>&1; then
		say "ok: $*"
	else
		say "FAILED ($?): $* -- $(grep -v '^ ' "$out" | tail -n 1)"
		status=1
	fi
}
run 300 -c 2 "$G/t_smp-glibc" count 2 100000
run 300 -c 2 "$G/t_smp-glibc" count 4 50000
run 300 -m 1G -c 2 "$G/t_smp-glibc" sum 256 2
run 300 -c 2 "$G/t_smp-glibc" unmap 300
run 300 -c 2 "$G/t_smp-glibc" pingpong 2000
run 300 -c 2 "$G/t_smp-glibc" affinity 2
run 300 -c 2 "$G/t_smp-glibc" mm 4 30
run 300 -c 2 "$G/t_futex-glibc" --threads

n=0
for f in "$LOGS"/run.*; do
	c=$(grep -c '^WARNING: ThreadSanitizer' "$f")
	[ "$c" -gt 0 ] || continue
	n=$((n + c))
	say "--- $f"
	grep -A 12 '^WARNING: ThreadSanitizer' "$f" | head -n 60
done
say "$n ThreadSanitizer reports (in $LOGS)"
[ $n = 0 ] || status=1
exit $status
