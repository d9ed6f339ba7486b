#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Run a test program under memstrace and check the call stacks of its
groups: function, file, line and module of each frame (issue 3).

usage: stacks.py [OPTIONS] MODE MEMSTRACE PROG [ARGS...]

  --src DIR      where the programs' sources are (test/progs); the line of
                 each call is found by searching them, never a constant
  --timeout S    kill memstrace and its tracees after S seconds (default 60)
  --keep         keep the temporary directory (reports, truth) on success

MODE is one of
  reference  PROG is clone-leak, ARGS its iteration count: exactly one group
             of size 40960, with count = iterations, whose stack has main at
             the line of clone-leak.c's mmap call, below only libc frames
  chain      PROG is stack-chain-fp or -nofp (-O2): the first frames of the
             program are exactly chain6 (mmap call), chain5, ... chain1, main
             (chain1 call), each in its own stack-chain*.c at the line of its
             call, below only libc frames
  stripped   PROG is the stripped chain: its own frames have "module" set and
             "function", "file", "line" null, and are all there (at least 7
             in a row: chain6 ... chain1, main), below only libc frames
  dlopen     PROG is dl-main, ARGS the library: after dlclose, the library's
             frame still reads dl_lib_map at dl-lib.c's mmap line, its
             module ends with the library's file name, and main's frame
             above it is at dl-main.c's line of the call
  signal     PROG is sig-mmap: the handler's frame reads on_signal at
             sig-mmap.c's mmap line, and above it, past the C library's
             signal trampoline and raise, main at the line that raises
  depth0     PROG is sizes, run with -k 0: every group's stack is exactly
             one frame; both sizes' groups hold their regions; the summary's
             regions and bytes are those of a run with stacks
  folded     any PROG: run once with --format=json and once with
             --format=folded; every folded line matches
             ^[^;\\n]+(;[^;\\n]+)* \\d+$, there is one line per JSON group, the
             values add up to the JSON summary bytes, and each line's frames
             are its group's JSON frames, root first, rendered as memstrace
             renders them

Every mode runs  MEMSTRACE --format=json --verify [-k 0] -o REPORT PROG ARGS
with MEMSTRACE_TRUTH naming a fresh file (test/progs/truth.h),
DEBUGINFOD_URLS unset and MEMSTRACE_UNWIND=check (memstrace walks every
stack with its compiled CFI and again with libdwfl, and says so on stderr
when they differ: that line is a problem), checks the exit status (0), the report's shape and
invariants (check.py), and that every truth region is reported exactly, in
a group of its syscall, size and kind. It prints each check it made, and
each problem with the frames memstrace reported as JSON; exits 1 on any
problem, 0 otherwise. Standard library only.
"""

import json
import os
import re
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import check  # noqa: E402  (the e2e checker: report shape and invariants, truth parsing)

MODES = ("reference", "chain", "stripped", "dlopen", "signal", "depth0", "folded")
FOLDED_RE = re.compile(r"^[^;\n]+(;[^;\n]+)* \d+$")
LABEL_RE = re.compile(r"^\[(\w+) (\d+) (\w+)\]$")
CHAIN_LEN = 6
REFERENCE_SIZE = 40960


class Usage(Exception):
    pass


class Stacks(check.Checker):
    """check.Checker that also says what was checked."""

    def ok(self, what):
        print("ok: " + what, flush=True)


# ---------------------------------------------------------------- sources


def strip_comments(text):
    """C text with comments and string literals blanked, lines kept."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif c in "\"'":
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            j = min(j + 1, n)
            out.append(c + " " * (j - i - 2) + c if j - i >= 2 else c)
            i = j
        else:
            out.append(c)
            i += 1
    return "".join(out)


def call_line(ck, path, name):
    """The one line of path that calls name (a declaration or definition of
    name does not count); None, with a problem, unless there is exactly one."""
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError as e:
        ck.fail("cannot read the source %s: %s" % (path, e))
        return None
    call = re.compile(r"(?<![\w.>])" + re.escape(name) + r"\s*\(")
    found = []
    for n, line in enumerate(strip_comments(text).split("\n"), 1):
        for m in call.finditer(line):
            before = line[:m.start()].strip()
            # "void *chain2(unsigned long size)": only a type before the name
            if before and re.fullmatch(r"(?:[A-Za-z_]\w*|\*|\s|__attribute__\s*\(\(.*\)\))+", before) \
                    and not re.search(r"\breturn\b", before):
                continue
            found.append(n)
    if len(found) != 1:
        ck.fail("%s: expected exactly one call of %s(), found %d%s" % (
            path, name, len(found), " (lines %s)" % ", ".join(map(str, found)) if found else ""))
        return None
    return found[0]


# ---------------------------------------------------------------- frames


def base(path):
    return os.path.basename(path) if isinstance(path, str) else None


def frame_json(f):
    return json.dumps(f, sort_keys=False)


def stack_dump(stack, mark=None):
    """Each frame as JSON, one per line, for a problem's details."""
    lines = []
    for i, f in enumerate(stack or []):
        lines.append("%s [%d] %s" % ("+>" if i == mark else "+ ", i, frame_json(f)))
    return lines or ["+ (an empty stack)"]


def in_module(f, module_base):
    return isinstance(f, dict) and isinstance(f.get("module"), str) and base(f["module"]) == module_base


def is_system(f):
    """A frame of the C library or the dynamic loader."""
    b = base(f.get("module")) if isinstance(f, dict) else None
    return bool(b) and (b.startswith("libc.so") or b.startswith("libc-") or b.startswith("ld-"))


def expect_frame(ck, what, stack, i, function, file_base, line, module_base):
    """stack[i] must be function (file_base:line) in module_base; a problem
    names every field that differs and shows the whole stack."""
    f = stack[i] if 0 <= i < len(stack) else None
    want = "%s (%s:%s) in %s" % (function, file_base, line, module_base)
    if not isinstance(f, dict):
        ck.fail("%s: frame %d should be %s, but the stack has only %d frames" % (what, i, want, len(stack)),
                "- expected: frame [%d] %s" % (i, want), *stack_dump(stack))
        return False
    wrong = []
    if f.get("function") != function:
        wrong.append("function %s, expected %s" % (json.dumps(f.get("function")), json.dumps(function)))
    if base(f.get("file")) != file_base:
        wrong.append("file %s, expected .../%s" % (json.dumps(f.get("file")), file_base))
    if f.get("line") != line:
        wrong.append("line %s, expected %s" % (json.dumps(f.get("line")), line))
    if not in_module(f, module_base):
        wrong.append("module %s, expected .../%s" % (json.dumps(f.get("module")), module_base))
    if wrong:
        ck.fail("%s: frame %d is not %s: %s" % (what, i, want, "; ".join(wrong)),
                "- expected: frame [%d] %s" % (i, want), *stack_dump(stack, i))
        return False
    return True


def only_system_below(ck, what, stack, i):
    """Every frame before stack[i] (the innermost ones) is libc's or ld.so's."""
    bad = [k for k in range(min(i, len(stack))) if not is_system(stack[k])]
    if bad:
        ck.fail("%s: frames below frame %d should all be libc's (the mmap wrapper), frame %d is not"
                % (what, i, bad[0]), *stack_dump(stack, bad[0]))
        return False
    if i == 0:
        ck.fail("%s: no libc frame below the program's: the mmap wrapper's frame is missing" % what,
                *stack_dump(stack, 0))
        return False
    return True


# ---------------------------------------------------------------- running


def run_memstrace(ck, opts, tmp, name, fmt, extra, truth):
    """Run memstrace once; return the output file's path."""
    out_path = os.path.join(tmp, name)
    cmd = [opts["memstrace"], "--format=" + fmt] + (["--verify"] if fmt == "json" else [])
    cmd += extra + ["-o", out_path, opts["prog"]] + opts["args"]
    status, _, err = check.run_memstrace(ck, cmd, truth, opts["timeout"])
    if status is not None and status != 0:
        ck.fail("exit status of memstrace (%s)" % " ".join(cmd), "- expected: 0",
                "+ got:      %s" % check.describe_status(status),
                *("| " + l for l in err.rstrip("\n").split("\n")[-20:] if err.strip()))
    return out_path


def json_run(ck, opts, tmp, name, extra=()):
    """Run with --format=json --verify; check the report and the truth's
    regions. Returns (report, {truth region text: its group}) or (None, {})."""
    truth = os.path.join(tmp, name + ".truth")
    path = run_memstrace(ck, opts, tmp, name + ".json", "json", list(extra), truth)
    facts = check.load_truth(ck, truth)
    rep = check.load_report(ck, path)
    if rep is None:
        return None, {}
    nproblems = len(ck.problems)
    regions = check.check_report(ck, rep)
    if len(ck.problems) == nproblems:
        ck.ok("%s: the report's shape and invariants hold (%d groups, %d regions)"
              % (name, len(rep.get("groups", [])), len(regions)))
    return rep, truth_groups(ck, name, rep, regions, facts)


def truth_groups(ck, name, rep, regions, facts):
    """Every truth region is reported exactly, in a group of its syscall,
    size and kind; groupcounts add up. The line is the stack checks' job."""
    found = {}
    for f in facts:
        if f["type"] == "region":
            exact = [r for r in regions if r.space == f["pid"] and r.start == f["start"] and r.end == f["end"]]
            good = [r for r in exact if (r.group.get("syscall"), r.group.get("size"), r.group.get("kind"))
                    == (f["syscall"], f["size"], f["kind"])]
            if not good:
                near = [r for r in regions if r.space == f["pid"] and r.start < f["end"] and f["start"] < r.end]
                ck.fail("%s: truth %s: not reported in a group %s %d %s" % (
                    name, f["text"], f["syscall"], f["size"], f["kind"]),
                    *("+ reported: " + r.describe() for r in near))
                continue
            found[f["text"]] = (f, good[0].group)
            ck.ok("%s: region %s is in group %s %d %s" % (
                name, check.rng(f["start"], f["end"]), f["syscall"], f["size"], f["kind"]))
        elif f["type"] == "unmapped":
            near = [r for r in regions if r.space == f["pid"] and r.start < f["end"] and f["start"] < r.end]
            if near:
                ck.fail("%s: truth %s: still reported" % (name, f["text"]),
                        *("+ reported: " + r.describe() for r in near))
        else:
            n = sum(g.get("count") for g in rep.get("groups", [])
                    if isinstance(g, dict) and (g.get("syscall"), g.get("size")) == (f["syscall"], f["size"])
                    and check.is_int(g.get("count")))
            if n != f["n"]:
                ck.fail("%s: truth %s: groups %s %d hold %d regions" % (name, f["text"], f["syscall"], f["size"], n))
            else:
                ck.ok("%s: groups %s %d hold %d regions" % (name, f["syscall"], f["size"], n))
    return found


def the_group(ck, groups, name):
    """The one group that holds the program's truth region."""
    if len(groups) != 1:
        if not ck.problems:
            ck.fail("%s: expected one truth region, the program wrote %d" % (name, len(groups)))
        return None, None
    fact, g = next(iter(groups.values()))
    stack = g.get("stack") if isinstance(g.get("stack"), list) else []
    print("stack of group %s %s %s:\n%s" % (g.get("syscall"), g.get("size"), g.get("kind"),
                                           "\n".join("  [%d] %s" % (i, frame_json(f)) for i, f in enumerate(stack))),
          flush=True)
    return fact, g


def truth_stack(ck, groups, name, line, where):
    """The stack of the group that holds the program's truth region; a
    problem when the truth's line is not line, the source search's for where."""
    fact, g = the_group(ck, groups, name)
    if g is None:
        return None
    if fact["line"] != line:
        ck.fail("%s: the program's truth says %s at line %d, the source search says %d"
                % (name, where, fact["line"], line))
    return g.get("stack") if isinstance(g.get("stack"), list) else []


def first_in(stack, module_base):
    for i, f in enumerate(stack):
        if in_module(f, module_base):
            return i
    return None


# ---------------------------------------------------------------- modes


def mode_reference(ck, opts, tmp):
    if len(opts["args"]) != 1 or not opts["args"][0].isdigit():
        raise Usage("reference: ARGS is the iteration count")
    iterations = int(opts["args"][0])
    src = os.path.join(opts["src"], "clone-leak.c")
    line = call_line(ck, src, "mmap")
    rep, _ = json_run(ck, opts, tmp, "reference")
    if rep is None or line is None:
        return
    ck.ok("clone-leak.c calls mmap at line %d" % line)
    groups = [g for g in rep.get("groups", []) if isinstance(g, dict) and g.get("size") == REFERENCE_SIZE]
    if len(groups) != 1:
        ck.fail("reference: expected exactly one group of size %d, found %d" % (REFERENCE_SIZE, len(groups)),
                *("+ group %s %s %s count %s, %s" % (g.get("syscall"), g.get("size"), g.get("kind"), g.get("count"),
                                                     check.frames_text(g.get("stack"))) for g in groups))
        return
    g = groups[0]
    if (g.get("syscall"), g.get("kind"), g.get("count")) != ("mmap", "anon", iterations):
        ck.fail("reference: the group of size %d" % REFERENCE_SIZE,
                "- expected: mmap anon, count %d" % iterations,
                "+ reported: %s %s, count %s" % (g.get("syscall"), g.get("kind"), g.get("count")))
    else:
        ck.ok("one group of size %d: mmap anon, count %d" % (REFERENCE_SIZE, iterations))
    stack = g.get("stack") if isinstance(g.get("stack"), list) else []
    prog = base(opts["prog"])
    i = first_in(stack, prog)
    if i is None:
        ck.fail("reference: no frame of %s in the group's stack" % prog,
                "- expected: main (clone-leak.c:%d) in %s" % (line, prog), *stack_dump(stack))
        return
    if expect_frame(ck, "reference", stack, i, "main", "clone-leak.c", line, prog) \
            and only_system_below(ck, "reference", stack, i):
        ck.ok("frame %d is main (clone-leak.c:%d) in %s, below it only libc" % (i, line, prog))


def chain_expected(ck, src_dir):
    """[(function, file, line of its call)] from chain6 (calls mmap) to main."""
    want = []
    for n in range(CHAIN_LEN, 0, -1):
        callee = "mmap" if n == CHAIN_LEN else "chain%d" % (n + 1)
        fname = "stack-chain%d.c" % n
        want.append(("chain%d" % n, fname, call_line(ck, os.path.join(src_dir, fname), callee), callee))
    want.append(("main", "stack-chain-main.c", call_line(ck, os.path.join(src_dir, "stack-chain-main.c"), "chain1"),
                 "chain1"))
    if any(w[2] is None for w in want):
        return None
    ck.ok("found the calls: " + ", ".join("%s:%d %s()" % (w[1], w[2], w[3]) for w in want))
    return want


def mode_chain(ck, opts, tmp):
    want = chain_expected(ck, opts["src"])
    rep, groups = json_run(ck, opts, tmp, "chain")
    if rep is None or want is None:
        return
    stack = truth_stack(ck, groups, "chain", want[-1][2], "main calls")
    if stack is None:
        return
    prog = base(opts["prog"])
    i = first_in(stack, prog)
    if i is None:
        ck.fail("chain: no frame of %s in the group's stack" % prog,
                "- expected: " + " <- ".join("%s (%s:%d)" % w[:3] for w in want), *stack_dump(stack))
        return
    good = only_system_below(ck, "chain", stack, i)
    for k, (function, fname, line, _) in enumerate(want):
        good &= expect_frame(ck, "chain", stack, i + k, function, fname, line, prog)
    if good:
        ck.ok("frames %d-%d are %s, in %s, below them only libc" % (
            i, i + len(want) - 1, " <- ".join("%s (%s:%d)" % w[:3] for w in want), prog))


def mode_stripped(ck, opts, tmp):
    rep, groups = json_run(ck, opts, tmp, "stripped")
    if rep is None:
        return
    _, g = the_group(ck, groups, "stripped")
    if g is None:
        return
    stack = g.get("stack") if isinstance(g.get("stack"), list) else []
    prog = base(opts["prog"])
    mine = [k for k, f in enumerate(stack) if in_module(f, prog)]
    if not mine:
        ck.fail("stripped: no frame has module .../%s: the executable's frames must name their module" % prog,
                *stack_dump(stack))
        return
    good = True
    for k in mine:
        f = stack[k]
        named = {key: f.get(key) for key in ("function", "file", "line") if f.get(key) is not None}
        if named:
            ck.fail("stripped: frame %d of the stripped %s is named %s: with no symbols and no debug "
                    "info, function, file and line must be null" % (k, prog, json.dumps(named)),
                    *stack_dump(stack, k))
            good = False
        if not isinstance(f.get("pc"), str):
            ck.fail("stripped: frame %d has no pc" % k, *stack_dump(stack, k))
            good = False
    invented = [k for k, f in enumerate(stack)
                if isinstance(f, dict) and (str(f.get("function")).startswith("chain") or f.get("function") == "main"
                                            or str(base(f.get("file"))).startswith("stack-chain"))]
    if invented:
        ck.fail("stripped: frame %d names the stripped program's code" % invented[0], *stack_dump(stack, invented[0]))
        good = False
    first = mine[0]
    run = 0
    while first + run < len(stack) and in_module(stack[first + run], prog):
        run += 1
    need = CHAIN_LEN + 1
    if run < need:
        ck.fail("stripped: %d frame(s) of %s in a row from frame %d, expected at least %d (chain6 ... chain1, "
                "main): .eh_frame survives strip, so the unwinding must too" % (run, prog, first, need),
                *stack_dump(stack, first))
        good = False
    good &= only_system_below(ck, "stripped", stack, first)
    if good:
        ck.ok("frames %d-%d are %s's, %d in a row, each with module, pc and null function, file, line; "
              "below them only libc" % (first, first + run - 1, prog, run))


def mode_dlopen(ck, opts, tmp):
    if len(opts["args"]) != 1:
        raise Usage("dlopen: ARGS is the library")
    opts["args"] = [os.path.abspath(opts["args"][0])]
    lib = base(opts["args"][0])
    lib_line = call_line(ck, os.path.join(opts["src"], "dl-lib.c"), "mmap")
    main_line = call_line(ck, os.path.join(opts["src"], "dl-main.c"), "map_fn")
    rep, groups = json_run(ck, opts, tmp, "dlopen")
    if rep is None or lib_line is None or main_line is None:
        return
    ck.ok("dl-lib.c calls mmap at line %d, dl-main.c calls the library at line %d" % (lib_line, main_line))
    stack = truth_stack(ck, groups, "dlopen", main_line, "main calls")
    if stack is None:
        return
    i = first_in(stack, lib)
    if i is None:
        i = next((k for k, f in enumerate(stack) if not is_system(f)), None)
        ck.fail("dlopen: no frame has module .../%s: the frame in the dlclosed library must keep its module"
                % lib, "- expected: dl_lib_map (dl-lib.c:%d) in %s" % (lib_line, lib), *stack_dump(stack, i))
        return
    good = only_system_below(ck, "dlopen", stack, i)
    good &= expect_frame(ck, "dlopen", stack, i, "dl_lib_map", "dl-lib.c", lib_line, lib)
    good &= expect_frame(ck, "dlopen", stack, i + 1, "main", "dl-main.c", main_line, base(opts["prog"]))
    if good:
        ck.ok("frame %d is dl_lib_map (dl-lib.c:%d) in %s, frame %d main (dl-main.c:%d), below only libc"
              % (i, lib_line, lib, i + 1, main_line))


def mode_signal(ck, opts, tmp):
    src = os.path.join(opts["src"], "sig-mmap.c")
    mmap_line = call_line(ck, src, "mmap")
    raise_line = call_line(ck, src, "raise")
    rep, groups = json_run(ck, opts, tmp, "signal")
    if rep is None or mmap_line is None or raise_line is None:
        return
    ck.ok("sig-mmap.c calls mmap at line %d, raise at line %d" % (mmap_line, raise_line))
    stack = truth_stack(ck, groups, "signal", mmap_line, "the handler maps")
    if stack is None:
        return
    prog = base(opts["prog"])
    i = first_in(stack, prog)
    if i is None:
        ck.fail("signal: no frame of %s in the group's stack" % prog, *stack_dump(stack))
        return
    good = only_system_below(ck, "signal", stack, i)
    good &= expect_frame(ck, "signal", stack, i, "on_signal", "sig-mmap.c", mmap_line, prog)
    j = next((k for k in range(i + 1, len(stack)) if in_module(stack[k], prog)), None)
    between = stack[i + 1:j] if j is not None else []
    if j is None:
        ck.fail("signal: no frame of %s above the handler: the walk stopped at the signal frame" % prog,
                *stack_dump(stack, i))
        good = False
    elif not between or not all(is_system(f) for f in between):
        ck.fail("signal: between the handler and main there must be the C library's trampoline and raise, "
                "and only them", *stack_dump(stack, j))
        good = False
    else:
        good &= expect_frame(ck, "signal", stack, j, "main", "sig-mmap.c", raise_line, prog)
    if good:
        ck.ok("frame %d is on_signal (sig-mmap.c:%d), frames %d-%d libc's, frame %d main (sig-mmap.c:%d)"
              % (i, mmap_line, i + 1, j - 1, j, raise_line))


def mode_depth0(ck, opts, tmp):
    rep0, groups0 = json_run(ck, opts, tmp, "depth0", ["-k", "0"])
    rep, groups = json_run(ck, opts, tmp, "depth16")
    if rep0 is None:
        return
    good = True
    for gi, g in enumerate(rep0.get("groups", [])):
        stack = g.get("stack") if isinstance(g, dict) else None
        if not isinstance(stack, list) or len(stack) != 1:
            ck.fail("depth0: group %d (%s %s %s) has %s frames with -k 0, expected exactly 1 (the call site)"
                    % (gi, g.get("syscall"), g.get("size"), g.get("kind"),
                       len(stack) if isinstance(stack, list) else "no list of"),
                    *stack_dump(stack if isinstance(stack, list) else []))
            good = False
        elif not isinstance(stack[0], dict) or not isinstance(stack[0].get("pc"), str):
            ck.fail("depth0: group %d's one frame has no pc" % gi, *stack_dump(stack))
            good = False
    if good:
        ck.ok("depth0: each of the %d groups has exactly one frame" % len(rep0.get("groups", [])))
    if len(groups0) != 2:
        ck.fail("depth0: expected two truth regions of two sizes, found %d in their groups" % len(groups0))
    elif len({f["size"] for f, _ in groups0.values()}) != 2:
        ck.fail("depth0: the two truth regions should have two sizes")
    else:
        ck.ok("depth0: both sizes' groups are present: %s" % ", ".join(
            "%s %d %s" % (f["syscall"], f["size"], f["kind"]) for f, _ in groups0.values()))
    if rep is None:
        return
    s0, s = rep0.get("summary", {}), rep.get("summary", {})
    for k in ("regions", "bytes"):
        if s0.get(k) != s.get(k):
            ck.fail("depth0: summary.%s is %s with -k 0 but %s with stacks: turning stacks off must not "
                    "change what is mapped" % (k, s0.get(k), s.get(k)))
        else:
            ck.ok("depth0: summary.%s is %s with and without stacks" % (k, s0.get(k)))
    if check.is_int(s0.get("groups")) and check.is_int(s.get("groups")) and s0["groups"] > s["groups"]:
        ck.fail("depth0: %d groups with -k 0 but %d with stacks: fewer frames cannot split groups"
                % (s0["groups"], s["groups"]))


def render_frame(f):
    """A JSON frame as report.c's folded output writes it; a regex, since the
    module offset and a bare pc differ from run to run."""
    if f.get("function") is not None:
        text = re.escape(f["function"].replace(";", ":"))
    elif f.get("module") is not None:
        text = re.escape(base(f["module"]).replace(";", ":")) + r"\+0x[0-9a-f]+"
    else:
        text = r"0x[0-9a-f]+"
    if f.get("file") is not None:
        text += re.escape(" (%s:%s)" % (base(f["file"]).replace(";", ":"), f.get("line") or 0))
    return text


def mode_folded(ck, opts, tmp):
    rep, _ = json_run(ck, opts, tmp, "json")
    path = run_memstrace(ck, opts, tmp, "report.folded", "folded", [], os.path.join(tmp, "folded.truth"))
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError as e:
        ck.fail("no folded report: %s" % e)
        return
    if rep is None:
        return
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    else:
        ck.fail("folded: the output does not end with a newline")
    bad = [(n, l) for n, l in enumerate(lines, 1) if not FOLDED_RE.match(l)]
    if bad:
        ck.fail("folded: %d line(s) do not match %s" % (len(bad), FOLDED_RE.pattern),
                *("+ line %d: %r" % (n, l[:300]) for n, l in bad[:10]))
        return
    ck.ok("folded: all %d lines match %s" % (len(lines), FOLDED_RE.pattern))
    groups = [g for g in rep.get("groups", []) if isinstance(g, dict)]
    summary = rep.get("summary", {})
    if len(lines) != len(groups):
        ck.fail("folded: %d lines, but the JSON report of the same program has %d groups"
                % (len(lines), len(groups)))
    else:
        ck.ok("folded: one line per JSON group (%d)" % len(groups))
    total = sum(int(l.rsplit(" ", 1)[1]) for l in lines)
    if total != summary.get("bytes"):
        ck.fail("folded: the values add up to %d, the JSON summary says %s bytes" % (total, summary.get("bytes")))
    else:
        ck.ok("folded: the values add up to %d, the JSON summary bytes" % total)

    # Each line: frames root first, then "[syscall size kind]", then bytes.
    parsed = []
    for n, l in enumerate(lines, 1):
        frames_part, nbytes = l.rsplit(" ", 1)
        frames = frames_part.split(";")
        m = LABEL_RE.match(frames[-1])
        if not m:
            ck.fail("folded: line %d does not end with the \"[syscall size kind]\" frame" % n, "+ %r" % l[:300])
            continue
        parsed.append(((m.group(1), int(m.group(2)), m.group(3), int(nbytes)), frames[:-1], n))
    want = sorted((g.get("syscall"), g.get("size"), g.get("kind"), g.get("bytes")) for g in groups)
    got = sorted(p[0] for p in parsed)
    if want != got:
        ck.fail("folded: the lines' [syscall size kind] bytes are not the JSON groups'",
                *(["- json:   %s %s %s %s" % w for w in want if w not in got][:10]
                  + ["+ folded: %s %s %s %s" % w for w in got if w not in want][:10]))
    else:
        ck.ok("folded: each line's [syscall size kind] and bytes are a JSON group's")
    # Frames: for each key held by one group only, its line renders its stack.
    matched = 0
    for key, frames, n in parsed:
        same = [g for g in groups if (g.get("syscall"), g.get("size"), g.get("kind"), g.get("bytes")) == key]
        if len(same) != 1 or sum(1 for p in parsed if p[0] == key) != 1:
            continue
        stack = same[0].get("stack") if isinstance(same[0].get("stack"), list) else []
        wanted = [render_frame(f) for f in reversed(stack) if isinstance(f, dict)]
        if len(frames) != len(wanted) or not all(re.fullmatch(w, f) for w, f in zip(wanted, frames)):
            ck.fail("folded: line %d's frames are not its group's JSON stack, root first" % n,
                    "- expected: %s" % ";".join(wanted), "+ folded:   %s" % ";".join(frames),
                    *stack_dump(stack))
        else:
            matched += 1
    if matched:
        ck.ok("folded: %d line(s) render their group's JSON frames, root first" % matched)
    else:
        ck.fail("folded: no line could be matched to a single JSON group to compare frames")


# ---------------------------------------------------------------- main


def parse_args(argv):
    opts = {"timeout": 60.0, "keep": False, "src": None}
    rest = check.parse_options(argv, opts, ("--src",), Usage)
    if len(rest) < 3:
        raise Usage("MODE, MEMSTRACE and PROG are required")
    if rest[0] not in MODES:
        raise Usage("unknown mode %r: expected one of %s" % (rest[0], ", ".join(MODES)))
    if rest[0] in ("reference", "chain", "dlopen", "signal") and not opts["src"]:
        raise Usage("mode %s needs --src" % rest[0])
    opts["mode"] = rest[0]
    opts["memstrace"], opts["prog"], opts["args"] = (os.path.abspath(rest[1]), os.path.abspath(rest[2]),
                                                     rest[3:])
    return opts


def main(argv):
    try:
        opts = parse_args(argv)
    except Usage as e:
        print("stacks.py: %s\n" % e + __doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    ck = Stacks()
    tmp = tempfile.mkdtemp(prefix="memstrace-stacks-")
    try:
        globals()["mode_" + opts["mode"]](ck, opts, tmp)
    except Usage as e:
        print("stacks.py: %s" % e, file=sys.stderr)
        shutil.rmtree(tmp, ignore_errors=True)
        return 2
    ck.print()
    if ck.problems:
        print("kept: %s" % tmp)
        print("FAIL: %d problems" % len(ck.problems))
        return 1
    if opts["keep"]:
        print("kept: %s" % tmp)
    else:
        shutil.rmtree(tmp, ignore_errors=True)
    print("ok: %s" % opts["mode"])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
