#!/usr/bin/env python3
"""fuzz.py - the host side of the fuzz suite: runs the fuzz guests under uvk
and judges uvk, never the guest.

  fuzz.py elf --uvk UVK --elfmut ELFMUT --static S --pie P [options]
  fuzz.py sys --uvk UVK --sysfuzz SYSFUZZ --static S [options]

elf: the ELF mutator (elfmut.c). Each round runs one uvk whose first program,
elfmut, execve's COUNT mutants from forked children (the guest kernel's
execve path), then runs FIRST mutants, written here by `elfmut gen`, each as
uvk's own first program (the first-program path).
sys: the random-syscall guest (sysfuzz.c), BATCHES batches of CALLS calls
per round, in one uvk.

Options: --seed N (first round's seed; round i uses N+i), --rounds R or
--minutes M (rounds until M minutes have passed: the long run), --timeout S
(one uvk run), --rss-slack MIB.

What fails a run, whatever the guest did:
  - uvk killed by a signal, exit 125 (uvk's own failure: a first program the
    loader refuses exits 126 with the loader's one-line message, as env(1)),
    "host failure" or a guest kernel panic;
  - any AddressSanitizer / LeakSanitizer / UndefinedBehaviorSanitizer report
    (ASAN_OPTIONS/UBSAN_OPTIONS halt on the first, log to files here);
  - no exit within the timeout (the whole session is killed);
  - between the guest's "begin" and "end" marks (fz.h), uvk's descriptor
    count changed or its anonymous RSS grew by more than --rss-slack;
  - a process of uvk's session still alive after uvk exited (uvk runs in a
    new session; this process is a child subreaper, so the vmspaces uvk
    leaves behind come back here to be seen and reaped).
The driver's own summary lines are printed with the counts: mutants run,
syscalls made, minutes. Exit 0 when every run passed, 1 otherwise, 99 when
the set-up is broken.
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from uvkharness import (NOBODY, become_subreaper, broken, check_marks, report,  # noqa: E402
                        run_uvk, san_env, say)
import uvkharness  # noqa: E402

def stage_root(work, files, as_user):
    """A guest root of its own: bin/ with the programs, m/ for mutants."""
    root = os.path.join(work, "root")
    os.makedirs(os.path.join(root, "bin"))
    os.makedirs(os.path.join(root, "m"))
    for src in files:
        dst = os.path.join(root, "bin", os.path.basename(src))
        shutil.copyfile(src, dst)
        os.chmod(dst, 0o755)
    for d in (work, root, os.path.join(root, "bin"), os.path.join(root, "m")):
        os.chmod(d, 0o755)
    return root


def elf_round(a, root, env, sandir, seed, as_user, totals):
    ok = True
    uvk = [a.uvk, "-m", "256M", "-r", root]
    r = run_uvk("elf seed %d execve path" % seed,
                uvk + ["/bin/elfmut", "run", str(seed), "0", str(a.count),
                       "/bin/fz_target-static", "/bin/fz_target-pie", "2"],
                env, a.timeout, sandir, as_user)
    say("%s: %.1f s" % (r.label, r.seconds))
    m = re.search(rb"elfmut: (\d+) mutants run", r.out)
    if r.status != 0 or not m or b"elfmut: done" not in r.out:
        r.failures.append("elfmut did not finish its %d mutants (exit %s)" % (a.count, r.status))
    else:
        totals["mutants"] += int(m.group(1))
    check_marks(r, a.rss_slack * 1024)
    for line in r.out.splitlines():
        if line.startswith(b"elfmut:"):
            say("  " + line.decode(errors="replace"))
    ok &= report(r)
    # The first-program path: mutants written here, each run as uvk's program.
    statuses = {}
    for i in range(a.first):
        name = "m%d" % i
        path = os.path.join(root, "m", name)
        # Read from the host's copies; the paths inside are the guest's.
        g = subprocess.run([a.elfmut, "gen", str(seed), str(i),
                            os.path.join(root, "bin", "fz_target-static"),
                            os.path.join(root, "bin", "fz_target-pie"), path,
                            "/bin/fz_target-static", "/bin/fz_target-pie"],
                           capture_output=True)
        if g.returncode != 0:
            broken("elfmut gen failed: %s" % g.stdout.decode(errors="replace"))
        os.chmod(path, 0o755)
        r = run_uvk("elf seed %d first program %s" % (seed, name),
                    uvk + ["/m/" + name, "fz-arg"], env, a.timeout, sandir, as_user)
        if r.status == 125:
            r.failures.append("exit 125 (uvk's own failure): a refused program is 126")
        elif r.status == 126 and not re.search(rb"^uvk: /m/%s: " % name.encode(), r.err, re.M):
            r.failures.append("exit 126 without the loader's message")
        statuses[r.status] = statuses.get(r.status, 0) + 1
        if r.seconds > 2:
            say("  %s took %.1f s (exit %d)" % (r.label, r.seconds, r.status))
        totals["mutants"] += 1
        ok &= report(r)
        os.unlink(path)
    say("  first-program path: %d mutants, exit statuses %s" %
        (a.first, ", ".join("%s:%d" % kv for kv in sorted(statuses.items()))))
    return ok


def sys_round(a, root, env, sandir, seed, as_user, totals):
    r = run_uvk("sys seed %d" % seed,
                [a.uvk, "-m", "256M", "-r", root, "/bin/sysfuzz", str(seed), "0",
                 str(a.batches), str(a.calls)],
                env, a.timeout, sandir, as_user)
    m = re.search(rb"sysfuzz: syscalls (\d+)", r.out)
    if r.status != 0 or not m:
        r.failures.append("sysfuzz did not finish its %d batches (exit %s)" %
                          (a.batches, r.status))
    else:
        totals["syscalls"] += int(m.group(1))
    check_marks(r, a.rss_slack * 1024)
    for line in r.out.splitlines():
        if line.startswith(b"sysfuzz:"):
            say("  " + line.decode(errors="replace"))
    return report(r)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("mode", choices=["elf", "sys"])
    ap.add_argument("--uvk", required=True)
    ap.add_argument("--elfmut")
    ap.add_argument("--sysfuzz")
    ap.add_argument("--static", required=True)
    ap.add_argument("--pie")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--minutes", type=float, default=0)
    ap.add_argument("--count", type=int, default=150, help="elf: mutants per round, execve path")
    ap.add_argument("--first", type=int, default=30, help="elf: mutants per round as first program")
    ap.add_argument("--batches", type=int, default=60, help="sys: batches per round")
    ap.add_argument("--calls", type=int, default=300, help="sys: calls per batch")
    ap.add_argument("--timeout", type=int, default=120, help="one uvk run, seconds")
    ap.add_argument("--rss-slack", type=int, default=24, help="MiB")
    a = ap.parse_args()

    if a.mode == "elf" and not (a.elfmut and a.pie):
        broken("elf needs --elfmut and --pie")
    if a.mode == "sys" and not a.sysfuzz:
        broken("sys needs --sysfuzz")
    for f in [a.uvk, a.static] + [x for x in (a.elfmut, a.sysfuzz, a.pie) if x]:
        if not os.access(f, os.X_OK):
            broken("not an executable: %s" % f)
    uvkharness.PREFIX[0] = "fuzz"
    if not become_subreaper():
        broken("prctl(PR_SET_CHILD_SUBREAPER) failed")
    # As root, the guest runs as nobody: a uvk bug that let it out would at
    # least not be root on the host.
    as_user = NOBODY if os.getuid() == 0 else None
    if as_user is not None and not shutil.which("setpriv"):
        broken("running as root needs setpriv (util-linux) to drop to nobody")

    work = tempfile.mkdtemp(prefix="uvk-fuzz-%s." % a.mode, dir="/var/tmp")
    try:
        sandir = os.path.join(work, "san")
        os.makedirs(sandir)
        os.chmod(sandir, 0o1777)
        progs = [a.static] + [x for x in (a.pie, a.elfmut, a.sysfuzz) if x]
        root = stage_root(work, progs, as_user)
        env = san_env(sandir)
        if as_user is not None and subprocess.run(
                ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--",
                 "test", "-x", a.uvk]).returncode != 0:
            broken("%s is not executable by uid 65534 (modes of its directories)" % a.uvk)
        t0 = time.monotonic()
        totals = {"mutants": 0, "syscalls": 0}
        ok = True
        rounds = 0
        while True:
            seed = a.seed + rounds
            if a.mode == "elf":
                ok &= elf_round(a, root, env, sandir, seed, as_user, totals)
            else:
                ok &= sys_round(a, root, env, sandir, seed, as_user, totals)
            rounds += 1
            if a.minutes > 0:
                if time.monotonic() - t0 >= a.minutes * 60:
                    break
            elif rounds >= a.rounds:
                break
        minutes = (time.monotonic() - t0) / 60
        say("%s: %d round(s), seeds %d..%d, %d mutants, %d syscalls, %.2f minutes: %s" %
            (a.mode, rounds, a.seed, a.seed + rounds - 1, totals["mutants"],
             totals["syscalls"], minutes, "PASS" if ok else "FAIL"))
        return 0 if ok else 1
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
