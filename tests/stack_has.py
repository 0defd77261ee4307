#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Does a report hold a site of a kind whose stack passes through a function?

usage: stack_has.py REPORT BINARY KIND[,KIND...] FUNCTION [--seccomp] [--action A]
  BINARY    the program whose frames are resolved (addr2line on the module map)
  --seccomp only sites caught by the seccomp backstop
  --action  only sites with this action (allowed, blocked, would-block)
Exit 0 and "ok - ..." if one does, 1 with the kinds and functions seen otherwise."""
import json
import os
import subprocess
import sys


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    report, binary, kinds, func = args[:4]
    kinds = kinds.split(",")
    seccomp = "--seccomp" in sys.argv
    action = sys.argv[sys.argv.index("--action") + 1] if "--action" in sys.argv else None
    recs = [json.loads(l) for l in open(report, encoding="utf-8") if l.strip()]
    mods = [r for r in recs if r["type"] == "module" and os.path.realpath(r["path"]) == os.path.realpath(binary)]
    seen = []
    for s in (r for r in recs if r["type"] == "site" and r["kind"] in kinds):
        if seccomp and "seccomp" not in (s.get("detail") or ""):
            continue
        if action and s["action"] != action:
            continue
        offs = []
        for ip in (int(x, 16) for x in s["stack"]):
            for m in mods:
                if int(m["start"], 16) <= ip < int(m["end"], 16):
                    offs.append(hex(ip - int(m["base"], 16) - 1))
        names = []
        if offs:
            out = subprocess.run(["addr2line", "-f", "-e", binary] + offs, capture_output=True, text=True).stdout
            names = out.splitlines()[0::2]
        seen.append((s["kind"], s["id"], names))
        if func in names:
            print(f"ok - {s['kind']} site {s['id']} ({s['action']}) has {func} in its stack")
            return 0
    print(f"FAIL: no {'/'.join(kinds)} site with {func} in its stack; seen: {seen}", file=sys.stderr)
    return 1


sys.exit(main())
