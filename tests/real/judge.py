# SPDX-License-Identifier: BSD-2-Clause
"""Judges the reports of one real-program run, from `ptfreeze report --json`.

Reads the document on standard input and prints, for the log, the processes
and the violations by kind, then one '# figures' line that docs/reliability.md
quotes.  Exit status 1 (with the reasons) when a violation is ptfreeze's own
rather than the program's:

  - a site with no stack, or whose every frame is in libptfreeze (jemalloc
    is linked into it) or libunwind (the shim's frames are cut off, so what
    is left must be the program's; a program's own libjemalloc.so.2, as
    redis-server links it, is the program's);
  - a pool-exhausted site (the test sized the pool for the program: the pool
    running out means the shim lost track of memory);
  - a process other than a fork child whose report has no summary (it did
    not exit normally) unless --allow-incomplete N allows that many, or it
    is a child of a process with a report and --children-may-die is given
    (test suites kill or abort children on purpose, and judge them);
  - a truncated line;
  - a process the test started (its parent has no report) never armed
    (an image that executed another before arming counts if a later image
    of the same process armed).

Usage: judge.py NAME [--min-processes N] [--allow-incomplete N] [--children-may-die] < report.json
"""
import argparse
import collections
import json
import re
import sys

OWN = re.compile(r"/(libptfreeze|libunwind)[^/]*$")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("name")
    ap.add_argument("--min-processes", type=int, default=1)
    ap.add_argument("--allow-incomplete", type=int, default=0)
    ap.add_argument("--children-may-die", action="store_true")
    a = ap.parse_args()
    doc = json.load(sys.stdin)
    procs = doc.get("processes", [])
    sites = doc.get("sites", [])
    bad = []

    if len(procs) < a.min_processes:
        bad.append("%d report(s), expected at least %d" % (len(procs), a.min_processes))
    # A fork child that ends in _exit (as fork-per-request servers and
    # CPython's fork tests do) writes no summary: only its sites count.
    pids = {p.get("pid") for p in procs}
    incomplete = [p for p in procs if not p.get("complete") and not p.get("fork_child")
                  and not (a.children_may_die and p.get("ppid") in pids)]
    if len(incomplete) > a.allow_incomplete:
        bad.append("%d process(es) without a summary (did not exit normally): %s" % (
            len(incomplete), "; ".join("%s %s (%s)" % (p.get("pid"), p.get("file"), " ".join(p.get("argv") or [])[:200])
                      for p in incomplete)))
    for p in procs:
        if p.get("truncated_line"):
            bad.append("%s: line %s truncated" % (p.get("file"), p.get("truncated_line")))
    # The processes the test started (their parent has no report) must have
    # armed, or the run tested nothing.  A program that executes itself
    # (haproxy's master on reload) leaves a report per image: an image that
    # exec'd before its arming time is fine if another image of it armed.
    armed_pids = {p.get("pid") for p in procs if p.get("armed")}
    for p in procs:
        if p.get("why") == "exec" and p.get("pid") in armed_pids:
            continue
        if p.get("ppid") not in pids and not p.get("armed"):
            bad.append("process %s (%s) was never armed" % (p.get("pid"), p.get("file")))

    kinds = collections.Counter()
    nsites = collections.Counter()
    for s in sites:
        kind = s.get("kind")
        kinds[kind] += s.get("count", 0)
        nsites[kind] += 1
        frames = s.get("frames") or []
        where = "%s site %s (%s)" % (kind, s.get("site_id"), ", ".join(
            str(p.get("pid")) for p in s.get("processes", [])))
        if kind == "pool-exhausted":
            bad.append("%s: the pool ran out after arming" % where)
        elif not frames:
            bad.append("%s: no stack (the shim could not name the caller)" % where)
        elif all(OWN.search(f.get("module") or "") for f in frames):
            bad.append("%s: every frame is in the shim or libunwind: %s" % (
                where, " <- ".join("%s+%s" % (f.get("module"), f.get("offset")) for f in frames[:6])))

    armed = sum(1 for p in procs if p.get("armed"))
    events = sum(kinds.values())
    print("# %s: %d process(es), %d armed, %d violation site(s), %d event(s)" % (
        a.name, len(procs), armed, len(sites), events))
    for k, n in sorted(kinds.items(), key=lambda kv: (-kv[1], kv[0])):
        print("#   %-18s %6d event(s) at %d site(s)" % (k, n, nsites[k]))
    print("# figures %s processes=%d armed=%d sites=%d events=%d kinds=%s" % (
        a.name, len(procs), armed, len(sites), events,
        ",".join("%s:%d" % kv for kv in sorted(kinds.items())) or "-"))
    for b in bad:
        print("FAIL: %s: %s" % (a.name, b))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
