"""uvkharness.py - what the host-side harnesses of tests/fuzz and
tests/hostile share: run uvk in a session of its own, answer the guest's
marks (fz.h) while sampling uvk's descriptors and anonymous RSS, and judge
the run on what matters whatever the guest did: uvk not killed by a signal,
no "host failure", panic or false deadlock, no sanitizer report, no hang
past the timeout, no process of its session left once it exited.
"""

import ctypes
import os
import re
import select
import signal
import subprocess
import sys
import time

PR_SET_CHILD_SUBREAPER = 36
SAN_PATTERNS = re.compile(
    rb"ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:|"
    rb"SUMMARY: UndefinedBehaviorSanitizer|AddressSanitizer:DEADLYSIGNAL")
HOST_FAILURE = re.compile(rb"host failure|guest kernel panic|deadlock")


PREFIX = ["harness"]


def say(msg):
    print(PREFIX[0] + ": " + msg, flush=True)


def broken(msg):
    say("SETUP: " + msg)
    sys.exit(99)


def proc_fds(pid):
    """uvk's descriptors: {fd: what it points at}, or None."""
    fds = {}
    try:
        for name in os.listdir("/proc/%d/fd" % pid):
            try:
                fds[int(name)] = os.readlink("/proc/%d/fd/%s" % (pid, name))
            except OSError:
                fds[int(name)] = "?"
    except OSError:
        return None
    return fds


def proc_rss_anon_kib(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("RssAnon:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return -1


def session_members(sid):
    """Pids (other than zombies) whose session is sid."""
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % name, "rb") as f:
                stat = f.read()
        except OSError:
            continue
        # pid (comm) state ppid pgrp session ...: comm may hold spaces.
        rest = stat[stat.rfind(b")") + 2:].split()
        if len(rest) > 3 and int(rest[3]) == sid and rest[0] != b"Z":
            found.append(int(name))
    return found


def reap_orphans():
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


class Run:
    """One uvk run and everything observed about it."""

    def __init__(self, label):
        self.label = label
        self.status = None
        self.out = b""
        self.err = b""
        self.marks = {}
        self.failures = []
        self.seconds = 0.0


def run_uvk(label, argv, env, timeout, sandir, as_user):
    """Run argv (uvk ...) in a new session, answering marks; return a Run."""
    r = Run(label)
    t0 = time.monotonic()
    for f in os.listdir(sandir):
        os.unlink(os.path.join(sandir, f))
    argv = drop_argv(as_user) + argv
    p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, env=env, start_new_session=True)
    pid = p.pid
    deadline = t0 + timeout
    outbuf = b""
    streams = {p.stdout.fileno(): "out", p.stderr.fileno(): "err"}
    open_fds = set(streams)
    hung = False
    while open_fds:
        left = deadline - time.monotonic()
        if left <= 0:
            hung = True
            break
        ready, _, _ = select.select(list(open_fds), [], [], left)
        for fd in ready:
            data = os.read(fd, 65536)
            if not data:
                open_fds.discard(fd)
                continue
            if streams[fd] == "err":
                r.err += data
                continue
            r.out += data
            outbuf += data
            while b"\n" in outbuf:
                line, outbuf = outbuf.split(b"\n", 1)
                m = re.search(rb"@@mark (\S+)$", line)
                if m:
                    r.marks[m.group(1).decode()] = (proc_fds(pid), proc_rss_anon_kib(pid))
                    # The answer: a newline; uvk's host pid first at "hostpid".
                    answer = b"%d\n" % pid if m.group(1) == b"hostpid" else b"\n"
                    try:
                        p.stdin.write(answer)
                        p.stdin.flush()
                    except BrokenPipeError:
                        pass
    if hung:
        r.failures.append("no exit within %d s: uvk hangs (session killed)" % timeout)
        os.killpg(pid, signal.SIGKILL)
    try:
        p.stdin.close()
    except BrokenPipeError:
        pass
    r.status = p.wait()
    r.seconds = time.monotonic() - t0
    # What uvk left in its session: vmspaces come back to us (subreaper).
    left = []
    for _ in range(100):
        reap_orphans()
        left = session_members(pid)
        if not left:
            break
        time.sleep(0.05)
    if left:
        r.failures.append("processes of uvk's session alive after it exited: %s" % left)
        for q in left:
            try:
                os.kill(q, signal.SIGKILL)
            except ProcessLookupError:
                pass
        reap_orphans()
    if r.status < 0:
        r.failures.append("uvk killed by signal %d" % -r.status)
    if HOST_FAILURE.search(r.err):
        r.failures.append("uvk's own failure (exit %d)" % r.status)
    # Report files (log_path) hold the reports; a file with none in it
    # (statistics only) is no failure.
    reports = []
    for f in sorted(os.listdir(sandir)):
        with open(os.path.join(sandir, f), "rb") as fh:
            text = fh.read()
        if SAN_PATTERNS.search(text) or b"ERROR:" in text:
            reports.append(f)
            r.err += b"\n--- " + f.encode() + b"\n" + text
    if reports or SAN_PATTERNS.search(r.err):
        r.failures.append("sanitizer report%s" % (": " + ", ".join(reports) if reports else ""))
    return r


def check_marks(r, rss_slack_kib, begin="begin", end="end"):
    """uvk holds the same descriptors at mark end as at begin, and its
    anonymous RSS grew by at most rss_slack_kib."""
    if begin not in r.marks or end not in r.marks:
        r.failures.append("the guest did not reach marks %s and %s (got %s)" %
                          (begin, end, sorted(r.marks)))
        return
    (fd0, rss0), (fd1, rss1) = r.marks[begin], r.marks[end]
    if fd0 is None or fd1 is None or rss0 < 0 or rss1 < 0:
        r.failures.append("could not sample uvk at the marks")
        return
    say("%s: uvk descriptors %d -> %d, anonymous RSS %d -> %d KiB" %
        (r.label, len(fd0), len(fd1), rss0, rss1))
    for name, (fds, rss) in sorted(r.marks.items()):
        if name not in (begin, end) and fds is not None:
            say("%s: at mark %s: uvk descriptors %d, anonymous RSS %d KiB" %
                (r.label, name, len(fds), rss))
    if fd1 != fd0:
        gone = {k: v for k, v in fd0.items() if fd1.get(k) != v}
        new = {k: v for k, v in fd1.items() if fd0.get(k) != v}
        r.failures.append("uvk's descriptors changed between the marks: gone %s, new %s" %
                          (gone, new))
    if rss1 - rss0 > rss_slack_kib:
        r.failures.append("uvk's anonymous RSS grew by %d KiB (slack %d KiB)" %
                          (rss1 - rss0, rss_slack_kib))


def report(r):
    if not r.failures:
        return True
    say("FAIL %s (exit %s, %.1f s):" % (r.label, r.status, r.seconds))
    for f in r.failures:
        say("  - " + f)
    tail = r.err[-6000:].decode(errors="replace")
    for line in tail.splitlines():
        print("  | " + line)
    return False


def san_env(sandir):
    env = dict(os.environ)
    # meson test sets a random MALLOC_PERTURB_; freed memory it scribbles on
    # stays resident, which would make the RSS checks depend on the draw.
    env.pop("MALLOC_PERTURB_", None)
    san = os.path.join(sandir, "report")
    # Halt at the first report, into a file we look for; no core files.
    # A small quarantine keeps the allocator's share of uvk's RSS below the
    # slack of the mark check while still catching recent use-after-free.
    env["ASAN_OPTIONS"] = ("halt_on_error=1:abort_on_error=0:detect_leaks=1:"
                           "quarantine_size_mb=8:log_path=%s:disable_coredump=1" % san)
    # Known leaks waiting for their fix (FINDINGS.md), one frame each.
    env["LSAN_OPTIONS"] = "print_suppressions=0"
    supp = os.environ.get("UVK_FUZZ_LSAN_SUPP")
    if supp:
        env["LSAN_OPTIONS"] += ":suppressions=" + supp
    env["UBSAN_OPTIONS"] = "halt_on_error=1:print_stacktrace=1:log_path=%s" % san
    return env


def become_subreaper():
    libc = ctypes.CDLL(None, use_errno=True)
    return libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0


NOBODY = 65534


def drop_argv(as_user):
    """The setpriv prefix that runs a command as as_user, no capabilities."""
    if as_user is None:
        return []
    return ["setpriv", "--reuid=%d" % as_user, "--regid=%d" % as_user, "--clear-groups",
            "--inh-caps=-all", "--bounding-set=-all", "--"]
