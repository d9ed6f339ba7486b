#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Bad command lines: memstrace must print one line on stderr, starting
with "memstrace: ", exit with the documented status (2 usage, 1 other), and
run nothing.

usage: bad-input.py MEMSTRACE PROGS_DIR

"Nothing ran" is checked two ways: the program on each command line is
PROGS_DIR/exit42, which writes its truth to $MEMSTRACE_TRUTH as soon as it
runs (a marker file), or a script that would create a marker file; and this
script is a child subreaper, so any process memstrace started and left
behind shows up as a child of ours. Standard library only.
"""

import ctypes
import os
import signal
import subprocess
import sys
import shutil
import tempfile

PR_SET_CHILD_SUBREAPER = 36
TIMEOUT = 10


def children():
    """Pids of our children: with the subreaper flag, orphans too."""
    pids = set()
    base = "/proc/self/task"
    for tid in os.listdir(base):
        try:
            with open(os.path.join(base, tid, "children")) as f:
                pids.update(int(p) for p in f.read().split())
        except OSError:
            pass
    return pids


def describe(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            cmd = f.read().replace(b"\0", b" ").decode(errors="replace").strip()
        with open("/proc/%d/stat" % pid) as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
        return "%d (state %s): %s" % (pid, state, cmd)
    except OSError:
        return "%d" % pid


def reap(pids):
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass


def main(argv):
    if len(argv) != 2:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    # we run memstrace from a temporary directory: make a relative path absolute
    memstrace, progs_dir = (os.path.abspath(a) if "/" in a else a for a in argv)
    marker_prog = os.path.join(progs_dir, "exit42")
    if not os.access(marker_prog, os.X_OK):
        print("bad-input.py: %s is not an executable program" % marker_prog, file=sys.stderr)
        return 2

    subreaper = ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    if not subreaper:
        print("note: cannot become a child subreaper: orphans are not looked for")
    tmp = tempfile.mkdtemp(prefix="memstrace-bad-input-")
    try:
        return run_cases(memstrace, marker_prog, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def run_cases(memstrace, marker_prog, tmp):
    truth = os.path.join(tmp, "ran-truth")
    ran = os.path.join(tmp, "ran-script")
    markers = (truth, ran)
    # A file that is not executable; run as a script it would leave a marker.
    not_exec = os.path.join(tmp, "not-executable")
    with open(not_exec, "w") as f:
        f.write("#!/bin/sh\necho ran > '%s'\n" % ran)
    os.chmod(not_exec, 0o644)

    cases = [
        ("unknown option", ["--bogus", marker_prog], 2),
        ("size not a number", ["-s", "abc", marker_prog], 2),
        ("size with a bad suffix", ["-s", "4X", marker_prog], 2),
        ("size range reversed", ["-s", "10-5", marker_prog], 2),
        ("size empty", ["-s", "", marker_prog], 2),
        ("no program", [], 2),
        ("program path not found", ["/nonexistent/prog"], 1),
        ("program not in PATH", ["no-such-program-xyz"], 1),
        ("program not executable", [not_exec], 1),
    ]
    env = dict(os.environ, MEMSTRACE_TRUTH=truth)
    failures = 0
    before = children()
    for name, args, want in cases:
        problems = []
        cmd = [memstrace] + args
        # Output to files, not pipes: a process left behind holding a pipe
        # must not make us wait.
        with tempfile.TemporaryFile() as outf, tempfile.TemporaryFile() as errf:
            proc = subprocess.Popen(cmd, env=env, cwd=tmp, stdin=subprocess.DEVNULL, stdout=outf,
                                    stderr=errf, preexec_fn=os.setpgrp)
            try:
                status = proc.wait(timeout=TIMEOUT)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
                status = None
                problems.append("did not finish within %d s" % TIMEOUT)
            outf.seek(0)
            errf.seek(0)
            out = outf.read().decode(errors="replace")
            err = errf.read().decode(errors="replace")
        if status is not None and status != want:
            problems.append("exit status %s, expected %d" % (
                status if status >= 0 else "signal %d" % -status, want))
        if not (err.startswith("memstrace: ") and err.endswith("\n") and err.count("\n") == 1):
            problems.append("stderr is not exactly one line starting with \"memstrace: \"")
        for m in markers:
            if os.path.exists(m):
                problems.append("the program ran: %s exists" % m)
                os.unlink(m)
        left = children() - before
        if left:
            problems.append("processes left behind: " + "; ".join(describe(p) for p in sorted(left)))
            reap(left)
        shown = " ".join(repr(a) if a == "" or " " in a else a for a in cmd)
        if problems:
            failures += 1
            print("FAIL %s: %s" % (name, shown))
            for p in problems:
                print("  " + p)
            for l in err.splitlines() or ["(empty)"]:
                print("  stderr| " + l)
            if out.strip():
                for l in out.splitlines()[:10]:
                    print("  stdout| " + l)
        else:
            print("ok   %s: exit %d, %s" % (name, want, err.rstrip("\n")))
    if failures:
        print("FAIL: %d of %d cases" % (failures, len(cases)))
        return 1
    print("ok: %d cases" % len(cases))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
