#!/bin/sh
# run-guest-bench.sh - the guest-level benchmark (issue 4): the same static
# program (bench/guest/gbench.c) run natively and under uvk, each row in the
# same sitting and interleaved, and a table of medians with the ratio.
#
#   run-guest-bench.sh UVK GBENCH [SCALE]
#
# UVK     the uvk executable.
# GBENCH  the gbench program; exit0 must sit beside it (meson builds both).
# SCALE   multiplies every row's iteration count (default 0.5, which keeps the
#         whole run near a minute under uvk; 1 runs each row ~0.3-2 s natively).
#
# Environment:
#   ROUNDS           runs of each row on each side; the median is shown (default 3).
#   ROWS             rows to run (default: all of them, in table order).
#   UVK_BENCH_WORK   a directory outside /tmp (the guest's /tmp is its own
#                    tmpfs) that gets copies of the programs and the 1 MiB
#                    file (default /var/tmp/uvk-bench-UID).
#   UVK_BENCH_PIN=0  do not pin. By default both sides run on one CPU, the
#                    one this script starts on: uvk keeps its whole guest on
#                    one CPU, so native gets the same, or the two-process rows
#                    would compare cross-CPU wakeups with same-CPU switches.
#
# Exit status: 0 if every row ran on both sides; a row uvk cannot run yet
# (the program saw ENOSYS) prints "n/a" with the reason and is no failure.
# Any other failure (native or uvk, crash, timeout, bad output) prints the
# reason and makes the status 1; a broken setup is 99.

set -u

ALL_ROWS="getppid forkexit forkexec pipe touch readfile shell"
ALL_ROWS="$ALL_ROWS thread_create futex_pingpong mutex_uncontended mutex_contended"
say() { printf '%s\n' "run-guest-bench: $*" >&2; }
die() { say "$*"; exit 99; }

[ $# -ge 2 ] || die "usage: run-guest-bench.sh UVK GBENCH [SCALE]"
UVK=$(readlink -f "$1") || die "no uvk at $1"
SRC_DIR=$(dirname "$(readlink -f "$2")")
SCALE=${3:-0.5}
ROUNDS=${ROUNDS:-3}
ROWS=${ROWS:-$ALL_ROWS}
WORK=${UVK_BENCH_WORK:-/var/tmp/uvk-bench-$(id -u)}

[ -x "$UVK" ] || die "uvk is not executable: $UVK"
for f in gbench exit0; do
    [ -x "$SRC_DIR/$f" ] || die "need $f in $SRC_DIR (meson builds it beside gbench)"
done
[ -x /bin/busybox ] || die "/bin/busybox is missing: install busybox-static (the shell row runs it)"
for row in $ROWS; do
    case " $ALL_ROWS " in *" $row "*) ;; *) die "unknown row $row (rows: $ALL_ROWS)" ;; esac
done
case $WORK in /tmp|/tmp/*) die "UVK_BENCH_WORK must be outside /tmp: the guest has its own /tmp" ;; esac

# The programs are copied beside their data so the guest sees them whatever
# the build directory is; the 1 MiB file is made once.
mkdir -p "$WORK" || die "cannot create $WORK"
cp -f "$SRC_DIR/gbench" "$SRC_DIR/exit0" "$WORK/" || die "cannot copy the programs to $WORK"
if [ "$(stat -c %s "$WORK/gbench.dat" 2>/dev/null)" != 1048576 ]; then
    head -c 1048576 /dev/urandom >"$WORK/gbench.dat" || die "cannot write $WORK/gbench.dat"
fi

PIN=""
if [ "${UVK_BENCH_PIN:-1}" != 0 ]; then
    cpu=$(awk '{ print $39 }' /proc/self/stat) # field 39: the CPU awk runs on
    PIN="taskset -c $cpu"
fi

RES=$WORK/results  # lines: ROW SIDE NS_PER_OP
NA=$WORK/na        # lines: ROW REASON (uvk side only)
: >"$RES"; : >"$NA"
status=0

# run SIDE ROW - one run; appends to $RES, or reports the failure.
run() {
    side=$1 row=$2
    # shellcheck disable=SC2086 # $PIN is empty or a command and its arguments
    if [ "$side" = uvk ]; then
        grep -q "^$row " "$NA" && return # failed before: do not wait for it again
        set -- $PIN "$UVK" "$WORK/gbench" "$row" "$SCALE"
    else
        set -- $PIN "$WORK/gbench" "$row" "$SCALE"
    fi
    out=$(cd "$WORK" && timeout 300 "$@" </dev/null 2>"$WORK/err")
    rc=$?
    ns=$(printf '%s\n' "$out" | sed -n "s/^$row [0-9]* iterations \([0-9.]*\) ns\/op\$/\1/p")
    if [ $rc -eq 0 ] && [ -n "$ns" ]; then
        echo "$row $side $ns" >>"$RES"
        return
    fi
    why="exit $rc: $(tail -n 1 "$WORK/err")"
    [ $rc -eq 124 ] && why="timed out after 300 s"
    [ $rc -eq 0 ] && why="exit 0 but no '$row N iterations X ns/op' line"
    if [ "$side" = uvk ] && grep -q "Function not implemented" "$WORK/err"; then
        say "$row: uvk cannot run it yet ($why)"
        echo "$row not implemented yet ($why)" >>"$NA"
        return
    fi
    say "$row FAILED on $side: $why"
    [ "$side" = uvk ] && echo "$row FAILED ($why)" >>"$NA"
    status=1
}

for r in $(seq 1 "$ROUNDS"); do
    for row in $ROWS; do
        say "round $r/$ROUNDS: $row"
        run native "$row"
        run uvk "$row"
    done
done

# median ROW SIDE - the middle value of that row's runs, empty if none.
median() {
    vals=$(awk -v r="$1" -v s="$2" '$1 == r && $2 == s { print $3 }' "$RES" | sort -g)
    n=$(printf '%s\n' "$vals" | grep -c .)
    [ "$n" -gt 0 ] && printf '%s\n' "$vals" | sed -n "$(((n + 1) / 2))p"
}

label() {
    case $1 in
    getppid) echo "getppid loop" ;;
    forkexit) echo "fork+exit+wait" ;;
    forkexec) echo "fork+exec+wait" ;;
    pipe) echo "pipe 1-byte round trip" ;;
    touch) echo "page touch, 64 MiB (per page)" ;;
    readfile) echo "open+read+close 1 MiB" ;;
    shell) echo "busybox sh script" ;;
    thread_create) echo "pthread_create+join" ;;
    futex_pingpong) echo "futex ping-pong, 2 threads" ;;
    mutex_uncontended) echo "mutex lock+unlock, 1 thread" ;;
    mutex_contended) echo "mutex increment, 4 threads" ;;
    *) echo "$1" ;;
    esac
}

echo "guest rows: median of $ROUNDS runs, scale $SCALE, ${PIN:-unpinned}, uvk $UVK"
printf '%-30s %16s %16s %10s\n' row "native ns/op" "uvk ns/op" uvk/native
for row in $ROWS; do
    nat=$(median "$row" native) vk=$(median "$row" uvk)
    if [ -z "$nat" ]; then
        printf '%-30s %16s\n' "$(label "$row")" "FAILED natively"
        status=1
    elif [ -z "$vk" ]; then
        printf '%-30s %16.0f %16s   %s\n' "$(label "$row")" "$nat" n/a \
            "$(sed -n "s/^$row //p" "$NA" | head -n 1)"
    else
        printf '%-30s %16.0f %16.0f %9.2fx\n' "$(label "$row")" "$nat" "$vk" \
            "$(awk -v a="$vk" -v b="$nat" 'BEGIN { print a / b }')"
    fi
done
exit $status
