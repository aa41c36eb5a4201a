#!/bin/bash
# tests/hostside/run.sh - uvk as a host process: descriptors 0-2 closed at
# start, host signals with no terminal, inherited SIG_IGN, programs the
# loader refuses.
#
# Usage: run.sh UVK CASE     run CASE's program under uvk
#        run.sh native CASE  run it directly (the expectations are Linux's)
#
# HS_GUEST, HS_DRIVE and HS_BADELF (set by meson) name hs_guest (the guest
# program), hs_drive (starts a command, signals it once it said "ready",
# checks its status) and hs_badelf (writes broken ELF files). Nothing here
# sleeps: every signal is sent after the guest said it is ready.
# Exit 0 on success, 1 on a mismatch.
set -u

CASE=$2
if [ "$1" = native ]; then
	RUN=
else
	RUN=$(realpath "$1")
	[ -x "$RUN" ] || { echo "FAIL: no uvk at $1"; exit 1; }
fi
for v in HS_GUEST HS_DRIVE HS_BADELF; do
	[ -x "${!v:-}" ] || { echo "FAIL: $v is not set to a program"; exit 1; }
done
# Not under /tmp: the guest's /tmp is its own.
W=$(mktemp -d /var/tmp/uvk-hostside-$CASE.XXXXXX) || exit 1
trap 'rm -rf "$W"' EXIT

fail() {
	echo "FAIL: $*"
	exit 1
}

drive() {
	echo "+ hs_drive $*"
	"$HS_DRIVE" "$@" || fail "hs_drive"
}

nothing_ignored=$'ignored:\nready'
case $CASE in
closed0 | closed1 | closed2 | closed01)
	# The closed descriptors stay closed for the program (EBADF) and in
	# uvk's process hold /dev/null, not guest RAM; the guest then waits
	# until SIGTERM, which it dies of.
	case $CASE in
	closed0) mask=1 ;;
	closed1) mask=2 ;;
	closed2) mask=4 ;;
	closed01) mask=3 ;;
	esac
	drive -c $mask -z -s TERM -e 143 -x "fd 0 " -- $RUN "$HS_GUEST" closed $mask
	;;
closed12 | closed012)
	# No stdout or stderr: the program's exit status is all it can say.
	mask=$([ $CASE = closed12 ] && echo 6 || echo 7)
	drive -c $mask -e 0 -- $RUN "$HS_GUEST" closed $mask
	;;
sigterm | sigint | sighup | sigquit)
	# A signal sent to uvk (no terminal anywhere) while the guest sleeps
	# ends the guest's pid 1, and uvk ends as it did: 128+N.
	sig=${CASE#sig}
	sig=${sig^^}
	n=$(kill -l "$sig")
	drive -z -s "$sig" -x "$nothing_ignored" -e $((128 + n)) -- $RUN "$HS_GUEST" wait
	;;
sigterm_pause)
	# The same with the guest in pause(): nothing but a signal can end it,
	# and uvk waits for one, as the host would, instead of giving up.
	drive -z -s TERM -x "$nothing_ignored" -e 143 -- $RUN "$HS_GUEST" pause
	;;
nohup)
	# Started with SIGHUP ignored, as nohup starts it: the program starts
	# with SIGHUP ignored, a SIGHUP sent to it changes nothing (it still
	# answers a line after it), and SIGTERM ends it.
	drive -i HUP -x $'ignored: HUP\nready' -s HUP -l -z -s TERM -e 143 -- $RUN "$HS_GUEST" wait
	;;
timeout_sleep)
	# timeout(1) signals a guest that waits forever: no "deadlock", the
	# status is the guest's.
	timeout --preserve-status -s TERM 1 $RUN "$HS_GUEST" wait </dev/null >"$W/out" 2>&1
	st=$?
	cat "$W/out"
	echo "check: status $st, want 143"
	[ $st = 143 ] || fail "status $st"
	! grep -q deadlock "$W/out" || fail "uvk spoke of a deadlock"
	;;
elf_enoexec)
	# execve of files Linux itself refuses with ENOEXEC; then the valid
	# one, which exits 0 (the generator is right).
	"$HS_BADELF" "$W" || fail "hs_badelf"
	set -- machine type phentsize phnum0 phnum_huge interp_short interp_unterminated truncated
	args=() xs=()
	for v; do
		args+=("$W/$v")
		xs+=(-x "$W/$v: ENOEXEC")
	done
	drive "${xs[@]}" -e 0 -- $RUN "$HS_GUEST" exec "${args[@]}" "$W/ok"
	;;
elf_refused)
	# uvk only: every file the loader refuses is ENOEXEC for a guest's
	# execve (execve(2): "some other format error that means it cannot be
	# executed") and exit status 126 as the first program (env(1)). Linux
	# refuses the second group only after the point of no return (the
	# process is killed), so there is no native run to compare with.
	"$HS_BADELF" "$W" || fail "hs_badelf"
	late="at0 over_stub beyond_user offset_wrap filesz_gt_memsz misaligned phoff_outside memsz_huge vaddr_wrap"
	args=() xs=()
	for v in $late; do
		args+=("$W/$v")
		xs+=(-x "$W/$v: ENOEXEC")
	done
	drive "${xs[@]}" -e 0 -- $RUN "$HS_GUEST" exec "${args[@]}" "$W/ok"
	for v in machine type phentsize phnum0 phnum_huge interp_short interp_unterminated truncated $late; do
		$RUN "$W/$v" >"$W/out" 2>&1
		st=$?
		echo "check: uvk $v: status $st, want 126: $(cat "$W/out")"
		[ $st = 126 ] || fail "uvk $v exited $st"
		grep -q "Exec format error" "$W/out" || fail "no 'Exec format error' for $v"
	done
	$RUN "$W/ok" || fail "the valid program failed under uvk"
	;;
confine)
	# uvk only: the tracer confines itself before the guest runs (--stats
	# says how), and the guest still reads its root, writes its bind and
	# reads /proc/cpuinfo (rendered from the host's) with a root that is
	# not /. tests/integration/test_confine.c shows the rules refuse.
	BB=${BUSYBOX:-/bin/busybox}
	[ -x "$BB" ] || fail "no busybox at $BB"
	mkdir "$W/root" "$W/bind" || fail mkdir
	cp "$BB" "$W/root/busybox" || fail cp
	$RUN --stats -r "$W/root" -b "$W/bind:/data" /busybox sh -c \
		'echo written >/data/f && cat /data/f && grep -c ^processor /proc/cpuinfo' \
		>"$W/out" 2>"$W/err"
	st=$?
	cat "$W/out" "$W/err"
	[ $st = 0 ] || fail "the confined guest failed: $st"
	[ "$(cat "$W/bind/f")" = written ] || fail "nothing written through the bind"
	# One processor per vCPU: uvk runs UVK_CPUS of them when set (test setup cpus2).
	grep -qx "${UVK_CPUS:-1}" "$W/out" || fail "/proc/cpuinfo unreadable (or not ${UVK_CPUS:-1} processors)"
	grep -q "confinement: landlock ABI [1-9]" "$W/err" || fail "--stats shows no Landlock"
	grep -q "seccomp filter loaded" "$W/err" || fail "--stats shows no seccomp filter"
	$RUN --stats --no-confine "$HS_GUEST" exec /nonexistent >"$W/out" 2>"$W/err" ||
		fail "--no-confine run failed"
	grep -q "confinement: none" "$W/err" || fail "--no-confine not reported"
	;;
*)
	fail "unknown case $CASE"
	;;
esac
echo PASS
