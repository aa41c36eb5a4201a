#!/bin/sh
# run-guest.sh - run one guest test program under uvk (or natively) with the
# arguments, options and expectations of its case.
#
#   run-guest.sh RUNNER CASE PROGRAM
#   run-guest.sh RUNNER all DIR
#   run-guest.sh --list
#
# RUNNER   the uvk executable, or "native" to run PROGRAM directly on the host
#          (every case must pass natively too: a program that fails natively
#          is wrong, not the kernel).
# CASE     what to run and expect, one of the names --list prints.
# PROGRAM  the guest program for CASE (its glibc or musl build).
# all DIR  runs every case with each build found in DIR (t_NAME-glibc,
#          t_NAME-glibc-pie, t_NAME-musl, and for the thread programs
#          t_NAME-glibc-dyn and t_NAME-musl-dyn) and prints a summary.
#
# Environment:
#   UVK_TEST_UNPRIV=1   run the program (and uvk) as uid/gid 65534 with no
#                       capabilities, through setpriv, when running as root;
#                       when not root, the run is unprivileged already.
#   UVK_TEST_BIGDIR     the large host directory t_getdents_big lists
#                       (default /usr/bin).
#
# Expectations come from the host, measured here when the test runs: sizes
# and checksums of fixture files, the entry count of a host directory, the
# uid and gid. The exit status is 0 if the case passed, 1 if it failed, 99 on
# a usage error or a broken setup (meson's "hard error").

set -u

CASES="args brk_mmap mprotect mprotect-none mprotect-rodata files_root files_tmp getdents_big
dup_fcntl efault enomem clock misc fork pipe signal sigfault sigproc timer poll epoll sched bigfork
highbits hostlimits
res_pipesize res_pipefill res_epollfill res_sparse res_maptmp res_maphost res_bigdir res_nofile
stackgrow shmanon vmtop mremap mapcount mapscatter
res_deepdir res_pipeuser res_openmany res_procmaps res_tmpexec
vsyscall opath clonefl fileops
rename_cwd rename_cwd-bind dotdot dotdot-bind hostlink bigpipe
eventfd timerfd
signalfd
fifo
futex futex_threads
clone3 pidfd clone3_thread
taskproc taskproc-threads taskproc-rlimit
locks locks-bind
pthread_basic pthread_sync pthread_cancel pthread_signal pthread_exit pthread_proc pthread_bad
unix_stream unix_stream-bind unix_dgram unix_scm res_unixfill
smp_count smp_count2 smp_count4 smp_sum smp_sum4 smp_mm smp_mm4 smp_unmap smp_pingpong
smp_affinity smp_affinity4
inotify inotify-bind
fdinfo
procsys prctl prctl-bind
trace
pcache-share pcache-stale pcache-coherent pcache-pressure pcache-mapshared"

say() { printf '%s\n' "run-guest: $*"; }
die() { say "$*" >&2; exit 99; }
# as_nobody COMMAND... - run it as uid/gid 65534, no groups, no capabilities.
as_nobody() {
    setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all --bounding-set=-all -- "$@"
}

if [ "${1-}" = --list ]; then
    for c in $CASES; do echo "$c"; done
    exit 0
fi
[ $# -eq 3 ] || die "usage: run-guest.sh RUNNER CASE PROGRAM | RUNNER all DIR | --list"
runner=$1
case=$2
prog=$3

# -- all: every case with every build in a directory -------------------------

if [ "$case" = all ]; then
    pass=0 fail=0 failed=
    for c in $CASES; do
        for v in glibc glibc-pie musl glibc-dyn musl-dyn; do
            p=$prog/t_${c%%-*}-$v
            [ -x "$p" ] || continue
            if sh "$0" "$runner" "$c" "$p" >"${TMPDIR:-/tmp}/run-guest.$$" 2>&1; then
                pass=$((pass + 1))
                echo "PASS $c ($v)"
            else
                fail=$((fail + 1))
                failed="$failed $c($v)"
                echo "FAIL $c ($v)"
                sed 's/^/    /' "${TMPDIR:-/tmp}/run-guest.$$"
            fi
        done
    done
    rm -f "${TMPDIR:-/tmp}/run-guest.$$"
    echo "$pass passed, $fail failed${failed:+:$failed}"
    [ $fail -eq 0 ] && [ $pass -gt 0 ]
    exit
fi

# -- set-up -------------------------------------------------------------------

known=0
for c in $CASES; do
    [ "$c" != "$case" ] || known=1
done
[ $known = 1 ] || die "unknown case '$case' (run-guest.sh --list)"
case $prog in
/*) ;;
*) prog=$PWD/$prog ;;
esac
[ -f "$prog" ] || die "no program $prog"
if [ "$runner" != native ]; then
    case $runner in
    /*) ;;
    */*) runner=$PWD/$runner ;;
    esac
    [ -x "$runner" ] || die "no uvk executable at $runner"
    # The guest's /tmp is its own tmpfs: a program under the host's /tmp (a
    # build tree there, say) is invisible to it. Stage a copy outside /tmp.
    case $prog in
    /tmp/*)
        stage=$(mktemp -d /var/tmp/uvk-guest.XXXXXX) || die "cannot stage $prog"
        cp "$prog" "$stage/" || die "cannot stage $prog"
        chmod 755 "$stage" "$stage/$(basename "$prog")"
        prog=$stage/$(basename "$prog")
        ;;
    esac
fi

# Unprivileged: setpriv drops to nobody when root; otherwise we are someone already.
unpriv=0
if [ "${UVK_TEST_UNPRIV:-0}" = 1 ] && [ "$(id -u)" = 0 ]; then
    command -v setpriv >/dev/null || die "UVK_TEST_UNPRIV=1 needs setpriv (util-linux)"
    unpriv=1
    uid=65534 gid=65534
    # Nobody must reach the program and uvk: every directory above them searchable.
    for f in "$prog" ${runner%native}; do
        as_nobody test -x "$f" ||
            die "$f is not executable by uid 65534 (check the modes of its directories)"
    done
else
    uid=$(id -u) gid=$(id -g)
fi
# The program runs as root exactly when this shell is root and not dropping privileges.
as_root=0
[ "$uid" = 0 ] && as_root=1

# Anything the harness writes goes to a fresh directory, readable by nobody.
work=$(mktemp -d "${TMPDIR:-/tmp}/uvk-guest.XXXXXX") || die "mktemp failed"
chmod 755 "$work"
fixture=
marker=
bind=
hostdir=
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
    rm -rf "$work"
    [ -z "$fixture" ] || rm -rf "$fixture"
    [ -z "$marker" ] || rm -f "/tmp/$marker"
    [ -z "$bind" ] || rm -rf "$bind"
    [ -z "$hostdir" ] || rm -rf "$hostdir"
    [ -z "${stage:-}" ] || rm -rf "$stage"
}
trap cleanup EXIT
trap 'exit 99' HUP INT TERM
# No core files from the cases that end in SIGSEGV (dash and bash know -c).
# shellcheck disable=SC3045
ulimit -c 0 2>/dev/null || :

say "case $case: $prog"
say "runner: $runner$( [ $unpriv = 1 ] && echo ' (as uid 65534 via setpriv)')"

# launch COMMAND... - run it (as nobody if asked), output to $work/out and
# to our stdout; sets $status.
launch() {
    line=
    for a; do
        [ ${#a} -le 60 ] || a="$(printf '%.40s' "$a")...[${#a} bytes]"
        line="$line '$a'"
    done
    printf '%s' "run-guest: running:$line" | tr '\n' '|'
    echo
    if [ $unpriv = 1 ]; then
        as_nobody "$@" </dev/null >"$work/out" 2>&1
    else
        "$@" </dev/null >"$work/out" 2>&1
    fi
    status=$?
    cat "$work/out"
    say "exit status $status"
}

# guest [UVK-OPTION...] -- PROGRAM [ARG...] - run PROGRAM under uvk with the
# options or, natively, without them: -E NAME=VALUE becomes env NAME=VALUE;
# -m SIZE and -c N, which have no native counterpart, are dropped, and so is
# --bind DIR (the same path on both sides: natively the host directory itself).
guest() {
    if [ "$runner" = native ]; then
        n=$#
        i=0
        opts=1
        while [ $i -lt $n ]; do
            a=$1
            shift
            i=$((i + 1))
            if [ $opts = 1 ]; then
                case $a in
                -E) ;;
                -m | -c | --bind) shift; i=$((i + 1)) ;;
                --) opts=0 ;;
                *) set -- "$@" "$a" ;;
                esac
            else
                set -- "$@" "$a"
            fi
        done
        launch env "$@"
    else
        launch "$runner" "$@"
    fi
}

# passed NAME - status 0 and the program's own PASS summary in the output.
passed() {
    if [ $status -ne 0 ]; then
        case $status in
        125) say "FAIL: uvk's own error (125)" ;;
        126) say "FAIL: not executable (126)" ;;
        127) say "FAIL: program not found (127)" ;;
        1) say "FAIL: the program reported failed checks" ;;
        *)
            if [ $status -gt 128 ]; then
                say "FAIL: killed by signal $((status - 128))"
            else
                say "FAIL: exit status $status"
            fi
            ;;
        esac
        return 1
    fi
    if ! grep -q "^$1: [0-9]* checks, 0 failed: PASS\$" "$work/out"; then
        say "FAIL: exit status 0 but no PASS summary from $1"
        return 1
    fi
    return 0
}

# bounded RAM_MIB - the tracer stayed within the bound README.md documents:
# peak RSS at most the guest's RAM (RAM_MIB, from -m), its kernel-heap budget
# (RAM/16) and 32 MiB, at most
# 96 descriptors at once (the mapfile cache's 64 and the tracer's own), and
# a tmpfs name lookup compares few entries (2 on average at most: hashed, not
# a scan). Read from uvk's second --stats line; no such line is a failure.
bounded() {
    fdmax=${2:-96}
    line=$(grep '^uvk: stats: tracer peak RSS' "$work/out" | tail -n 1)
    rss=$(printf '%s\n' "$line" | sed -n 's/.*tracer peak RSS \([0-9]*\) KiB.*/\1/p')
    fdp=$(printf '%s\n' "$line" | sed -n 's/.*descriptors [0-9]* (peak \([0-9]*\)).*/\1/p')
    looks=$(printf '%s\n' "$line" | sed -n 's/.*tmpfs lookups \([0-9]*\) comparing.*/\1/p')
    cmps=$(printf '%s\n' "$line" | sed -n 's/.*comparing \([0-9]*\) entries.*/\1/p')
    if [ -z "$rss" ] || [ -z "$fdp" ] || [ -z "$looks" ] || [ -z "$cmps" ]; then
        say "FAIL: no 'uvk: stats: tracer peak RSS N KiB, descriptors N (peak N), ...' line"
        return 1
    fi
    ok=0
    if [ "$rss" -gt $(( ($1 + $1 / 16 + 32) * 1024 )) ]; then
        say "FAIL: tracer peak RSS $rss KiB > $1 MiB of guest RAM + 1/16 + 32 MiB"
        ok=1
    fi
    if [ "$fdp" -gt "$fdmax" ]; then
        say "FAIL: the tracer held $fdp descriptors at once, want <= $fdmax"
        ok=1
    fi
    if [ "$cmps" -gt $((2 * looks + 100)) ]; then
        say "FAIL: $looks tmpfs lookups compared $cmps entries: a scan, not a hash"
        ok=1
    fi
    [ $ok = 0 ] && say "bounded: RSS $rss KiB, $fdp descriptors, $cmps entries in $looks lookups"
    return $ok
}

# resource_case RAM_MIB ARG... - run the program with ARGs, natively or
# under uvk with -m RAM_MIB and --stats; under uvk the tracer must stay bounded.
resource_case() {
    ram=$1
    shift
    if [ "$runner" = native ]; then
        guest -- "$prog" "$@"
        passed t_resources && result=0
    else
        guest -m "${ram}M" --stats -- "$prog" "$@"
        passed t_resources && bounded "$ram" && result=0
    fi
}

# -- the cases ----------------------------------------------------------------

result=1
case $case in
args)
    # An empty argument, spaces, a tab, '=' and one argument of 20000 bytes
    # (several pages of stack); the program gets the same list in an
    # environment variable, joined by newlines, and compares.
    long=$(printf '%20000s' '' | tr ' ' L)
    tab=$(printf '\t')
    expect="alpha
two words

tab${tab}x
k=v
$long"
    guest -E "UVK_T_ARGS_ENV=a b=c d" -E "UVK_T_ARGS_ARGV=$expect" -- \
        "$prog" alpha "two words" "" "tab${tab}x" "k=v" "$long"
    passed t_args && result=0
    ;;

brk_mmap)
    guest -- "$prog"
    passed t_brk_mmap && result=0
    ;;

mprotect | mprotect-none | mprotect-rodata)
    # Death by SIGSEGV is the expected end: status 139, after the program
    # said what it was about to do and with no check failed before.
    mode=${case#mprotect}
    mode=${mode#-}
    guest -- "$prog" "${mode:-ro}"
    if [ $status -ne 139 ]; then
        say "FAIL: exit status $status, want 139 (killed by SIGSEGV)"
    elif ! grep -q '^about to ' "$work/out"; then
        say "FAIL: killed by SIGSEGV before the faulting access"
    elif grep -q '^FAIL' "$work/out"; then
        say "FAIL: checks failed before the faulting access"
    else
        say "killed by SIGSEGV as expected"
        result=0
    fi
    ;;

files_root)
    # A fixture next to the program: in the host tree, outside /tmp (which
    # the guest sees as its own tmpfs), physical path.
    fixture=$(mktemp -d "$(dirname "$prog")/fixture.XXXXXX") || die "mktemp failed"
    chmod 755 "$fixture"
    fixture=$(cd -P "$fixture" && pwd -P)
    cp "$prog" "$fixture/data"
    chmod 644 "$fixture/data"
    ln -s data "$fixture/link"
    ln -s "$fixture/data" "$fixture/abslink"
    mkdir "$fixture/sub"
    : >"$fixture/sub/file"
    cksum <"$fixture/data" >"$work/cksum"
    read -r crc size _ <"$work/cksum"
    guest -- "$prog" "$fixture" "$size" "$crc"
    passed t_files_root && result=0
    ;;

files_tmp)
    # Writes outside /tmp must fail: under uvk always (read-only root),
    # natively only when not root. The marker must stay in the guest's /tmp.
    marker=uvk-marker.$$.$(date +%s)
    rm -f "/tmp/$marker"
    if [ "$runner" != native ] || [ $as_root = 0 ]; then
        guest -- "$prog" --ro-dir /etc --ro-file /etc/passwd --marker "$marker"
    else
        guest -- "$prog" --marker "$marker"
    fi
    passed t_files_tmp && result=0
    if [ "$runner" = native ]; then
        [ -e "/tmp/$marker" ] || { say "FAIL: native run left no /tmp/$marker"; result=1; }
    elif [ -e "/tmp/$marker" ]; then
        say "FAIL: the guest's /tmp/$marker appeared in the host's /tmp"
        result=1
    else
        say "the guest's /tmp file did not reach the host's /tmp"
    fi
    ;;

getdents_big)
    big=${UVK_TEST_BIGDIR:-/usr/bin}
    [ -d "$big" ] || die "no directory $big"
    # ls is fine here: a system directory has no newlines in its names.
    # shellcheck disable=SC2012
    count=$(LC_ALL=C ls -A -- "$big" | wc -l)
    # shellcheck disable=SC2012
    bytes=$(LC_ALL=C ls -A -- "$big" | LC_ALL=C awk '{ n += length($0) } END { print n + 0 }')
    guest -- "$prog" "$big" "$count" "$bytes"
    passed t_getdents_big && result=0
    ;;

dup_fcntl)
    guest -- "$prog"
    passed t_dup_fcntl && result=0
    ;;

efault)
    guest -- "$prog"
    passed t_efault && result=0
    ;;

enomem)
    # 64 MiB of guest RAM; natively, a 64 MiB address-space limit.
    if [ "$runner" = native ]; then
        guest -- "$prog" 32 64 --rlimit-as 64
    else
        guest -m 64M -- "$prog" 32 64
    fi
    passed t_enomem && result=0
    ;;

clock)
    guest -- "$prog"
    passed t_clock && result=0
    ;;

misc)
    if [ "$runner" = native ]; then
        guest -- "$prog" --uid "$uid" --gid "$gid"
    else
        guest -m 256M -- "$prog" --first-process --uid "$uid" --gid "$gid" \
            --max-ram $((256 * 1024 * 1024))
    fi
    passed t_misc && result=0
    ;;

fork)
    # The process limit is the guest kernel's: natively root has none.
    if [ "$runner" = native ]; then
        guest -- "$prog"
    else
        guest -- "$prog" --fork-limit
    fi
    passed t_fork && result=0
    ;;

pipe)
    guest -- "$prog"
    passed t_pipe && result=0
    ;;

signal)
    # The program re-executes itself (/proc/self/exe) to check what execve keeps.
    guest -- "$prog"
    passed t_signal && result=0
    ;;

sigfault)
    # Under uvk a write to a never-mapped page reports no write bit in
    # REG_ERR (the one known gap; see t_sigfault.c).
    if [ "$runner" = native ]; then
        guest -- "$prog"
    else
        guest -- "$prog" --unmapped-write-as-read
    fi
    passed t_sigfault && result=0
    ;;

sigproc)
    guest -- "$prog"
    passed t_sigproc && result=0
    ;;

timer)
    guest -- "$prog"
    passed t_timer && result=0
    ;;

poll)
    guest -- "$prog"
    passed t_poll && result=0
    ;;

epoll)
    guest -- "$prog"
    passed t_epoll && result=0
    ;;

sched)
    guest -- "$prog"
    passed t_sched && result=0
    ;;

highbits)
    guest -- "$prog"
    passed t_highbits && result=0
    ;;

hostlimits)
    guest -- "$prog"
    passed t_hostlimits && result=0
    ;;

bigfork)
    # Under uvk, with --stats, whose line on stderr (in the same output)
    # gives the guest memory peak: 100 children sharing the parent's 64 MiB
    # copy-on-write stay well below 96 MiB, while one full copy of it would
    # reach 128 MiB. No stats line is a failure, not a pass.
    if [ "$runner" = native ]; then
        guest -- "$prog"
        passed t_bigfork && result=0
    else
        guest -m 256M --stats -- "$prog"
        if passed t_bigfork; then
            peak=$(sed -n 's/^uvk: stats: .* guest memory peak \([0-9][0-9]*\) KiB of .*/\1/p' \
                "$work/out" | tail -n 1)
            limit=$((96 * 1024))
            if [ -z "$peak" ]; then
                say "FAIL: no 'uvk: stats: ... guest memory peak N KiB' line in the output"
            elif [ "$peak" -ge $limit ]; then
                say "FAIL: guest memory peak $peak KiB, want < $limit KiB: the 64 MiB was copied"
            else
                say "guest memory peak $peak KiB < $limit KiB: the children shared the 64 MiB"
                result=0
            fi
        fi
    fi
    ;;
res_pipesize)
    # pipe-max-size is the host's natively, Linux's default (1 MiB) in uvk's
    # own kernel. CAP_SYS_RESOURCE lifts it (fcntl(2)): whether the program
    # holds it is bit 24 of CapEff, the shell's natively (setpriv drops it for
    # nobody); uvk's guest holds it exactly when uvk does, the same bit.
    if [ "$runner" = native ]; then
        max=$(cat /proc/sys/fs/pipe-max-size) || die "no /proc/sys/fs/pipe-max-size"
    else
        max=1048576
    fi
    priv=0
    if [ $unpriv = 0 ]; then
        capeff=$(sed -n 's/^CapEff:[[:space:]]*//p' /proc/self/status)
        [ -n "$capeff" ] || die "no CapEff in /proc/self/status"
        [ $(( (0x$capeff >> 24) & 1 )) = 1 ] && priv=1
    fi
    guest -- "$prog" pipesize "$max" "$priv"
    passed t_resources && result=0
    ;;

res_pipeuser)
    # pipe(7): pipe-user-pages-soft binds a user with neither CAP_SYS_RESOURCE
    # (bit 24 of CapEff) nor CAP_SYS_ADMIN (bit 21); uvk's guest has uvk's.
    bind=1
    if [ $unpriv = 0 ]; then
        capeff=$(sed -n 's/^CapEff:[[:space:]]*//p' /proc/self/status)
        [ -n "$capeff" ] || die "no CapEff in /proc/self/status"
        [ $(( (0x$capeff >> 24) & 1 )) = 1 ] && bind=0
        [ $(( (0x$capeff >> 21) & 1 )) = 1 ] && bind=0
    fi
    if [ "$runner" = native ] && [ $bind = 1 ]; then
        soft=$(cat /proc/sys/fs/pipe-user-pages-soft) || die "no pipe-user-pages-soft"
        # 1200 pipes of 16 pages must be past the host's limit, which
        # counts every pipe this user already holds too.
        [ "$soft" -gt 0 ] && [ "$soft" -le 16384 ] ||
            die "pipe-user-pages-soft is $soft here; the case assumes Linux's 16384"
    fi
    guest -- "$prog" pipeuser "$bind"
    passed t_resources && result=0
    ;;

res_pipefill)
    # 16 processes, 150 full pipes each: 150 MiB of buffers, more than -m 64M
    # holds, so under uvk writes end in ENOMEM as Linux's do out of memory,
    # and the tracer's heap holds none of it.
    resource_case 64 pipefill 150 16
    ;;

res_epollfill)
    # 16 processes, 18000 epoll entries each: more than -m 32M's kernel-heap
    # budget (2 MiB), so under uvk ADDs end in ENOMEM and the tracer's heap
    # stays bounded; natively they all succeed.
    if [ "$runner" = native ]; then
        guest -- "$prog" fill 16
        passed t_epoll && result=0
    else
        guest -m 32M --stats -- "$prog" fill 16
        passed t_epoll && bounded 32 && result=0
    fi
    ;;

res_sparse)
    # 2000 files of 1 GiB with one byte each: holes cost nothing.
    resource_case 128 sparse 2000
    ;;

res_maptmp)
    # A 16 MiB /tmp file mapped 200 times, 16 of them read whole: no host
    # copy or descriptor each, and no guest RAM either (its frames are
    # shared), so 64 MiB of guest RAM is plenty.
    resource_case 64 maptmp 16 200
    ;;

res_maphost)
    # More mappings than the host's descriptor limit for uvk (ulimit -n), one
    # page each: a kernel that held a descriptor per mapping runs out. Then
    # hundreds of different files of a big host directory, mapped before any
    # is read: more than uvk keeps descriptors for, so some reopen.
    big=${UVK_TEST_BIGDIR:-/usr/bin}
    [ -d "$big" ] || die "no directory $big"
    resource_case 512 maphost "$prog" 30000 "$big"
    ;;

res_bigdir)
    resource_case 256 bigdir 20000
    ;;

res_nofile)
    guest -- "$prog" nofile
    passed t_resources && result=0
    ;;

stackgrow)
    # 16 MiB of guest RAM, so that a frame a stale mapping still reaches is
    # soon handed out again (as a page table, for the program's check).
    guest -m 16M -- "$prog"
    passed t_stackgrow && result=0
    ;;

shmanon)
    guest -- "$prog"
    passed t_shmanon && result=0
    ;;

vmtop)
    guest -- "$prog"
    passed t_vmtop && result=0
    ;;

mapcount)
    guest -- "$prog" limit
    passed t_mapcount && result=0
    ;;

mapscatter)
    # 100000 pages (391 MiB), half of them copied by the child: under uvk
    # more host mappings than the host's vm.max_map_count (65530) allows.
    guest -m 1G -- "$prog" scatter 100000
    passed t_mapcount && result=0
    ;;

vsyscall)
    guest -- "$prog"
    passed t_vsyscall && result=0
    ;;

opath)
    guest -- "$prog"
    passed t_opath && result=0
    ;;

clonefl)
    guest -- "$prog"
    passed t_clonefl && result=0
    ;;

clone3)
    guest -- "$prog"
    passed t_clone3 && result=0
    ;;

pidfd)
    guest -- "$prog"
    passed t_pidfd && result=0
    ;;

clone3_thread)
    guest -- "$prog" --thread
    passed t_clone3 && result=0
    ;;

fileops)
    guest -- "$prog"
    passed t_fileops && result=0
    ;;

res_openmany)
    # 12 processes hold 1000 open host files each: uvk holds at most 8192
    # for the guest (GK_HOSTFD_FILES; ENFILE past it), fewer if its own
    # RLIMIT_NOFILE is lower, plus its own and the mapfile cache's 96.
    if [ "$runner" = native ]; then
        guest -- "$prog" openmany 12 1000 /etc/passwd
        passed t_resources && result=0
    else
        guest --stats -- "$prog" openmany 12 1000 /etc/passwd
        passed t_resources && bounded 512 $((8192 + 96)) && result=0
    fi
    ;;

res_procmaps)
    # 2000 mappings, /proc/self/maps held open 900 times: some 150 MiB of
    # renderings if each were kept in the tracer's heap uncharged.
    resource_case 64 procmaps 2000 900
    ;;

res_tmpexec)
    # 150 processes running one program from /tmp at once: none holds a
    # host copy or a descriptor of it while it runs.
    resource_case 128 tmpexec 150
    ;;

res_deepdir)
    # /tmp directories nested 250000 deep under uvk, more than a recursive
    # walk of them fits in the tracer's stack, left for uvk to free at exit
    # (-m 2G: tmpfs allows RAM pages/2 inodes). Natively 5000 deep, taken
    # down again by the program: the host's /tmp is a disk here.
    if [ "$runner" = native ]; then
        guest -- "$prog" deepdir 50 100 0
    else
        guest -m 2G -- "$prog" deepdir 2500 100 1
    fi
    passed t_resources && result=0
    ;;

mremap)
    guest -- "$prog"
    passed t_mremap && result=0
    ;;

rename_cwd | rename_cwd-bind | dotdot | dotdot-bind | locks | locks-bind | inotify | inotify-bind | fdinfo | prctl | prctl-bind)
    # In the guest's /tmp, or in a fresh host directory given to uvk with
    # --bind at the same path (natively that directory itself); outside
    # /tmp, physical path (getcwd() is compared with it), owned by whoever
    # runs the program.
    name=t_${case%-bind}
    if [ "$case" = "${case%-bind}" ]; then
        guest -- "$prog" /tmp
    else
        bind=$(mktemp -d "$(dirname "$prog")/bind.XXXXXX") || die "mktemp failed"
        bind=$(cd -P "$bind" && pwd -P)
        chmod 755 "$bind"
        [ $unpriv = 0 ] || chown "$uid:$gid" "$bind" || die "cannot chown $bind"
        guest --bind "$bind" -- "$prog" "$bind"
    fi
    passed "$name" && result=0
    ;;

hostlink)
    # Symlinks in a host directory outside /tmp that point into /tmp/NAME:
    # absolute to a file and to the directory, and relative, climbing to the
    # root first. The host's /tmp/NAME/f holds a decoy: natively the program
    # overwrites it and the links reach it; under uvk they must reach the
    # guest's /tmp, and the host's file stays as it was, with no "new" next
    # to it.
    fixture=$(mktemp -d "$(dirname "$prog")/hostlink.XXXXXX") || die "mktemp failed"
    chmod 755 "$fixture"
    fixture=$(cd -P "$fixture" && pwd -P)
    name=uvk_hl.$$.$(date +%s)
    hostdir=/tmp/$name
    rm -rf "$hostdir"
    mkdir "$hostdir" || die "cannot make $hostdir"
    printf decoy >"$hostdir/f" || die "cannot write $hostdir/f"
    [ $unpriv = 0 ] || chown -R "$uid:$gid" "$hostdir" || die "cannot chown $hostdir"
    # One ../ per component of the fixture's path reaches the root.
    up=$(printf '%s\n' "$fixture" | sed 's|/[^/]*|../|g')
    if ! { ln -s "$hostdir/f" "$fixture/flink" && ln -s "$hostdir" "$fixture/dlink" &&
        ln -s "${up}tmp/$name/f" "$fixture/rlink"; }; then
        die "cannot make the links"
    fi
    guest -- "$prog" "$fixture" "$name"
    passed t_hostlink && result=0
    left=$(cat "$hostdir/f")
    if [ "$runner" = native ]; then
        if [ "$left" = decoy ] || [ ! -e "$hostdir/new" ]; then
            say "FAIL: natively the program did not change the host's $hostdir"
            result=1
        fi
    elif [ "$left" != decoy ] || [ -e "$hostdir/new" ]; then
        say "FAIL: the guest reached the host's $hostdir (f holds '$left')"
        result=1
    else
        say "the host's $hostdir was left alone"
    fi
    ;;

bigpipe)
    guest -- "$prog"
    passed t_bigpipe && result=0
    ;;

fifo)
    guest -- "$prog"
    passed t_fifo && result=0
    ;;

eventfd)
    guest -- "$prog"
    passed t_eventfd && result=0
    ;;

futex)
    guest -- "$prog"
    passed t_futex && result=0
    ;;

futex_threads)
    guest -- "$prog" --threads
    passed t_futex && result=0
    ;;

timerfd)
    guest -- "$prog"
    passed t_timerfd && result=0
    ;;

signalfd)
    guest -- "$prog"
    passed t_signalfd && result=0
    ;;

taskproc)
    guest -- "$prog"
    passed t_taskproc && result=0
    ;;

procsys)
    guest -- "$prog"
    passed t_procsys && result=0
    ;;

taskproc-threads)
    guest -- "$prog" threads
    passed t_taskproc && result=0
    ;;

taskproc-rlimit)
    guest -- "$prog" rlimit
    passed t_taskproc && result=0
    ;;

pthread_basic | pthread_sync | pthread_cancel | pthread_signal | pthread_exit | pthread_proc)
    # t_pthread_exit re-executes itself (/proc/self/exe) from a thread.
    guest -- "$prog"
    passed "t_$case" && result=0
    ;;

pthread_bad)
    # The thread bomb must meet the guest kernel's task limit (256) before
    # its cap of 2000; natively root has no limit but the cap.
    if [ "$runner" = native ]; then
        guest -- "$prog"
    else
        guest -- "$prog" --expect-eagain
    fi
    passed t_pthread_bad && result=0
    ;;

unix_stream)
    # Under uvk with --stats: its 10000 connections leave the tracer's
    # descriptors and memory where they were (sockets hold no host
    # descriptor).
    if [ "$runner" = native ]; then
        guest -- "$prog"
        passed t_unix_stream && result=0
    else
        guest --stats -- "$prog"
        passed t_unix_stream && bounded 512 16 && result=0
    fi
    ;;

unix_dgram | unix_scm)
    guest -- "$prog"
    passed "t_$case" && result=0
    ;;

res_unixfill)
    # 8 processes, 48 full socket pairs and a datagram pair of 253-descriptor
    # messages each: more than -m 32M's kernel-heap budget (2 MiB), so under
    # uvk sends end in ENOBUFS and the tracer's heap stays bounded.
    if [ "$runner" = native ]; then
        guest -- "$prog" fill 8 48
        passed t_unix_scm && result=0
    else
        guest -m 32M --stats -- "$prog" fill 8 48
        passed t_unix_scm && bounded 32 && result=0
    fi
    ;;

unix_stream-bind)
    # Socket names in a writable host directory (--bind): socket inodes on
    # the host, found again by inode.
    bind=$(mktemp -d "$(dirname "$prog")/bind.XXXXXX") || die "mktemp failed"
    bind=$(cd -P "$bind" && pwd -P)
    chmod 755 "$bind"
    [ $unpriv = 0 ] || chown "$uid:$gid" "$bind" || die "cannot chown $bind"
    guest --bind "$bind" -- "$prog" "$bind"
    passed t_unix_stream && result=0
    ;;

# Several vCPUs (issue 11): each case names its vCPU count; natively the
# host's CPUs run the same program. -c 4 on this 2-CPU machine oversubscribes.
smp_count)
    # No -c: the default setup runs it on uvk's default (1 vCPU), the cpus2
    # setup on 2 (UVK_CPUS).
    guest -- "$prog" count 2 500000
    passed t_smp && result=0
    ;;
smp_count2)
    guest -c 2 -- "$prog" count 2 1000000
    passed t_smp && result=0
    ;;
smp_count4)
    guest -c 4 -- "$prog" count 4 500000
    passed t_smp && result=0
    ;;
smp_sum)
    # 256 MiB of array in 1 GiB of guest RAM.
    guest -m 1G -c 2 -- "$prog" sum 256 2
    passed t_smp && result=0
    ;;
smp_sum4)
    guest -m 1G -c 4 -- "$prog" sum 256 4
    passed t_smp && result=0
    ;;
smp_mm)
    guest -c 2 -- "$prog" mm 4 100
    passed t_smp && result=0
    ;;
smp_mm4)
    guest -c 4 -- "$prog" mm 4 100
    passed t_smp && result=0
    ;;
smp_unmap)
    guest -c 2 -- "$prog" unmap 1000
    passed t_smp && result=0
    ;;
smp_pingpong)
    guest -c 2 -- "$prog" pingpong 5000
    passed t_smp && result=0
    ;;
trace)
    # trace: uvk's account of the program's calls against what the program
    # saw. Natively the program checks its calls alone; under uvk it runs
    # five times, with --trace-filter, --trace-summary, --stats=json, the
    # space-separated --trace FILE form and the -tt/-T/-s/-y options.
    guest -- "$prog"
    passed t_trace || { echo "FAIL: the program itself"; exit 1; }
    [ "$runner" != native ] || { result=0; say "PASS: $case"; exit 0; }
    ppid=$(sed -n 's/^ppid \([0-9-]*\)$/\1/p' "$work/out")
    set -- $(sed -n 's/^pipe \([0-9]*\) \([0-9]*\)$/\1 \2/p' "$work/out")
    pa=${1-} pb=${2-}
    self=$(sed -n 's/^self \([0-9]*\) uid \([0-9]*\)$/\1/p' "$work/out")
    myuid=$(sed -n 's/^self \([0-9]*\) uid \([0-9]*\)$/\2/p' "$work/out")
    child=$(sed -n 's/^child \([0-9]*\)$/\1/p' "$work/out")
    sock=$(sed -n 's/^sock \([0-9]*\)$/\1/p' "$work/out")
    [ -n "$sock" ] && [ -n "$ppid" ] && [ -n "$pa" ] && [ -n "$pb" ] && [ -n "$self" ] && [ -n "$child" ] ||
        { say "FAIL: the program did not say what it saw"; exit 1; }
    tfail() { say "FAIL: $*"; result=1; }
    result=0

    # 1. The filtered trace holds exactly the calls named, in order; signal
    #    and exit lines (+++, ---) are shown whatever the filter, as strace does.
    guest --trace="$work/t1" --trace-filter='getppid,openat,pipe2,connect' -- "$prog"
    [ $status = 0 ] || tfail "--trace-filter run: status $status"
    grep -v -e '^\(\[pid [0-9]*\] \)\{0,1\}+++ ' -e '^\(\[pid [0-9]*\] \)\{0,1\}--- ' \
        "$work/t1" >"$work/t1.calls"
    {
        for i in 1 2 3; do echo "getppid() = $ppid"; done
        for i in 1 2; do
            echo 'openat(AT_FDCWD, "/nonexistent/uvk-trace-probe", O_RDONLY) = -1 ENOENT (No such file or directory)'
        done
        echo "pipe2([$pa, $pb], O_CLOEXEC) = 0"
        echo "connect($sock, {sa_family=AF_INET, sin_port=htons(8080), sin_addr=inet_addr(\"127.0.0.1\")}, 16) = -1 EINVAL (Invalid argument)"
    } >"$work/t1.want"
    if ! cmp -s "$work/t1.calls" "$work/t1.want"; then
        diff "$work/t1.want" "$work/t1.calls" | head -20
        tfail "--trace-filter=getppid,openat,pipe2,connect shows other lines than the calls made"
    fi
    # The signal, the child's end and the wait, in strace's forms.
    grep -qx -- "--- SIGUSR1 {si_signo=SIGUSR1, si_code=SI_USER, si_pid=$self, si_uid=$myuid} ---" \
        "$work/t1" || tfail "no '--- SIGUSR1 {...} ---' line: $(grep -- --- "$work/t1")"
    grep -qx "\[pid $child\] +++ exited with 3 +++" "$work/t1" ||
        tfail "no '[pid $child] +++ exited with 3 +++': $(grep +++ "$work/t1")"
    grep -q '+++ exited with 0 +++$' "$work/t1" || tfail "no exit line for pid 1"
    # Negation and classes: !%file hides openat, %process shows fork and wait4.
    guest --trace="$work/t2" --trace-filter='!%file,%memory,%desc,%signal,%network' -- "$prog"
    [ $status = 0 ] || tfail "negated filter run: status $status"
    grep -v -e '+++ ' -e '--- ' "$work/t2" >"$work/t2.calls"
    grep -q '^fork() = \|\] fork() = ' "$work/t2.calls" || tfail "!%file...: no fork line"
    grep -q 'WEXITSTATUS(s) == 3}\], 0, NULL) = '"$child"'$' "$work/t2.calls" ||
        tfail "!%file...: no wait4 with the decoded status: $(grep wait4 "$work/t2.calls")"
    # The program's own calls of those classes: none may show.
    grep -E '(^|\] )(openat|pipe2|write|read|close|rt_sigaction|kill|brk|mmap)\(' "$work/t2.calls" |
        head -3 >"$work/t2.bad"
    [ -s "$work/t2.bad" ] &&
        tfail "!%file,%memory,%desc,%signal,%network let these through: $(cat "$work/t2.bad")"

    # 2. --trace-summary: the table counts the calls made (strace -c).
    guest --trace-summary --trace-filter=getppid,openat -- "$prog"
    [ $status = 0 ] || tfail "--trace-summary run: status $status"
    row() { awk -v n="$1" '$NF == n' "$work/out"; }
    set -- $(row getppid)
    [ "${4-}" = 3 ] && [ "${6-}" = "" ] || tfail "summary getppid row: '$(row getppid)' (want 3 calls, no errors)"
    set -- $(row openat)
    [ "${4-}" = 2 ] && [ "${5-}" = 2 ] || tfail "summary openat row: '$(row openat)' (want 2 calls, 2 errors)"
    set -- $(row total)
    [ "${4-}" = 5 ] && [ "${5-}" = 2 ] ||
        tfail "summary total: '$(row total)' (want 5 calls, 2 errors: 335 is not a call the filter names)"
    grep -q '^% time     seconds  usecs/call     calls    errors syscall$' "$work/out" ||
        tfail "summary has no header"
    grep -q '^getppid(' "$work/out" && tfail "--trace-summary alone printed call lines"

    # 3. --stats=json:FILE: one JSON object with the counts.
    guest --stats=json:"$work/stats.json" -- "$prog" unassigned
    [ $status = 0 ] || tfail "--stats=json run: status $status"
    python3 - "$work/stats.json" <<'PY' || tfail "--stats=json: wrong object"
import json, sys
o = json.load(open(sys.argv[1]))
bad = []
for key in ("syscalls", "enosys", "wall_seconds", "guest_user_seconds", "guest_system_seconds",
            "ptrace_stops", "page_faults", "per_syscall", "enosys_calls"):
    if key not in o:
        bad.append("no key " + key)
ps = o.get("per_syscall", {})
def calls(name, field="calls"):
    return ps.get(name, {}).get(field)
if calls("getppid") != 3: bad.append("getppid calls %r, want 3" % calls("getppid"))
if calls("openat") != 2 or calls("openat", "errors") != 2:
    bad.append("openat %r, want 2 calls 2 errors" % ps.get("openat"))
if calls("pipe2") != 1: bad.append("pipe2 calls %r, want 1" % calls("pipe2"))
# 335 has no name anywhere; tuxcall's comes from libseccomp, not uvk's table.
en = o.get("enosys_calls", {})
if en.get("syscall_0x14f") != 2 or en.get("tuxcall") != 1:
    bad.append("enosys_calls %r, want syscall_0x14f: 2 and tuxcall: 1" % en)
if not isinstance(o.get("guest_user_seconds"), float) or o["guest_user_seconds"] < 0:
    bad.append("guest_user_seconds %r" % o.get("guest_user_seconds"))
if sum(v["calls"] for v in ps.values()) > o.get("syscalls", 0):
    bad.append("per-syscall calls add up to more than syscalls")
print("\n".join(bad) if bad else "stats.json: every check passed")
sys.exit(1 if bad else 0)
PY

    # Names from libseccomp for calls uvk's table lacks, in the filter and the line.
    guest --trace="$work/t3" --trace-filter=tuxcall -- "$prog" unassigned
    [ $status = 0 ] || tfail "--trace-filter=tuxcall run: status $status"
    [ "$(grep -v -e '+++ ' -e '--- ' "$work/t3" | grep -c .)" = 1 ] &&
        grep -qE '^tuxcall\(.*\) = -1 ENOSYS \(Function not implemented\)$' "$work/t3" ||
        tfail "--trace-filter=tuxcall: want one 'tuxcall(...) = -1 ENOSYS' line: $(cat "$work/t3")"

    # 4. --trace FILE (space-separated) takes FILE, not the program.
    guest --trace "$work/t4" --trace-filter=getppid -- "$prog"
    [ $status = 0 ] || tfail "--trace FILE run: status $status"
    [ "$(grep -c "^getppid() = $ppid\$" "$work/t4" 2>/dev/null)" = 3 ] ||
        tfail "--trace FILE: the file lacks the 3 getppid lines"

    # 5. -tt, -T, -s 5, -y: time of day, duration, 5 bytes shown, the pipe's name.
    guest --trace="$work/t5" --trace-filter=write --trace-time --trace-duration \
        --trace-strsize=5 --trace-fd-paths -- "$prog"
    [ $status = 0 ] || tfail "-tt/-T/-s/-y run: status $status"
    grep -qE "^[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{6} write\\($pb<pipe:\\[[0-9]+\\]>, \"trace\"\\.\\.\\., 11\\) = 11 <[0-9]+\\.[0-9]{6}>\$" \
        "$work/t5" || tfail "no 'HH:MM:SS.us write($pb<pipe:[N]>, \"trace\"..., 11) = 11 <s.us>': $(grep "write($pb" "$work/t5")"
    [ $result = 0 ] && say "PASS: $case" || say "FAIL: $case"
    exit $result
    ;;
smp_affinity | smp_affinity4)
    # The CPU count the program must see: uvk's -c, natively the host's.
    n=2
    [ "$case" = smp_affinity ] || n=4
    if [ "$runner" = native ]; then
        n=$(nproc) || die "no nproc"
        [ "$n" -ge 2 ] || die "the native run needs 2 CPUs to pin to the second, have $n"
    fi
    guest -c $n -- "$prog" affinity $n
    passed t_smp && result=0
    ;;
pcache-share | pcache-stale | pcache-coherent | pcache-pressure | pcache-mapshared)
    # Fixture files of the pattern t_pcache knows, made by the program
    # itself run natively, next to it (in the host tree, outside /tmp).
    fixture=$(mktemp -d "$(dirname "$prog")/pcache.XXXXXX") || die "mktemp failed"
    chmod 755 "$fixture"
    fixture=$(cd -P "$fixture" && pwd -P)
    case $case in
    pcache-share)
        # 100 processes (the program exec'd again) each map a 10 MiB host
        # file and read all of it, holding it at once. Under uvk with --stats
        # the guest memory peak must be about one copy of the file, not 100:
        # at most 2 copies and 512 KiB a process (stack, data, page tables).
        "$prog" mkfile "$fixture/f" 10 0 || die "cannot make $fixture/f"
        if [ "$runner" = native ]; then
            guest -- "$prog" share 100 "$fixture/f" 10
            passed t_pcache && result=0
        else
            guest -m 256M --stats -- "$prog" share 100 "$fixture/f" 10
            peak=$(sed -n 's/.*guest memory peak \([0-9]*\) KiB.*/\1/p' "$work/out" | tail -n 1)
            if ! passed t_pcache; then
                :
            elif [ -z "$peak" ]; then
                say "FAIL: no 'guest memory peak N KiB' in uvk's --stats line"
            elif [ "$peak" -gt $((2 * 10 * 1024 + 100 * 512)) ]; then
                say "FAIL: guest memory peak $peak KiB for 100 mappings of a 10 MiB file," \
                    "want <= $((2 * 10 * 1024 + 100 * 512)) KiB (one copy shared)"
            else
                say "guest memory peak $peak KiB for 100 mappings of a 10 MiB file"
                result=0
            fi
        fi
        ;;
    pcache-stale)
        # The program maps the file, says "ready" and waits for a line on
        # stdin; meanwhile the file is rewritten from here, in place (same
        # inode and size, new bytes and mtime). Its next mapping must show
        # the new bytes. The two sides meet through fifos, not timing.
        "$prog" mkfile "$fixture/f" 1 0 || die "cannot make $fixture/f"
        mkfifo "$work/in" "$work/outp" || die "mkfifo failed"
        exec 3<>"$work/in"
        set -- "$prog" stale "$fixture/f" 1
        [ "$runner" = native ] || set -- "$runner" -- "$@"
        [ $unpriv = 0 ] || set -- setpriv --reuid=65534 --regid=65534 --clear-groups \
            --inh-caps=-all --bounding-set=-all -- "$@"
        say "running: $*"
        "$@" <"$work/in" >"$work/outp" 2>&1 &
        pid=$!
        exec 4<"$work/outp"
        : >"$work/out"
        while IFS= read -r l <&4; do
            printf '%s\n' "$l" >>"$work/out"
            [ "$l" != ready ] || break
        done
        "$prog" mkfile "$fixture/f" 1 1 || die "cannot rewrite $fixture/f"
        echo go >&3
        cat <&4 >>"$work/out"
        wait $pid
        status=$?
        exec 3>&- 4<&-
        cat "$work/out"
        say "exit status $status"
        passed t_pcache && result=0
        ;;
    pcache-coherent)
        # A writable --bind directory (natively the directory itself).
        [ $unpriv = 0 ] || chown "$uid:$gid" "$fixture" || die "cannot chown $fixture"
        guest --bind "$fixture" -- "$prog" coherent "$fixture"
        passed t_pcache && result=0
        ;;
    pcache-mapshared)
        # MAP_SHARED of a file in a writable --bind directory: the program
        # checks read/write/msync/munmap/child exit from inside; its own exit
        # must write back its last store, read here from outside.
        [ $unpriv = 0 ] || chown "$uid:$gid" "$fixture" || die "cannot chown $fixture"
        guest --bind "$fixture" -- "$prog" mapshared "$fixture/f"
        if passed t_pcache; then
            result=0
            for ob in 100:161 4296:178 8492:195 8592:212 4596:229 600:246; do
                got=$(od -An -tu1 -j "${ob%%:*}" -N1 "$fixture/f" | tr -d ' ')
                if [ "$got" != "${ob#*:}" ]; then
                    say "FAIL: host file byte ${ob%%:*} is '$got', want ${ob#*:}"
                    result=1
                fi
            done
            [ $result = 1 ] || say "the host file holds every store"
        fi
        ;;
    pcache-pressure)
        # 64 MiB of guest RAM: a 40 MiB file read through a mapping, then
        # 40 MiB of anonymous memory, which the file's cached pages must
        # make way for; then the file again.
        "$prog" mkfile "$fixture/f" 40 0 || die "cannot make $fixture/f"
        guest -m 64M -- "$prog" pressure "$fixture/f" 40 40
        passed t_pcache && result=0
        ;;
    esac
    ;;
esac

if [ $result = 0 ]; then
    say "PASS: $case"
else
    say "FAIL: $case"
fi
exit $result
