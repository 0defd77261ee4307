#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Judges the page-fault sampler's counts from outside.

usage: pagefault_count.py heavy REPORT BINARY PAGES LOST(0|1)
  faultheavy's report: the sampler's books balance (the faults at
  page-fault sites, plus its own, plus those at no site, plus the lost
  samples make exactly what its events counted); the events counted every
  fault getrusage saw while armed, less at most SLACK taken after sampling
  stopped for the summary; the two sites at touch_a and touch_b (innermost
  frame, by addr2line) called from main hold PAGES/2 faults each when no
  sample was lost; with LOST=1 samples were lost and are counted.
usage: pagefault_count.py cow REPORT BINARY
  sighostile fork's child report: a site of class pool-cow whose innermost
  frame is write_shared, called from main.
Exit 0 if right, 1 with a reason."""
import json
import os
import subprocess
import sys

SLACK = 16


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def load(path):
    with open(path, encoding="utf-8") as f:
        records = [json.loads(line) for line in f]
    summary = [r for r in records if r["type"] == "summary"]
    if len(summary) != 1:
        fail(f"{path}: {len(summary)} summary records")
    return records, summary[0]


def frames(records, binary, stack, n=2):
    """The function names of the first n frames that lie in binary ('?' elsewhere)."""
    modules = [r for r in records if r["type"] == "module"]
    out = []
    for ip in (int(a, 16) for a in stack[:n]):
        mod = [m for m in modules if int(m["start"], 16) <= ip < int(m["end"], 16)]
        if mod and os.path.realpath(mod[0]["path"]) == os.path.realpath(binary):
            off = ip - int(mod[0]["base"], 16) - 1
            res = subprocess.run(["addr2line", "-f", "-e", binary, hex(off)], capture_output=True, text=True).stdout
            out.append(res.splitlines()[0] if res else "?")
        else:
            out.append("?")
    return out


def heavy(path, binary, pages, want_lost):
    records, summary = load(path)
    pf = summary["page_faults"]
    if pf.get("sampling") != "on":
        fail(f"sampling is {pf.get('sampling')}")
    counts = {s["id"]: s["count"] for s in summary["sites"]}
    fault_sites = [r for r in records if r["type"] == "site" and r["kind"] == "page-fault"]
    at_sites = sum(counts.get(s["id"], 0) for s in fault_sites)
    books = at_sites + pf["in_shim"] + pf["unsited"] + pf["lost"]
    if books != pf["counted"]:
        fail(f"the books do not balance: {at_sites} at sites + {pf['in_shim']} the sampler's + {pf['unsited']} "
             f"unsited + {pf['lost']} lost = {books}, but the events counted {pf['counted']}")
    if pf["samples"] + pf["lost"] != pf["counted"]:
        fail(f"{pf['samples']} samples + {pf['lost']} lost != {pf['counted']} counted")
    armed = summary["faults_armed"]["minor"] + summary["faults_armed"]["major"]
    if not armed - SLACK <= pf["counted"] <= armed:
        fail(f"the events counted {pf['counted']} faults, getrusage {armed} while armed (want within {SLACK})")
    print(f"ok - books balance: {at_sites} at sites + {pf['in_shim']} sampler + {pf['unsited']} unsited + "
          f"{pf['lost']} lost = {pf['counted']} counted; getrusage {armed}")
    found = {}
    for s in fault_sites:
        f = frames(records, binary, s["stack"])
        if f[0] in ("touch_a", "touch_b"):
            if len(f) < 2 or f[1] != "main":
                fail(f"{f[0]}'s site has caller {f[1:]} , want main (the stack must name the caller)")
            found[f[0]] = found.get(f[0], 0) + counts.get(s["id"], 0)
    if set(found) != {"touch_a", "touch_b"}:
        fail(f"sites at {sorted(found)}, want touch_a and touch_b")
    if want_lost:
        if pf["lost"] <= 0:
            fail("no sample was lost, though the sampler could not run during the burst")
        print(f"ok - {pf['lost']} samples lost and counted; touch_a {found['touch_a']}, touch_b {found['touch_b']}")
    else:
        for name, n in found.items():
            # The array's first page may share a page with data touched before arming;
            # on a loaded host the sampler can fall behind: those samples are lost
            # (counted above, in the books), not attributed.
            if not pages // 2 - 1 - pf["lost"] <= n <= pages // 2:
                fail(f"{name}: {n} faults at its site, want {pages // 2} (less at most {pf['lost']} lost)")
        print(f"ok - touch_a {found['touch_a']} and touch_b {found['touch_b']} faults, called from main")


def cow(path, binary):
    records, summary = load(path)
    counts = {s["id"]: s["count"] for s in summary["sites"]}
    for s in records:
        if s["type"] != "site" or s["kind"] != "page-fault" or s["args"].get("class") != "pool-cow":
            continue
        f = frames(records, binary, s["stack"])
        if f[0] == "write_shared":
            if "copy-on-write" not in (s.get("detail") or ""):
                fail(f"pool-cow site's detail does not say copy-on-write: {s.get('detail')}")
            print(f"ok - pool-cow site at write_shared from {f[1:]}, {counts.get(s['id'])} faults")
            return
    classes = sorted({s["args"].get("class") for s in records if s["type"] == "site" and s["kind"] == "page-fault"})
    fail(f"no pool-cow site at write_shared in the fork child's report (classes: {classes})")


if sys.argv[1] == "heavy":
    heavy(sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5] == "1")
elif sys.argv[1] == "cow":
    cow(sys.argv[2], sys.argv[3])
else:
    fail("usage: pagefault_count.py heavy|cow ...")
