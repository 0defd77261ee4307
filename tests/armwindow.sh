#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# ptfreeze_armed() returns 1 only once arming is complete, so what the
# program does from then on is in the report.  armwindow makes arming long
# (500 idle threads: page-fault events are opened for each), spins on
# ptfreeze_armed() and at once maps and writes 64 shared pages.  In each of
# RUNS runs (default 10), judged from the report: the mmap is a recorded
# site returning that mapping, and a sampled page fault lies in it.  When
# ptfreeze_armed() said 1 while another thread was still arming, the
# faults went unsampled in about half the runs (6 of 10).  Then children
# forked while arming is under way (below).  A miss prints the summary's
# page_faults counts (counted, samples, lost), to tell a fault never
# sampled from one lost on the way.
. "${srcdir:-$(dirname "$0")}/lib.sh"
need_python
runs=${RUNS:-10}
i=0
while [ $i -lt "$runs" ]; do
	i=$((i + 1))
	rep=$TMPD/run-$i.jsonl
	PTFREEZE_ARM=delay:1ms PTFREEZE_REPORT=$rep shim "$PROGS/armwindow" 500 > "$TMPD/out" 2> "$TMPD/err" ||
		{ cat "$TMPD/err"; fail "armwindow failed under the shim (run $i)"; }
	[ -f "$rep" ] || fail "no report (run $i)"
	state=$(json_get "$rep" arm 'r["page_faults"]["sampling"]') || fail "no arm record (run $i)"
	case "$state" in
	on) ;;
	refused | unavailable) skip "page-fault sampling is $state here" ;;
	*) fail "sampling is '$state' (run $i)" ;;
	esac
	verdict=$("$PY" - "$rep" $(cat "$TMPD/out") << 'PYEOF'
import json, sys
path, lo, hi = sys.argv[1], int(sys.argv[2], 16), int(sys.argv[3], 16)
mmap = faults = 0
pf = None
for line in open(path):
    r = json.loads(line)
    if r.get("type") == "summary":
        pf = r.get("page_faults")
    if r.get("type") != "site":
        continue
    if r["kind"] == "mmap" and r["result"] == lo:
        mmap += 1
    if r["kind"] == "page-fault" and lo <= int(r["args"]["addr"], 16) < hi:
        faults += 1
# On a miss, the sampler's own counts say where the faults went (counted but lost, or never counted).
print("ok" if mmap and faults else "mmap sites %d, page-fault sites in the mapping %d; summary page_faults %s"
      % (mmap, faults, json.dumps(pf)))
PYEOF
)
	[ "$verdict" = ok ] || fail "run $i: after ptfreeze_armed() returned 1: $verdict ($rep)"
done
note "$runs runs: the mmap and the faults made as ptfreeze_armed() turned 1 are in every report"

# Children forked while arming is under way (armwindow -f forks until it
# sees ptfreeze_armed() return 1): a child born after arming began is armed,
# and its faults are sampled like any armed child's.  They were armed with
# sampling off (3-4 children a run).  Born while arming: before the
# parent's arm record, as the header's start_unix_ns says.
mid=0
i=0
while [ $i -lt 3 ]; do
	i=$((i + 1))
	d=$TMPD/fork-$i
	mkdir "$d"
	PTFREEZE_ARM=delay:200ms PTFREEZE_REPORT="$d/r-%p.jsonl" shim "$PROGS/armwindow" 500 -f > "$TMPD/out" 2> "$TMPD/err" ||
		{ cat "$TMPD/err"; fail "armwindow -f failed under the shim (run $i)"; }
	verdict=$("$PY" - "$d" << 'PYEOF'
import glob, json, sys
reps = [[json.loads(l) for l in open(f) if l.strip()] for f in sorted(glob.glob(sys.argv[1] + "/r-*.jsonl"))]
parents = [r for r in reps if not r[0]["fork_child"]]
if len(parents) != 1 or not any(x["type"] == "arm" for x in parents[0]):
    sys.exit("FAIL the parent's report is missing or never armed")
armed_at = next(x for x in parents[0] if x["type"] == "arm")["unix_ns"]
mid = 0
for r in reps:
    if not r[0]["fork_child"]:
        continue
    arm = [x for x in r if x["type"] == "arm"]
    if not arm:
        continue
    born = (r[0]["start_unix_ns"] - armed_at) / 1e6
    sampling = arm[0]["page_faults"]["sampling"]
    faults = sum(1 for x in r if x.get("kind") == "page-fault")
    if sampling != "on" or not faults:
        print("FAIL child %d, born %+.1f ms from the parent's arm record: sampling %s, %d page-fault sites"
              % (r[0]["pid"], born, sampling, faults))
        sys.exit(0)
    mid += born < 0
print("ok %d" % mid)
PYEOF
) || fail "run $i: $verdict"
	case "$verdict" in
	ok*) mid=$((mid + ${verdict#ok })) ;;
	*) fail "run $i: $verdict" ;;
	esac
done
[ $mid -gt 0 ] || skip "no child was born while arming in 3 runs (arming too quick here to test it)"
note "3 runs of armwindow -f: $mid children born while arming, each sampled its faults"
exit 0
