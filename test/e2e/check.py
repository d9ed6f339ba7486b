#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Run a test program under memstrace and check the JSON report against the
program's own truth (see test/progs/truth.h).

usage: check.py [OPTIONS] MEMSTRACE PROG [ARGS...]
       check.py [OPTIONS] --offline REPORT TRUTH PROG

  --exit N             expected exit status of memstrace (default 0)
  --follow             pass -f to memstrace
  --memstrace-arg X    one more argument for memstrace (repeatable)
  --timeout S          kill memstrace and its tracees after S seconds (default 60)
  --source NAME        the program's source file name (default: PROG's name + .c)
  --keep               keep the temporary directory (report, truth) on success
  --offline R T        check report file R against truth file T; run nothing

It runs  MEMSTRACE --format=json --verify [-f] [ARGS...] -o REPORT PROG ARGS
with MEMSTRACE_TRUTH naming a fresh file, MEMSTRACE_UNWIND=check (a line
saying the two stack walks differ is a problem) and DEBUGINFOD_URLS unset,
then checks the exit status, the report's shape and invariants (SPEC.md),
and every truth fact. It prints each problem ("-" what was expected, "+"
what the report holds) and exits 1, or prints "ok: N truth facts checked"
and exits 0. Standard library only.
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

PAGE = 4096
SYSCALLS = ("mmap", "mremap", "brk", "shmat")
KINDS = ("anon", "file", "heap", "shm")
STATES = ("exited", "running", "exec")
FRAME_KEYS = ("pc", "function", "file", "line", "module")
TRUTH_SYSCALLS = ("mmap", "mremap", "brk")
TRUTH_KINDS = ("anon", "file", "heap")
ADDR_RE = re.compile(r"^0x[0-9a-fA-F]+$")
PROT_RE = re.compile(r"^[r-][w-][x-]$")


class Usage(Exception):
    pass


class Checker:
    """Collects problems and notes; every check goes through it."""

    def __init__(self):
        self.problems = []
        self.notes = []

    def fail(self, what, *details):
        self.problems.append((what, details))

    def note(self, what):
        if what not in self.notes:
            self.notes.append(what)

    def print(self, out=sys.stdout):
        for what, details in self.problems:
            print("FAIL " + what, file=out)
            for d in details:
                print("  " + d, file=out)
        for n in self.notes:
            print("note: " + n, file=out)


def is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def is_num(v):
    return (isinstance(v, (int, float))) and not isinstance(v, bool)


def hexa(n):
    return "0x%x" % n


def rng(start, end):
    return "[%s, %s)" % (hexa(start), hexa(end))


# ---------------------------------------------------------------- the report


class Region:
    def __init__(self, group, raw, start, end):
        self.group = group
        self.raw = raw
        self.start = start
        self.end = end
        self.pid = raw.get("pid")
        self.space = raw.get("space")

    def describe(self):
        g = self.group
        return "%s in space %s (pid %s tid %s), group %s %s %s, %s" % (
            rng(self.start, self.end), self.space, self.pid, self.raw.get("tid"),
            g.get("syscall"), g.get("size"), g.get("kind"), frames_text(g.get("stack")))


def frames_text(stack):
    if not isinstance(stack, list) or not stack:
        return "no stack"
    if not any(isinstance(f, dict) and any(f.get(k) is not None for k in FRAME_KEYS) for f in stack):
        return "stack of unknown frames"
    parts = []
    for f in stack[:4]:
        if not isinstance(f, dict):
            parts.append("?")
            continue
        where = f.get("function") or f.get("pc") or "?"
        if f.get("line") is not None:
            where += " (%s:%s)" % (f.get("file"), f.get("line"))
        parts.append(str(where))
    return "stack " + " <- ".join(parts) + (" <- ..." if len(stack) > 4 else "")


def parse_addr(ck, v, where):
    if not isinstance(v, str) or not ADDR_RE.match(v):
        ck.fail("%s: address %r is not a string \"0x...\"" % (where, v))
        return None
    return int(v, 16)


def need(ck, obj, key, pred, kind, where):
    """obj[key] must exist and satisfy pred; return it or None."""
    if not isinstance(obj, dict) or key not in obj:
        ck.fail("%s: missing \"%s\"" % (where, key))
        return None
    v = obj[key]
    if not pred(v):
        ck.fail("%s: \"%s\" is %s, expected %s" % (where, key, json.dumps(v), kind))
        return None
    return v


def load_report(ck, path):
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError as e:
        ck.fail("no report: %s" % e)
        return None
    body = text[:-1] if text.endswith("\n") else text
    if not body.strip():
        ck.fail("the report %s is empty" % path)
        return None
    if "\n" in body:
        ck.fail("the report is not one line: %d lines" % (body.count("\n") + 1),
                *("| " + l[:160] for l in body.split("\n")[:5]))
        return None
    try:
        rep = json.loads(body)
    except ValueError as e:
        ck.fail("the report is not JSON: %s" % e, "| " + body[:300])
        return None
    if not isinstance(rep, dict):
        ck.fail("the report is not a JSON object")
        return None
    return rep


def check_report(ck, rep):
    """Shape and invariants of SPEC.md; returns the list of Regions."""
    if rep.get("memstrace") != 1 or not is_int(rep.get("memstrace")):
        ck.fail("\"memstrace\" is %s, expected 1" % json.dumps(rep.get("memstrace")))
    reason = need(ck, rep, "reason", lambda v: isinstance(v, str), "a string", "report")
    if reason is not None and reason != "exit":
        ck.fail("\"reason\" is %s, expected \"exit\"" % json.dumps(reason))
    elapsed = need(ck, rep, "elapsed", lambda v: is_num(v) and v >= 0, "a number >= 0", "report")

    procs = need(ck, rep, "processes", lambda v: isinstance(v, list) and v,
                 "a non-empty list", "report") or []
    for i, p in enumerate(procs):
        where = "processes[%d]" % i
        if not isinstance(p, dict):
            ck.fail("%s is not an object" % where)
            continue
        need(ck, p, "pid", lambda v: is_int(v) and v > 0, "a pid", where)
        need(ck, p, "exe", lambda v: v is None or isinstance(v, str), "a string", where)
        state = need(ck, p, "state", lambda v: v in STATES, " or ".join(STATES), where)
        if state == "running" and reason == "exit":
            ck.fail("%s (pid %s) is still \"running\" in a report taken at exit" % (where, p.get("pid")))

    summary = need(ck, rep, "summary", lambda v: isinstance(v, dict), "an object", "report") or {}
    for k in ("regions", "bytes", "groups"):
        need(ck, summary, k, lambda v: is_int(v) and v >= 0, "an integer >= 0", "summary")

    verify = need(ck, rep, "verify", lambda v: isinstance(v, dict), "an object (--verify)", "report")
    if verify is not None:
        checks = need(ck, verify, "checks", is_int, "an integer", "verify")
        if checks is not None and checks < 1:
            ck.fail("verify.checks is %d: the model was never compared with /proc/PID/maps" % checks)
        diffs = need(ck, verify, "differences", lambda v: isinstance(v, list), "a list", "verify")
        if diffs:
            ck.fail("verify found %d differences between the model and /proc/PID/maps" % len(diffs),
                    *("+ %s" % json.dumps(d) for d in diffs[:20]))

    groups = need(ck, rep, "groups", lambda v: isinstance(v, list), "a list", "report") or []
    regions = []
    prev_bytes = None
    total = {"regions": 0, "bytes": 0}
    keys = {}
    for gi, g in enumerate(groups):
        where = "groups[%d]" % gi
        if not isinstance(g, dict):
            ck.fail("%s is not an object" % where)
            continue
        need(ck, g, "syscall", lambda v: v in SYSCALLS, " or ".join(SYSCALLS), where)
        need(ck, g, "size", lambda v: is_int(v) and v >= 0, "an integer >= 0", where)
        need(ck, g, "kind", lambda v: v in KINDS, " or ".join(KINDS), where)
        need(ck, g, "prot", lambda v: isinstance(v, str) and PROT_RE.match(v), "like \"rw-\"", where)
        need(ck, g, "calls", lambda v: is_int(v) and v >= 0, "an integer >= 0", where)
        count = need(ck, g, "count", lambda v: is_int(v) and v >= 0, "an integer >= 0", where)
        nbytes = need(ck, g, "bytes", lambda v: is_int(v) and v >= 0, "an integer >= 0", where)
        stack = need(ck, g, "stack", lambda v: isinstance(v, list), "a list of frames", where)
        for fi, f in enumerate(stack or []):
            fwhere = "%s.stack[%d]" % (where, fi)
            if not isinstance(f, dict):
                ck.fail("%s is not an object" % fwhere)
                continue
            missing = [k for k in FRAME_KEYS if k not in f]
            if missing:
                ck.fail("%s lacks %s (every frame has all five keys; unknown ones are null)"
                        % (fwhere, ", ".join(missing)))
            if f.get("pc") is not None:
                parse_addr(ck, f["pc"], fwhere + ".pc")
            for k in ("function", "file", "module"):
                if f.get(k) is not None and not isinstance(f[k], str):
                    ck.fail("%s.%s is %s, expected a string or null" % (fwhere, k, json.dumps(f[k])))
            if f.get("line") is not None and not (is_int(f["line"]) and f["line"] > 0):
                ck.fail("%s.line is %s, expected a line number or null" % (fwhere, json.dumps(f["line"])))
        if stack and any(isinstance(f, dict) and f.get("pc") is not None for f in stack):
            key = json.dumps([g.get("syscall"), g.get("size"), g.get("kind"), stack], sort_keys=True)
            if key in keys:
                ck.fail("groups[%d] and %s have the same key (syscall, size, kind, stack)" % (keys[key], where))
            keys[key] = gi
        if nbytes is not None:
            if prev_bytes is not None and nbytes > prev_bytes:
                ck.fail("groups are not sorted by bytes, largest first: %s has %d bytes after %d"
                        % (where, nbytes, prev_bytes))
            prev_bytes = nbytes

        rlist = need(ck, g, "regions", lambda v: isinstance(v, list), "a list", where) or []
        gsum = 0
        for ri, r in enumerate(rlist):
            rwhere = "%s.regions[%d]" % (where, ri)
            if not isinstance(r, dict):
                ck.fail("%s is not an object" % rwhere)
                continue
            need(ck, r, "pid", lambda v: is_int(v) and v > 0, "a pid", rwhere)
            need(ck, r, "tid", lambda v: is_int(v) and v > 0, "a tid", rwhere)
            need(ck, r, "space", lambda v: is_int(v) and v > 0, "a pid", rwhere)
            t = need(ck, r, "time", lambda v: is_num(v) and v >= 0, "a number >= 0", rwhere)
            if t is not None and elapsed is not None and t > elapsed + 0.01:
                ck.fail("%s: time %s is after elapsed %s" % (rwhere, t, elapsed))
            if "stack_of" in r:
                so = r["stack_of"]
                if not (isinstance(so, dict) and is_int(so.get("tid")) and isinstance(so.get("exited"), bool)):
                    ck.fail("%s.stack_of is %s, expected {\"tid\": N, \"exited\": true|false}"
                            % (rwhere, json.dumps(so)))
            start = parse_addr(ck, r.get("start"), rwhere + ".start")
            end = parse_addr(ck, r.get("end"), rwhere + ".end")
            if start is None or end is None:
                continue
            if start % PAGE or end % PAGE:
                ck.fail("%s: %s is not page aligned" % (rwhere, rng(start, end)))
            if start >= end:
                ck.fail("%s: %s is empty or reversed" % (rwhere, rng(start, end)))
                continue
            gsum += end - start
            regions.append(Region(g, r, start, end))
        if count is not None and count != len(rlist):
            ck.fail("%s: count %d but %d regions listed" % (where, count, len(rlist)))
        if nbytes is not None and nbytes != gsum:
            ck.fail("%s: bytes %d but its regions add up to %d" % (where, nbytes, gsum))
        total["regions"] += len(rlist)
        total["bytes"] += gsum

    for k, v in (("regions", total["regions"]), ("bytes", total["bytes"]), ("groups", len(groups))):
        if is_int(summary.get(k)) and summary[k] != v:
            ck.fail("summary.%s is %d, the groups add up to %d" % (k, summary[k], v))

    # Within one address space no two regions overlap. "as" numbers the
    # address spaces: a pid that exec'd holds regions of two of them.
    by_space = {}
    for r in regions:
        need(ck, r.raw, "as", lambda v: is_int(v) and v > 0, "an address-space number",
             r.describe())
        by_space.setdefault(r.raw.get("as"), []).append(r)
    for space, rs in sorted(by_space.items(), key=lambda kv: str(kv[0])):
        rs.sort(key=lambda r: (r.start, r.end))
        last = None
        for r in rs:
            if last is not None and r.start < last.end:
                ck.fail("two regions overlap in address space %s" % space,
                        "+ " + last.describe(), "+ " + r.describe())
            if last is None or r.end > last.end:
                last = r
    return regions


# ---------------------------------------------------------------- the truth


def load_truth(ck, path):
    facts = []
    try:
        with open(path, encoding="utf-8") as f:
            lines = f.read().splitlines()
    except FileNotFoundError:
        lines = []
    for n, line in enumerate(lines, 1):
        w = line.split()
        try:
            if w and w[0] == "region" and len(w) in (8, 9):
                fact = {"type": "region", "pid": int(w[1]), "start": int(w[2], 16),
                        "end": int(w[3], 16), "syscall": w[4], "size": int(w[5]),
                        "kind": w[6], "line": int(w[7]), "maker": int(w[1])}
                if len(w) == 9:
                    if not w[8].startswith("pid="):
                        raise ValueError(w[8])
                    fact["maker"] = int(w[8][4:])
                if fact["syscall"] not in TRUTH_SYSCALLS or fact["kind"] not in TRUTH_KINDS:
                    raise ValueError(line)
            elif w and w[0] == "unmapped" and len(w) == 4:
                fact = {"type": "unmapped", "pid": int(w[1]), "start": int(w[2], 16), "end": int(w[3], 16)}
            elif w and w[0] == "groupcount" and len(w) == 4:
                fact = {"type": "groupcount", "syscall": w[1], "size": int(w[2]), "n": int(w[3])}
            else:
                raise ValueError(line)
        except ValueError:
            ck.fail("truth line %d is malformed: %r" % (n, line))
            continue
        fact["text"] = line
        facts.append(fact)
    if not lines:
        ck.fail("the program wrote no truth to $MEMSTRACE_TRUTH: a test that asserts nothing is a defect")
    return facts


def check_truth(ck, rep, regions, facts, source):
    procs = rep.get("processes") if isinstance(rep.get("processes"), list) else []
    pids = {p.get("pid") for p in procs if isinstance(p, dict)}
    groups = [g for g in rep.get("groups", []) if isinstance(g, dict)] if isinstance(rep.get("groups"), list) else []
    no_lines = False
    told = set()

    def missing_pid(pid):
        if pid not in pids and pid not in told:
            told.add(pid)
            ck.fail("truth: process %d is not in \"processes\"" % pid,
                    "+ reported: " + ", ".join("%s (%s)" % (p.get("pid"), p.get("state"))
                                               for p in procs if isinstance(p, dict)))

    for f in facts:
        if f["type"] == "region":
            pid, start, end = f["pid"], f["start"], f["end"]
            want = "- expected: %s in space %d (pid %d), group %s %d %s, a frame at %s:%d" % (
                rng(start, end), pid, f["maker"], f["syscall"], f["size"], f["kind"], source, f["line"])
            missing_pid(pid)
            exact = [r for r in regions if r.space == pid and r.start == start and r.end == end]
            if not exact:
                near = [r for r in regions if r.space == pid and r.start < end and start < r.end]
                elsewhere = [r for r in regions if r.space != pid and r.start == start and r.end == end]
                ck.fail("truth: %s: not reported" % f["text"], want,
                        *(["+ reported: " + r.describe() for r in near]
                          or ["+ reported: nothing in space %d overlaps %s" % (pid, rng(start, end))]),
                        *("+ but in another space: " + r.describe() for r in elsewhere))
                continue
            good = [r for r in exact if (r.group.get("syscall"), r.group.get("size"), r.group.get("kind"))
                    == (f["syscall"], f["size"], f["kind"])]
            if not good:
                ck.fail("truth: %s: in the wrong group" % f["text"], want,
                        *("+ reported: " + r.describe() for r in exact))
                continue
            r = good[0]
            if r.pid != f["maker"]:
                ck.fail("truth: %s: made by another process" % f["text"], want, "+ reported: " + r.describe())
                continue
            stack = r.group.get("stack") if isinstance(r.group.get("stack"), list) else []
            frames = [fr for fr in stack if isinstance(fr, dict)]
            if not any(fr.get("line") is not None for fr in frames):
                no_lines = True
                continue
            if not any(fr.get("line") == f["line"] and isinstance(fr.get("file"), str)
                       and (fr["file"] == source or fr["file"].endswith("/" + source)) for fr in frames):
                ck.fail("truth: %s: no frame at %s:%d" % (f["text"], source, f["line"]), want,
                        "+ reported: " + r.describe())
        elif f["type"] == "unmapped":
            pid, start, end = f["pid"], f["start"], f["end"]
            missing_pid(pid)
            near = [r for r in regions if r.space == pid and r.start < end and start < r.end]
            if near:
                ck.fail("truth: %s: still reported" % f["text"],
                        "- expected: nothing in space %d overlaps %s (unmapped at exit)" % (pid, rng(start, end)),
                        *("+ reported: " + r.describe() for r in near))
        else:
            n = sum(g.get("count") for g in groups
                    if g.get("syscall") == f["syscall"] and g.get("size") == f["size"] and is_int(g.get("count")))
            if n != f["n"]:
                ck.fail("truth: %s: wrong count" % f["text"],
                        "- expected: %d regions in groups %s %d" % (f["n"], f["syscall"], f["size"]),
                        "+ reported: %d" % n)
    if no_lines:
        ck.note("stacks carry no line numbers yet: the LINE of each region was not checked")


# ---------------------------------------------------------------- main


def parse_args(argv):
    opts = {"exit": 0, "follow": False, "extra": [], "timeout": 60.0, "source": None,
            "keep": False, "offline": None}
    i = 0
    while i < len(argv) and argv[i].startswith("--"):
        name, eq, val = argv[i].partition("=")
        i += 1
        if name == "--":
            break
        if name in ("--follow", "--keep"):
            if eq:
                raise Usage("%s takes no value" % name)
            opts[name[2:]] = True
            continue
        if name == "--offline":
            if eq or i + 1 >= len(argv):
                raise Usage("--offline REPORT TRUTH")
            opts["offline"] = (argv[i], argv[i + 1])
            i += 2
            continue
        if name not in ("--exit", "--memstrace-arg", "--timeout", "--source"):
            raise Usage("unknown option %s" % name)
        if not eq:
            if i >= len(argv):
                raise Usage("%s needs a value" % name)
            val = argv[i]
            i += 1
        try:
            if name == "--exit":
                opts["exit"] = int(val)
            elif name == "--timeout":
                opts["timeout"] = float(val)
            elif name == "--source":
                opts["source"] = val
            else:
                opts["extra"].append(val)
        except ValueError:
            raise Usage("bad value for %s: %r" % (name, val))
    rest = argv[i:]
    if opts["offline"]:
        if len(rest) != 1:
            raise Usage("--offline REPORT TRUTH PROG")
        opts["memstrace"], opts["prog"], opts["args"] = None, rest[0], []
    else:
        if len(rest) < 2:
            raise Usage("MEMSTRACE and PROG are required")
        opts["memstrace"], opts["prog"], opts["args"] = rest[0], rest[1], rest[2:]
    # meson passes paths relative to the build directory: show them whole
    for k in ("memstrace", "prog"):
        if opts[k] and "/" in opts[k]:
            opts[k] = os.path.abspath(opts[k])
    if opts["source"] is None:
        opts["source"] = os.path.basename(opts["prog"]) + ".c"
    return opts


def describe_status(st):
    if st is None:
        return "none (timed out)"
    if st < 0:
        return "killed by signal %d" % -st
    return str(st)


def killpg(pgid):
    try:
        os.killpg(pgid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def group_members(pgid):
    """Live (not zombie) processes of process group pgid."""
    pids = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            pids.append(int(d))
    return pids


def group_empty(pgid, wait=1.0):
    """True once no live process is left in the group (give processes that
    memstrace killed a moment to die)."""
    deadline = time.monotonic() + wait
    while group_members(pgid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def check_unwind(ck, err):
    """Runs set MEMSTRACE_UNWIND=check: memstrace walks every stack with its
    compiled CFI and again with libdwfl, and writes a line on stderr when
    the two differ. Each such line is a problem."""
    bad = [l for l in err.split("\n") if "unwind check:" in l]
    if bad:
        ck.fail("the fast walk and libdwfl found different stacks (%d times)" % len(bad),
                *("| " + l for l in bad[:10]))


def run_memstrace(ck, cmd, truth, timeout):
    """Run a memstrace command line with MEMSTRACE_TRUTH=truth,
    MEMSTRACE_UNWIND=check and no DEBUGINFOD_URLS (symbols come from the
    files here). Its own process group, so that a timeout kills the tracees
    too; output to files, so that a tracee left behind cannot keep us
    waiting on a pipe. A timeout, processes left behind and different stack
    walks are problems. Returns (wait status or None, stdout, stderr)."""
    env = dict(os.environ, MEMSTRACE_TRUTH=truth, MEMSTRACE_UNWIND="check")
    env.pop("DEBUGINFOD_URLS", None)
    print("running: MEMSTRACE_UNWIND=check MEMSTRACE_TRUTH=%s %s" % (truth, " ".join(cmd)), flush=True)
    with tempfile.TemporaryFile() as outf, tempfile.TemporaryFile() as errf:
        proc = subprocess.Popen(cmd, env=env, stdin=subprocess.DEVNULL, stdout=outf, stderr=errf,
                                preexec_fn=os.setpgrp)
        status = None
        try:
            status = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            killpg(proc.pid)
            proc.wait()
            ck.fail("memstrace did not finish within %g s (killed it and its process group)" % timeout)
        else:
            if not group_empty(proc.pid):
                killpg(proc.pid)
                ck.fail("memstrace exited and left processes running in its process group (killed them)")
        outf.seek(0)
        errf.seek(0)
        out = outf.read().decode(errors="replace")
        err = errf.read().decode(errors="replace")
    check_unwind(ck, err)
    return status, out, err


def run(opts, tmp, ck):
    truth = os.path.join(tmp, "truth")
    report = os.path.join(tmp, "report.json")
    cmd = [opts["memstrace"], "--format=json", "--verify"] + (["-f"] if opts["follow"] else [])
    cmd += opts["extra"] + ["-o", report, opts["prog"]] + opts["args"]
    status, out, err = run_memstrace(ck, cmd, truth, opts["timeout"])
    if status is not None and status != opts["exit"]:
        ck.fail("exit status of memstrace", "- expected: %d" % opts["exit"], "+ got:      %s" % describe_status(status))
    return report, truth, out, err


def parse_options(argv, opts, names, usage):
    """Leading options of the e2e scripts into opts: --keep (a flag),
    --timeout S (a number) and each of names (a string), as --name=value or
    --name value. Returns the rest of argv; raises usage(message)."""
    i = 0
    while i < len(argv) and argv[i].startswith("--"):
        name, eq, val = argv[i].partition("=")
        i += 1
        if name == "--keep":
            opts["keep"] = True
            continue
        if name != "--timeout" and name not in names:
            raise usage("unknown option %s" % name)
        if not eq:
            if i >= len(argv):
                raise usage("%s needs a value" % name)
            val = argv[i]
            i += 1
        if name == "--timeout":
            try:
                opts["timeout"] = float(val)
            except ValueError:
                raise usage("bad value for --timeout: %r" % val)
        else:
            opts[name[2:]] = val
    return argv[i:]


def main(argv):
    try:
        opts = parse_args(argv)
    except Usage as e:
        print("check.py: %s\n" % e + __doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    ck = Checker()
    tmp = None
    out = err = ""
    if opts["offline"]:
        report, truth = opts["offline"]
    else:
        tmp = tempfile.mkdtemp(prefix="memstrace-e2e-")
        report, truth, out, err = run(opts, tmp, ck)

    facts = load_truth(ck, truth)
    rep = load_report(ck, report)
    if rep is not None:
        regions = check_report(ck, rep)
        check_truth(ck, rep, regions, facts, opts["source"])

    ck.print()
    if ck.problems:
        for name, text in (("stdout", out), ("stderr", err)):
            if text.strip():
                lines = text.rstrip("\n").split("\n")
                print("--- memstrace %s%s:" % (name, " (last 40 lines)" if len(lines) > 40 else ""))
                for l in lines[-40:]:
                    print("| " + l)
        if tmp:
            print("kept: %s (report.json, truth)" % tmp)
        print("FAIL: %d problems" % len(ck.problems))
        return 1
    if tmp and not opts["keep"]:
        shutil.rmtree(tmp, ignore_errors=True)
    elif tmp:
        print("kept: %s" % tmp)
    print("ok: %d truth facts checked" % len(facts))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
