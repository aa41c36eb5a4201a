#!/usr/bin/env python3
"""scribble.py - run the page-table scribbler (scribble.c) under uvk and judge
uvk: it never crashes, never hangs, leaves no process behind.

  scribble.py --uvk UVK --guest SCRIBBLE [--seed N] [--iterations I]
              [--rounds R | --minutes M] [--timeout S] [--ram SIZE]

Round i runs `uvk -m SIZE SCRIBBLE N+i I` in a session of its own (this
process is a child subreaper, so vmspaces uvk might leave behind come back
here). A round fails when:
  - uvk is killed by a signal (the tracer crashed), or exits 125, or says
    "host failure", "guest kernel panic" or "deadlock";
  - a sanitizer reports anything (sanitizer build);
  - the guest does not exit 0: it catches every fault it provokes, so a
    kill means uvk killed it, and status 1 means it saw a VIOLATION line
    (a stale mapping, a mapping over the stub, a write into the stub);
  - uvk runs past the timeout (its whole session is killed);
  - a process of its session is alive after uvk exited.
Deterministic: the seed alone decides what each round does. Prints one line
per round and a summary with the counts. Exit 0 if every round passed, 1
otherwise, 99 for a broken set-up.
"""

import argparse
import ctypes
import os
import re
import signal
import subprocess
import sys
import time

# The process-tree helpers are the fuzz harness's (tests/fuzz/uvkharness.py).
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import uvkharness  # noqa: E402
from uvkharness import say, session_members  # noqa: E402
from uvkharness import reap_orphans as reap  # noqa: E402

PR_SET_CHILD_SUBREAPER = 36
BAD = re.compile(rb"host failure|guest kernel panic|deadlock|ERROR: AddressSanitizer|"
                 rb"ERROR: LeakSanitizer|runtime error:|SUMMARY: UndefinedBehaviorSanitizer")
SUMMARY = re.compile(rb"scribble: seed \S+, (\d+) iterations, (\d+) faults caught, "
                     rb"(\d+) words scribbled, (\d+) violations")


def one_round(args, seed):
    """Run one uvk; return (list of failures, faults caught, words scribbled)."""
    argv = [args.uvk, "-m", args.ram, args.guest, str(seed), str(args.iterations)]
    fails = []
    p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, start_new_session=True)
    try:
        out, _ = p.communicate(timeout=args.timeout)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        out, _ = p.communicate()
        fails.append("no exit within %d s" % args.timeout)
    rc = p.returncode
    if rc < 0:
        fails.append("uvk killed by signal %d" % -rc)
    elif rc == 125:
        fails.append("uvk's own failure (125)")
    elif rc != 0 and not fails:
        fails.append("guest exit status %d (want 0: it catches its own faults)" % rc)
    m = BAD.search(out)
    if m:
        fails.append("output says %r" % m.group(0).decode())
    for line in out.splitlines():
        if line.startswith(b"VIOLATION"):
            fails.append(line.decode(errors="replace"))
    # uvk reaps its vmspaces before it exits; after a crash the kernel kills
    # them (PTRACE_O_EXITKILL), which may take a moment: allow it two seconds.
    left = session_members(p.pid)
    for _ in range(20):
        if not left:
            break
        time.sleep(0.1)
        reap()
        left = session_members(p.pid)
    if left:
        fails.append("processes left behind: %s" % left)
        for pid in left:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
    reap()
    s = SUMMARY.search(out)
    if not s and not fails:
        fails.append("no summary line from the guest")
    if fails:
        sys.stdout.write(out.decode(errors="replace")[-2000:])
    return fails, int(s.group(2)) if s else 0, int(s.group(3)) if s else 0


def main():
    uvkharness.PREFIX[0] = "scribble"
    ap = argparse.ArgumentParser()
    ap.add_argument("--uvk", required=True)
    ap.add_argument("--guest", required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--iterations", type=int, default=300)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--minutes", type=float, default=0)
    ap.add_argument("--timeout", type=int, default=120)
    ap.add_argument("--ram", default="64M")
    args = ap.parse_args()
    for f in (args.uvk, args.guest):
        if not os.access(f, os.X_OK):
            say("SETUP: %s is not executable" % f)
            return 99
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        say("SETUP: cannot become a child subreaper")
        return 99

    t0 = time.monotonic()
    rounds = failed = 0
    faults = words = 0
    while True:
        if args.minutes:
            if time.monotonic() - t0 >= args.minutes * 60:
                break
        elif rounds >= args.rounds:
            break
        seed = args.seed + rounds
        fails, nf, nw = one_round(args, seed)
        rounds += 1
        faults += nf
        words += nw
        if fails:
            failed += 1
            for f in fails:
                say("FAIL seed %d: %s" % (seed, f))
        else:
            say("ok   seed %d: %d faults caught, %d words scribbled" % (seed, nf, nw))
    say("%d rounds of %d iterations (seeds %d..%d), %d faults caught, %d words scribbled, "
        "%.1f minutes: %d failed: %s" % (rounds, args.iterations, args.seed,
                                         args.seed + rounds - 1, faults, words,
                                         (time.monotonic() - t0) / 60, failed,
                                         "FAIL" if failed or not rounds else "PASS"))
    return 1 if failed or not rounds else 0


if __name__ == "__main__":
    sys.exit(main())
