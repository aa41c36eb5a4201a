#!/usr/bin/env python3
"""hostile.py - run one hostile guest (hostile.c) under uvk and check the
host side.

  hostile.py --uvk UVK --prog HOSTILE [--memory SIZE] CASE [ARG]

CASE is `probe GROUP` (hostile.c runs every probe of GROUP in a child and
prints how each ended): the program runs natively first, and under uvk every
RESULT line must equal the native one, since the expectation is what Linux
does on this host. Any other CASE is a mode with checks of its own (attacks
that cannot run natively); it must print its PASS summary.

For every case, whatever the guest tried:
  - uvk exits 0 with the guest, no signal, no "host failure", no sanitizer
    report, within the timeout, and leaves no process of its session;
  - at the guest's "after" mark uvk holds exactly the descriptors it held at
    "before" and its anonymous RSS grew by at most --rss-slack MiB;
  - a sentinel host process of the same user, started before uvk, lives;
  - escape: the secret outside the root is never in the output and the root
    and the secret are unchanged;
  - mapexhaust: while 5000 mappings of one host file exist, uvk holds at
    most 64 more descriptors than before (README: one per file).
As root, uvk, the sentinel and the native run are uid 65534 (setpriv).
Exit 0 pass, 1 fail, 99 broken set-up.
"""

import argparse
import hashlib
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fuzz"))
from uvkharness import (NOBODY, become_subreaper, broken, check_marks, drop_argv,  # noqa: E402
                        reap_orphans, report, run_uvk, san_env, say)
import uvkharness  # noqa: E402

MAPFD_BOUND = 64

# Documented deviations (README, "int $0x80"): uvk does not offer the i386
# system call ABI to 64-bit programs, where Linux does. For these probes the
# native line must be Linux's (so the probe itself is checked) and the uvk
# line the documented one; every other probe must match the native run.
UVK_DEVIATES = {
    b"RESULT int80-getpid": (b"exit 0", b"exit 138"),  # native: the pid; uvk: ENOSYS
    b"RESULT int80-write": (b"exit 0", b"exit 138"),   # native: written; uvk: ENOSYS
}


def tree_digest(top):
    """A digest of every name, link target and file content under top."""
    h = hashlib.sha256()
    for d, dirs, files in os.walk(top):
        dirs.sort()
        for name in sorted(dirs + files):
            path = os.path.join(d, name)
            h.update(path.encode())
            if os.path.islink(path):
                h.update(os.readlink(path).encode())
            elif os.path.isfile(path):
                with open(path, "rb") as f:
                    h.update(f.read())
    return h.hexdigest()


def sentinel_alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except OSError:
        return False


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--uvk", required=True)
    ap.add_argument("--prog", required=True)
    ap.add_argument("--memory", default="256M")
    ap.add_argument("--timeout", type=int, default=120)
    ap.add_argument("--rss-slack", type=int, default=24, help="MiB")
    ap.add_argument("case", nargs="+")
    a = ap.parse_args()
    uvkharness.PREFIX[0] = "hostile"
    case = a.case
    if not become_subreaper():
        broken("prctl(PR_SET_CHILD_SUBREAPER) failed")
    as_user = NOBODY if os.getuid() == 0 else None
    if as_user is not None and not shutil.which("setpriv"):
        broken("running as root needs setpriv (util-linux) to drop to nobody")

    work = tempfile.mkdtemp(prefix="uvk-hostile.", dir="/var/tmp")
    sentinel = None
    try:
        os.chmod(work, 0o755)
        sandir = os.path.join(work, "san")
        os.makedirs(sandir)
        os.chmod(sandir, 0o1777)
        root = os.path.join(work, "root")
        os.makedirs(os.path.join(root, "bin"))
        prog = os.path.join(root, "bin", "hostile")
        shutil.copyfile(a.prog, prog)
        os.chmod(prog, 0o755)
        for d in (root, os.path.join(root, "bin")):
            os.chmod(d, 0o755)
        uvk = [a.uvk, "-m", a.memory]
        args = list(case)
        token = None
        if case[0] == "escape":
            # The guest's root is ours, with ways out: a symlink to /, one upwards.
            os.symlink("/", os.path.join(root, "escape"))
            os.symlink("../../../../../..", os.path.join(root, "up"))
            token = "uvk-secret-" + secrets.token_hex(16)
            secret = os.path.join(work, "secret")
            with open(secret, "w") as f:
                f.write(token + "\n")
            os.chmod(secret, 0o644)
            uvk += ["-r", root]
            guest_prog = "/bin/hostile"
            args = ["escape", secret, token]
            before_tree = tree_digest(root)
        else:
            guest_prog = prog
        if case[0] in ("fdexhaust", "pipeexhaust", "mapexhaust"):
            args = [case[0], guest_prog]

        # A host process beside uvk that nothing the guest does may reach.
        sentinel = subprocess.Popen(drop_argv(as_user) + ["sleep", "100000"],
                                    start_new_session=True)
        env = san_env(sandir)
        ok = True
        native = None
        if case[0] == "probe":
            n = subprocess.run(drop_argv(as_user) + [prog] + args, stdin=subprocess.DEVNULL,
                               capture_output=True, timeout=a.timeout, env=env)
            reap_orphans()
            native = re.findall(rb"^RESULT .*$", n.stdout, re.M)
            say("native run (exit %d): %d results" % (n.returncode, len(native)))
            for line in native:
                say("  native " + line.decode(errors="replace"))
            if n.returncode != 0 or not native:
                broken("the native run failed (exit %d): %s" %
                       (n.returncode, n.stdout.decode(errors="replace")))
        r = run_uvk("hostile %s" % " ".join(case), uvk + [guest_prog] + args, env, a.timeout,
                    sandir, as_user)
        for line in r.out.decode(errors="replace").splitlines():
            if line and not line.startswith("@@mark") and not line.startswith("ok "):
                say("  " + line)
        if r.status != 0:
            r.failures.append("exit status %d, want 0" % r.status)
        check_marks(r, a.rss_slack * 1024, "before", "after")
        if case[0] == "mapexhaust" and "during" in r.marks and "before" in r.marks:
            # README: host files mapped cost at most GK_MAPFD_MAX (64)
            # descriptors, one per file, whatever the number of mappings.
            n0, n1 = len(r.marks["before"][0] or {}), len(r.marks["during"][0] or {})
            if n1 > n0 + MAPFD_BOUND:
                r.failures.append("uvk held %d descriptors with 5000 mappings of one "
                                  "file, %d before: over the documented bound of %d" %
                                  (n1, n0, MAPFD_BOUND))
        if native is not None:
            got = re.findall(rb"^RESULT .*$", r.out, re.M)
            for want in native:
                name = want.split(b":")[0]
                if name in UVK_DEVIATES:
                    linux, ours = UVK_DEVIATES[name]
                    if want != name + b": " + linux:
                        r.failures.append("native %s, want %s (Linux)" % (
                            want.decode(errors="replace"), linux.decode()))
                    want = name + b": " + ours
                if want not in got:
                    name = want.split(b":")[0]
                    have = [g for g in got if g.split(b":")[0] == name]
                    r.failures.append("%s under uvk: %s" % (
                        want.decode(errors="replace"),
                        have[0].decode(errors="replace") if have else "missing"))
        elif not re.search(rb"^hostile-\S+: \d+ checks, 0 failed: PASS$", r.out, re.M):
            r.failures.append("no PASS summary from the guest")
        if not sentinel_alive(sentinel.pid):
            r.failures.append("the sentinel host process %d died" % sentinel.pid)
        if token is not None:
            if token.encode() in r.out or token.encode() in r.err:
                r.failures.append("the secret outside the root reached the output")
            with open(secret) as f:
                if f.read() != token + "\n":
                    r.failures.append("the secret outside the root changed")
            if tree_digest(root) != before_tree:
                r.failures.append("the read-only root changed")
        ok = report(r)
        say("%s: %s" % (" ".join(case), "PASS" if ok else "FAIL"))
        return 0 if ok else 1
    finally:
        if sentinel is not None:
            try:
                os.killpg(sentinel.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            sentinel.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
