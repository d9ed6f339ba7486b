#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Attach mode (memstrace -p, issue 4): start a test program, attach to it,
detach, and check the report and the process that memstrace let go.

usage: attach.py [OPTIONS] MODE MEMSTRACE PROG

  --src DIR      where the programs' sources are (test/progs); the line of
                 each mmap call is found by searching them, never a constant
  --timeout S    give up (and kill everything started) after S seconds (50)
  --keep         keep the temporary directory on success

PROG is the test program the mode runs (test/progs/attach-*.c). MODE is one of

  leak            attach-leaker (4 threads mapping 40960 bytes every 50 ms,
                  3 regions mapped by main before): attach, wait, SIGINT.
                  Exit 0, one JSON report, reason "detach"; every region
                  mapped while surely attached is reported exactly, with the
                  tid that mapped it, in an mmap 40960 anon group whose stack
                  reads leak_region (the mmap line), leak (the leak_region
                  line), worker; no region mapped before memstrace started is
                  (the "pre" ones included). The process lives on: no thread
                  in state T or t, TracerPid 0, heartbeat and every thread's
                  leaks continue.
  signals         attach-leaker: attach and detach three times in a row, with
                  SIGTERM, SIGHUP and SIGINT: each exits 0 with a "detach"
                  report, and leaves the process running untraced.
  read            attach-reader, blocked in read() on a pipe whose write end
                  the test holds: attach, SIGUSR1 (a report while it sleeps
                  in read), SIGINT. It must still sleep in read(0, ...),
                  untraced, having returned nothing; then each write wakes it
                  with exactly the data written and errno 0 (no EINTR), and
                  closing the pipe gives end of file and exit 0.
  stopped         attach-leaker stopped with SIGSTOP: attach, SIGINT. It
                  must stay stopped while attached and after the detach (every
                  thread T, no output), TracerPid 0; SIGCONT resumes it all.
  threads         attach-spawner (threads born and dying all the time, each
                  mapping one 45000-byte region): every region mapped after
                  the attach by any thread is reported, with its tid; none of
                  those mapped before memstrace started; no region of that
                  size the program did not map.
  sigkill         attach-leaker: SIGKILL memstrace while attached; the
                  process runs on (no thread T or t, TracerPid 0, heartbeat).
  interval        attach-leaker with -i 1 --format=json --verify: a JSON line
                  about every second (each parseable, reason "interval",
                  written as it is due, summary.regions growing), then
                  SIGUSR1 gives one "signal" report while staying attached,
                  and SIGINT the "detach" report; zero verify differences in
                  all of them.
  verify          attach-churn (threads reshaping memory mapped before the
                  attach: MAP_FIXED, munmap of parts, mremap moves, brk...)
                  with --verify -i 0.5: every report has verify.checks
                  growing and no differences.
  bad-pid         -p 999999999 (no such process), -p OWN,999999999 (nothing
                  attached: every pid is checked first), -p 0, -p abc, -p -5,
                  -p '': exit 1 or 2 (usage), one stderr line "memstrace: ...",
                  nothing on stdout; with strace at hand, no ptrace call at all.
  already-traced  attach-leaker under another memstrace -p, then under
                  strace -p (if installed): memstrace -p exits 1 with one line
                  mentioning "already traced"; the first tracer keeps it.
  already-traced-thread
                  one worker thread (not the leader) of attach-leaker under
                  strace -p TID: the same, and no thread is left stopped or
                  traced by memstrace. Skipped without strace.
  permission      memstrace run as uid/gid 65534 (setpriv or runuser) against
                  a root-owned attach-leaker: exit 1, one line mentioning "not
                  permitted"; the process untouched. Skipped (77) when users
                  cannot be switched.
  kernel-thread   kthreadd (or another kernel thread, found in /proc by its
                  PF_KTHREAD flag): exit 1, one line mentioning "kernel
                  thread"; with strace at hand, no ptrace call at all.

Every process started is killed at the end, whatever happens. A problem is
printed with what memstrace did ("+") against what was expected ("-"); the
script exits 1 on any problem, 77 when the mode cannot run here, 0 otherwise.
Standard library only.
"""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import check  # noqa: E402  (report shape and invariants)
import stacks  # noqa: E402  (call_line: the line of a call, searched in the source)

SKIP = 77
PF_KTHREAD = 0x00200000
LEAK_SIZE = 40960
SPAWN_SIZE = 45000
NOBODY = 65534
SEC = 1_000_000_000


class Usage(Exception):
    pass


class Skip(Exception):
    pass


class GiveUp(Exception):
    """A step failed in a way that makes the following ones pointless."""


class Checker(check.Checker):
    def ok(self, what):
        print("ok: " + what, flush=True)

    def need(self, cond, what, *details):
        if cond:
            self.ok(what)
        else:
            self.fail(what, *details)
        return cond


def now():
    return time.monotonic_ns()


def secs(ns):
    return "%.3f s" % (ns / SEC)


# ---------------------------------------------------------------- /proc


def read_text(path):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read()
    except OSError:
        return None


def stat_fields(path):
    """Fields 3.. of a stat file (state first), or None."""
    text = read_text(path)
    if not text or ")" not in text:
        return None
    return text.rsplit(")", 1)[1].split()


def status_field(path, key):
    text = read_text(path)
    if text is None:
        return None
    for line in text.splitlines():
        k, _, v = line.partition(":")
        if k == key:
            return v.strip()
    return None


def tids_of(pid):
    try:
        return sorted(int(t) for t in os.listdir("/proc/%d/task" % pid) if t.isdigit())
    except OSError:
        return []


def thread_info(pid):
    """{tid: (state, TracerPid)} for every thread of pid that can be read."""
    info = {}
    for tid in tids_of(pid):
        base = "/proc/%d/task/%d/" % (pid, tid)
        st = stat_fields(base + "stat")
        tracer = status_field(base + "status", "TracerPid")
        if st is None or tracer is None:
            continue
        info[tid] = (st[0], int(tracer))
    return info


def describe_threads(info):
    return ", ".join("%d %s tracer %d" % (tid, s, tr) for tid, (s, tr) in sorted(info.items())) or "none"


def wait_until(pred, timeout, step=0.02):
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > deadline:
            return v
        time.sleep(step)


# ---------------------------------------------------------------- processes


class Prog:
    """A test program, its stdout (one statement a line) in a file."""

    def __init__(self, session, argv, name, stdin):
        self.name = name
        self.out_path = os.path.join(session.tmp, name + ".out")
        self.err_path = os.path.join(session.tmp, name + ".err")
        print("starting: %s > %s" % (" ".join(argv), self.out_path), flush=True)
        with open(self.out_path, "wb") as out, open(self.err_path, "wb") as err:
            self.popen = subprocess.Popen(argv, stdin=stdin, stdout=out, stderr=err, start_new_session=True)
        self.pid = self.popen.pid

    def lines(self):
        """Complete lines written so far."""
        try:
            with open(self.out_path, encoding="utf-8", errors="replace") as f:
                text = f.read()
        except OSError:
            return []
        return text.split("\n")[:-1]

    def stderr(self):
        return read_text(self.err_path) or ""

    def alive(self):
        return self.popen.poll() is None

    def wait_ready(self, ck, timeout=5):
        ok = wait_until(lambda: any(l.startswith("ready ") for l in self.lines()) or not self.alive(), timeout)
        if not ok or not self.alive():
            ck.fail("%s did not get ready" % self.name, *self.tail())
            raise GiveUp()

    def tail(self, n=10):
        out = ["| " + l for l in self.lines()[-n:]]
        err = ["stderr| " + l for l in self.stderr().splitlines()[-n:]]
        st = self.popen.poll()
        return out + err + (["(it exited: %s)" % check.describe_status(st)] if st is not None else [])

    def errors(self):
        return [l for l in self.lines() if l.startswith("error")]


class Tool:
    """memstrace (or strace), output to files, in its own session."""

    def __init__(self, session, argv, name, report=None):
        self.name = name
        self.argv = argv
        self.report = report
        self.out_path = os.path.join(session.tmp, name + ".stdout")
        self.err_path = os.path.join(session.tmp, name + ".stderr")
        print("running: %s" % " ".join(a if a else "''" for a in argv), flush=True)
        with open(self.out_path, "wb") as out, open(self.err_path, "wb") as err:
            self.popen = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                                          start_new_session=True, cwd="/")
        self.pid = self.popen.pid
        self.started = now()

    def wait(self, timeout):
        try:
            return self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def alive(self):
        return self.popen.poll() is None

    def stdout(self):
        return read_text(self.out_path) or ""

    def stderr(self):
        return read_text(self.err_path) or ""

    def stderr_lines(self):
        return ["stderr| " + l for l in self.stderr().splitlines()[-20:]]

    def report_lines(self):
        """Complete lines of the report file so far."""
        text = read_text(self.report) if self.report else None
        return [] if text is None else text.split("\n")[:-1]


class Session:
    def __init__(self, opts):
        self.opts = opts
        self.tmp = tempfile.mkdtemp(prefix="memstrace-attach-")
        os.chmod(self.tmp, 0o755)  # the permission mode runs memstrace as another user
        self.progs = []
        self.tools = []
        self.n = 0

    def prog(self, argv, stdin=subprocess.DEVNULL):
        self.n += 1
        p = Prog(self, argv, "prog%d-%s" % (self.n, os.path.basename(argv[0])), stdin)
        self.progs.append(p)
        return p

    def tool(self, argv, name, report=None):
        self.n += 1
        t = Tool(self, argv, "%s%d" % (name, self.n), report)
        self.tools.append(t)
        return t

    def memstrace(self, args, name="memstrace", report=True, prefix=()):
        rep = os.path.join(self.tmp, "%s%d.report" % (name, self.n + 1)) if report else None
        argv = list(prefix) + [self.opts["memstrace"]] + list(args) + (["-o", rep] if rep else [])
        return self.tool(argv, name, rep)

    def cleanup(self):
        # Tracers first, so that no tracee is left to a dead tracer's mercy;
        # then the programs. SIGKILL works on stopped and traced processes.
        for group in (self.tools, self.progs):
            for p in group:
                if p.popen.poll() is None:
                    try:
                        os.killpg(p.pid, signal.SIGKILL)
                    except (ProcessLookupError, PermissionError):
                        pass
                    try:
                        p.popen.kill()
                    except OSError:
                        pass
                try:
                    p.popen.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    print("warning: pid %d (%s) did not die" % (p.pid, p.name))


# ---------------------------------------------------------------- reports


def parse_report_lines(ck, name, lines):
    """Each line one JSON object; returns the objects (None for a bad line)."""
    reps = []
    for i, line in enumerate(lines):
        try:
            rep = json.loads(line)
            if not isinstance(rep, dict):
                raise ValueError("not an object")
        except ValueError as e:
            ck.fail("%s: report line %d is not a JSON object: %s" % (name, i + 1, e), "+ | " + line[:300])
            rep = None
        reps.append(rep)
    return reps


EXIT_ONLY = ('"reason" is ', 'in a report taken at exit')


def check_shape(ck, name, rep, reason, prog):
    """check.py's shape and invariants, for a report taken while attached;
    the reason must be `reason` and the process listed as running."""
    sub = check.Checker()
    regions = check.check_report(sub, rep)
    for what, details in sub.problems:
        if what.startswith(EXIT_ONLY[0]) or EXIT_ONLY[1] in what:
            continue  # check.py expects reports taken at exit
        if what.startswith("verify") or "(--verify)" in what:
            continue  # verify_clean() below says it with the report's own words
        ck.fail("%s: %s" % (name, what), *details)
    verify_clean(ck, name, rep)
    if rep.get("reason") != reason:
        ck.fail("%s: \"reason\" is %s" % (name, json.dumps(rep.get("reason"))), "- expected: \"%s\"" % reason)
    procs = rep.get("processes") if isinstance(rep.get("processes"), list) else []
    exe = os.path.realpath(prog.popen.args[0])
    want = {"pid": prog.pid, "exe": exe, "state": "running"}
    got = [{k: p.get(k) for k in want} for p in procs if isinstance(p, dict)]
    if got != [want]:
        ck.fail("%s: \"processes\" is not the one attached process, running" % name,
                "- expected: %s" % json.dumps([want]), "+ reported: %s" % json.dumps(procs)[:500])
    return regions


def report_excerpt(rep, limit=600):
    short = dict(rep)
    short["groups"] = [{k: g.get(k) for k in ("syscall", "size", "kind", "count", "calls")}
                       for g in rep.get("groups", []) if isinstance(g, dict)][:8]
    return "+ report: " + json.dumps(short)[:limit]


def one_report(ck, name, ms, reasons, prog):
    """The report file holds one line per expected reason; returns the
    reports and their regions, or raises GiveUp."""
    lines = ms.report_lines()
    reps = parse_report_lines(ck, name, lines)
    got = [r.get("reason") if r else None for r in reps]
    if got != list(reasons):
        ck.fail("%s: the report file holds reports %s" % (name, json.dumps(got)),
                "- expected: %s, one JSON object a line" % json.dumps(list(reasons)),
                *("+ | " + l[:300] for l in lines[:5]))
        raise GiveUp()
    out = []
    n0 = len(ck.problems)
    for rep, reason in zip(reps, reasons):
        out.append((rep, check_shape(ck, "%s (%s report)" % (name, reason), rep, reason, prog)))
    if len(ck.problems) == n0:
        ck.ok("%s: %s: one JSON line each, the shape and invariants hold, no verify difference"
              % (name, ", ".join(reasons)))
    return out


def verify_clean(ck, name, rep):
    v = rep.get("verify")
    if not isinstance(v, dict):
        ck.fail("%s: no \"verify\" object (--verify was given)" % name, report_excerpt(rep))
        return False
    diffs = v.get("differences")
    if diffs != [] or not check.is_int(v.get("checks")) or v.get("checks") < 1:
        ck.fail("%s: verify: %s checks, %d differences between the model and /proc/PID/maps"
                % (name, v.get("checks"), len(diffs) if isinstance(diffs, list) else -1),
                "- expected: at least 1 check, no difference",
                *("+ %s" % json.dumps(d) for d in (diffs if isinstance(diffs, list) else [diffs])[:15]))
        return False
    return True


# ---------------------------------------------------------------- program statements


class Rec:
    """One region a program stated: 'KIND TID START END T0 T1'."""

    def __init__(self, w):
        self.kind = w[0]
        self.tid = int(w[1])
        self.start = int(w[2], 16)
        self.end = int(w[3], 16)
        self.t0 = int(w[4])
        self.t1 = int(w[5])

    def text(self, origin):
        return "%s by tid %d: %s, call between %s and %s" % (
            self.kind, self.tid, check.rng(self.start, self.end), secs(self.t0 - origin), secs(self.t1 - origin))


def records(prog, kinds):
    recs = []
    for l in prog.lines():
        w = l.split()
        if w and w[0] in kinds and len(w) == 6:
            recs.append(Rec(w))
    return recs


def check_windows(ck, name, regions, prog, recs, size, t_start, t_att, t_end):
    """Regions stated by the program: those called entirely before
    t_start must not be reported; those called within [t_att, t_end] must
    be, exactly, made by their tid, in an mmap SIZE anon group; every
    reported region of that size must be one the program stated."""
    origin = t_start
    before = [r for r in recs if r.t1 < t_start]
    during = [r for r in recs if r.t0 >= t_att and r.t1 <= t_end]
    print("%s: memstrace started at 0, surely attached from %s to %s; the program stated %d regions: "
          "%d before memstrace started, %d while surely attached"
          % (name, secs(t_att - origin), secs(t_end - origin), len(recs), len(before), len(during)), flush=True)

    bad = []
    for r in before:
        over = [x for x in regions if x.start < r.end and r.start < x.end]
        if over:
            bad.append("+ %s is reported: %s" % (r.text(origin), over[0].describe()))
    if ck.need(not bad, "%s: none of the %d regions mapped before memstrace started is reported" % (name, len(before)),
               "- expected: mappings that existed before the attach are never reported", *bad[:10]):
        pass

    if not during:
        ck.fail("%s: the program stated no region mapped while memstrace was surely attached" % name,
                *prog.tail())
        return set()
    missing, wrong = [], []
    groups = set()
    for r in during:
        exact = [x for x in regions if x.start == r.start and x.end == r.end]
        if not exact:
            near = [x for x in regions if x.start < r.end and r.start < x.end]
            missing.append("+ not reported: %s%s" % (r.text(origin), "; overlapping: " + near[0].describe() if near else ""))
            continue
        x = exact[0]
        g = x.group
        if (g.get("syscall"), g.get("size"), g.get("kind")) != ("mmap", size, "anon") or x.pid != prog.pid \
                or x.raw.get("tid") != r.tid:
            wrong.append("+ %s reported as %s" % (r.text(origin), x.describe()))
            continue
        groups.add(id(g))
    ck.need(not missing, "%s: all %d regions mapped while surely attached are reported" % (name, len(during)),
            "- expected: every region mapped after the attach, by any thread",
            "+ %d of %d are missing" % (len(missing), len(during)), *missing[:12])
    ck.need(not wrong, "%s: each is in an mmap %d anon group, with pid %d and the tid that mapped it"
            % (name, size, prog.pid), *wrong[:12])

    stated = {(r.start, r.end) for r in recs}
    phantom = [x for x in regions if x.group.get("size") == size and x.group.get("syscall") == "mmap"
               and (x.start, x.end) not in stated]
    ck.need(not phantom, "%s: every reported mmap %d region is one the program mapped" % (name, size),
            *("+ never mapped by the program: " + x.describe() for x in phantom[:10]))
    return groups


def check_chain(ck, name, group, src, chain):
    """group's stack holds, consecutively, the frames of chain: (function,
    line or None), the first at the mmap call."""
    stack = group.get("stack") if isinstance(group.get("stack"), list) else []
    i = next((k for k, f in enumerate(stack) if isinstance(f, dict) and f.get("function") == chain[0][0]), None)
    want = " <- ".join("%s%s" % (fn, " (%s:%d)" % (src, ln) if ln else "") for fn, ln in chain)
    if i is None:
        ck.fail("%s: the group's stack has no frame in %s" % (name, chain[0][0]), "- expected: %s" % want,
                *stacks.stack_dump(stack))
        return
    good = True
    for k, (fn, ln) in enumerate(chain):
        f = stack[i + k] if i + k < len(stack) else {}
        if not isinstance(f, dict) or f.get("function") != fn or (ln is not None and (
                f.get("line") != ln or stacks.base(f.get("file")) != src)):
            good = False
    ck.need(good, "%s: the stack reads %s" % (name, want), "- expected: %s from frame %d" % (want, i),
            *stacks.stack_dump(stack, i))


# ---------------------------------------------------------------- the process after the detach


def check_untraced_running(ck, name, prog, since, workers=(), skip_tids=()):
    """prog is alive, no thread stopped or traced, its heartbeat (a "beat"
    line with time > since) and each worker's leaks go on."""
    if not prog.alive():
        ck.fail("%s: the process died" % name, *prog.tail())
        return False
    bad = []

    def settled():
        info = {t: v for t, v in thread_info(prog.pid).items() if t not in skip_tids}
        bad[:] = [t for t, (s, tr) in info.items() if s not in "RSD" or tr != 0]
        return info and not bad
    ok = wait_until(settled, 0.5)
    info = thread_info(prog.pid)
    ck.need(ok, "%s: every thread runs untraced (state R/S, TracerPid 0)" % name,
            "- expected: no thread in state T or t, TracerPid 0", "+ threads: " + describe_threads(info))

    def beat():
        return any(l.startswith("beat ") and len(l.split()) >= 3 and int(l.split()[2]) > since for l in prog.lines())
    ck.need(wait_until(beat, 3), "%s: the heartbeat goes on" % name,
            "- expected: a new \"beat\" line within 3 s", *prog.tail())
    if workers:
        def all_leak():
            late = {r.tid for r in records(prog, ("leak",)) if r.t0 > since}
            return set(workers) <= late
        ck.need(wait_until(all_leak, 3), "%s: each of the %d worker threads goes on mapping" % (name, len(workers)),
                "- expected: a new \"leak\" line from each of %s" % sorted(workers), *prog.tail())
    errs = prog.errors()
    ck.need(not errs, "%s: the program saw no failed call" % name, *("+ " + e for e in errs[:10]))
    return ok


def wait_traced(ck, name, prog, ms, timeout=5):
    """Waits until every thread of prog has TracerPid = memstrace; returns when."""
    def traced():
        if not ms.alive():
            return "gone"
        info = thread_info(prog.pid)
        return bool(info) and all(tr == ms.pid for _, tr in info.values())
    r = wait_until(traced, timeout)
    if r is True:
        return now()
    ck.fail("%s: memstrace did not attach to every thread within %d s" % (name, timeout),
            "+ threads: " + describe_threads(thread_info(prog.pid)),
            "+ memstrace: %s" % ("exited %s" % check.describe_status(ms.popen.poll()) if not ms.alive() else "running"),
            *ms.stderr_lines())
    raise GiveUp()


def stop_memstrace(ck, name, ms, sig=signal.SIGINT, timeout=10):
    ms.popen.send_signal(sig)
    st = ms.wait(timeout)
    if st is None:
        ck.fail("%s: memstrace did not exit within %d s of %s" % (name, timeout, signal.Signals(sig).name),
                *ms.stderr_lines())
        raise GiveUp()
    ck.need(st == 0, "%s: memstrace exits 0 on %s" % (name, signal.Signals(sig).name),
            "- expected: 0 after a clean detach", "+ got: %s" % check.describe_status(st), *ms.stderr_lines())
    ck.need(not ms.stderr().strip(), "%s: memstrace wrote nothing on stderr (its report went to -o)" % name,
            *ms.stderr_lines())
    return now()


def sleep_until(t):
    d = (t - now()) / SEC
    if d > 0:
        time.sleep(d)


def attach_times(t_start, t_traced):
    """From when a mapping is surely seen by memstrace: it has run 0.5 s and
    every thread has been traced for 0.3 s."""
    return max(t_start + SEC // 2, t_traced + 3 * SEC // 10)


# ---------------------------------------------------------------- modes


def leaker_workers(prog, t_from=0):
    return sorted({r.tid for r in records(prog, ("leak",)) if r.t0 >= t_from})


def mode_leak(ck, opts, s):
    src_file = os.path.join(opts["src"], "attach-leaker.c")
    mmap_line = stacks.call_line(ck, src_file, "mmap")
    leak_line = stacks.call_line(ck, src_file, "leak_region")
    prog = s.prog([opts["prog"], "4", "50", "3"])
    prog.wait_ready(ck)
    time.sleep(0.3)  # the threads map regions before the attach too
    t_start = now()
    ms = s.memstrace(["-p", str(prog.pid), "--format=json", "--verify"])
    t_att = attach_times(t_start, wait_traced(ck, "leak", prog, ms))
    sleep_until(t_att + 3 * SEC // 2)
    t_end = now()
    t_det = stop_memstrace(ck, "leak", ms)
    workers = leaker_workers(prog)
    check_untraced_running(ck, "leak", prog, t_det, workers)

    [(rep, regions)] = one_report(ck, "leak", ms, ["detach"], prog)
    recs = records(prog, ("pre", "leak"))
    pre = [r for r in recs if r.kind == "pre"]
    if not ck.need(len(pre) == 3 and all(r.t1 < t_start for r in pre),
                   "leak: the program stated its 3 regions mapped before the attach", *prog.tail()):
        return
    groups = check_windows(ck, "leak", regions, prog, recs, LEAK_SIZE, t_start, t_att, t_end)
    if mmap_line is None or leak_line is None:
        return
    for g in [g for g in rep.get("groups", []) if id(g) in groups]:
        check_chain(ck, "leak: group mmap %d (%d regions)" % (LEAK_SIZE, g.get("count", 0)), g,
                    "attach-leaker.c", [("leak_region", mmap_line), ("leak", leak_line), ("worker", None)])


def reader_blocked(prog):
    """True while it sleeps in read(0, ...): /proc/PID/syscall starts with
    the number of read (0) and fd 0."""
    sc = read_text("/proc/%d/syscall" % prog.pid) or ""
    st = stat_fields("/proc/%d/stat" % prog.pid)
    return sc.split()[:2] == ["0", "0x0"] and st is not None and st[0] == "S"


def mode_read(ck, opts, s):
    rfd, wfd = os.pipe()
    try:
        prog = s.prog([opts["prog"]], stdin=rfd)
    finally:
        os.close(rfd)
    try:
        run_read(ck, opts, s, prog, wfd)
    finally:
        if wfd is not None:
            try:
                os.close(wfd)
            except OSError:
                pass


def run_read(ck, opts, s, prog, wfd):
    prog.wait_ready(ck)
    if not ck.need(wait_until(lambda: reader_blocked(prog), 3), "read: the program sleeps in read(0, ...)",
                   "+ /proc/PID/syscall: %s" % (read_text("/proc/%d/syscall" % prog.pid) or "?").strip(),
                   *prog.tail()):
        raise GiveUp()
    ms = s.memstrace(["-p", str(prog.pid), "--format=json", "--verify"])
    wait_traced(ck, "read", prog, ms)
    time.sleep(0.3)
    ms.popen.send_signal(signal.SIGUSR1)
    if not wait_until(lambda: len(ms.report_lines()) >= 1, 3):
        ck.fail("read: no report within 3 s of SIGUSR1", *ms.stderr_lines())
    time.sleep(0.3)
    ck.need(prog.lines()[1:] == [], "read: read() returned nothing while attached",
            "- expected: the read goes on sleeping", *prog.tail())
    stop_memstrace(ck, "read", ms)
    reports = one_report(ck, "read", ms, ["signal", "detach"], prog)
    for rep, regions in reports:
        ck.need(not regions, "read (%s report): no region (the program mapped nothing)" % rep.get("reason"),
                *("+ " + r.describe() for r in regions[:5]))

    info = thread_info(prog.pid)
    ck.need(info and all(tr == 0 for _, tr in info.values()), "read: TracerPid is 0 after the detach",
            "+ threads: " + describe_threads(info))
    ck.need(wait_until(lambda: reader_blocked(prog), 2), "read: after the detach it sleeps in read(0, ...) again",
            "+ state %s, /proc/PID/syscall: %s" % ((stat_fields("/proc/%d/stat" % prog.pid) or ["?"])[0],
                                                  (read_text("/proc/%d/syscall" % prog.pid) or "?").strip()),
            *prog.tail())
    ck.need(prog.lines()[1:] == [], "read: read() returned nothing on the detach",
            "- expected: no output until the test writes", *prog.tail())
    expect = ["ready %d" % prog.pid]
    for data in (b"hello", b"again"):
        os.write(wfd, data)
        expect.append("read %d errno=0 data=%s" % (len(data), data.decode()))
        wait_until(lambda: len(prog.lines()) >= len(expect), 3)
        ck.need(prog.lines() == expect, "read: writing %r wakes it: it reads exactly that, errno 0" % data,
                "- expected: %s" % " | ".join(expect[1:]), *prog.tail())
    os.close(wfd)
    st = None
    try:
        st = prog.popen.wait(timeout=3)
    except subprocess.TimeoutExpired:
        pass
    expect.append("eof")
    ck.need(st == 0 and prog.lines() == expect, "read: closing the pipe gives end of file, and exit 0",
            "+ exit status: %s" % check.describe_status(st), *prog.tail())
    intr = [l for l in prog.lines() if l.startswith("read -1")]
    ck.need(not intr, "read: no read() failed (no EINTR)", *("+ " + l for l in intr))


def all_stopped(prog):
    info = thread_info(prog.pid)
    return info and all(s == "T" for s, _ in info.values())


def mode_stopped(ck, opts, s):
    prog = s.prog([opts["prog"], "2", "50", "0"])
    prog.wait_ready(ck)
    os.kill(prog.pid, signal.SIGSTOP)
    if not ck.need(wait_until(lambda: all_stopped(prog), 3), "stopped: SIGSTOP stops every thread (state T)",
                   "+ threads: " + describe_threads(thread_info(prog.pid))):
        raise GiveUp()
    time.sleep(0.1)
    n0 = len(prog.lines())
    workers = leaker_workers(prog)
    ms = s.memstrace(["-p", str(prog.pid), "--format=json", "--verify"])
    wait_traced(ck, "stopped", prog, ms)
    time.sleep(0.8)
    during = thread_info(prog.pid)
    ck.need(len(prog.lines()) == n0, "stopped: it stays stopped while attached (no output)",
            "+ new lines: " + " | ".join(prog.lines()[n0:n0 + 5]), "+ threads: " + describe_threads(during))
    ck.need(all(st in "tT" for st, _ in during.values()), "stopped: every thread is stopped while attached (T or t)",
            "+ threads: " + describe_threads(during))
    stop_memstrace(ck, "stopped", ms)
    [(rep, regions)] = one_report(ck, "stopped", ms, ["detach"], prog)
    ck.need(not regions, "stopped: no region (nothing was mapped while stopped)",
            *("+ " + r.describe() for r in regions[:5]))
    time.sleep(0.5)
    info = thread_info(prog.pid)
    ck.need(info and all(st == "T" and tr == 0 for st, tr in info.values()),
            "stopped: after the detach every thread is still stopped (T), TracerPid 0",
            "- expected: the process left exactly as it was: stopped", "+ threads: " + describe_threads(info))
    ck.need(len(prog.lines()) == n0, "stopped: no output after the detach while stopped",
            "+ new lines: " + " | ".join(prog.lines()[n0:n0 + 5]))
    t_cont = now()
    os.kill(prog.pid, signal.SIGCONT)
    check_untraced_running(ck, "stopped: after SIGCONT", prog, t_cont, workers)


def mode_threads(ck, opts, s):
    src_file = os.path.join(opts["src"], "attach-spawner.c")
    mmap_line = stacks.call_line(ck, src_file, "mmap")
    region_line = stacks.call_line(ck, src_file, "spawn_region")
    prog = s.prog([opts["prog"], "4", "3000"])
    prog.wait_ready(ck)
    time.sleep(0.3)
    t_start = now()
    ms = s.memstrace(["-p", str(prog.pid), "--format=json", "--verify"])
    t_att = attach_times(t_start, wait_traced(ck, "threads", prog, ms))
    sleep_until(t_att + 3 * SEC // 2)
    t_end = now()
    t_det = stop_memstrace(ck, "threads", ms)
    time.sleep(0.3)  # threads that mapped before t_end state their region
    check_untraced_running(ck, "threads", prog, t_det)
    [(rep, regions)] = one_report(ck, "threads", ms, ["detach"], prog)
    recs = records(prog, ("region",))
    during = [r for r in recs if r.t0 >= t_att and r.t1 <= t_end]
    tids = {r.tid for r in during}
    ck.need(len(tids) >= 20, "threads: at least 20 threads mapped while surely attached (%d did)" % len(tids),
            "- expected: threads born while attached: the program is too slow under memstrace to test this",
            *prog.tail())
    groups = check_windows(ck, "threads", regions, prog, recs, SPAWN_SIZE, t_start, t_att, t_end)
    if mmap_line is None or region_line is None:
        return
    for g in [g for g in rep.get("groups", []) if id(g) in groups]:
        check_chain(ck, "threads: group mmap %d (%d regions)" % (SPAWN_SIZE, g.get("count", 0)), g,
                    "attach-spawner.c", [("spawn_region", mmap_line), ("child", region_line)])


def mode_sigkill(ck, opts, s):
    prog = s.prog([opts["prog"], "4", "50", "0"])
    prog.wait_ready(ck)
    ms = s.memstrace(["-p", str(prog.pid), "--format=json", "--verify"])
    wait_traced(ck, "sigkill", prog, ms)
    time.sleep(0.8)
    t_kill = now()
    ms.popen.send_signal(signal.SIGKILL)
    st = ms.wait(5)
    ck.need(st == -signal.SIGKILL, "sigkill: memstrace died of SIGKILL", "+ got: %s" % check.describe_status(st))
    workers = leaker_workers(prog)
    check_untraced_running(ck, "sigkill", prog, t_kill, workers)
    time.sleep(1)
    check_untraced_running(ck, "sigkill: 1 s later", prog, now(), workers)


def mode_interval(ck, opts, s):
    prog = s.prog([opts["prog"], "4", "50", "3"])
    prog.wait_ready(ck)
    time.sleep(0.2)
    t_start = now()
    ms = s.memstrace(["-p", str(prog.pid), "-i", "1", "--format=json", "--verify"])
    wait_traced(ck, "interval", prog, ms)
    arrival = []  # (when the k-th line was first seen, since t_start)

    def poll(n):
        lines = ms.report_lines()
        while len(arrival) < len(lines):
            arrival.append(now() - t_start)
        return len(lines) >= n or not ms.alive()
    wait_until(lambda: poll(3), 6, 0.02)
    if not ck.need(len(arrival) >= 3, "interval: 3 reports within 6 s with -i 1",
                   "+ %d lines" % len(arrival), *ms.stderr_lines()):
        raise GiveUp()
    time.sleep(0.4)  # away from the interval reports: the leaker maps more in between
    poll(0)
    n_before = len(ms.report_lines())
    ms.popen.send_signal(signal.SIGUSR1)

    def got_signal():
        poll(0)
        return any('"reason":"signal"' in l.replace(" ", "") for l in ms.report_lines())
    ck.need(wait_until(got_signal, 3), "interval: SIGUSR1 gives a report within 3 s", *ms.stderr_lines())
    info = thread_info(prog.pid)
    ck.need(ms.alive() and info and all(tr == ms.pid for _, tr in info.values()),
            "interval: after the SIGUSR1 report memstrace is still attached to every thread",
            "+ memstrace %s; threads: %s" % ("running" if ms.alive() else "exited", describe_threads(info)))
    time.sleep(0.3)
    t_det = stop_memstrace(ck, "interval", ms)
    check_untraced_running(ck, "interval", prog, t_det, leaker_workers(prog))

    lines = ms.report_lines()
    reps = parse_report_lines(ck, "interval", lines)
    reasons = [r.get("reason") if r else None for r in reps]
    want_shape = reasons[:-1].count("signal") == 1 and reasons[-1:] == ["detach"] and \
        all(x in ("interval", "signal") for x in reasons[:-1]) and reasons[:n_before] == ["interval"] * n_before
    if not ck.need(want_shape, "interval: the reports are intervals, one \"signal\", then \"detach\": %s"
                   % json.dumps(reasons),
                   "- expected: [\"interval\", ...(one each second), \"signal\", \"interval\"?, ..., \"detach\"]"):
        if None in reasons:
            raise GiveUp()
    pre = records(prog, ("pre",))
    prev = None
    all_ok = True
    for i, (rep, reason) in enumerate(zip(reps, reasons)):
        name = "interval: report %d (%s)" % (i + 1, reason)
        n0 = len(ck.problems)
        regions = check_shape(ck, name, rep, reason, prog)
        leaked = [r for r in regions for p in pre if r.start < p.end and p.start < r.end]
        if leaked:
            ck.fail("%s: a region mapped before the attach is reported" % name,
                    *("+ " + r.describe() for r in leaked[:5]))
        summary = rep.get("summary") if isinstance(rep.get("summary"), dict) else {}
        checks = (rep.get("verify") or {}).get("checks") if isinstance(rep.get("verify"), dict) else None
        elapsed = rep.get("elapsed") if check.is_num(rep.get("elapsed")) else 0
        if prev is not None:
            # 0.2 s apart, the leaker's 4 threads have mapped about 16 regions
            grows = elapsed - prev[2] >= 0.2
            if not (check.is_int(summary.get("regions")) and check.is_int(prev[0]) and (
                    summary["regions"] > prev[0] if grows else summary["regions"] >= prev[0])):
                ck.fail("%s: summary.regions %s does not grow (the previous report, %.2f s earlier, had %s)"
                        % (name, summary.get("regions"), elapsed - prev[2], prev[0]),
                        "- expected: the leaker maps about 80 regions a second, never unmaps",
                        report_excerpt(rep))
            if not (check.is_int(checks) and check.is_int(prev[1]) and checks > prev[1]):
                ck.fail("%s: verify.checks %s, the previous report %s: expected one more check per report"
                        % (name, checks, prev[1]))
        prev = (summary.get("regions"), checks, elapsed)
        all_ok &= len(ck.problems) == n0
    if all_ok:
        ck.ok("interval: each of the %d reports parses, has the shape, no verify difference, no pre-attach "
              "region, and more regions than the one before (%s)"
              % (len(reps), ", ".join(str((r or {}).get("summary", {}).get("regions")) for r in reps)))

    # about one a second, each written as it is due
    iv = [(i, r) for i, r in enumerate(reps) if reasons[i] == "interval"]
    el = [r.get("elapsed") for _, r in iv]
    if all(check.is_num(e) for e in el) and el:
        steps = [b - a for a, b in zip(el, el[1:])]
        ck.need(0.7 <= el[0] <= 1.6 and all(0.7 <= d <= 1.3 for d in steps),
                "interval: interval reports about 1 s apart (elapsed %s)" % ", ".join("%.2f" % e for e in el),
                "- expected: the first at about 1 s, then one each second")
        late = ["+ report %d (elapsed %.2f s) first seen in the file at %s" % (i + 1, reps[i]["elapsed"], secs(arrival[i]))
                for i, _ in iv[:len(arrival)] if i < n_before and arrival[i] / SEC > reps[i]["elapsed"] + 0.7]
        ck.need(not late, "interval: each report is in the -o file as soon as it is due", *late)
    total = max((r.get("elapsed", 0) for r in reps if r and check.is_num(r.get("elapsed"))), default=0)
    ck.need(abs(len(iv) - int(total)) <= 1, "interval: %d interval reports in %.2f s" % (len(iv), total),
            "- expected: about one per second")


def mode_verify(ck, opts, s):
    prog = s.prog([opts["prog"], "3", "1"])
    prog.wait_ready(ck)
    time.sleep(0.2)
    ms = s.memstrace(["-p", str(prog.pid), "-i", "0.5", "--format=json", "--verify"])
    wait_traced(ck, "verify", prog, ms)
    time.sleep(2.2)
    ms.popen.send_signal(signal.SIGUSR1)
    time.sleep(0.4)
    t_det = stop_memstrace(ck, "verify", ms)
    check_untraced_running(ck, "verify", prog, t_det)
    ops_after = wait_until(lambda: {l.split()[1] for l in prog.lines()[-200:] if l.startswith("ops ")}, 2)
    lines = ms.report_lines()
    reps = parse_report_lines(ck, "verify", lines)
    reasons = [r.get("reason") if r else None for r in reps]
    ck.need(reasons[-1:] == ["detach"] and reasons.count("signal") == 1 and reasons.count("interval") >= 3,
            "verify: interval reports, one signal report, then the detach: %s" % json.dumps(reasons))
    prev = 0
    clean = True
    for i, rep in enumerate(reps):
        if rep is None:
            continue
        name = "verify: report %d (%s)" % (i + 1, reasons[i])
        n0 = len(ck.problems)
        check_shape(ck, name, rep, reasons[i], prog)
        clean &= len(ck.problems) == n0
        checks = rep.get("verify", {}).get("checks") if isinstance(rep.get("verify"), dict) else None
        if not (check.is_int(checks) and checks > prev):
            ck.fail("%s: verify.checks is %s after %s: expected it to grow at each report" % (name, checks, prev))
        else:
            prev = checks
    if clean:
        ck.ok("verify: every one of the %d reports has the shape, and no verify difference (%d checks)"
              % (len(reps), prev))
    ck.need(bool(ops_after), "verify: the threads go on working", *prog.tail())


def expect_refusal(ck, name, ms, code, words, timeout=10, tracer=None):
    """memstrace exits `code` with one stderr line "memstrace: ..." holding
    `words`, and nothing on stdout. With tracer: the line names that pid
    (the process that really traces the target), never memstrace's own."""
    st = ms.wait(timeout)
    err = ms.stderr()
    ok = st == code and err.startswith("memstrace: ") and err.endswith("\n") and err.count("\n") == 1 \
        and (words is None or words.lower() in err.lower()) and not ms.stdout()
    named = ""
    if tracer is not None:
        nums = re.findall(r"\d+", err)
        ok = ok and str(tracer) in nums and str(ms.pid) not in nums
        named = ", naming the tracer %d (not memstrace's own pid %d)" % (tracer, ms.pid)
    ck.need(ok, "%s: exit %d, one line: %s" % (name, code, err.rstrip("\n")),
            "- expected: exit %d and one stderr line \"memstrace: ...\"%s%s, nothing on stdout"
            % (code, " mentioning \"%s\"" % words if words else "", named),
            "+ exit status: %s" % check.describe_status(st),
            *(["+ stderr: (empty)"] if not err else ["+ stderr| " + l for l in err.splitlines()[:10]]),
            *["+ stdout| " + l for l in ms.stdout().splitlines()[:5]])
    if st is None:
        raise GiveUp()


def untouched(ck, name, prog, tracer=0, skip_tids=()):
    info = {t: v for t, v in thread_info(prog.pid).items() if t not in skip_tids}
    ck.need(prog.alive() and info and all(st in "RSD" and tr == tracer for st, tr in info.values()),
            "%s: the process is untouched (no thread stopped, TracerPid %d)" % (name, tracer),
            "+ threads: " + describe_threads(info), *prog.tail(3))


# LeakSanitizer cannot run in a process that is itself traced: in a sanitizer
# build, memstrace under strace would end with LSan's fatal error.
LSAN_UNDER_PTRACE = "ASAN_OPTIONS=detect_leaks=0"


def ptrace_calls(path):
    text = read_text(path) or ""
    return [l for l in text.splitlines() if "ptrace(" in l]


def mode_bad_pid(ck, opts, s):
    prog = s.prog([opts["prog"], "2", "50", "0"])
    prog.wait_ready(ck)
    if os.path.exists("/proc/999999999"):
        raise Skip("pid 999999999 exists here")
    strace = shutil.which("strace")
    cases = [
        ("no such process", ["-p", "999999999"], 1, "no such process"),
        ("one of two pids does not exist", ["-p", "%d,999999999" % prog.pid], 1, "999999999"),
        ("the second -p does not exist", ["-p", str(prog.pid), "-p", "999999999"], 1, "999999999"),
        ("pid 0", ["-p", "0"], 2, None),
        ("pid not a number", ["-p", "abc"], 2, None),
        ("negative pid", ["-p", "-5"], 2, None),
        ("empty pid", ["-p", ""], 2, None),
    ]
    for name, args, code, words in cases:
        trace = os.path.join(s.tmp, "ptrace-%d.log" % s.n)
        prefix = [strace, "-qq", "-f", "-e", "trace=ptrace", "-E", LSAN_UNDER_PTRACE, "-o", trace] if strace and code == 1 else []
        ms = s.memstrace(args, report=False, prefix=prefix)
        expect_refusal(ck, "bad-pid: " + name, ms, code, words)
        if prefix:
            calls = ptrace_calls(trace)
            ck.need(not calls, "bad-pid: %s: no ptrace call (checked with strace)" % name,
                    *("+ " + l for l in calls[:5]))
        untouched(ck, "bad-pid: " + name, prog)
    if not strace:
        print("note: strace is not installed: \"no ptrace call\" was not checked")


def mode_already_traced(ck, opts, s):
    prog = s.prog([opts["prog"], "2", "50", "0"])
    prog.wait_ready(ck)
    first = s.memstrace(["-p", str(prog.pid), "--format=json", "--verify"], name="first")
    wait_traced(ck, "already-traced", prog, first)
    time.sleep(0.2)
    ms = s.memstrace(["-p", str(prog.pid)], report=False)
    expect_refusal(ck, "already-traced (by memstrace)", ms, 1, "already traced", tracer=first.pid)
    time.sleep(0.2)
    info = thread_info(prog.pid)
    ck.need(first.alive() and all(tr == first.pid for _, tr in info.values()),
            "already-traced: the first memstrace still traces every thread",
            "+ threads: " + describe_threads(info))
    t_det = stop_memstrace(ck, "already-traced: the first memstrace", first)
    one_report(ck, "already-traced: the first memstrace", first, ["detach"], prog)
    check_untraced_running(ck, "already-traced: after the first memstrace's detach", prog, t_det,
                           leaker_workers(prog))

    strace = shutil.which("strace")
    if not strace:
        print("note: strace is not installed: the case of a process under strace -p was not run")
        return
    st = s.tool([strace, "-qq", "-e", "trace=none", "-o", "/dev/null", "-p", str(prog.pid)], "strace")
    if not ck.need(wait_until(lambda: thread_info(prog.pid).get(prog.pid, ("", 0))[1] == st.pid, 5),
                   "already-traced: strace -p attached to the process",
                   "+ threads: " + describe_threads(thread_info(prog.pid)), *st.stderr_lines()):
        raise GiveUp()
    time.sleep(0.2)
    ms = s.memstrace(["-p", str(prog.pid)], report=False)
    expect_refusal(ck, "already-traced (by strace -p)", ms, 1, "already traced", tracer=st.pid)
    time.sleep(0.2)
    ck.need(thread_info(prog.pid).get(prog.pid, ("", 0))[1] == st.pid, "already-traced: strace still traces it")
    untouched(ck, "already-traced: the threads strace does not trace", prog, skip_tids=(prog.pid,))
    st.popen.send_signal(signal.SIGINT)
    st.wait(5)
    t = now()
    check_untraced_running(ck, "already-traced: after strace detached", prog, t, leaker_workers(prog))


def mode_already_traced_thread(ck, opts, s):
    strace = shutil.which("strace")
    if not strace:
        raise Skip("strace is not installed")
    prog = s.prog([opts["prog"], "2", "50", "0"])
    prog.wait_ready(ck)
    workers = leaker_workers(prog)
    if not workers:
        wait_until(lambda: leaker_workers(prog), 2)
        workers = leaker_workers(prog)
    tid = workers[0]
    st = s.tool([strace, "-qq", "-e", "trace=none", "-o", "/dev/null", "-p", str(tid)], "strace")
    if not ck.need(wait_until(lambda: thread_info(prog.pid).get(tid, ("", 0))[1] == st.pid, 5),
                   "already-traced-thread: strace -p %d traces worker thread %d only" % (tid, tid),
                   "+ threads: " + describe_threads(thread_info(prog.pid)), *st.stderr_lines()):
        raise GiveUp()
    time.sleep(0.2)
    t = now()
    ms = s.memstrace(["-p", str(prog.pid)], report=False)
    expect_refusal(ck, "already-traced-thread: memstrace -p %d" % prog.pid, ms, 1, "already traced",
                   tracer=st.pid)
    time.sleep(0.3)
    ck.need(thread_info(prog.pid).get(tid, ("", 0))[1] == st.pid, "already-traced-thread: strace still traces %d" % tid,
            "+ threads: " + describe_threads(thread_info(prog.pid)))
    untouched(ck, "already-traced-thread: the threads strace does not trace", prog, skip_tids=(tid,))
    check_untraced_running(ck, "already-traced-thread: the other threads", prog, t,
                           [w for w in workers if w != tid], skip_tids=(tid,))


def switch_user():
    """A command prefix that runs a program as uid/gid 65534, or raises Skip."""
    if os.geteuid() != 0:
        raise Skip("not root: cannot run memstrace as another user against a process of ours")
    candidates = []
    if shutil.which("setpriv"):
        candidates.append([shutil.which("setpriv"), "--reuid=%d" % NOBODY, "--regid=%d" % NOBODY,
                           "--clear-groups"])
    if shutil.which("runuser"):
        candidates.append([shutil.which("runuser"), "-u", "nobody", "--"])
    for c in candidates:
        try:
            r = subprocess.run(c + ["/bin/sh", "-c", "id -u"], stdin=subprocess.DEVNULL, capture_output=True,
                               timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            continue
        if r.returncode == 0 and r.stdout.decode().strip() == str(NOBODY):
            return c
    raise Skip("cannot switch to uid %d here (no working setpriv or runuser)" % NOBODY)


def mode_permission(ck, opts, s):
    prefix = switch_user()
    # memstrace must be reachable by that user: run a copy from our directory
    exe = os.path.join(s.tmp, "memstrace")
    shutil.copy2(opts["memstrace"], exe)
    os.chmod(exe, 0o755)
    r = subprocess.run(prefix + [exe, "--version"], capture_output=True, timeout=10, cwd="/")
    if r.returncode != 0:
        raise Skip("memstrace cannot run as uid %d: %s" % (NOBODY, r.stderr.decode(errors="replace").strip()))
    prog = s.prog([opts["prog"], "2", "50", "0"])
    prog.wait_ready(ck)
    owner = os.stat("/proc/%d" % prog.pid).st_uid
    if owner == NOBODY:
        raise Skip("the test program runs as uid %d itself" % NOBODY)
    t = now()
    ms = s.tool(prefix + [exe, "-p", str(prog.pid)], "memstrace-nobody")
    expect_refusal(ck, "permission (uid %d against uid %d)" % (NOBODY, owner), ms, 1, "not permitted")
    untouched(ck, "permission", prog)
    check_untraced_running(ck, "permission", prog, t, leaker_workers(prog))


def find_kernel_thread():
    """kthreadd if it is there, else any kernel thread: (pid, comm)."""
    found = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        st = stat_fields("/proc/%s/stat" % d)
        if st is None or len(st) < 7:
            continue
        if int(st[6]) & PF_KTHREAD:
            comm = (read_text("/proc/%s/comm" % d) or "?").strip()
            found.append((comm != "kthreadd", int(d), comm))
    return min(found)[1:] if found else (None, None)


def mode_kernel_thread(ck, opts, s):
    pid, comm = find_kernel_thread()
    if pid is None:
        raise Skip("no kernel thread is visible in /proc here")
    try:
        os.readlink("/proc/%d/exe" % pid)
        print("note: /proc/%d/exe is readable (%s) although PF_KTHREAD is set" % (pid, comm))
    except OSError:
        pass
    print("kernel thread: pid %d (%s)" % (pid, comm))
    strace = shutil.which("strace")
    trace = os.path.join(s.tmp, "ptrace.log")
    prefix = [strace, "-qq", "-f", "-e", "trace=ptrace", "-E", LSAN_UNDER_PTRACE, "-o", trace] if strace else []
    ms = s.memstrace(["-p", str(pid)], report=False, prefix=prefix)
    expect_refusal(ck, "kernel-thread %d (%s)" % (pid, comm), ms, 1, "kernel thread")
    if prefix:
        calls = ptrace_calls(trace)
        ck.need(not calls, "kernel-thread: no ptrace call (checked with strace)", *("+ " + l for l in calls[:5]))
    else:
        print("note: strace is not installed: \"no ptrace call\" was not checked")
    tr = status_field("/proc/%d/status" % pid, "TracerPid")
    ck.need(tr in (None, "0"), "kernel-thread: TracerPid of %d is 0" % pid, "+ TracerPid: %s" % tr)


def mode_signals(ck, opts, s):
    prog = s.prog([opts["prog"], "2", "50", "0"])
    prog.wait_ready(ck)
    for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
        name = "signals: %s" % signal.Signals(sig).name
        ms = s.memstrace(["-p", str(prog.pid), "--format=json", "--verify"])
        wait_traced(ck, name, prog, ms)
        time.sleep(0.5)
        t_det = stop_memstrace(ck, name, ms, sig)
        [(rep, regions)] = one_report(ck, name, ms, ["detach"], prog)
        ck.need(len(regions) >= 5, "%s: the report holds the regions mapped while attached (%d)"
                % (name, len(regions)), report_excerpt(rep))
        check_untraced_running(ck, name, prog, t_det, leaker_workers(prog))


MODES = {
    "leak": mode_leak,
    "signals": mode_signals,
    "read": mode_read,
    "stopped": mode_stopped,
    "threads": mode_threads,
    "sigkill": mode_sigkill,
    "interval": mode_interval,
    "verify": mode_verify,
    "bad-pid": mode_bad_pid,
    "already-traced": mode_already_traced,
    "already-traced-thread": mode_already_traced_thread,
    "permission": mode_permission,
    "kernel-thread": mode_kernel_thread,
}


# ---------------------------------------------------------------- main


def parse_args(argv):
    opts = {"src": None, "timeout": 50.0, "keep": False}
    rest = check.parse_options(argv, opts, ("--src",), Usage)
    if len(rest) != 3:
        raise Usage("MODE, MEMSTRACE and PROG are required")
    opts["mode"], opts["memstrace"], opts["prog"] = rest
    if opts["mode"] not in MODES:
        raise Usage("unknown mode %r" % opts["mode"])
    if opts["src"] is None:
        raise Usage("--src is required")
    for k in ("memstrace", "prog"):
        opts[k] = os.path.abspath(opts[k])
    return opts


def on_alarm(sig, frame):
    raise TimeoutError()


def main(argv):
    try:
        opts = parse_args(argv)
    except Usage as e:
        print("attach.py: %s\n" % e + __doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    ck = Checker()
    s = Session(opts)
    signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(int(opts["timeout"]))
    skipped = None
    try:
        MODES[opts["mode"]](ck, opts, s)
    except GiveUp:
        pass
    except Skip as e:
        skipped = str(e)
    except TimeoutError:
        ck.fail("the test did not finish within %g s" % opts["timeout"])
    finally:
        signal.alarm(0)
        s.cleanup()
    if skipped is not None and not ck.problems:
        print("SKIP: %s" % skipped)
        shutil.rmtree(s.tmp, ignore_errors=True)
        return SKIP
    ck.print()
    if ck.problems:
        print("kept: %s" % s.tmp)
        print("FAIL: %d problems" % len(ck.problems))
        return 1
    if opts["keep"]:
        print("kept: %s" % s.tmp)
    else:
        shutil.rmtree(s.tmp, ignore_errors=True)
    print("ok: %s" % opts["mode"])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
