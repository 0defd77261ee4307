#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Judges a probe report from outside: each guarded call is its own site
whose innermost frame resolves (addr2line on the module map) to the probe
function that made it; the served anonymous mmap is absent.

usage: probe_check.py REPORT PROBE_BINARY MODE(report|strict|would-block) [--killed]
Exit 0 if the report is right, 1 with a reason otherwise."""
import json
import subprocess
import sys

EXPECT = {
    "mprotect": "do_mprotect",
    "munmap": "do_munmap_part",
    "madvise": "do_madvise",
    "mremap": "do_mremap",
    "sbrk": "do_sbrk",
    "pthread_create": "do_pthread_create",
    "fork": "do_fork",
    "dlopen": "do_dlopen",
}


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def main():
    path, probe, mode = sys.argv[1:4]
    killed = "--killed" in sys.argv
    records = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            try:
                records.append(json.loads(line))
            except ValueError:
                fail(f"{path}:{n}: not JSON: {line[:80]!r}")
    if not records or records[0].get("type") != "header" or records[0].get("version") != 1:
        fail("the first record is not a version-1 header")
    modules = [r for r in records if r["type"] == "module"]
    sites = [r for r in records if r["type"] == "site"]
    summary = [r for r in records if r["type"] == "summary"]
    if killed and summary:
        fail("a killed process wrote a summary?")
    if not killed and len(summary) != 1:
        fail(f"{len(summary)} summary records")
    by_kind = {}
    for s in sites:
        by_kind.setdefault(s["kind"], []).append(s)
    for kind, func in EXPECT.items():
        got = by_kind.get(kind, [])
        if len(got) != 1:
            fail(f"{len(got)} sites of kind {kind}, want 1 (kinds: {sorted(by_kind)})")
        s = got[0]
        want_action = {"strict": "blocked", "report": "allowed", "would-block": "would-block"}[mode]
        if s["action"] != want_action:
            fail(f"{kind}: action {s['action']}, want {want_action}")
        if not s["stack"]:
            fail(f"{kind}: empty stack")
        ip = int(s["stack"][0], 16)
        mod = [m for m in modules if int(m["start"], 16) <= ip < int(m["end"], 16)]
        if not mod:
            fail(f"{kind}: {hex(ip)} is in no module")
        m = mod[0]
        if not m["path"].endswith("/probe"):
            fail(f"{kind}: innermost frame in {m['path']}, not the probe")
        off = ip - int(m["base"], 16) - 1
        out = subprocess.run(["addr2line", "-f", "-e", probe, hex(off)], capture_output=True, text=True).stdout
        name = out.splitlines()[0] if out else "?"
        if name != func:
            fail(f"{kind}: frame resolves to {name}, want {func}")
        print(f"ok - {kind} at {func} ({s['action']})")
    # Page faults after arming are recorded too (PTFREEZE_FAULTS); pagefault.sh judges them.
    extra = [k for k in by_kind if k not in EXPECT and k != "page-fault"]
    if extra:
        fail(f"unexpected sites: {extra} (the served anonymous mmap must not be one)")
    print(f"ok - {len(sites)} sites, no others")


main()
