#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Compares the page-table system calls strace saw after arming with the
ptfreeze reports of the same run (see tests/strace-vs-report.sh, which runs
the command; this file only judges).

usage: strace_vs_report.py STRACE_LOG REPORT...
  STRACE_LOG  written by strace -f (one line per syscall, tid first)
  REPORT      ptfreeze report files of the run (one per process)

For each report of a process that armed, the calls of its thread group
(threads found through clone(CLONE_THREAD), vfork children until their
execve) after its arm point are taken: the seccomp(SECCOMP_SET_MODE_FILTER)
that installs the backstop at arming, or the fork that made a child born
armed.  A call the backstop trapped appears twice in strace (the trapped
attempt, then SIGSYS, then the call the shim makes for it): the attempt is
dropped.  Then, per syscall name:
  1. every name strace saw is accounted for by a site of a kind that makes
     it (munmap by munmap, dlclose or pthread_create; mmap by mmap,
     pthread_create, dlopen, pool-exhausted, writeback-hazard; ...);
  2. every site of a direct kind whose call went ahead (not blocked, not
     absorbed by the pool: detail "... (no syscall)") matches a call strace
     saw with the same address (mmap: the result), so the report names
     nothing the kernel did not do;
  3. where only direct kinds account for a name, the counts are equal
     (when the process wrote its summary: counts live there).
A process armed only at exit (its delay fell due unnoticed) or never armed
is skipped with a "#" line.
Prints one line per name and process, "ok - ..." or "FAIL: ...".
Exit 0 when all agree, 1 otherwise, 2 on bad input."""
import json
import re
import sys

PT = {"mmap", "munmap", "mprotect", "pkey_mprotect", "mremap", "madvise", "brk", "shmat", "shmdt"}
# Report kinds that account for each syscall (besides the kind of the same name).
ACCOUNT = {
    "mmap": {"mmap", "pthread_create", "dlopen", "pool-exhausted", "writeback-hazard"},
    "munmap": {"munmap", "dlclose", "pthread_create", "dlopen"},
    "mprotect": {"mprotect", "pthread_create", "dlopen"},
    "pkey_mprotect": {"pkey_mprotect"},
    "mremap": {"mremap"},
    "madvise": {"madvise"},
    "brk": {"brk", "sbrk"},
    "shmat": {"shmat"},
    "shmdt": {"shmdt"},
    "fork": {"fork"},
}
DIRECT = {"mmap": "mmap", "munmap": "munmap", "mprotect": "mprotect", "pkey_mprotect": "pkey_mprotect",
          "mremap": "mremap", "madvise": "madvise", "shmdt": "shmdt"}

LINE = re.compile(r"^(\d+)\s+(.*)$")
CALL = re.compile(r"^([a-z_0-9]+)\((.*)\)\s+=\s+(-?\w+)")


def parse_strace(path):
    """[(tid, name, args, result, raw)] in order, with unfinished/resumed joined and trapped attempts dropped."""
    pending, out = {}, []
    for raw in open(path, encoding="utf-8", errors="replace"):
        m = LINE.match(raw.rstrip("\n"))
        if not m:
            continue
        tid, rest = int(m.group(1)), m.group(2)
        if rest.endswith("<unfinished ...>"):
            pending[tid] = rest[: -len("<unfinished ...>")].rstrip()
            continue
        r = re.match(r"^<\.\.\. (\w+) resumed>(.*)$", rest)
        if r and tid in pending:
            rest = pending.pop(tid) + r.group(2)
        if rest.startswith("--- SIGSYS") and "SYS_SECCOMP" in rest:
            sc = re.search(r"si_syscall=__NR_(\w+)", rest)
            # The attempt just before, in this thread, was trapped: the kernel did not run it.
            for i in range(len(out) - 1, -1, -1):
                if out[i][0] == tid:
                    if sc and out[i][1] == sc.group(1):
                        out[i] = (tid, "#trapped", out[i][2], out[i][3], out[i][4])
                    break
            continue
        c = CALL.match(rest)
        if c:
            out.append((tid, c.group(1), c.group(2), c.group(3), rest))
        elif rest.startswith("+++ exited") or rest.startswith("+++ killed"):
            out.append((tid, "#exit", "", "", rest))
    return out


def first_arg(args):
    return args.split(",")[0].strip()


def to_int(s):
    try:
        return int(s, 0)
    except ValueError:
        return None


def thread_group(calls, pid):
    """pid and every task cloned into its memory (threads, vfork children), found over
    the whole log: strace writes a new thread's first calls before the line where its
    creator's clone returns its tid, so a single pass in order would miss them."""
    edges, execed = {}, set()
    for tid, name, args, res, raw in calls:
        if name == "execve" and res == "0" and tid != pid:
            execed.add(tid)  # a vfork child's new program: what it clones is not pid's
        elif name in ("clone", "clone3") and tid not in execed and ("CLONE_THREAD" in args or "CLONE_VM" in args):
            child = to_int(res)
            if child is not None and child > 0:
                edges.setdefault(tid, []).append(child)
    group, todo = {pid}, [pid]
    while todo:
        for child in edges.get(todo.pop(), []):
            if child not in group:
                group.add(child)
                todo.append(child)
    return group


def judge(calls, rep):
    recs = [json.loads(l) for l in open(rep, encoding="utf-8") if l.strip()]
    if not recs or recs[0].get("type") != "header":
        print(f"FAIL: {rep}: not a report", file=sys.stderr)
        return None
    hdr = recs[0]
    pid = hdr["pid"]
    arms = [r for r in recs if r["type"] == "arm"]
    if not arms:
        print(f"# {rep}: pid {pid} never armed: nothing to compare")
        return True
    if all(a.get("faults_before", {}).get("minor") == -1 for a in arms) and not hdr.get("fork_child"):
        # A delay that fell due unnoticed: armed only as the summary was written, nothing ran armed.
        print(f"# {rep}: pid {pid} armed only at exit (its delay fell due unnoticed): nothing to compare")
        return True
    sites = [r for r in recs if r["type"] == "site"]
    summary = next((r for r in recs if r["type"] == "summary"), None)
    counts = {s["id"]: s["count"] for s in summary["sites"]} if summary else {}
    # The thread group, and where arming starts for it.
    group, on = thread_group(calls, pid), False
    taken = []
    for idx, (tid, name, args, res, raw) in enumerate(calls):
        if tid not in group:
            continue
        if name == "execve" and res == "0":
            if tid != pid:
                # A vfork child runs another program: it leaves the group.
                group.discard(tid)
                continue
            # A new program in this pid: what came before belongs to the old one.
            taken, on = [], False
            continue
        # Any thread may arm (the delay has its own thread); TSYNC covers the group.
        if name == "seccomp" and "SECCOMP_SET_MODE_FILTER" in args:
            taken, on = [], True
            continue
        if on:
            taken.append((tid, name, args, res, raw))
    if not on and hdr.get("fork_child"):
        # Born armed: everything it did counts, until it executes another
        # program (the new image has its own report and its own start-up).
        on = True
        taken = []
        for c in calls:
            if c[0] not in group:
                continue
            if c[1] == "execve" and c[0] == pid and c[3] == "0":
                break
            taken.append(c)
    if not on:
        print(f"FAIL: {rep}: pid {pid} armed but strace shows no seccomp filter installed (PTFREEZE_SECCOMP=on?)")
        return False
    # The page-fault sampler's ring buffers are the shim's own mappings (a
    # fork child born armed maps its own): the report lists their addresses.
    rings = set()
    for r in recs:
        pf = r.get("page_faults") if r["type"] in ("arm", "summary") else None
        if isinstance(pf, dict):
            rings.update(int(a, 16) for a in pf.get("rings", []))
    taken = [c for c in taken if not (c[1] in ("mmap", "munmap") and
                                      to_int(c[3] if c[1] == "mmap" else c[2].split(",")[0]) in rings)]
    seen = {}
    for tid, name, args, res, raw in taken:
        if name in PT:
            seen.setdefault(name, []).append((args, res, raw))
        elif name in ("clone", "clone3") and "CLONE_VM" not in args and to_int(res) is not None and to_int(res) > 0:
            seen.setdefault("fork", []).append((args, res, raw))
        elif name == "fork":
            seen.setdefault("fork", []).append((args, res, raw))
    by_kind = {}
    for s in sites:
        by_kind.setdefault(s["kind"], []).append(s)
    ok = True
    # 1. the kernel's calls are all accounted for.
    for name, lst in sorted(seen.items()):
        kinds = {k for k in ACCOUNT.get(name, {name}) if k in by_kind}
        if not kinds:
            print(f"FAIL: pid {pid}: strace saw {len(lst)} {name} after arming, the report has no site that makes it; first: {lst[0][2]}")
            ok = False
            continue
        n_sites = sum(counts.get(s["id"], 1) for k in kinds for s in by_kind[k]
                      if s["action"] != "blocked" and "(no syscall)" not in (s.get("detail") or ""))
        direct_only = kinds == {DIRECT.get(name, name)}
        if summary is None:
            print(f"ok - pid {pid}: {name}: strace {len(lst)}, report sites at kinds {','.join(sorted(kinds))}"
                  " (no summary: the process did not exit normally, counts not compared)")
        elif direct_only and n_sites != len(lst):
            print(f"FAIL: pid {pid}: {name}: strace saw {len(lst)}, the report counts {n_sites}")
            ok = False
        else:
            print(f"ok - pid {pid}: {name}: strace {len(lst)}, report {n_sites} at kinds {','.join(sorted(kinds))}"
                  + ("" if direct_only else " (several calls per event: counts not compared)"))
    # 2. the report's direct calls happened.
    for kind, name in DIRECT.items():
        for s in by_kind.get(kind, []):
            if s["action"] == "blocked" or "(no syscall)" in (s.get("detail") or ""):
                continue
            lst = seen.get(name, [])
            if kind == "mmap":
                want = s.get("result")
                hit = [c for c in lst if to_int(c[1]) == want]
            else:
                want = to_int(s["args"].get("addr", s["args"].get("old_addr", "x")))
                hit = [c for c in lst if to_int(first_arg(c[0])) == want]
            if not hit:
                print(f"FAIL: pid {pid}: report site {s['id']} ({kind} at {hex(want) if isinstance(want, int) else want}) "
                      f"has no matching {name} in strace after arming")
                # The evidence for a failure seen once in a while (a loaded machine): the site, and
                # every line of the thread group that names the address, before arming and trapped too.
                print(f"#   site: action {s['action']}, detail {s.get('detail')!r}, tid {s.get('tid')}, t_ns {s.get('t_ns')}")
                if isinstance(want, int):
                    for c in calls:
                        if c[0] in group and (hex(want) in c[4] or str(want) in c[4]):
                            print(f"#   strace: {c[0]} {c[4][:200]}")
                ok = False
    return ok


def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    calls = parse_strace(sys.argv[1])
    verdicts = [judge(calls, r) for r in sys.argv[2:]]
    if any(v is None for v in verdicts):
        return 2
    return 0 if all(verdicts) else 1


sys.exit(main())
