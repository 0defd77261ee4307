#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# ptfreeze_armed() returns 1 only once arming is complete, so what the
# program does from then on is in the report.  armwindow makes arming long
# (500 idle threads: page-fault events are opened for each), spins on
# ptfreeze_armed() and at once maps and writes 64 shared pages.  In each of
# RUNS runs (default 10), judged from the report: the mmap is a recorded
# site returning that mapping, and a sampled page fault lies in it.  When
# ptfreeze_armed() said 1 while another thread was still arming, the
# faults went unsampled in about half the runs (6 of 10).
. "${srcdir:-$(dirname "$0")}/lib.sh"
PY=/usr/bin/python3
[ -x "$PY" ] || PY=$(command -v python3) || skip "python3 is not installed"
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
for line in open(path):
    r = json.loads(line)
    if r.get("type") != "site":
        continue
    if r["kind"] == "mmap" and r["result"] == lo:
        mmap += 1
    if r["kind"] == "page-fault" and lo <= int(r["args"]["addr"], 16) < hi:
        faults += 1
print("ok" if mmap and faults else "mmap sites %d, page-fault sites in the mapping %d" % (mmap, faults))
PYEOF
)
	[ "$verdict" = ok ] || fail "run $i: after ptfreeze_armed() returned 1: $verdict ($rep)"
done
note "$runs runs: the mmap and the faults made as ptfreeze_armed() turned 1 are in every report"
exit 0
