#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Reports of processes that did not exit normally:
#  - a report whose last line was cut in half (head -c): a warning naming the
#    file, status 1 (violations), not 2;
#  - a probe killed with kill -9 after recording its sites: no summary, so
#    each site counts once and the process is marked.
. "$(dirname "$0")/lib.sh"
D="$TMPD/whole"
run_probe "$D"
f=$(ls "$D"/r-*.jsonl)
size=$(wc -c < "$f")
last=$(tail -n 1 "$f" | wc -c)
head -c $((size - last / 2)) "$f" > "$TMPD/cut.jsonl"
pf report "$TMPD/cut.jsonl"
expect_status 1 "a report with a truncated last line"
grep -q '^ptfreeze: warning: .*cut\.jsonl:[0-9]*: truncated' "$TMPD/err" || fail "no truncation warning: $(cat "$TMPD/err")"
grep -q 'error' "$TMPD/err" && fail "a truncated last line was treated as an error"
grep -q 'no summary (process did not exit normally)' "$TMPD/out" || fail "the cut summary is not reported as missing"
grep -q do_mprotect "$TMPD/out" || fail "the sites before the cut are lost"

# kill -9 after the sites are recorded.
K="$TMPD/killed"
mkdir -p "$K"
"$PTFREEZE" run --mode report --arm signal:USR2 --report "$K/r-%p.jsonl" -- "$PROBE" --pause > "$TMPD/pause.out" 2>&1 &
i=0
while ! grep -q '^paused' "$TMPD/pause.out" 2> /dev/null; do
	i=$((i + 1))
	[ $i -lt 200 ] || fail "the probe never paused: $(cat "$TMPD/pause.out")"
	sleep 0.05
done
pid=$(sed -n 's/^paused //p' "$TMPD/pause.out")
kill -9 "$pid"
st=0
wait $! || st=$?
[ "$st" -eq 137 ] || fail "ptfreeze run of a probe killed by SIGKILL: status $st, want 137"
pf report "$K"
expect_status 1 "a report of a killed process"
grep -q 'no summary (process did not exit normally)' "$TMPD/out" || fail "the killed process is not marked"
grep -qE 'mprotect +1\* ' "$TMPD/out" || fail "without a summary the mprotect site should count 1*"
pf report --json "$K"
expect_status 1 "report --json of a killed process"
if [ -n "$PY" ]; then
	"$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); p=d["processes"][0]; assert not p["complete"] and p["note"]; assert all(s["count"] == 1 and s["estimated"] for s in d["sites"])' "$TMPD/out" ||
		fail "--json of a killed process"
fi
note "truncated and killed reports are read, with warnings, status 1"
exit 0
