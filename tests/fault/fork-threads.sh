#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Fault: fork from a multi-threaded program while its other threads
# allocate (malloc/realloc/free and pool-served mmap/munmap, no pause),
# many times over.  Each child allocates with malloc, calloc, realloc,
# aligned_alloc and anonymous mmap, checks every byte and exits.
#  - no deadlock: each child exits within 20 s (the program kills and
#    reports a hung one), the whole run within 120 s (timeout);
#  - every child exits 0, the allocating threads never see a wrong byte;
#  - armed: every child's report is whole and readable: a header marked
#    fork_child with the parent's pid, a summary, an arm record;
#    `ptfreeze report DIR` reads them all (status 1: the forks are
#    violations) and counts every process;
#  - not armed: no process arms or records anything, so none writes a report;
#  - armed: the parent's fork site counts every fork.
# One run has a 2M pool growing by 2M, so the threads are often growing the
# pool when main forks (a child used to inherit the grow flag held, and hang).
. "${srcdir:-$(dirname "$0")/..}/lib.sh"
. "${srcdir:-$(dirname "$0")/..}/fault/lib.sh"
export PTFREEZE_ARM=manual
total=0
run() { # FORKS THREADS [--arm]   (POOL=size: a pool that grows all the time)
	d=$TMPD/f$total-$1-$2${3:-}
	mkdir "$d"
	st=0
	PTFREEZE_POOL=${POOL:-64M} PTFREEZE_POOL_GROW=${POOL:-64M} PTFREEZE_REPORT=$d/r-%p.jsonl limit 120 env LD_PRELOAD="$SHIM" "$FAULT/forkstorm" "$@" > "$d/out" 2> "$d/err" || st=$?
	[ $st -ne 124 ] || fail "forkstorm $*: hung (no exit within 120 s)"
	[ $st -eq 0 ] || fail "forkstorm $*: status $st: $(cat "$d/err")"
	grep -q "^children $1 ok\$" "$d/out" || fail "forkstorm $*: $(cat "$d/out")"
	if [ "${3:-}" != --arm ]; then
		[ -z "$(ls "$d" | grep '^r-')" ] || fail "forkstorm $*: unarmed processes wrote reports: $(ls "$d")"
		note "forkstorm $* (pool ${POOL:-64M}): no process armed, no report"
		total=$((total + $1))
		return
	fi
	res=$("$PY" - "$d" "$1" "${3:-}" "${POOL:-}" <<'PYEOF'
import glob, json, sys
d, forks, armed, small = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "--arm", sys.argv[4] != ""
files = glob.glob(d + "/r-*.jsonl")
assert len(files) == forks + 1, "%d report files, want %d" % (len(files), forks + 1)
procs = {}
for f in files:
    data = open(f).read()
    assert data.endswith("\n"), f + ": cut"
    recs = [json.loads(l) for l in data.split("\n")[:-1]]
    assert recs[0]["type"] == "header", f + ": no header first"
    procs[recs[0]["pid"]] = recs
parents = [p for p, r in procs.items() if not r[0]["fork_child"]]
assert len(parents) == 1, "parents: %s" % parents
parent = parents[0]
for pid, recs in procs.items():
    types = [r["type"] for r in recs]
    assert "summary" in types, "process %d has no summary" % pid
    if pid != parent:
        assert recs[0]["ppid"] == parent, "child %d: ppid %d" % (pid, recs[0]["ppid"])
        assert ("arm" in types) == armed, "child %d: arm record %s" % (pid, "arm" in types)
        # A child born armed that grows a small pool records that, and only that.
        sites = [r["kind"] for r in recs if r["type"] == "site" and not (small and r["kind"] == "pool-exhausted")]
        assert not sites, "child %d made violations: %s" % (pid, sites)
summ = [r for r in procs[parent] if r["type"] == "summary"][0]
forks_seen = sum(s["count"] for s in summ["sites"] if s["kind"] == "fork")
assert forks_seen == (forks if armed else 0), "fork site counts %d, want %d" % (forks_seen, forks if armed else 0)
print("%d reports whole, %d children with summaries, fork count %d" % (len(files), forks, forks_seen))
PYEOF
) || fail "forkstorm $*: $res"
	"$PTFREEZE" report "$d" > "$d/rep" 2> "$d/rerr"
	rst=$?
	want=0; [ "${3:-}" = --arm ] && want=1
	[ $rst -eq $want ] || fail "forkstorm $*: ptfreeze report status $rst, want $want: $(head -n 3 "$d/rerr")"
	head -n 1 "$d/rep" | grep -q "^ptfreeze report: $(($1 + 1)) processes," || fail "forkstorm $*: ptfreeze report: $(head -n 1 "$d/rep")"
	note "forkstorm $* (pool ${POOL:-64M}): $res; ptfreeze report status $rst"
	total=$((total + $1))
}
run 100 4 --arm
POOL=2M run 60 8 --arm
run 40 4
note "faults injected: $total forks from a multi-threaded program, all children clean"
exit 0
