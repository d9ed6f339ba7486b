#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Check memstrace's event lines (-e, -t/-tt, -s, --events=caller, -o FILE)
against strace and against what the test programs do (issue 5).

usage: events.py [OPTIONS] MODE MEMSTRACE PROG [ARGS...]

  --timeout S    kill a run (tracer and tracees) after S seconds (default 60)
  --src FILE     the program's source file (caller mode: the line of its
                 mmap call is found there, never a constant)
  --form F       diff mode: "stderr" (default) or "file" (-o FILE)
  --exact        diff mode: under setarch -R, compare addresses too (the
                 program is deterministic); otherwise addresses are
                 compared through placeholders only

MODE is one of
  diff       run PROG under  strace -f -e trace=mmap,munmap,mremap,brk  and
             under  memstrace -e  (both with LC_ALL=C, program output
             discarded), in the form asked (stderr, or -o FILE for both):
               1. ASLR on: the lines must be identical after replacing pids
                  and addresses by placeholders (numbered by first
                  appearance, so equal addresses stay equal);
               2. under setarch -R: the same, addresses kept as they are
                  with --exact;
               3. under setarch -R, both with -t, then both with -tt: the
                  same after checking the time's format and removing it;
               4. under setarch -R in a new pid namespace (unshare --pid
                  --fork --mount-proc, when it works): the pids are below
                  10, so the prefixes' padding shows.
             strace's "+++ exited ... +++", "--- SIG... ---" and "strace:
             Process N attached/detached" lines (after any pid prefix and time) are dropped; everything
             else strace writes is compared. Padding before "= " is checked
             on each line by strace's rule (column 40, counting the pid
             prefix and the time), then compared as one space. Exits 77 if
             strace is not installed; setarch -R unusable skips 2 and 3.
  time       -t and -tt, on stderr and with -o FILE: every event line has
             the time right after the pid prefix, HH:MM:SS / HH:MM:SS.micros,
             within a few seconds of the run; -tt times never go backwards;
             the lines are those of a run without -t once the time is removed
             (with addresses and pids replaced)
  size       PROG maps several sizes: under setarch -R, memstrace -e -s 40960
             (and -s 40K) prints exactly the lines of a run without -s whose
             length argument is 40960 (mmap/munmap length; mremap old or new
             size; brk that moves the break by +40960), in order, and those
             include mmap (ok and failing), munmap, mremap from and to 40960
             and brk
  reference  PROG is clone-leak, ARGS its iteration count N: with -e -t there
             are exactly N mmap lines of 40960 bytes with MAP_STACK, each
             matching strace's syntax, at distinct addresses never unmapped
  caller     PROG is clone-leak (--src its source): with --events=caller its
             40960 mmap lines end with " <main (clone-leak.c:LINE)>", LINE
             the line of the mmap call in the source; on stderr and with
             -o FILE; without it (plain -e) no line has a caller
  live       PROG is ev-sleep: with -e -o FILE, FILE already holds the mmap
             line (at the address the program printed) while the program
             sleeps, and the report is not there yet; after the exit it is,
             after the event lines

memstrace always runs with --format=json, so that its report is one JSON line
which must come after every event line. Prints each check it made and each
problem (strace's line and memstrace's, raw); exits 1 on any problem, 77 when
skipped, 0 otherwise. Standard library only.
"""

import difflib
import json
import os
import re
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import time

MODES = ("diff", "time", "size", "reference", "caller", "live")
CALLS = ("mmap", "munmap", "mremap", "brk")
TRACE = "trace=" + ",".join(CALLS)
COLUMN = 40  # strace's default -a
SIZE = 40960

# Any line that looks like an event line: optional pid prefix, optional
# time, then a memory call.
LOOKS_LIKE_EVENT = re.compile(
    r"^(?:\[pid +\d+\] |\d+ +)?(?:\d\d:\d\d:\d\d(?:\.\d+)? )?(?:%s)\(" % "|".join(CALLS))
# The parts of an event line. The call's closing parenthesis is the last
# one followed by spaces and "= ".
EVENT = re.compile(
    r"^(?P<pfx>\[pid +(?P<bpid>\d+)\] |(?P<fpid>\d+) +)?"
    r"(?P<time>\d\d:\d\d:\d\d(?:\.\d+)? )?"
    r"(?P<name>mmap|munmap|mremap|brk)\((?P<args>.*?)\)(?P<pad> *)= "
    r"(?P<res>0x[0-9a-f]+|-?\d+)"
    r"(?P<err> E[A-Z0-9]+ \([^()]*\))?"
    r"(?P<caller> <.*>)?$")
# strace's lines that memstrace does not write, after the pid prefix.
STRACE_NOISE = re.compile(r"^(?:\+\+\+ .* \+\+\+|--- SIG.* ---)$")
STRACE_ATTACH = re.compile(r"^(?:\S*/)?strace: Process \d+ (?:attached|detached)")
STRACE_PREFIX = re.compile(r"^(?:\[pid +\d+\] |\d+ +)?(?:\d\d:\d\d:\d\d(?:\.\d+)? )?")
TIME_T = re.compile(r"^\d\d:\d\d:\d\d $")
TIME_TT = re.compile(r"^\d\d:\d\d:\d\d\.\d{6} $")
MMAP_STACK_LINE = (r"mmap\(NULL, 40960, PROT_READ\|PROT_WRITE, "
                   r"MAP_PRIVATE\|MAP_ANONYMOUS\|MAP_STACK, -1, 0\) = (0x[0-9a-f]+)")


class Usage(Exception):
    pass


class Skip(Exception):
    pass


class Checker:
    def __init__(self):
        self.problems = 0

    def fail(self, what, *details):
        self.problems += 1
        print("FAIL " + what)
        for d in details:
            print("  " + d)

    def ok(self, what):
        print("ok   " + what)

    def note(self, what):
        print("note " + what)


# ------------------------------------------------------------------ running


def killpg(pgid):
    try:
        os.killpg(pgid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def base_env():
    env = dict(os.environ)
    env["LC_ALL"] = "C"  # strerror texts
    env.pop("DEBUGINFOD_URLS", None)
    env.pop("MEMSTRACE_TRUTH", None)
    return env


class Run:
    def __init__(self, what, cmd, status, err, lines_src):
        self.what = what
        self.cmd = cmd
        self.status = status
        self.err = err
        self.text = lines_src  # the stream that holds the event lines

    def lines(self):
        return self.text.split("\n")[:-1] if self.text.endswith("\n") else self.text.split("\n")


def run(ck, opts, what, cmd, out_file=None, stdin=subprocess.DEVNULL):
    """Runs cmd in its own process group; the event stream is stderr, or
    out_file when given. Returns a Run, or None (and a problem) on timeout."""
    proc = subprocess.Popen(cmd, stdin=stdin, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            env=base_env(), start_new_session=True)
    try:
        _, err = proc.communicate(timeout=opts["timeout"])
    except subprocess.TimeoutExpired:
        killpg(proc.pid)
        proc.communicate()
        ck.fail("%s did not finish within %g s (killed it and its process group)" % (what, opts["timeout"]),
                "$ " + " ".join(cmd))
        return None
    finally:
        killpg(proc.pid)  # nothing of a run outlives it
    err = err.decode("utf-8", "replace")
    text = err
    if out_file is not None:
        try:
            with open(out_file, encoding="utf-8", errors="replace") as f:
                text = f.read()
        except OSError as e:
            ck.fail("%s wrote no %s: %s" % (what, out_file, e), "$ " + " ".join(cmd))
            text = ""
    return Run(what, cmd, proc.returncode, err, text)


def setarch_works():
    setarch = shutil.which("setarch")
    if not setarch:
        return None
    try:
        r = subprocess.run([setarch, "-R", "true"], stdin=subprocess.DEVNULL,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return setarch if r.returncode == 0 else None


def unshare_works():
    """unshare(1) that can start a command as pid 1 of a new pid namespace,
    with its own /proc: there the tracees get pids below 10, whose prefix
    shows the padding ("[pid     3] ", "3     ")."""
    unshare = shutil.which("unshare")
    if not unshare:
        return None
    try:
        r = subprocess.run([unshare, "--pid", "--fork", "--mount-proc", "true"], stdin=subprocess.DEVNULL,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return [unshare, "--pid", "--fork", "--mount-proc"] if r.returncode == 0 else None


def expect_status(ck, r, want=0):
    if r is None:
        return False
    if r.status != want:
        ck.fail("%s exited with %s, expected %d" % (r.what, r.status, want),
                "$ " + " ".join(r.cmd), *("| " + l for l in r.err.splitlines()[-15:]))
        return False
    return True


# ------------------------------------------------------------------ parsing


def split_args(args):
    # No argument holds ", " inside itself (flags are "A|B", unknown ones
    # "0x8 /* MAP_??? */").
    return args.split(", ") if args else []


def pad_ok(m):
    before = m.end("args") + 1  # up to and with ")"
    pad = len(m.group("pad"))
    if before < COLUMN:
        return before + pad == COLUMN
    return pad == 1


def pid_prefix_ok(m):
    if m.group("bpid") is not None:
        return m.group("pfx") == "[pid %5d] " % int(m.group("bpid"))
    if m.group("fpid") is not None:
        return m.group("pfx") == "%-5d " % int(m.group("fpid"))
    return True


class Canon:
    """Turns the event lines of one run into comparable strings: pids (and,
    when asked, addresses) replaced by placeholders numbered by first
    appearance; padding checked by strace's rule, then written as one space;
    the time checked for its format, then replaced by <t> / <tt>."""

    def __init__(self, addresses):
        self.addresses = addresses  # replace addresses
        self.pids = {}
        self.addrs = {}

    def pid(self, p):
        if p not in self.pids:
            self.pids[p] = "P%d" % (len(self.pids) + 1)
        return self.pids[p]

    def addr(self, a):
        if not self.addresses or a == "NULL":
            return a
        if a not in self.addrs:
            self.addrs[a] = "A%d" % (len(self.addrs) + 1)
        return self.addrs[a]

    def line(self, raw):
        m = EVENT.match(raw)
        if not m:
            return "<unparsed> " + raw
        out = []
        if m.group("bpid") is not None:
            out.append("[pid %s] " % self.pid(m.group("bpid")) if pid_prefix_ok(m)
                       else "<bad pid prefix %r> " % m.group("pfx"))
        elif m.group("fpid") is not None:
            out.append("%s " % self.pid(m.group("fpid")) if pid_prefix_ok(m)
                       else "<bad pid prefix %r> " % m.group("pfx"))
        t = m.group("time")
        if t is not None:
            out.append("<tt> " if TIME_TT.match(t) else "<t> " if TIME_T.match(t) else "<bad time %r> " % t)
        name = m.group("name")
        args = split_args(m.group("args"))
        addr_args = {"mmap": (0,), "munmap": (0,), "mremap": (0, 4), "brk": (0,)}[name]
        args = [self.addr(a) if i in addr_args else a for i, a in enumerate(args)]
        out.append("%s(%s)" % (name, ", ".join(args)))
        out.append(" = " if pad_ok(m) else "<bad padding: %d spaces>= " % len(m.group("pad")))
        res = m.group("res")
        if m.group("err") is None and name != "munmap":
            res = self.addr(res)
        out.append(res + (m.group("err") or "") + (m.group("caller") or ""))
        return "".join(out)


UNFINISHED = " <unfinished ...>"
RESUMED = re.compile(r"^(?P<pfx>(?:\[pid +(?P<bpid>\d+)\] |(?P<fpid>\d+) +)?"
                     r"(?:\d\d:\d\d:\d\d(?:\.\d+)? )?)<\.\.\. (?P<name>\w+) resumed>(?P<rest>.*)$")
PID_OF = re.compile(r"^(?:\[pid +(\d+)\] |(\d+) +)")


def pid_of(line):
    m = PID_OF.match(line)
    return (m.group(1) or m.group(2)) if m else None


def merge_unfinished(lines):
    """strace splits a call that another task's event interrupts into
    "call(args <unfinished ...>" and "<... call resumed>) = result";
    memstrace writes each call once, when it completes. Join strace's halves
    into the line it writes for an uninterrupted call (padded to COLUMN)."""
    out, pending = [], {}
    for l in lines:
        if l.endswith(UNFINISHED):
            pending[pid_of(l)] = len(out)
            out.append(l[:-len(UNFINISHED)])
            continue
        m = RESUMED.match(l)
        if m and pid_of(l) in pending:
            i = pending.pop(pid_of(l))
            rest = m.group("rest")
            close, _, result = rest.partition("= ")
            head = out[i] + close.rstrip()
            pad = " " * (COLUMN - len(head)) if len(head) < COLUMN else " "
            out[i] = head + pad + "= " + result
            continue
        out.append(l)
    return out


def strace_events(r):
    """strace's lines, less what memstrace does not write."""
    keep = []
    for l in r.lines():
        if STRACE_ATTACH.match(l):
            continue
        body = STRACE_PREFIX.sub("", l, count=1)
        if STRACE_NOISE.match(body):
            continue
        keep.append(l)
    return merge_unfinished(keep)


def memstrace_events(ck, r):
    """memstrace's event lines; the JSON report must be the one line after them."""
    lines = r.lines()
    events = [l for l in lines if LOOKS_LIKE_EVENT.match(l)]
    reports = [i for i, l in enumerate(lines) if l.startswith("{")]
    if not reports:
        ck.fail("%s: no JSON report in its output" % r.what)
    else:
        last_event = max((i for i, l in enumerate(lines) if LOOKS_LIKE_EVENT.match(l)), default=-1)
        if last_event > reports[0]:
            ck.fail("%s: event line after the report" % r.what,
                    "line %d: %s" % (last_event + 1, lines[last_event]))
        try:
            json.loads(lines[reports[-1]])
        except ValueError as e:
            ck.fail("%s: the report is not JSON: %s" % (r.what, e))
    return events


def compare(ck, what, s_lines, m_lines, addresses):
    """Compares strace's and memstrace's lines as Canon makes them."""
    cs, cm = Canon(addresses), Canon(addresses)
    a = [cs.line(l) for l in s_lines]
    b = [cm.line(l) for l in m_lines]
    bad_s = [l for l, c in zip(s_lines, a) if "<bad " in c or c.startswith("<unparsed>")]
    if bad_s:
        ck.note("%s: strace's own lines break the rules this test assumes (%d lines), e.g. %s"
                % (what, len(bad_s), bad_s[0]))
    if a == b:
        ck.ok("%s: %d lines, identical" % (what, len(a)))
        return True
    details = ["%d lines from strace, %d from memstrace; each difference, raw:" % (len(a), len(b))]
    shown = 0
    sm = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    for tag, i1, i2, j1, j2 in sm.get_opcodes():
        if tag == "equal":
            continue
        shown += 1
        if shown > 40:
            details.append("... more differences left out")
            break
        details.append("@@ strace lines %d-%d, memstrace lines %d-%d (%s)" % (i1 + 1, i2, j1 + 1, j2, tag))
        for k in range(i1, min(i2, i1 + 30)):
            details.append("- strace:    " + s_lines[k])
        if i2 - i1 > 30:
            details.append("- ... %d more strace lines" % (i2 - i1 - 30))
        for k in range(j1, min(j2, j1 + 30)):
            details.append("+ memstrace: " + m_lines[k])
            if "<bad " in b[k] or b[k].startswith("<unparsed>"):
                details.append("             (%s)" % b[k])
        if j2 - j1 > 30:
            details.append("+ ... %d more memstrace lines" % (j2 - j1 - 30))
    ck.fail("%s: strace and memstrace differ" % what, *details)
    return False


# ------------------------------------------------------------------ modes


def tmpfile(tmp, name):
    return os.path.join(tmp, name)


def strace_cmd(strace, out, extra, prog_args):
    cmd = [strace, "-f", "-e", TRACE] + list(extra)
    if out:
        cmd += ["-o", out]
    return cmd + prog_args


def memstrace_cmd(opts, out, extra):
    cmd = [opts["memstrace"], "-e", "--format=json"] + list(extra)
    if out:
        cmd += ["-o", out]
    return cmd + [opts["prog"]] + opts["args"]


def mode_diff(ck, opts, tmp):
    strace = shutil.which("strace")
    if not strace:
        raise Skip("strace is not installed: nothing to compare with")
    form = opts["form"]
    setarch = setarch_works()
    prog_args = [opts["prog"]] + opts["args"]
    ck.note("form: %s; %s" % ("-o FILE" if form == "file" else "stderr", subprocess.run(
        [strace, "-V"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL).stdout.decode().splitlines()[0]))

    def both(label, pre, extra, addresses):
        n = len(os.listdir(tmp))
        s_out = tmpfile(tmp, "strace-%d" % n) if form == "file" else None
        m_out = tmpfile(tmp, "memstrace-%d" % n) if form == "file" else None
        rs = run(ck, opts, "strace (%s)" % label, pre + strace_cmd(strace, s_out, extra, prog_args), s_out)
        rm = run(ck, opts, "memstrace (%s)" % label, pre + memstrace_cmd(opts, m_out, extra), m_out)
        if not expect_status(ck, rs) or not expect_status(ck, rm):
            return
        s_lines = strace_events(rs)
        m_lines = memstrace_events(ck, rm)
        if not s_lines:
            ck.fail("%s: strace printed no line" % label)
            return
        compare(ck, label, s_lines, m_lines, addresses)

    both("ASLR on, pids and addresses replaced", [], [], True)
    unshare = unshare_works()
    if not setarch:
        ck.note("setarch -R does not work here: the runs without ASLR are skipped")
        both("ASLR on, -tt, pids and addresses replaced", [], ["-tt"], True)
        if unshare:
            both("new pid namespace (pids below 10), pids and addresses replaced", unshare, [], True)
        return
    exact = opts["exact"]
    how = "pids replaced" + ("" if exact else ", addresses replaced")
    both("setarch -R, %s" % how, [setarch, "-R"], [], not exact)
    both("setarch -R, -t, %s" % how, [setarch, "-R"], ["-t"], not exact)
    both("setarch -R, -tt, %s" % how, [setarch, "-R"], ["-tt"], not exact)
    if unshare:
        both("setarch -R, new pid namespace (pids below 10), %s" % how, unshare + [setarch, "-R"], [],
             not exact)
    else:
        ck.note("unshare --pid --fork --mount-proc does not work here: no run with pids below 10")


def seconds_of_day(t):
    lt = time.localtime(t)
    return lt.tm_hour * 3600 + lt.tm_min * 60 + lt.tm_sec


def mode_time(ck, opts, tmp):
    plain = run(ck, opts, "memstrace -e", memstrace_cmd(opts, None, []))
    if not expect_status(ck, plain):
        return
    plain_lines = memstrace_events(ck, plain)
    if not plain_lines:
        ck.fail("memstrace -e printed no event line")
        return
    for l in plain_lines:
        m = EVENT.match(l)
        if m and m.group("time"):
            ck.fail("memstrace -e without -t: a line has a time", l)
            break
    want = [Canon(True).line(l) for l in plain_lines]

    for flag, form in (("-t", "stderr"), ("-tt", "stderr"), ("-t", "file"), ("-tt", "file")):
        out = tmpfile(tmp, "time%s-%s" % (flag, form)) if form == "file" else None
        what = "memstrace -e %s%s" % (flag, " -o FILE" if out else "")
        t0 = time.time()
        r = run(ck, opts, what, memstrace_cmd(opts, out, [flag]), out)
        t1 = time.time()
        if not expect_status(ck, r):
            continue
        lines = memstrace_events(ck, r)
        fmt = r"\d\d:\d\d:\d\d" + (r"\.\d{6}" if flag == "-tt" else "")
        pfx = r"\d+ +" if out else r"(?:\[pid +\d+\] )?"
        line_re = re.compile(r"^(%s)(%s) (?:%s)\(" % (pfx, fmt, "|".join(CALLS)))
        lo, hi = seconds_of_day(t0 - 3), seconds_of_day(t1 + 3)
        bad = []
        prev = None
        back = []
        for l in lines:
            m = line_re.match(l)
            if not m:
                bad.append(l)
                continue
            hms = m.group(2)
            s = int(hms[0:2]) * 3600 + int(hms[3:5]) * 60 + int(hms[6:8])
            inside = lo <= s <= hi if lo <= hi else (s >= lo or s <= hi)  # midnight
            if not inside:
                bad.append(l + "    <- not within 3 s of the run (%s .. %s)" % (
                    time.strftime("%H:%M:%S", time.localtime(t0)), time.strftime("%H:%M:%S", time.localtime(t1))))
            if flag == "-tt":
                v = float(s) + float("0" + hms[8:])
                if prev is not None and v < prev and not (prev > 86000 and v < 400):
                    back.append(l)
                prev = v
        if bad:
            ck.fail("%s: %d of %d event lines without a good %s time after the prefix" % (what, len(bad), len(lines), flag),
                    *bad[:10])
        else:
            ck.ok("%s: all %d event lines have the %s time after the prefix, within the run" % (
                what, len(lines), flag))
        if back:
            ck.fail("%s: the time goes backwards" % what, *back[:5])
        # The same lines as without -t: compare them as in the diff mode.
        got = [Canon(True).line(l) for l in lines]
        got_untimed = [re.sub(r"<tt?> ", "", g) for g in got]
        if out:
            want_form = [re.sub(r"^\[pid (P\d+)\] ", r"\1 ", w) for w in want]
            # with -o every line has the pid: compare without it
            got_cmp = [re.sub(r"^P\d+ ", "", g) for g in got_untimed]
            want_cmp = [re.sub(r"^P\d+ ", "", w) for w in want_form]
        else:
            got_cmp, want_cmp = got_untimed, want
        if got_cmp == want_cmp:
            ck.ok("%s: the same %d lines as without -t, once the time is removed" % (what, len(lines)))
        else:
            diff = list(difflib.unified_diff(want_cmp, got_cmp, "without -t", what, lineterm="", n=1))
            ck.fail("%s: not the lines of a run without -t (addresses and pids replaced)" % what, *diff[:40])


def length_matches(name, args, brk_increment):
    if name in ("mmap", "munmap"):
        return len(args) > 1 and args[1] == str(SIZE)
    if name == "mremap":
        return len(args) > 2 and (args[1] == str(SIZE) or args[2] == str(SIZE))
    return brk_increment == SIZE


def expected_selection(ck, lines):
    """The lines of an unfiltered run that -s 40960 must keep, and which kinds they are."""
    keep, kinds = [], set()
    brk = None
    for l in lines:
        m = EVENT.match(l)
        if not m:
            ck.fail("unparsable event line", l)
            continue
        name, args = m.group("name"), split_args(m.group("args"))
        inc = None
        if name == "brk":
            res = int(m.group("res"), 16) if m.group("res").startswith("0x") else None
            arg = 0 if args[0] == "NULL" else int(args[0], 16)
            if res is not None and arg != 0 and res == arg and brk is not None:
                inc = res - brk
            if res is not None:
                brk = res
        if length_matches(name, args, inc):
            keep.append(l)
            if name == "mremap":
                kinds.add("mremap from 40960" if args[1] == str(SIZE) else "mremap to 40960")
            elif m.group("err"):
                kinds.add(name + " failing")
            else:
                kinds.add(name)
    return keep, kinds


def mode_size(ck, opts, tmp):
    setarch = setarch_works()
    pre = [setarch, "-R"] if setarch else []
    if not setarch:
        ck.note("setarch -R does not work here: comparing with addresses replaced")
    full = run(ck, opts, "memstrace -e", pre + memstrace_cmd(opts, None, []))
    if not expect_status(ck, full):
        return
    lines = memstrace_events(ck, full)
    want, kinds = expected_selection(ck, lines)
    need = {"mmap", "mmap failing", "munmap", "munmap failing", "mremap from 40960", "mremap to 40960", "brk"}
    if need - kinds:
        ck.fail("the program does not make every kind of call this test needs: missing %s"
                % ", ".join(sorted(need - kinds)), *lines)
    if len(want) == len(lines):
        ck.fail("every line of the program has length 40960: nothing to filter out")
    ck.ok("without -s: %d event lines, %d of them of length 40960 (%s)" % (
        len(lines), len(want), ", ".join(sorted(kinds))))
    canon = (lambda ls: [Canon(True).line(l) for l in ls]) if not setarch else (lambda ls: ls)
    for spec in ("40960", "40K"):
        r = run(ck, opts, "memstrace -e -s %s" % spec, pre + memstrace_cmd(opts, None, ["-s", spec]))
        if not expect_status(ck, r):
            continue
        got = memstrace_events(ck, r)
        a, b = canon(want), canon(got)
        if a == b:
            ck.ok("-s %s: exactly the %d lines of length 40960, in order" % (spec, len(got)))
        else:
            extra = [l for l, c in zip(got, b) if c not in a]
            missing = [l for l, c in zip(want, a) if c not in b]
            ck.fail("-s %s: not exactly the lines of length 40960" % spec,
                    *(["lines it should not have printed:"] + ["+ " + l for l in extra] +
                      ["lines it should have printed:"] + ["- " + l for l in missing] +
                      ["all lines it printed:"] + ["| " + l for l in got]))


def mode_reference(ck, opts, tmp):
    n = int(opts["args"][0]) if opts["args"] else 5
    r = run(ck, opts, "memstrace -e -t", memstrace_cmd(opts, None, ["-t"]))
    if not expect_status(ck, r):
        return
    lines = memstrace_events(ck, r)
    stack_lines = [l for l in lines if re.search(r"\bmmap\(NULL, 40960, .*MAP_STACK", l)]
    full = re.compile(r"^(?:\[pid +\d+\] )?\d\d:\d\d:\d\d " + MMAP_STACK_LINE + "$")
    addrs = []
    for l in stack_lines:
        m = full.match(l)
        if m:
            addrs.append(m.group(1))
        else:
            ck.fail("an mmap line of 40960 with MAP_STACK is not in strace's syntax", l,
                    "expected: ^(\\[pid +N\\] )?HH:MM:SS " + MMAP_STACK_LINE + "$")
    if len(stack_lines) != n:
        ck.fail("%d mmap lines of 40960 with MAP_STACK, expected %d" % (len(stack_lines), n), *lines)
    elif len(addrs) == n:
        ck.ok("exactly %d mmap lines of 40960 with MAP_STACK, in strace's syntax with -t" % n)
    if len(set(addrs)) != len(addrs):
        ck.fail("the 40960 stacks are not at distinct addresses", *stack_lines)
    unmapped = [l for l in lines if re.search(r"\bmunmap\((%s)," % "|".join(addrs or ["-"]), l)]
    if unmapped:
        ck.fail("a leaked stack is unmapped", *unmapped)


def call_line(ck, src, needle):
    try:
        with open(src, encoding="utf-8") as f:
            hits = [i + 1 for i, l in enumerate(f) if needle in l]
    except OSError as e:
        ck.fail("cannot read the source %s: %s" % (src, e))
        return None
    if len(hits) != 1:
        ck.fail("%r is on %d lines of %s, expected 1" % (needle, len(hits), src))
        return None
    return hits[0]


def mode_caller(ck, opts, tmp):
    if not opts["src"]:
        raise Usage("caller needs --src")
    n = int(opts["args"][0]) if opts["args"] else 5
    line = call_line(ck, opts["src"], "mmap(NULL, STACK_SIZE")
    if line is None:
        return
    suffix = " <main (%s:%d)>" % (os.path.basename(opts["src"]), line)
    ck.note("the mmap call is at %s:%d" % (opts["src"], line))
    for form in ("stderr", "file"):
        out = tmpfile(tmp, "caller") if form == "file" else None
        what = "memstrace -e --events=caller" + (" -o FILE" if out else "")
        r = run(ck, opts, what, memstrace_cmd(opts, out, ["--events=caller"]), out)
        if not expect_status(ck, r):
            continue
        lines = memstrace_events(ck, r)
        pfx = r"\d+ +" if out else r"(?:\[pid +\d+\] )?"
        full = re.compile("^" + pfx + MMAP_STACK_LINE + re.escape(suffix) + "$")
        stack_lines = [l for l in lines if re.search(r"\bmmap\(NULL, 40960, .*MAP_STACK", l)]
        bad = [l for l in stack_lines if not full.match(l)]
        if bad:
            ck.fail("%s: 40960 mmap lines that do not end with %r (or are not in strace's syntax)"
                    % (what, suffix), *bad)
        if len(stack_lines) != n:
            ck.fail("%s: %d mmap lines of 40960 with MAP_STACK, expected %d" % (what, len(stack_lines), n),
                    *lines)
        elif not bad:
            ck.ok("%s: the %d mmap lines of 40960 end with %r" % (what, n, suffix))
        malformed = [l for l in lines if not EVENT.match(l)]
        if malformed:
            ck.fail("%s: event lines that do not parse (caller suffix included)" % what, *malformed[:10])

    r = run(ck, opts, "memstrace -e", memstrace_cmd(opts, None, []))
    if expect_status(ck, r):
        lines = memstrace_events(ck, r)
        with_caller = [l for l in lines if re.search(r"\) = \S+.* <.*>$", l)]
        if with_caller:
            ck.fail("memstrace -e (no --events=caller): lines with a caller", *with_caller[:10])
        else:
            ck.ok("memstrace -e: no caller on its %d event lines (off by default)" % len(lines))


def mode_live(ck, opts, tmp):
    out = tmpfile(tmp, "live")
    cmd = memstrace_cmd(opts, out, [])
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=base_env(), start_new_session=True)
    try:
        deadline = time.time() + opts["timeout"] - 5
        line = b""
        # the program's stdout: "mapped 0x..." once it has mapped
        sel = selectors.DefaultSelector()
        sel.register(proc.stdout, selectors.EVENT_READ)
        while not line.endswith(b"\n") and time.time() < deadline:
            if sel.select(timeout=0.5):
                b = os.read(proc.stdout.fileno(), 1)
                if not b:
                    break
                line += b
        try:
            with open(out, encoding="utf-8", errors="replace") as f:
                during = f.read()
        except OSError as e:
            during = None
            ck.fail("no %s while the program sleeps: %s" % (out, e))
        # still running after FILE was read: it was read while the program slept
        running = proc.poll() is None
        m = re.match(r"^mapped (0x[0-9a-f]+)\n$", line.decode("utf-8", "replace"))
        if not m:
            ck.fail("the program did not say it had mapped (read %r)" % line)
            return
        if not running:
            ck.fail("the program had already exited when FILE was read: cannot tell (machine too slow?)")
            return
        ck.ok("the program mapped %s and sleeps (still running)" % m.group(1))
        if during is not None:
            want = re.compile(r"^\d+ +mmap\(NULL, 45056, PROT_READ\|PROT_WRITE, MAP_PRIVATE\|MAP_ANONYMOUS, -1, 0\) = "
                              + re.escape(m.group(1)) + "$")
            dl = during.split("\n")
            if any(want.match(l) for l in dl):
                ck.ok("FILE already holds the mmap line while the program sleeps")
            else:
                ck.fail("FILE does not hold the mmap line while the program sleeps",
                        "expected: " + want.pattern, *("| " + l for l in dl[-10:]))
            if not during.endswith("\n") and during:
                ck.fail("FILE ends in the middle of a line while the program sleeps", "| " + dl[-1])
            if any(l.startswith("{") for l in dl):
                ck.fail("the report is already in FILE before the program exited")
        try:
            _, err = proc.communicate(timeout=opts["timeout"])
        except subprocess.TimeoutExpired:
            ck.fail("memstrace did not finish")
            return
        if proc.returncode != 0:
            ck.fail("memstrace exited with %s" % proc.returncode, *err.decode("utf-8", "replace").splitlines()[-10:])
        with open(out, encoding="utf-8", errors="replace") as f:
            r = Run("memstrace -e -o FILE", cmd, proc.returncode, "", f.read())
        lines = memstrace_events(ck, r)
        if during is not None and not r.text.startswith(during):
            ck.fail("FILE was rewritten, not appended to, after the program slept")
        ck.ok("after the exit: %d event lines, then the report" % len(lines))
    finally:
        killpg(proc.pid)


# ------------------------------------------------------------------ main


def parse_args(argv):
    opts = {"timeout": 60.0, "src": None, "form": "stderr", "exact": False}
    i = 0
    while i < len(argv) and argv[i].startswith("--"):
        a = argv[i]
        if a == "--exact":
            opts["exact"] = True
            i += 1
            continue
        name, eq, val = a.partition("=")
        if name not in ("--timeout", "--src", "--form"):
            raise Usage("unknown option %s" % a)
        if not eq:
            i += 1
            if i >= len(argv):
                raise Usage("%s needs a value" % name)
            val = argv[i]
        if name == "--timeout":
            try:
                opts["timeout"] = float(val)
            except ValueError:
                raise Usage("bad value for --timeout: %r" % val)
        elif name == "--form":
            if val not in ("stderr", "file"):
                raise Usage("--form is stderr or file")
            opts["form"] = val
        else:
            opts["src"] = val
        i += 1
    rest = argv[i:]
    if len(rest) < 3 or rest[0] not in MODES:
        raise Usage("usage: events.py [OPTIONS] MODE MEMSTRACE PROG [ARGS...]; MODE: " + ", ".join(MODES))
    opts["mode"], opts["memstrace"], opts["prog"], opts["args"] = rest[0], rest[1], rest[2], rest[3:]
    return opts


def main(argv):
    try:
        opts = parse_args(argv)
    except Usage as e:
        print(e, file=sys.stderr)
        return 2
    ck = Checker()
    tmp = tempfile.mkdtemp(prefix="memstrace-events-")
    try:
        globals()["mode_" + opts["mode"]](ck, opts, tmp)
    except Skip as e:
        print("SKIP " + str(e))
        shutil.rmtree(tmp, ignore_errors=True)
        return 77
    if ck.problems:
        print("%d problem(s); files kept in %s" % (ck.problems, tmp))
        return 1
    shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
