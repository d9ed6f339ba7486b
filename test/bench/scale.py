#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""memstrace benchmark: the scale targets of issue 6, measured, not asserted.

usage: scale.py [--memstrace PATH] [--build DIR] [--no-readme]

  memory     peak RSS of memstrace (GNU time's %M: the larger of the tracer
             and its tracee; the untraced program's is shown too; started
             from time, not from python, whose RSS a child's peak inherits)
             over 10,000, 100,000 and 1,000,000 mmap/munmap pairs of
             churn.c: flat means within 1 MiB of the 10,000-pair peak (runs
             of one size differ by a few hundred KiB)
  live       live.c: 1,000,000 adjacent 4 KiB mmaps never unmapped; peak
             RSS against the budget 64 MiB + 200 bytes per live region,
             and the time from the program's last instruction (it writes
             CLOCK_MONOTONIC to stderr) to memstrace's exit, report
             written, in text and in JSON
  attach     sleepers.c with 1,000 threads: memstrace -p, time until every
             thread's TracerPid is memstrace's; then SIGINT, time until
             memstrace exits; afterwards no thread is traced or stopped

Prints a Markdown section and rewrites the scale.py part of
test/bench/README.md (unless --no-readme). Standard library only.
"""

import os
import re
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
PAIRS = (10_000, 100_000, 1_000_000)
LIVE = 1_000_000
THREADS = 1000
TIME = "/usr/bin/time"  # GNU time (Debian package "time")


def build(out, srcs, flags=()):
    srcs = [os.path.join(HERE, s) for s in srcs]
    if not os.path.exists(out) or any(os.path.getmtime(s) > os.path.getmtime(out) for s in srcs):
        subprocess.run(["gcc", "-O2", "-g", *flags, "-o", out, *srcs], check=True)
    return out


def run_rusage(cmd):
    """Run cmd under GNU time; return (exit status, peak RSS in KiB, wall
    seconds, stderr text)."""
    with tempfile.NamedTemporaryFile() as rss, tempfile.TemporaryFile() as err:
        t0 = time.monotonic()
        rc = subprocess.run([TIME, "-f", "%M", "-o", rss.name, *cmd], stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=err).returncode
        t = time.monotonic() - t0
        err.seek(0)
        return rc, int(open(rss.name).read().split()[-1]), t, err.read().decode(errors="replace")


def mib(kib):
    return "%.1f MiB" % (kib / 1024)


def memory(ms, churn):
    rows = []
    for n in PAIRS:
        rc, rss, t, _ = run_rusage([ms, "-o", "/dev/null", churn, str(n)])
        _, rss0, _, _ = run_rusage([churn, str(n)])
        rows.append((n, rc, rss, rss0, t))
    growth = rows[-1][2] - rows[0][2]
    lines = ["| pairs | memstrace peak RSS | untraced churn | wall |", "|---:|---:|---:|---:|"]
    lines += ["| {:,} | {} | {} | {:.2f} s |".format(n, mib(rss), mib(rss0), t) + ("" if rc == 0 else " (exit %d)" % rc)
              for n, rc, rss, rss0, t in rows]
    lines.append("")
    lines.append("Growth from %s to %s pairs: %+d KiB (%s)." % (
        "{:,}".format(PAIRS[0]), "{:,}".format(PAIRS[-1]), growth,
        "flat: within 1 MiB, the spread between runs of one size" if growth <= 1024 else "NOT flat"))
    return lines


def live(ms, prog):
    lines = ["| format | peak RSS | budget (64 MiB + 200 B x %s) | exit to report written | memstrace wall |"
             % "{:,}".format(LIVE), "|---|---:|---:|---:|---:|"]
    budget = 64 * 1024 + 200 * LIVE / 1024
    for fmt in ("text", "json"):
        with tempfile.NamedTemporaryFile(suffix="." + fmt) as out:
            rc, rss, t, text = run_rusage([ms, "--format=" + fmt, "-o", out.name, prog, str(LIVE)])
            t_done = time.monotonic()
            size = os.path.getsize(out.name)
        m = re.search(r"^exit (\d+)$", text, re.M)
        after = "%.2f s" % (t_done - int(m.group(1)) / 1e9) if m else "? (%s)" % text.strip()[-200:]
        lines.append("| %s (%.1f MB) | %s | %s | %s | %.2f s%s |" % (
            fmt, size / 1e6, mib(rss), mib(budget), after, t, "" if rc == 0 else " (exit %d)" % rc))
    return lines


def tracers(pid):
    """{tid: (TracerPid, State letter)} of every thread of pid."""
    out = {}
    for tid in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/status" % (pid, tid)) as f:
                st = f.read()
        except OSError:
            continue
        out[int(tid)] = (int(re.search(r"^TracerPid:\s*(\d+)", st, re.M).group(1)),
                         re.search(r"^State:\s*(\S)", st, re.M).group(1))
    return out


def attach(ms, prog):
    sl = subprocess.Popen([prog, str(THREADS)], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE)
    try:
        if sl.stdout.readline().strip() != b"ready":
            return ["sleepers did not start"]
        with tempfile.NamedTemporaryFile(suffix=".txt") as out:
            t0 = time.monotonic()
            m = subprocess.Popen([ms, "-p", str(sl.pid), "-o", out.name], stdin=subprocess.DEVNULL)
            attached = None
            while time.monotonic() - t0 < 30:
                tr = tracers(sl.pid)
                if len(tr) == THREADS + 1 and all(t == m.pid for t, _ in tr.values()):
                    attached = time.monotonic() - t0
                    break
                time.sleep(0.002)
            t1 = time.monotonic()
            m.send_signal(signal.SIGINT)
            rc = m.wait(timeout=60)
            detached = time.monotonic() - t1
            time.sleep(0.1)
            after = tracers(sl.pid)
            traced = sum(1 for t, _ in after.values() if t != 0)
            stopped = sum(1 for _, s in after.values() if s in "tT")
            alive = sl.poll() is None
        return ["| threads | attached (every TracerPid is memstrace's) | SIGINT to exit (detach + report) | memstrace exit | afterwards |",
                "|---:|---:|---:|---:|---|",
                "| %d | %s | %.3f s | %d | %s, %d traced, %d stopped |" % (
                    THREADS + 1, "%.3f s" % attached if attached is not None else "not within 30 s",
                    detached, rc, "alive" if alive else "GONE", traced, stopped)]
    finally:
        sl.kill()
        sl.wait()


def rewrite_readme(section):
    path = os.path.join(HERE, "README.md")
    begin, end = "<!-- scale.py results: begin -->", "<!-- scale.py results: end -->"
    with open(path) as f:
        text = f.read()
    block = begin + "\n" + section + "\n" + end
    if begin in text:
        text = re.sub(re.escape(begin) + ".*?" + re.escape(end), lambda _: block, text, flags=re.S)
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    with open(path, "w") as f:
        f.write(text)


def main(argv):
    ms = os.path.join(REPO, "build", "memstrace")
    bdir = os.environ.get("BENCH_BUILD", os.path.join(os.environ.get("TMPDIR", "/tmp"), "memstrace-bench"))
    readme = True
    args = list(argv)
    while args:
        a = args.pop(0)
        if a == "--memstrace":
            ms = os.path.abspath(args.pop(0))
        elif a == "--build":
            bdir = args.pop(0)
        elif a == "--no-readme":
            readme = False
        else:
            print(__doc__, file=sys.stderr)
            return 2
    os.makedirs(bdir, exist_ok=True)
    churn = build(os.path.join(bdir, "churn"), ["churn.c", "churn_a.c", "churn_b.c", "churn_c.c", "churn_d.c"],
                  ["-fno-optimize-sibling-calls"])
    live_prog = build(os.path.join(bdir, "live"), ["live.c"])
    sleepers = build(os.path.join(bdir, "sleepers"), ["sleepers.c"], ["-pthread"])

    u = os.uname()
    out = ["### `test/bench/scale.py`, %s (%d vCPUs, Linux %s)" % (
        time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()), os.cpu_count(), u.release.split("-")[0]), ""]
    out += ["Tracer memory over mmap/munmap pairs (`memstrace -o /dev/null churn N`):", ""] + memory(ms, churn)
    out += ["", "1,000,000 live regions (`memstrace --format=F -o FILE live 1000000`):", ""] + live(ms, live_prog)
    out += ["", "Attach to 1,001 threads (`memstrace -p PID`, then SIGINT):", ""] + attach(ms, sleepers)
    section = "\n".join(out)
    print(section)
    if readme:
        rewrite_readme(section)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
