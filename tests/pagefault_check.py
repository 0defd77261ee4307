#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Judges touchstatic's report from outside: the page-fault sites whose
innermost frame resolves (addr2line on the module map, at address - 1) to
touch_cold_page, their address class and mapping, and their counts.

usage: pagefault_check.py REPORT BINARY PAGES THREAD(0|1)
  - one page-fault site at touch_cold_page called from main, and with
    THREAD=1 one called from thread_main (a thread made after arming);
  - each of class "bss", mapping BINARY, counted PAGES times (one fault per
    page touched for the first time), action "allowed";
  - its faulted address lies inside the cold array's mapping of the binary.
Exit 0 if the report is right, 1 with a reason otherwise."""
import json
import os
import subprocess
import sys


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def resolve(binary, off):
    out = subprocess.run(["addr2line", "-f", "-e", binary, hex(off)], capture_output=True, text=True).stdout
    return out.splitlines()[0] if out else "?"


def main():
    path, binary, pages, thread = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4] == "1"
    with open(path, encoding="utf-8") as f:
        records = [json.loads(line) for line in f]
    modules = [r for r in records if r["type"] == "module"]
    sites = [r for r in records if r["type"] == "site" and r["kind"] == "page-fault"]
    summary = [r for r in records if r["type"] == "summary"]
    if len(summary) != 1:
        fail(f"{len(summary)} summary records")
    counts = {s["id"]: s["count"] for s in summary[0]["sites"]}
    found = {}
    for s in sites:
        frames = []
        for ip in (int(a, 16) for a in s["stack"][:2]):
            mod = [m for m in modules if int(m["start"], 16) <= ip < int(m["end"], 16)]
            if mod and os.path.realpath(mod[0]["path"]) == os.path.realpath(binary):
                frames.append(resolve(binary, ip - int(mod[0]["base"], 16) - 1))
            else:
                frames.append("?")
        if frames[0] != "touch_cold_page":
            continue
        caller = frames[1] if len(frames) > 1 else "?"
        if caller in found:
            fail(f"two page-fault sites at touch_cold_page called from {caller}")
        found[caller] = s
        args = s["args"]
        if args.get("class") != "bss":
            fail(f"touch_cold_page (from {caller}): class {args.get('class')}, want bss")
        if os.path.realpath(args.get("path", "")) != os.path.realpath(binary):
            fail(f"touch_cold_page (from {caller}): mapping {args.get('path')}, want {binary}")
        if s["action"] != "allowed":
            fail(f"touch_cold_page (from {caller}): action {s['action']}, want allowed (a fault cannot be refused)")
        if counts.get(s["id"]) != pages:
            fail(f"touch_cold_page (from {caller}): counted {counts.get(s['id'])}, want {pages} (one per page)")
        print(f"ok - page-fault at touch_cold_page from {caller}: class bss of {args['path']}, {pages} faults")
    want = {"main"} | ({"thread_main"} if thread else set())
    if set(found) != want:
        fail(f"page-fault sites at touch_cold_page called from {sorted(found)}, want {sorted(want)}"
             f" (page-fault sites: {len(sites)})")


main()
