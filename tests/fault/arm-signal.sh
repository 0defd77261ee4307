#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Fault: arming from a signal (PTFREEZE_ARM=signal:USR2, sent from outside
# by kill) while 8 threads allocate and make guarded calls (a shared mmap,
# mprotect and munmap at call sites of their own, malloc/calloc/realloc and
# pool-served anonymous mmap between them).  Several rounds; in some the
# signal is sent three times at once.  Each round:
#  - no deadlock: the program ends within 60 s (timeout);
#  - no lost or doubled record: exactly 24 site records, one per (thread,
#    call), ids unique, nothing else recorded (the churn is absorbed);
#  - counts consistent with what the threads did: for each site, the
#    summary's count is at least the calls the thread made after it saw
#    ptfreeze_armed() return 1, and at most that plus the calls that were
#    in flight when it armed;
#  - one arm record, signal:USR2; the summary's events add up.
. "${srcdir:-$(dirname "$0")/..}/lib.sh"
. "${srcdir:-$(dirname "$0")/..}/fault/lib.sh"
export PTFREEZE_ARM=signal:USR2 PTFREEZE_POOL=64M
rounds=0 calls=0
round() { # ITERS SIGNALS
	rounds=$((rounds + 1))
	d=$TMPD/r$rounds
	mkdir "$d"
	PTFREEZE_REPORT=$d/r-%p.jsonl limit 60 env LD_PRELOAD="$SHIM" "$FAULT/armstorm" "$1" > "$d/out" 2> "$d/err" &
	job=$!
	i=0
	while ! grep -q '^ready ' "$d/out" 2>/dev/null; do
		i=$((i + 1))
		[ $i -lt 1000 ] || { kill -9 $job; fail "round $rounds: the threads never got going: $(cat "$d/err")"; }
		sleep 0.02
	done
	pid=$(sed -n 's/^ready //p' "$d/out")
	n=0
	while [ $n -lt "$2" ]; do kill -USR2 "$pid"; n=$((n + 1)); done
	st=0
	wait $job || st=$?
	[ $st -ne 124 ] || fail "round $rounds: deadlock (no exit within 60 s)"
	[ $st -eq 0 ] || fail "round $rounds: status $st: $(cat "$d/err")"
	res=$("$PY" - "$d"/r-*.jsonl "$d/out" <<'PYEOF'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
sites = [r for r in recs if r["type"] == "site"]
arms = [r for r in recs if r["type"] == "arm"]
summ = [r for r in recs if r["type"] == "summary"]
assert len(arms) == 1 and arms[0]["how"] == "signal:USR2", "arm records: %s" % arms
assert len(summ) == 1, "no summary"
summ = summ[0]
ids = [s["id"] for s in sites]
assert len(ids) == len(set(ids)), "site ids repeat"
key = {}
for s in sites:
    k = (s["kind"], s["args"]["len"])
    assert k not in key, "site recorded twice: %s" % (k,)
    key[k] = s["id"]
count = {s["id"]: s["count"] for s in summ["sites"]}
want = [l.split() for l in open(sys.argv[2]) if l.startswith("site ")]
assert len(want) == 24 and len(sites) == 24, "%d site records, want 24: %s" % (len(sites), sorted(key))
sure = maybe = total = 0
for _, t, kind, ln, s, m in want:
    k = (kind, int(ln))
    assert k in key, "thread %s %s is not in the report" % (t, kind)
    c = count[key[k]]
    assert int(s) <= c <= int(s) + int(m), "thread %s %s: counted %d, the thread made %s sure + %s in flight" % (t, kind, c, s, m)
    sure += int(s); maybe += int(m); total += c
assert summ["events"] == total, "summary events %d != sum of site counts %d" % (summ["events"], total)
print("24 sites, %d calls counted (%d sure, %d in flight at arming)" % (total, sure, maybe))
PYEOF
) || fail "round $rounds: $res"
	note "round $rounds ($1 rounds per thread after arming, $2 signal(s)): $res"
	calls=$((calls + $(echo "$res" | sed 's/.*, \([0-9]*\) calls.*/\1/')))
}
round 300 1
round 100 3
round 500 1
round 50 3
round 200 1
note "faults injected: $rounds arming signals under load; $calls guarded calls after arming, none lost or doubled"
exit 0
