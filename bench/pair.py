#!/usr/bin/python3
# SPDX-License-Identifier: BSD-2-Clause
"""bench/pair.py: one bench program under several configurations, run in
turn round by round (A, B, C, A, B, C, ...), medians with the spread.  For
A/B comparisons that bench/run's fixed cases do not cover: two pool sizes,
a variable on and off, two builds of the library (docs/performance.md,
sections 7 and 11).

usage: bench/pair.py [--builddir DIR] [--rounds N] [--peer] -- PROGRAM ARGS... -- NAME=VAR:VALUE;VAR:VALUE ...

PROGRAM is latency or throughput (bench/PROGRAM).  Each NAME=... is one
configuration of the shim: the build tree's .libs/libptfreeze.so with
PTFREEZE_ARM=manual PTFREEZE_LOG=off PTFREEZE_POOL=256M, then the given
variables (LD_PRELOAD:PATH picks another build).  --peer adds mimalloc-reserve
(mimalloc with MIMALLOC_RESERVE_HUGE_OS_PAGES=1 MIMALLOC_ALLOW_DECOMMIT=0;
reserve the 2 MiB pages yourself: echo 512 > /proc/sys/vm/nr_hugepages).
Prints per configuration: ops/s (median, min-max), footprint in MiB (peak
RSS plus hugetlb), the most faults a run took in its measured phase, runs whose report says the pool grew after
arming, and for latency the p50, p99, p99.9 and p99.99 of malloc+touch and
free in ns (medians of the runs' values).
"""
import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile

MIMALLOC = "/usr/lib/x86_64-linux-gnu/libmimalloc.so.2"
USAGE = ("usage: bench/pair.py [--builddir DIR] [--rounds N] [--peer] -- PROGRAM ARGS... -- "
         "NAME=VAR:VALUE;VAR:VALUE ...")


def configs(args, lib):
    out = {}
    if args.peer:
        out["mimalloc-reserve"] = {"LD_PRELOAD": MIMALLOC, "MIMALLOC_RESERVE_HUGE_OS_PAGES": "1",
                                   "MIMALLOC_ALLOW_DECOMMIT": "0"}
    for spec in args.configs:
        name, eq, rest = spec.partition("=")
        if not eq or not name:
            sys.exit("pair.py: error: a configuration is NAME=VAR:VALUE;...: %r" % spec)
        env = {"LD_PRELOAD": lib, "PTFREEZE_ARM": "manual", "PTFREEZE_LOG": "off", "PTFREEZE_POOL": "256M"}
        for kv in filter(None, rest.split(";")):
            k, colon, v = kv.partition(":")
            if not colon:
                sys.exit("pair.py: error: %r in %r is not VAR:VALUE" % (kv, spec))
            env[k] = v
        out[name] = env
    return out


def run_once(cmd, env):
    d = tempfile.mkdtemp(prefix="pair-")
    try:
        e = dict(os.environ)
        e.update(env)
        e["PTFREEZE_REPORT"] = os.path.join(d, "r.jsonl")
        out = subprocess.run(cmd, env=e, capture_output=True, text=True).stdout
        row = {"grew": sum(open(os.path.join(d, f)).read().count("pool-exhausted") for f in os.listdir(d))}
    finally:
        shutil.rmtree(d, ignore_errors=True)
    for line in out.splitlines():
        f = line.split()
        if f and f[0] in ("malloc+touch", "free") and len(f) >= 8:
            row[f[0]] = [int(x) for x in f[3:7]]
        m = re.search(r"([\d.]+) ops/s", line)
        if m:
            row["ops"] = float(m.group(1))
        m = re.match(r"worker-faults: minor (\d+)|faults: minor (\d+)", line)
        if m:
            row["faults"] = max(row.get("faults", 0), int(m.group(1) or m.group(2)))
        m = re.search(r"peak-rss (\d+) kB hugetlb (\d+)", line)
        if m:
            row["mem"] = (int(m.group(1)) + int(m.group(2))) / 1024
    return row if "ops" in row else None


def main():
    argv = sys.argv[1:]
    if argv.count("--") != 2:
        sys.exit(USAGE)
    i = argv.index("--")
    j = argv.index("--", i + 1)
    ap = argparse.ArgumentParser()
    ap.add_argument("--builddir", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--peer", action="store_true")
    args = ap.parse_args(argv[:i])
    args.configs = argv[j + 1:]
    prog = argv[i + 1:j]
    if not prog or prog[0] not in ("latency", "throughput") or args.rounds < 1:
        sys.exit("pair.py: error: PROGRAM is latency or throughput, --rounds at least 1")
    builddir = os.path.abspath(args.builddir)
    cmd = [os.path.join(builddir, "bench", prog[0])] + prog[1:]
    cfgs = configs(args, os.path.join(builddir, ".libs", "libptfreeze.so"))
    if not cfgs:
        sys.exit("pair.py: error: no configuration (NAME=... or --peer)")
    rows = {name: [] for name in cfgs}
    for _ in range(args.rounds):
        for name, env in cfgs.items():
            r = run_once(cmd, env)
            if r:
                rows[name].append(r)
    print("%s, %d rounds, configurations in turn; medians (min-max)" % (" ".join(prog), args.rounds))
    for name, rs in rows.items():
        if not rs:
            print("%-18s no run printed its ops/s" % name)
            continue
        ops = sorted(r["ops"] for r in rs)
        line = "%-18s ops/s %.3gM (%.3gM-%.3gM)  footprint %dM  faults %d  grew %d/%d" % (
            name, statistics.median(ops) / 1e6, ops[0] / 1e6, ops[-1] / 1e6,
            statistics.median(r.get("mem", 0) for r in rs), max(r.get("faults", 0) for r in rs),
            sum(1 for r in rs if r["grew"]), len(rs))
        for op in ("malloc+touch", "free"):
            vals = [r[op] for r in rs if op in r]
            if vals:
                line += "  %s p50/p99/p99.9/p99.99 %s" % (
                    op, "/".join("%d" % statistics.median(v[k] for v in vals) for k in range(4)))
        print(line)


if __name__ == "__main__":
    main()
