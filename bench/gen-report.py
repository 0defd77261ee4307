#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""bench/gen-report.py: large ptfreeze reports from a real one, for the reader.

Takes a real report file (its header, module and arm records: real paths,
real build-ids, real address ranges, so the reader symbolises real code)
and writes PROCS report files with RECORDS site records in all, plus each
process's summary.  Stacks are eight frames drawn from the template's
modules: the innermost frame from a pool of --distinct addresses, the outer
frames from a small pool, so sites share code the way a real program's do
and the reader's caches and merges are exercised.  With more than one
process, each process repeats the same --common sites (as a server's
forked workers do) and adds its own.  Deterministic (--seed).

usage: bench/gen-report.py TEMPLATE.jsonl OUTDIR [--records N] [--procs P]
       [--distinct D] [--common C] [--seed S]
"""

import argparse
import json
import os
import random
import sys

KINDS = ["mmap", "munmap", "mprotect", "madvise", "mremap", "page-fault"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("template")
    ap.add_argument("outdir")
    ap.add_argument("--records", type=int, default=100000)
    ap.add_argument("--procs", type=int, default=1)
    ap.add_argument("--distinct", type=int, default=20000)
    ap.add_argument("--common", type=int, default=200)
    ap.add_argument("--seed", type=int, default=13)
    a = ap.parse_args()
    rnd = random.Random(a.seed)
    header, modules, arm = None, [], None
    with open(a.template) as f:
        for line in f:
            r = json.loads(line)
            if r["type"] == "header" and header is None:
                header = r
            elif r["type"] == "module":
                modules.append(r)
            elif r["type"] == "arm" and arm is None:
                arm = r
    if header is None or not modules:
        sys.exit("gen-report: %s: no header or no module records" % a.template)
    code = [m for m in modules if m["path"].startswith("/")] or modules
    spans = [(int(m["start"], 16), int(m["end"], 16)) for m in code]

    def addr():
        s, e = rnd.choice(spans)
        return s + rnd.randrange(0, max(1, e - s))

    inner = [addr() for _ in range(a.distinct)]
    outer = [addr() for _ in range(200)]

    def stack():
        return ["0x%x" % rnd.choice(inner)] + ["0x%x" % rnd.choice(outer) for _ in range(7)]

    def site(i, st, kind):
        args = {"addr": "0x7f0000001000", "len": 4096 * (1 + i % 16)}
        if kind == "page-fault":
            args = {"addr": "0x7f0000001000", "class": rnd.choice(["code", "heap", "stack", "file"]), "path": None}
        return {"type": "site", "id": i, "kind": kind, "t_ns": 1000 * i, "pid": 0, "tid": 0, "action": "allowed",
                "args": args, "detail": None, "bytes": 4096, "result": 0, "errno": 0, "stack": st}

    common = [(stack(), KINDS[i % len(KINDS)]) for i in range(min(a.common, a.records) if a.procs > 1 else 0)]
    per = a.records // a.procs
    os.makedirs(a.outdir, exist_ok=True)
    for p in range(a.procs):
        pid = 100000 + p
        h = dict(header, pid=pid, ppid=99999, fork_child=p > 0)
        recs = [h] + modules + ([dict(arm)] if arm else [])
        sites = []
        for i in range(per):
            st, kind = common[i] if i < len(common) else (stack(), rnd.choice(KINDS))
            s = site(i + 1, st, kind)
            s["pid"] = s["tid"] = pid
            sites.append(s)
        recs += sites
        summary = {"type": "summary", "why": "exit", "unix_ns": h.get("start_unix_ns", 0) + 10**9, "armed": True,
                   "armed_ns": 10**9, "how": "manual", "faults_armed": {"minor": 10, "major": 0},
                   "faults_total": {"minor": 1000, "major": 0},
                   "sites": [{"id": s["id"], "kind": s["kind"], "count": 1 + s["id"] % 7, "blocked": 0,
                              "bytes": 4096, "first_ns": s["t_ns"], "last_ns": s["t_ns"] + 5} for s in sites],
                   "events": sum(1 + s["id"] % 7 for s in sites), "dropped_sites": 0, "dropped_records": 0,
                   "suppressed": [], "backstop": "off"}
        recs.append(summary)
        with open(os.path.join(a.outdir, "r-%d.jsonl" % pid), "w") as f:
            for r in recs:
                f.write(json.dumps(r, separators=(",", ":")) + "\n")


if __name__ == "__main__":
    main()
