#!/bin/bash
# tests/programs/run.sh - the `programs` suite: real busybox applets and real
# threaded programs (python3, xz, sort, node) run in the guest and compared
# with the same command run natively, plus escape attempts, bad input and
# exit statuses.
#
# Usage: run.sh UVK CASE      (BUSYBOX=/path overrides /bin/busybox)
#        run.sh native CASE   (the tty_* cases only: the same steps run on the
#                              host, which proves the steps and the driver right)
#
# The tty_* cases drive an interactive program on a pseudo-terminal with
# ptydrive (tests/programs/ptydrive.c), found in $PTYDRIVE, which meson sets.
#
# Every case prints what it checks and exits 0 on success, 1 on a mismatch
# (with the difference), 77 never: a test that cannot run fails loudly.
set -u

CASE=$2
BB=${BUSYBOX:-/bin/busybox}
NATIVE=
if [ "$1" = native ]; then
	NATIVE=1
	UVK=/nonexistent-uvk-in-native-mode
	case $CASE in
	tty_*) ;;
	*)
		echo "FAIL: case $CASE has no native mode"
		exit 1
		;;
	esac
else
	UVK=$(realpath "$1")
	if [ ! -x "$UVK" ]; then
		echo "FAIL: no uvk at $1"
		exit 1
	fi
fi
if [ ! -x "$BB" ]; then
	echo "FAIL: no busybox at $BB (apt-get install busybox-static)"
	exit 1
fi

# A work directory outside the host /tmp, which the guest cannot see (its
# /tmp is private); the guest sees it at /data through --bind.
# The default is /var/tmp, not the build tree: a build tree may itself be under /tmp.
W=$(mktemp -d "${PROGRAMS_WORKDIR:-/var/tmp}/uvk-programs-$CASE.XXXXXX") || exit 1
trap 'chmod -R u+w "$W" 2>/dev/null; rm -rf "$W"' EXIT
G="$UVK -b $W:/data -w /data"

mkdata() {
	mkdir -p "$W/tree/a/b" "$W/tree/c"
	awk 'BEGIN { for (i = 1; i <= 500; i++) printf "line %d %s %d\n", i, (i % 7 ? "alpha" : "beta"), (i * 7919) % 1000 }' >"$W/text"
	printf 'hello\nworld\n' >"$W/tree/a/one"
	head -c 5000 "$BB" >"$W/tree/a/b/two"
	: >"$W/tree/c/empty"
	ln -s ../a/one "$W/tree/c/link"
	touch -d '2020-01-02 03:04:05' "$W/tree/a/one" "$W/tree/a/b/two" "$W/tree/c/empty" \
		"$W/text"
}

fail() {
	echo "FAIL: $*"
	exit 1
}

# same CMD...: the applet in the guest (cwd /data) and natively (cwd $W): same
# stdout, same stderr, same exit status.
same() {
	local gs ns
	(cd "$W" && $G "$BB" "$@" >"$W/.g.out" 2>"$W/.g.err")
	gs=$?
	(cd "$W" && "$BB" "$@" >"$W/.n.out" 2>"$W/.n.err")
	ns=$?
	echo "check: busybox $* (guest status $gs, native $ns)"
	if ! cmp -s "$W/.g.out" "$W/.n.out"; then
		diff "$W/.g.out" "$W/.n.out" | head -20
		echo "guest stderr:"
		head -20 "$W/.g.err"
		fail "stdout differs for: $*"
	fi
	if ! cmp -s "$W/.g.err" "$W/.n.err"; then
		diff "$W/.g.err" "$W/.n.err" | head -20
		fail "stderr differs for: $*"
	fi
	[ "$gs" = "$ns" ] || fail "status $gs in the guest, $ns natively"
	rm -f "$W"/.g.* "$W"/.n.*
}

# same_prog PROGRAM ARG...: as same, for any host program (a real, usually
# dynamically linked one): the same stdout, stderr and exit status in the guest
# (cwd /data) and natively (cwd $W), and the native run must succeed, so that
# a program broken on this host fails the case instead of matching itself.
same_prog() {
	local gs ns
	(cd "$W" && $G "$@" >"$W/.g.out" 2>"$W/.g.err")
	gs=$?
	(cd "$W" && "$@" >"$W/.n.out" 2>"$W/.n.err")
	ns=$?
	echo "check: $* (guest status $gs, native $ns, $(wc -c <"$W/.n.out") bytes out)"
	if [ "$ns" != 0 ]; then
		head -20 "$W/.n.err"
		fail "natively: status $ns for: $*"
	fi
	if ! cmp -s "$W/.g.out" "$W/.n.out"; then
		diff "$W/.g.out" "$W/.n.out" | head -20
		echo "guest stderr:"
		head -20 "$W/.g.err"
		fail "stdout differs for: $*"
	fi
	if ! cmp -s "$W/.g.err" "$W/.n.err"; then
		diff "$W/.g.err" "$W/.n.err" | head -20
		fail "stderr differs for: $*"
	fi
	[ "$gs" = "$ns" ] || fail "status $gs in the guest, $ns natively"
	rm -f "$W"/.g.* "$W"/.n.*
}

# threads_in TRACE WHAT: fail unless the guest's --trace output TRACE shows a
# clone or clone3 that returned a new task's id (a thread: these programs
# never fork), so a program that quietly fell back to one thread is caught.
threads_in() {
	local n
	n=$(grep -cE '^(\[pid [0-9]+\] )?clone3?\(.*\) = [1-9][0-9]*$' "$1")
	echo "check: $2 made $n threads in the guest"
	[ "$n" -gt 0 ] || fail "$2 ran without threads in the guest: $(grep -E 'clone3?\(' "$1" | head -3)"
}

# mkbig: $W/big, 4 MiB of text lines (200,000 of them, made by a fixed
# generator): enough for sort --parallel to split the work between threads
# (GNU sort does from 128 Ki lines) and for xz to cut four 1 MiB blocks.
mkbig() {
	awk 'BEGIN { x = 12345; for (i = 0; i < 200000; i++) { x = (x * 1103515245 + 12345) % 2147483648
		printf "%010d %s %d\n", x, (i % 3 ? "alpha" : "beta"), i } }' >"$W/big"
}

# status WANT CMD...: run CMD, check its exit status; its stderr is in $W/.err.
status() {
	local want=$1 got
	shift
	"$@" >"$W/.out" 2>"$W/.err"
	got=$?
	echo "check: $* -> status $got (want $want); stderr: $(head -c 200 "$W/.err")"
	[ "$got" = "$want" ] || fail "status $got, want $want"
}

# Make a guest root with its own /etc/passwd and symlinks aiming outside.
mkroot() {
	R=$W/root
	mkdir -p "$R/bin" "$R/etc" "$R/sub/deeper"
	cp "$BB" "$R/bin/busybox"
	echo "inside-passwd" >"$R/etc/passwd"
	ln -s /etc/passwd "$R/abs"
	ln -s ../../../../../../../../etc/passwd "$R/sub/deeper/rel"
	ln -s /sub "$R/sub/deeper/dirlink"
	ln -s loop "$R/loop"
}

# onpty [NAME=VALUE...] PROGRAM [ARG...]: run PROGRAM with those variables on a
# new pseudo-terminal, in the guest (natively in native mode), driven by the
# ptydrive script on stdin; fail if a step fails.
onpty() {
	local -a cmd
	if [ -z "${PTYDRIVE:-}" ] || [ ! -x "$PTYDRIVE" ]; then
		fail "no ptydrive (PTYDRIVE=${PTYDRIVE:-}); meson sets it"
	fi
	if [ -n "$NATIVE" ]; then
		cmd=(env)
	else
		cmd=("$UVK")
	fi
	while [ $# -gt 0 ] && [[ $1 == *=* ]]; do
		if [ -n "$NATIVE" ]; then
			cmd+=("$1")
		else
			cmd+=(-E "$1")
		fi
		shift
	done
	echo "check: on a pty: ${cmd[*]} $*"
	"$PTYDRIVE" --timeout 30 -- "${cmd[@]}" "$@" || fail "on a pty: ${cmd[*]} $*"
}

mkdata
case $CASE in
echo)
	same echo hello world
	same echo -e 'a\tb\\n'
	;;
cat)
	same cat text tree/a/one
	same cat /etc/passwd
	same cat nonexistent
	;;
ls)
	# The mount points differ by design (/dev, /proc, /tmp are the guest's own).
	# The host's / is live (other processes create and remove entries in its
	# directories, and a listing shows minutes): the guest's listing must
	# equal a native one taken just before or just after it.
	(cd / && "$BB" ls -la / | grep -Ev ' (dev|proc|tmp)$|^total' >"$W/.n")
	(cd / && $UVK "$BB" ls -la / | grep -Ev ' (dev|proc|tmp)$|^total' >"$W/.g") || fail "ls failed"
	(cd / && "$BB" ls -la / | grep -Ev ' (dev|proc|tmp)$|^total' >"$W/.n2")
	echo "check: busybox ls -la / (mount points dev, proc, tmp left out)"
	cmp -s "$W/.g" "$W/.n" || diff "$W/.g" "$W/.n2" || fail "ls -la / differs"
	same ls -la tree tree/a tree/c
	same ls -lR tree
	;;
wc) same wc text tree/a/one ;;
sort)
	same sort text
	same sort -k4 -n text
	same sort -r -u text
	;;
sed)
	same sed -e 's/alpha/ALPHA/g' -e '/beta/d' text
	same sed -n '10,20p' text
	;;
grep)
	same grep -n beta text
	same grep -c alpha text
	same grep -r hello tree
	same grep nomatch text
	;;
md5sum)
	same md5sum "$BB" text
	g=$($UVK "$BB" md5sum "$BB" | cut -d' ' -f1)
	n=$(md5sum "$BB" | cut -d' ' -f1)
	echo "check: md5sum of $BB in the guest $g, host md5sum $n"
	[ "$g" = "$n" ] || fail "digest differs"
	;;
head)
	same head -n 7 text
	same head -c 100 text
	;;
od)
	same od -A x -t x1z tree/a/b/two
	same od -c tree/a/one
	;;
find)
	same find tree
	same find tree -type f -name 'o*'
	same find / -maxdepth 1 -name etc
	;;
stat)
	same stat tree/a/one
	same stat -L tree/c/link
	same stat -c '%n %s %a %F %h %U' tree/a/b/two tree/c
	;;
du)
	same du -a tree
	same du -s text
	;;
tar)
	# Archive made and listed under the guest's /tmp (a host directory bound there,
	# since each uvk run has its own private /tmp).
	mkdir "$W/tmp"
	status 0 $UVK -b "$W/tmp:/tmp" -b "$W:/data" -w /data "$BB" tar cf /tmp/t.tar tree
	status 0 $UVK -b "$W/tmp:/tmp" "$BB" tar tvf /tmp/t.tar
	mv "$W/.out" "$W/.guest-list"
	(cd "$W" && "$BB" tar tvf "$W/tmp/t.tar") >"$W/.native-list"
	echo "check: tar tvf of the guest-made archive, in the guest and natively"
	diff "$W/.guest-list" "$W/.native-list" || fail "listings differ"
	(cd "$W" && tar cf "$W/native.tar" tree && tar tf "$W/native.tar" | sort >"$W/.a" &&
		tar tf "$W/tmp/t.tar" | sort >"$W/.b")
	diff "$W/.a" "$W/.b" || fail "archive contents differ from a native tar of the same tree"
	# Extract in the guest too and compare the files.
	status 0 $UVK -b "$W/tmp:/tmp" "$BB" tar xf /tmp/t.tar -C /tmp
	diff -r "$W/tree" "$W/tmp/tree" || fail "extracted tree differs"
	;;
applets)
	# More applets, each compared with its native run on the same files.
	same basename /a/b/c.txt .txt
	same dirname /a/b/c
	same cut -d' ' -f2,4 text
	same tail -n 5 text
	same tac tree/a/one
	same nl tree/a/one
	same uniq -c text
	same tr a-z A-Z tree/a/one
	same rev tree/a/one
	same fold -w 7 tree/a/one
	same paste tree/a/one tree/a/one
	same expand text
	same awk '$3 == "beta" { n++ } END { print n }' text
	same seq 3 3 30
	same expr 6 \* 7
	same printf '%s=%05d\n' x 42
	same sha1sum text tree/a/b/two
	same sha256sum text
	same cksum text
	same sum text
	same base64 tree/a/b/two
	same hexdump -C tree/a/one
	same xxd tree/a/one
	same strings tree/a/b/two
	same cmp text text
	same cmp text tree/a/one
	same diff text tree/a/one
	same comm tree/a/one tree/a/one
	same gzip -c text
	same bzip2 -c text
	same factor 1234567 600851475143
	same cal 2 2024
	same date -u -d @86400
	status 0 $G "$BB" realpath tree/c/link
	[ "$(cat "$W/.out")" = /data/tree/a/one ] || fail "realpath in the guest: $(cat "$W/.out")"
	same readlink tree/c/link
	same sh -c 'echo $((6 * 7)); x=abc; echo ${#x} ${x#a}'
	same ls -la /usr/bin/
	;;
tmp_private)
	# /tmp is the guest's own tmpfs: writable, empty at start, gone at exit.
	status 0 $UVK "$BB" stat -f -c %T /tmp
	[ "$(cat "$W/.out")" = tmpfs ] || fail "/tmp is not a tmpfs: $(cat "$W/.out")"
	status 0 $UVK "$BB" touch /tmp/newfile
	status 1 $UVK "$BB" ls /tmp/newfile
	status 0 $UVK "$BB" mkdir -p /tmp/x/y/z
	status 0 $UVK "$BB" cp /etc/hostname /tmp/h
	status 0 $UVK "$BB" ls -A /tmp
	[ ! -s "$W/.out" ] || fail "/tmp is not empty at start: $(cat "$W/.out")"
	status 1 $UVK "$BB" ln -s /etc/passwd /etc/x
	;;
escape_dotdot)
	mkroot
	status 0 $UVK -r "$R" /bin/busybox cat /../../../etc/passwd
	grep -qx inside-passwd "$W/.out" || fail "/../../../etc/passwd left the root: $(cat "$W/.out")"
	status 0 $UVK -r "$R" -w /sub/deeper /bin/busybox cat ../../../../../etc/passwd
	grep -qx inside-passwd "$W/.out" || fail "relative .. left the root"
	;;
escape_symlink)
	mkroot
	status 0 $UVK -r "$R" /bin/busybox cat /abs
	grep -qx inside-passwd "$W/.out" || fail "absolute symlink left the root: $(cat "$W/.out")"
	status 0 $UVK -r "$R" /bin/busybox cat /sub/deeper/rel
	grep -qx inside-passwd "$W/.out" || fail "relative symlink left the root"
	status 0 $UVK -r "$R" /bin/busybox cat /sub/deeper/dirlink/deeper/rel
	grep -qx inside-passwd "$W/.out" || fail "symlinked directory left the root"
	status 1 $UVK -r "$R" /bin/busybox cat /loop
	grep -q 'Symbolic links\|symbolic links' "$W/.err" || fail "a symlink loop did not give ELOOP"
	;;
escape_write)
	mkroot
	status 1 $UVK -r "$R" /bin/busybox touch /etc/new
	grep -q 'Read-only file system' "$W/.err" || fail "no EROFS"
	[ ! -e "$R/etc/new" ] || fail "a file was created outside /tmp and --bind"
	status 1 $UVK /bin/busybox mkdir /usr/uvk-should-not-exist
	grep -q 'Read-only file system' "$W/.err" || fail "no EROFS"
	status 1 $UVK -r "$R" /bin/busybox rm /etc/passwd
	[ -e "$R/etc/passwd" ] || fail "rm outside the writable mounts worked"
	status 1 $UVK -r "$R" /bin/busybox ln -s /x /etc/l
	status 1 $UVK -r "$R" /bin/busybox chmod 777 /etc/passwd
	status 1 $UVK -r "$R" /bin/busybox mv /etc/passwd /tmp/p
	[ -e "$R/etc/passwd" ] || fail "mv out of the root worked"
	status 0 $UVK -r "$R" -b "$W/tree:/w" /bin/busybox touch /w/made-by-guest
	[ -e "$W/tree/made-by-guest" ] || fail "--bind is not writable"
	;;
bad_input)
	head -c 1000 "$BB" >"$W/truncated"
	cp "$BB" "$W/arm"
	printf '\xb7' | dd of="$W/arm" bs=1 seek=18 conv=notrunc 2>/dev/null
	: >"$W/empty"
	printf 'not an elf\n' >"$W/text-exe"
	chmod +x "$W/truncated" "$W/arm" "$W/empty" "$W/text-exe"
	cp "$BB" "$W/noexec"
	chmod -x "$W/noexec"
	for f in truncated arm empty text-exe; do
		status 126 $G "/data/$f"
		grep -q "uvk: /data/$f: Exec format error" "$W/.err" || fail "no clear message"
	done
	status 126 $G /data/tree
	grep -q 'uvk: /data/tree: Permission denied' "$W/.err" || fail "no clear message"
	status 126 $G /data/noexec
	status 127 $G /data/nonexistent
	grep -q 'No such file or directory' "$W/.err" || fail "no clear message"
	status 127 $UVK no-such-program-anywhere
	;;
sh_pipeline)
	# Five stages, each a busybox applet in its own guest process.
	same sh -c "cat text | $BB grep alpha | $BB sed 's/line/L/' | $BB tr a-z A-Z | $BB wc -l"
	same sh -c "echo a | $BB wc -c; ls / | $BB head -3; x=\$(echo hi); echo \$x"
	same sh -c "$BB seq 1 20000 | $BB tail -2 | $BB cat | $BB cat | $BB md5sum"
	;;
sh_subst)
	same sh -c 'a=$(echo one $(echo two $(echo three))); echo "$a"; n=$(wc -l <text); echo "n=$n"; echo `echo back`'
	;;
sh_subshell)
	same sh -c '(echo in; exit 3); echo "status $?"; (cd / && pwd); pwd >/dev/null; x=1; (x=2; echo "inner $x"); echo "outer $x"; { echo g1; echo g2; } | wc -l'
	;;
sh_loops)
	same sh -c 'for i in 1 2 3 4 5; do echo "for $i"; done; i=0; while [ $i -lt 5 ]; do i=$((i + 1)); echo "while $i"; done; seq 1 5 | while read l; do echo "read $l"; done; until [ $i -eq 0 ]; do i=$((i - 1)); done; echo done $i'
	;;
sh_functions)
	same sh -c 'f() { echo "f $1 $2"; return 4; }; f a b; echo "ret $?"; g() { local v=$1; f $v x | tr a-z A-Z; }; g q; fact() { if [ $1 -le 1 ]; then echo 1; else echo $(( $1 * $(fact $(( $1 - 1 ))) )); fi; }; fact 10'
	;;
sh_sort_uniq)
	awk 'BEGIN { for (i = 1; i <= 4000; i++) printf "word%d\n", (i * 7919) % 97 % 41 }' >"$W/words"
	same sh -c "cat words | $BB sort | $BB uniq -c | $BB sort -rn | $BB head -20"
	same sh -c "$BB sort words | $BB uniq -c | $BB sort -k2 | $BB md5sum"
	;;
sh_500)
	# A script of 500 short commands, external and built in.
	{
		for i in $(seq 1 250); do
			echo "$BB echo cmd $i"
			echo "echo builtin $i"
		done
	} >"$W/many.sh"
	same sh many.sh
	;;
py_socket)
	# unixsock: Python's socket module on AF_UNIX (socketpair, shutdown,
	# SCM_RIGHTS through sendmsg/recvmsg, an abstract datagram name), the
	# guest's output compared with the native one's.
	command -v python3 >/dev/null || fail "no python3 (apt-get install python3)"
	cat >"$W/sock.py" <<'PYEOF'
import array, os, socket
a, b = socket.socketpair()
a.sendall(b'hello')
print(b.recv(5))
b.shutdown(socket.SHUT_WR)
print(a.recv(5))
r, w = os.pipe()
a.sendmsg([b'x'], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array('i', [w]))])
msg, anc, flags, addr = b.recvmsg(1, socket.CMSG_SPACE(4))
fd = array.array('i', anc[0][2])[0]
os.write(fd, b'via passed fd')
os.close(fd)
os.close(w)
print(msg, flags, os.read(r, 64))
name = '\0uvk-py-%d' % os.getpid()
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(name)
c = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
c.sendto(b'dgram', name)
print(s.recvfrom(64), s.getsockname() == name.encode())
PYEOF
	(cd "$W" && $G /usr/bin/python3 sock.py >"$W/.g.out" 2>"$W/.g.err")
	gs=$?
	(cd "$W" && python3 sock.py >"$W/.n.out" 2>"$W/.n.err")
	ns=$?
	echo "check: python3 sock.py (guest status $gs, native $ns)"
	cat "$W/.g.out"
	[ "$gs" = 0 ] && [ "$ns" = 0 ] || { head -20 "$W/.g.err"; fail "status $gs in the guest, $ns natively"; }
	cmp -s "$W/.g.out" "$W/.n.out" || { diff "$W/.g.out" "$W/.n.out"; fail "output differs"; }
	# --trace decodes the family, the type and an abstract name.
	(cd "$W" && $G --trace="$W/trace.txt" /usr/bin/python3 sock.py >/dev/null 2>&1)
	for pat in 'socketpair(AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC, 0, ' \
		'bind([0-9]*, {sa_family=AF_UNIX, sun_path=@"uvk-py-[0-9]*"}, [0-9]*) = 0' \
		'sendto([0-9]*, "dgram", 5, 0, {sa_family=AF_UNIX, sun_path=@"uvk-py-'; do
		grep -q "$pat" "$W/trace.txt" || fail "trace lacks: $pat"
	done
	;;
idle)
	# An idle guest sleeps on the host: a guest sleeping 1 s (a timer), and
	# one blocked 1 s reading uvk's stdin (a pipe with no data yet), each
	# cost far less CPU than the second a busy wait would burn.
	TIMEFORMAT='%3U %3S'
	for what in sleep read; do
		if [ $what = sleep ]; then
			{ time $G "$BB" sleep 1 >/dev/null 2>&1; } 2>"$W/.t"
		else
			{ time { sleep 1; echo line; } | $G "$BB" head -1 >/dev/null 2>&1; } 2>"$W/.t"
		fi
		read -r u s <"$W/.t"
		echo "check: guest blocked 1 s in $what: uvk used ${u}s user, ${s}s system"
		awk -v u="$u" -v s="$s" 'BEGIN { exit !(u + s < 0.5) }' ||
			fail "uvk used ${u}+${s}s of CPU while its guest slept 1 s ($what)"
	done
	;;
host_signals)
	# Signals sent to uvk itself reach the guest: SIGTERM goes to pid 1 (whose
	# trap runs), SIGINT to the foreground group. When pid 1 stops, uvk stops
	# (host state T) and SIGCONT to uvk continues the guest.
	# wait_for FILE TEXT: up to 20 s for TEXT to appear in FILE.
	wait_for() {
		local i
		for i in $(seq 1 200); do
			grep -q "$2" "$1" 2>/dev/null && return 0
			sleep 0.1
		done
		return 1
	}
	# Job control on: a background job of a script starts with SIGINT and
	# SIGQUIT ignored, and uvk, like any program, keeps them ignored.
	set -m
	for sig in TERM INT; do
		# A fresh file: the last round's "ready" must not be taken for this one's.
		rm -f "$W/.sig"
		$G "$BB" sh -c "trap 'echo got $sig; exit 3' $sig; echo ready; while :; do $BB sleep 0.05; done" \
			>"$W/.sig" 2>&1 &
		pid=$!
		wait_for "$W/.sig" ready || { kill -KILL $pid; fail "the guest never said ready"; }
		kill -$sig $pid
		wait $pid
		st=$?
		echo "check: SIG$sig to uvk: guest said '$(tail -1 "$W/.sig")', uvk exited $st"
		grep -q "got $sig" "$W/.sig" || fail "the guest's trap for SIG$sig did not run"
		[ $st = 3 ] || fail "uvk exited $st, want the guest's 3"
	done
	set +m
	$G "$BB" sh -c "echo stopping; kill -STOP \$\$; echo continued" >"$W/.sig" 2>&1 &
	pid=$!
	for i in $(seq 1 200); do
		[ "$(awk '{ print $3 }' /proc/$pid/stat 2>/dev/null)" = T ] && break
		sleep 0.1
	done
	state=$(awk '{ print $3 }' /proc/$pid/stat 2>/dev/null)
	echo "check: guest pid 1 stopped itself: uvk's host state is $state"
	[ "$state" = T ] || { kill -KILL $pid; fail "uvk did not stop with its guest (state $state)"; }
	kill -CONT $pid
	wait $pid
	st=$?
	grep -q continued "$W/.sig" || fail "the guest did not continue after SIGCONT to uvk"
	[ $st = 0 ] || fail "uvk exited $st after the guest continued"
	;;
sh_trap)
	# trap on INT (sent by the shell to itself and by a child), EXIT, a trap
	# reset to the default, which then kills (status 143), and "" (ignore),
	# which children inherit.
	same sh -c 'trap "echo caught INT" INT; kill -INT $$; echo after; sh -c "kill -INT $$"; echo again; trap - INT; trap "echo exit trap" EXIT; echo end'
	same sh -c 'trap "echo never" TERM; trap - TERM; kill -TERM $$; echo unreachable'
	same sh -c 'trap "" INT; kill -INT $$; echo ignored; sh -c "kill -INT \$\$; echo child ignores too"'
	;;
sh_jobs)
	# A background job killed with kill %1, then collected by wait: 143.
	same sh -c 'sleep 100 & kill %1; wait; echo "waited $?"'
	# ash says "Terminated" on stderr when it reaps the job before the wait
	# builtin runs, which is a race natively too: only the status is compared.
	same sh -c 'exec 2>/dev/null; sleep 100 & p=$!; kill -STOP $p; kill -CONT $p; kill $p; wait $p; echo "status $?"'
	# wait collects the job: its output file is complete after it, whatever
	# the order the two processes happened to run in.
	same sh -c 'f=/tmp/sh_jobs.$$; (sleep 0.2; echo late >$f) & echo early; wait; cat $f; rm -f $f; echo done'
	same sh -c '{ for i in 1 2 3; do (echo job $i) & done; wait; echo all; } | sort'
	;;
sh_wait)
	# wait for one pid, for all, for a job that exits with a status.
	same sh -c '(exit 7) & p=$!; (exit 9) & q=$!; wait $p; echo "p $?"; wait $q; echo "q $?"; wait; echo "none $?"'
	same sh -c 'sleep 0.1 & sleep 0.1 & wait; echo both'
	;;
sh_xargs)
	# xargs runs the command per batch of arguments, in child processes.
	same sh -c "$BB seq 1 300 | $BB xargs -n 7 echo | $BB tail -3"
	same sh -c "$BB seq 1 50 | $BB xargs -n 1 $BB expr 1 + | $BB md5sum"
	same sh -c "printf 'a\\nb c\\n' | $BB xargs -I{} echo '[{}]'"
	;;
script)
	# "#!" scripts, with an argument on the interpreter line, found in PATH too.
	printf '#!%s sh\necho "script $0 $1"\nexit 5\n' "$BB" >"$W/s1"
	printf '#!/nonexistent/interp\n' >"$W/s2"
	printf '#!%s\n' "$W/s1" >"$W/s3"
	chmod +x "$W/s1" "$W/s2" "$W/s3"
	status 5 $G /data/s1 arg
	[ "$(cat "$W/.out")" = "script /data/s1 arg" ] || fail "script output: $(cat "$W/.out")"
	status 5 $G -E PATH=/data s1 arg
	status 127 $G /data/s2
	status 5 $G /data/s3
	;;
exit_status)
	status 0 $UVK "$BB" true
	status 1 $UVK "$BB" false
	status 7 $UVK "$BB" sh -c 'exit 7'
	status 255 $UVK "$BB" sh -c 'exit 255'
	# A guest killed by a signal: 128+N.
	status 139 $UVK "$BB" sh -c 'kill -SEGV $$'
	status 134 $UVK "$BB" sh -c 'kill -ABRT $$'
	status 137 $UVK "$BB" sh -c 'kill -KILL $$'
	# PATH lookup as execvp does.
	status 0 $UVK -E PATH=/nonexistent:/bin busybox true
	;;
options)
	status 125 $UVK
	status 125 $UVK --no-such-option "$BB" true
	grep -q "uvk: unknown option '--no-such-option'" "$W/.err" || fail "no message"
	[ "$(wc -l <"$W/.err")" = 1 ] || fail "the message is not one line"
	status 125 $UVK -m
	grep -q "uvk: option '-m' needs an argument" "$W/.err" || fail "no message"
	status 125 $UVK -m 12Q "$BB" true
	status 125 $UVK -r /nonexistent-root "$BB" true
	status 125 $UVK -r "$W/text" "$BB" true
	status 125 $UVK -w /nonexistent-dir "$BB" true
	status 125 $UVK -b /nonexistent-dir:/x "$BB" true
	status 125 $UVK --trace=/nonexistent-dir/f "$BB" true
	status 0 $UVK --help
	grep -q '^Usage: uvk' "$W/.out" || fail "--help"
	status 0 $UVK --version
	grep -q '^uvk ' "$W/.out" || fail "--version"
	status 0 $UVK -m 64M -i -E FOO=bar "$BB" env
	[ "$(cat "$W/.out")" = "FOO=bar" ] || fail "environment: $(cat "$W/.out")"
	status 0 $UVK -E FOO=1 -u HOME "$BB" sh -c 'echo "$FOO:${HOME-unset}"'
	[ "$(cat "$W/.out")" = "1:unset" ] || fail "environment: $(cat "$W/.out")"
	status 0 $UVK -w /etc "$BB" pwd
	[ "$(cat "$W/.out")" = /etc ] || fail "workdir: $(cat "$W/.out")"
	status 0 $UVK --stats "$BB" true
	grep -q 'uvk: stats: .* syscalls' "$W/.err" || fail "--stats printed nothing"
	;;
trace)
	status 0 $UVK --trace "$BB" echo traced
	grep -qx traced "$W/.out" || fail "output lost"
	for line in 'write(1, "traced\n", 7) = 7' 'exit_group(0) = ?' '+++ exited with 0 +++' \
		'arch_prctl(' 'rseq(' '= -1 ENOSYS (Function not implemented)'; do
		grep -qF "$line" "$W/.err" || fail "trace lacks: $line"
	done
	status 1 $UVK --trace="$W/trace.txt" "$BB" cat /nonexistent
	grep -qF 'open("/nonexistent", O_RDONLY) = -1 ENOENT (No such file or directory)' \
		"$W/trace.txt" ||
		grep -qF 'openat(AT_FDCWD, "/nonexistent", O_RDONLY' "$W/trace.txt" ||
		fail "trace file lacks the failed open: $(grep nonexistent "$W/trace.txt")"
	;;
procps)
	# procps reads the guest's /proc: it sees the guest's processes (pid 1 the
	# shell, its sleeping child), never the host's; top counts them; pgrep
	# finds the child by name and pkill ends it (SIGTERM: wait says 143);
	# free shows the guest's RAM.
	status 0 $UVK -c 1 -m 64M "$BB" sh -c '/usr/bin/sleep 30 & c=$!
		echo "child=$c"
		/usr/bin/ps -o pid=,ppid=,comm=
		echo "ps-ef:"; /usr/bin/ps -ef
		echo "top:"; /usr/bin/top -bn1 | /bin/busybox grep "^Tasks:"
		echo "pgrep=$(/usr/bin/pgrep -x sleep)"
		/usr/bin/pkill -x sleep; wait $c; echo "wait=$?"
		/usr/bin/free -k | /bin/busybox grep "^Mem:"
		/usr/bin/uptime'
	cat "$W/.out"
	c=$(sed -n 's/^child=//p' "$W/.out")
	[ -n "$c" ] || fail "no child pid"
	grep -Eq "^ *$c +1 sleep$" "$W/.out" || fail "ps -o pid,ppid,comm: no line '$c 1 sleep'"
	# ps -ef: its header, then exactly pid 1, the child and ps itself.
	pids=$(sed -n '/^ps-ef:/,/^top:/p' "$W/.out" | awk '$2 ~ /^[0-9]+$/ { print $2 }' | sort -n |
		tr '\n' ' ')
	sed -n '/^ps-ef:/{n;p}' "$W/.out" | grep -q '^UID *PID *PPID' || fail "ps -ef header"
	set -- $pids
	[ $# = 3 ] && [ "$1" = 1 ] && [ "$2" = "$c" ] || fail "ps -ef pids: $pids (want 1 $c and ps)"
	grep -Eq '^Tasks: +4 total' "$W/.out" || fail "top: want 4 tasks (sh, sleep, top, grep)"
	grep -q "^pgrep=$c\$" "$W/.out" || fail "pgrep -x sleep"
	grep -q '^wait=143$' "$W/.out" || fail "pkill: the child's wait status"
	grep -Eq '^Mem: +65536 ' "$W/.out" || fail "free -k: want 65536 kB total"
	grep -q ' up ' "$W/.out" || fail "uptime"
	;;
trace_process)
	# trace: --trace-filter=%process on busybox sh running two programs:
	# every line is a %process call, a signal or an exit, and each child
	# shows as [pid N] with its exec, its exit and the status wait4 got.
	status 4 $UVK --trace="$W/t" --trace-filter=%process "$BB" sh -c "$BB true; $BB false; exit 4"
	bad=$(sed -e 's/^\[pid [0-9]*\] //' -e 's/^<\.\.\. [a-z0-9_]* resumed>.*//' "$W/t" |
		grep -vE '^$|^(\+\+\+|---) |^(execve|clone3?|fork|vfork|wait4|waitid|exit|exit_group|kill|tkill|tgkill)\(')
	[ -z "$bad" ] || fail "%process shows other calls: $(echo "$bad" | head -3)"
	for n in 0 1; do
		prog=$([ $n = 0 ] && echo true || echo false)
		grep -qE "^\[pid [0-9]+\] execve\(\"$BB\", \[\"$BB\", \"$prog\"\], 0x[0-9a-f]+ /\* [0-9]+ vars \*/\) = 0$" \
			"$W/t" || fail "no [pid N] execve of $prog: $(grep execve "$W/t")"
		grep -qE "^\[pid [0-9]+\] \+\+\+ exited with $n \+\+\+$" "$W/t" ||
			fail "no [pid N] +++ exited with $n +++"
		grep -qF "[{WIFEXITED(s) && WEXITSTATUS(s) == $n}]" "$W/t" ||
			fail "no wait4 status decoded for exit $n: $(grep wait4 "$W/t")"
	done
	grep -qx 'exit_group(4) = ?' "$W/t" || fail "no exit_group(4) = ? for pid 1 (alone again)"
	tail -n 1 "$W/t" | grep -qx '+++ exited with 4 +++' || fail "the last line is not pid 1's exit"
	# --stats=json on stderr: one object a script can parse.
	status 0 $UVK --stats=json "$BB" sh -c "$BB true; exit 0"
	python3 - "$W/.err" <<'PY' || fail "--stats=json on stderr"
import json, sys
lines = [l for l in open(sys.argv[1]) if l.startswith("{")]
assert len(lines) == 1, "want one JSON line on stderr, got %d" % len(lines)
o = json.loads(lines[0])
ps = o["per_syscall"]
assert ps["execve"]["calls"] == 1, ps.get("execve")
assert ps["wait4"]["calls"] >= 1 and ps["exit_group"]["calls"] == 2, (ps.get("wait4"), ps.get("exit_group"))
assert sum(v["calls"] for v in ps.values()) <= o["syscalls"]
print("stats json: ok")
PY
	;;
devproc)
	status 0 $UVK "$BB" head -c 16 /dev/zero
	[ "$(od -An -tx1 "$W/.out" | tr -d ' \n')" = 00000000000000000000000000000000 ] ||
		fail "/dev/zero"
	status 0 $UVK "$BB" dd if=/dev/urandom of=/dev/null bs=1k count=4
	status 1 $UVK "$BB" cp /etc/hostname /dev/full
	status 0 $UVK "$BB" readlink /proc/self/exe
	# Linux names the file with every symlink resolved (/bin may be a link to usr/bin).
	[ "$(cat "$W/.out")" = "$(readlink -f "$BB")" ] || fail "/proc/self/exe: $(cat "$W/.out")"
	status 0 $UVK "$BB" cat /proc/self/maps
	grep -q '\[stack\]' "$W/.out" || fail "/proc/self/maps has no stack"
	status 0 $UVK "$BB" grep MemTotal /proc/meminfo
	status 0 $UVK -m 64M "$BB" grep -w 65536 /proc/meminfo
	;;
tty_ctrlc)
	# Ctrl-C at an interactive shell interrupts its foreground job and the
	# prompt comes back; the shell sees 128+SIGINT. We cannot see when the
	# guest's sleep has started, so Ctrl-C is repeated until the prompt is back
	# (a Ctrl-C typed while the shell still edits the line is just a byte, which
	# the next one's SIGINT flushes). The second job prints "started" once it is
	# the foreground process group, so that Ctrl-C cannot reach the shell instead.
	onpty 'PS1=uvk$ ' "$BB" sh -i <<-'EOF'
		expect "uvk$ "
		send "sleep 100\n"
		expect "sleep 100\r\n"
		sendrepeat "\x03" "uvk$ "
		send "echo rc=$?\n"
		expect "rc=130\r\n"
		expect "uvk$ "
		send "(echo started; sleep 100)\n"
		expect "started\r\n"
		sendrepeat "\x03" "uvk$ "
		send "echo rc=$?\n"
		expect "rc=130\r\n"
		expect "uvk$ "
		send "exit\n"
		wait 0
		termios-same
	EOF
	;;
tty_ctrlz)
	# Ctrl-Z stops the foreground job (SIGTSTP) and ash reports it. Ctrl-Z is
	# repeated like Ctrl-C in tty_ctrlc until ash says "Stopped"; the
	# interactive shell ignores SIGTSTP, so an early one does nothing.
	# First job: sent SIGTERM while stopped, it waits for SIGCONT; ash refuses
	# the first `exit` while a job is stopped; `fg` continues it and it dies.
	# Second job: it says "ready" once it has the terminal, so the first Ctrl-Z
	# stops it (an early one, typed while ash still edits the line, would be a
	# byte for its `read`). `fg` puts it back in the foreground, which it proves
	# by reading a line from the terminal (a background read would stop it), so
	# the Ctrl-C after that cannot land while ash is still between printing the
	# job and handing it the terminal. Job numbers after the first depend on
	# when ash frees a finished job, hence %%.
	onpty 'PS1=uvk$ ' "$BB" sh -i <<-'EOF'
		expect "uvk$ "
		send "sleep 100\n"
		expect "sleep 100\r\n"
		sendrepeat "\x1a" "Stopped"
		expect "sleep 100\r\n"
		expect "uvk$ "
		send "echo rc=$?\n"
		expect "rc=148\r\n"
		expect "uvk$ "
		send "jobs\n"
		expect "[1]+  Stopped                    sleep 100\r\n"
		expect "uvk$ "
		send "kill %%\n"
		expect "uvk$ "
		send "exit\n"
		expect "You have stopped jobs.\r\n"
		expect "uvk$ "
		send "fg; echo rc=$?\n"
		expect "Terminated\r\nrc=143\r\n"
		expect "uvk$ "
		send "(echo ready; read x; echo got=$x; sleep 100)\n"
		expect "ready\r\n"
		sendrepeat "\x1a" "Stopped"
		expect "uvk$ "
		send "fg\n"
		expect "fg\r\n"
		expect "sleep 100)\r\n"
		send "go\n"
		expect "got=go\r\n"
		sendrepeat "\x03" "uvk$ "
		send "echo rc=$?\n"
		expect "rc=130\r\n"
		expect "uvk$ "
		send "exit\n"
		wait 0
		termios-same
	EOF
	;;
tty_restore)
	# uvk puts the terminal back as it found it when it exits, even if the guest
	# left it raw or died by a signal. The modes are first seen changed while
	# the guest waits for a line, which proves its stty reached the terminal.
	# Natively nothing restores them: the same steps expect them still changed
	# at the end, which proves the final check can fail.
	if [ -n "$NATIVE" ]; then
		at_end=termios-differ
		killed='wait signal 9'
	else
		at_end=termios-same
		killed='wait 137'
	fi
	onpty "$BB" sh -c 'stty raw -echo; echo changed; read x; exit 0' <<-EOF
		expect "changed"
		termios-differ
		send "\n"
		wait 0
		$at_end
	EOF
	onpty "$BB" sh -c 'stty raw -echo; echo changed; read x; kill -KILL $$' <<-EOF
		expect "changed"
		termios-differ
		send "\n"
		$killed
		$at_end
	EOF
	;;
flock)
	# util-linux flock(1) between guest processes, compared with the same
	# script run natively, and with what flock(1) and flock(2) promise (the
	# script checks itself: natively that proves the expectations): a holder
	# (flock FILE -c CMD) makes flock -n from another process exit 1 (or
	# -E's code), shared holders admit shared but not exclusive ones, a lock
	# on a descriptor of the shell goes with flock -u, and a waiting flock
	# gets the lock when it goes.
	[ -x /usr/bin/flock ] || fail "no /usr/bin/flock (util-linux)"
	cat >"$W/flock.sh" <<'EOS'
body() {
	: >lk
	flock -n lk true; echo "free: $?"
	flock lk -c 'flock -n lk true; echo "held, -n: $?"'; echo "holder: $?"
	flock lk -c 'flock -E 7 -n lk true; echo "held, -E 7: $?"'
	flock -s lk -c 'flock -s -n lk true; echo "shared, -s -n: $?"; flock -x -n lk true; echo "shared, -x -n: $?"'
	exec 9>>lk
	flock 9
	flock -n lk true; echo "held on fd 9: $?"
	flock -u 9
	flock -n lk true; echo "released: $?"
	flock 9
	flock lk -c 'echo "the waiter ran"' &
	flock -u 9
	wait $!; echo "waiter: $?"
}
body >flock.out 2>&1
cat flock.out
printf '%s\n' "free: 0" "held, -n: 1" "holder: 0" "held, -E 7: 7" "shared, -s -n: 0" \
	"shared, -x -n: 1" "held on fd 9: 1" "released: 0" "the waiter ran" "waiter: 0" |
	cmp -s - flock.out || { echo "flock.sh: not what flock(1) promises" >&2; exit 1; }
EOS
	same_prog /bin/sh flock.sh
	;;
py_threads)
	# python3's threading, concurrent.futures and queue (tests/programs/py_threads.py).
	cp "$(dirname "$0")/py_threads.py" "$W/"
	same_prog /usr/bin/python3 py_threads.py
	;;
xz_threads)
	# xz -T4 compresses 4 MiB in 1 MiB blocks, one per thread, and
	# decompresses them the same way. xz's threaded output depends only on the
	# data and the options: the guest's stream must equal the native one and
	# decompress natively, and the guest must decompress the native stream.
	mkbig
	XZ="/usr/bin/xz -1 -T4 --block-size=1MiB"
	(cd "$W" && $UVK --trace="$W/.trace" -b "$W:/data" -w /data $XZ -c big >"$W/big.g.xz") ||
		fail "xz -T4 failed in the guest"
	threads_in "$W/.trace" "xz -T4 compressing"
	$XZ -c "$W/big" >"$W/big.n.xz" || fail "xz -T4 failed natively"
	echo "check: the guest's xz -T4 stream ($(wc -c <"$W/big.g.xz") bytes) equals the native one"
	cmp "$W/big.g.xz" "$W/big.n.xz" || fail "the guest's compressed stream differs"
	echo "check: the guest's stream decompresses natively to the input"
	/usr/bin/xz -d -c "$W/big.g.xz" | cmp - "$W/big" || fail "native xz -d of the guest's stream"
	(cd "$W" && $UVK --trace="$W/.trace" -b "$W:/data" -w /data /usr/bin/xz -T4 -d -c big.n.xz \
		>"$W/big.g.out") || fail "xz -T4 -d failed in the guest"
	threads_in "$W/.trace" "xz -T4 decompressing"
	echo "check: the guest's xz -T4 -d gives back the input"
	cmp "$W/big.g.out" "$W/big" || fail "the guest decompressed something else"
	;;
sort_parallel)
	# GNU sort with 4 threads on 200,000 lines, whole lines (traced: it must
	# really start threads in the guest) and by keys.
	mkbig
	(cd "$W" && $UVK --trace="$W/.trace" -b "$W:/data" -w /data /usr/bin/sort --parallel=4 big \
		>"$W/.g.sorted") || fail "sort --parallel=4 failed in the guest"
	threads_in "$W/.trace" "sort --parallel=4"
	echo "check: sort --parallel=4 big, in the guest and natively"
	/usr/bin/sort --parallel=4 "$W/big" | cmp - "$W/.g.sorted" || fail "sort output differs from native"
	same_prog /usr/bin/sort --parallel=4 -t ' ' -k2,2 -k3,3nr big
	;;
node_digest)
	# node: digests computed on the main thread, on libuv's thread pool (pbkdf2)
	# and in a worker_threads Worker (tests/programs/node_digest.js).
	cp "$(dirname "$0")/node_digest.js" "$W/"
	same_prog /usr/bin/node node_digest.js
	;;
smp_xz)
	# Several vCPUs (issue 11): xz -T0 takes as many threads as the guest has
	# CPUs (2 with -c 2, as natively here); a 1 MiB block size makes the
	# stream depend on the data alone. Round trip in the guest, and the
	# guest's stream must equal the native one.
	mkbig
	XZ="/usr/bin/xz -1 -T0 --block-size=1MiB"
	(cd "$W" && $UVK -c 2 --trace="$W/.trace" -b "$W:/data" -w /data $XZ -c big >"$W/big.g.xz") ||
		fail "xz -T0 failed in the guest"
	threads_in "$W/.trace" "xz -T0 compressing on 2 vCPUs"
	$XZ -c "$W/big" >"$W/big.n.xz" || fail "xz -T0 failed natively"
	echo "check: the guest's xz -T0 stream ($(wc -c <"$W/big.g.xz") bytes) equals the native one"
	cmp "$W/big.g.xz" "$W/big.n.xz" || fail "the guest's compressed stream differs"
	(cd "$W" && $UVK -c 2 -b "$W:/data" -w /data /usr/bin/xz -T0 -d -c big.g.xz >"$W/big.g.out") ||
		fail "xz -T0 -d failed in the guest"
	echo "check: the guest's xz -T0 -d of its own stream gives back the input"
	cmp "$W/big.g.out" "$W/big" || fail "the round trip in the guest changed the data"
	;;
smp_sort)
	# GNU sort --parallel=2 on 2 vCPUs, whole lines and by keys.
	mkbig
	(cd "$W" && $UVK -c 2 --trace="$W/.trace" -b "$W:/data" -w /data /usr/bin/sort --parallel=2 big \
		>"$W/.g.sorted") || fail "sort --parallel=2 failed in the guest"
	threads_in "$W/.trace" "sort --parallel=2 on 2 vCPUs"
	echo "check: sort --parallel=2 big on 2 vCPUs, in the guest and natively"
	/usr/bin/sort --parallel=2 "$W/big" | cmp - "$W/.g.sorted" || fail "sort output differs from native"
	G="$UVK -c 2 -b $W:/data -w /data"
	same_prog /usr/bin/sort --parallel=2 -t ' ' -k2,2 -k3,3nr big
	;;
smp_make)
	# make -j2 builds a small C project (tests/programs/smallc: four objects
	# that build at once) with gcc on 2 vCPUs; the program it built runs in
	# the guest and natively, and prints what the native build's program does.
	command -v gcc >/dev/null || fail "no gcc on the host (the case needs it)"
	cp -r "$(dirname "$0")/smallc" "$W/g"
	cp -r "$(dirname "$0")/smallc" "$W/n"
	rm -f "$W/g/prog" "$W/g/"*.o "$W/n/prog" "$W/n/"*.o
	(cd "$W" && $UVK -c 2 --trace="$W/.trace" -b "$W:/data" -w /data/g /usr/bin/make -j2 \
		>"$W/.g.make" 2>&1) || { cat "$W/.g.make"; fail "make -j2 failed in the guest"; }
	n=$(grep -c 'execve("[^"]*/cc1"' "$W/.trace")
	echo "check: make -j2 ran the compiler $n times in the guest (want 4)"
	[ "$n" = 4 ] || fail "cc1 ran $n times, want 4"
	make -s -C "$W/n" -j2 >/dev/null 2>&1 || fail "make -j2 failed natively"
	"$W/n/prog" >"$W/.n.out" || fail "the native build's program failed"
	(cd "$W" && $UVK -c 2 -b "$W:/data" -w /data/g ./prog >"$W/.g.out") ||
		fail "the guest-built program failed in the guest"
	"$W/g/prog" >"$W/.g.host.out" || fail "the guest-built program failed natively"
	echo "check: the guest-built program's output equals the native build's (in the guest and natively)"
	cmp "$W/.g.out" "$W/.n.out" || fail "output differs in the guest"
	cmp "$W/.g.host.out" "$W/.n.out" || fail "output of the guest-built program differs natively"
	;;
smp_pool)
	# python3 concurrent.futures.ProcessPoolExecutor, 2 worker processes on 2 vCPUs.
	cp "$(dirname "$0")/py_pool.py" "$W/"
	G="$UVK -c 2 -b $W:/data -w /data"
	same_prog /usr/bin/python3 py_pool.py
	;;
*)
	fail "unknown case $CASE"
	;;
esac
echo "PASS: $CASE"
exit 0
