#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""interval.py MEMSTRACE PROG [ARGS...]: reports while a launched program runs.

Runs `MEMSTRACE --format=json -i 0.05 --verify -o REPORT PROG ARGS` on a
program whose threads map and unmap concurrently. Every report is taken with
every thread held stopped (a thread caught at a seccomp stop is first let
through to the call's exit), so each must agree with the kernel: checks:
- REPORT is JSON Lines: one object per line, reasons "interval"... then
  "exit" last;
- at least two interval reports were written while the program ran;
- verify.checks grows from report to report and no report has a difference;
- every report's summary adds up from its groups.
"""
import json
import os
import subprocess
import sys
import tempfile


def main(argv):
    if len(argv) < 3:
        print(__doc__)
        return 2
    memstrace, prog = argv[1], argv[2:]
    with tempfile.TemporaryDirectory(prefix="memstrace-interval-") as tmp:
        out = os.path.join(tmp, "report.jsonl")
        cmd = [memstrace, "--format=json", "-i", "0.05", "--verify", "-o", out] + prog
        print("running:", " ".join(cmd))
        r = subprocess.run(cmd, timeout=50, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                           text=True)
        problems = []
        if r.returncode != 0:
            problems.append("exit status %d, stderr: %s" % (r.returncode, r.stderr.strip()))
        reports = [json.loads(line) for line in open(out) if line.strip()]
    reasons = [rep["reason"] for rep in reports]
    if not reports or reasons[-1] != "exit" or set(reasons[:-1]) != {"interval"}:
        problems.append("reasons should be interval... then exit: %s" % reasons)
    if reasons.count("interval") < 2:
        problems.append("only %d interval reports" % reasons.count("interval"))
    last_checks = 0
    for i, rep in enumerate(reports):
        v = rep.get("verify", {})
        if v.get("differences"):
            problems.append("report %d (%s): differences %s" % (i + 1, rep["reason"],
                                                                v["differences"][:3]))
        if v.get("checks", 0) <= last_checks:
            problems.append("report %d: verify.checks %s did not grow" % (i + 1, v.get("checks")))
        last_checks = v.get("checks", 0)
        groups = rep["groups"]
        total = (sum(g["count"] for g in groups), sum(g["bytes"] for g in groups), len(groups))
        summary = rep["summary"]
        if (summary["regions"], summary["bytes"], summary["groups"]) != total:
            problems.append("report %d: summary %s, groups add up to %s" % (i + 1, summary, total))
    for p in problems:
        print("FAIL", p)
    if problems:
        return 1
    print("ok: %d reports (%d interval), %d verify checks, no difference" % (
        len(reports), reasons.count("interval"), last_checks))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
