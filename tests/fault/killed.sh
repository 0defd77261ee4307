#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Fault: SIGKILL mid-run.  The sites program makes distinct violation sites
# and prints "site I LEN" after each call returns; the test kills it with
# kill -9 while it is still making them, at several points and speeds.
# Every site whose line was printed must be in the report, once; the report
# holds whole lines (a cut last line is allowed: a kill can stop a write
# between pages); `ptfreeze report` reads it (status 1: violations), marks
# the process as not having exited normally and counts each site once.
# (tests/guard.sh and tests/cli/killed.sh kill a process that is paused;
# here it is busy.)
. "${srcdir:-$(dirname "$0")/..}/lib.sh"
. "${srcdir:-$(dirname "$0")/..}/fault/lib.sh"
kills=0 checked=0 runs=0
# run_kill SLEEP_US AFTER: kill -9 once AFTER lines are out, the program sleeping SLEEP_US between sites.
run_kill() {
	runs=$((runs + 1))
	d=$TMPD/k$runs
	mkdir "$d"
	PTFREEZE_REPORT=$d/r-%p.jsonl LD_PRELOAD="$SHIM" "$FAULT/sites" 500 --sleep-us "$1" > "$d/out" &
	pid=$!
	i=0
	# (the shell may not have created out yet: no file counts as 0 lines)
	while n=$(grep -c '^site ' "$d/out" 2>/dev/null); [ "${n:-0}" -lt "$2" ]; do
		i=$((i + 1))
		[ $i -lt 2000 ] || { kill -9 $pid; fail "the program never printed $2 sites"; }
		grep -q '^done' "$d/out" 2>/dev/null && break
		sleep 0.01
	done
	kill -9 $pid 2>/dev/null
	wait $pid 2>/dev/null
	grep -q '^done' "$d/out" && { note "sleep $1 us: finished before the kill, not counted"; return 0; }
	f=$(ls "$d"/r-*.jsonl)
	res=$(check_sites "$f" "$d/out" --killed) || fail "after kill -9 at $2 sites (sleep $1 us): $res"
	"$PTFREEZE" report "$f" > "$d/rep" 2> "$d/err"
	st=$?
	[ $st -eq 1 ] || fail "ptfreeze report of a killed process: status $st: $(cat "$d/err")"
	grep -q 'no summary (process did not exit normally)' "$d/rep" || fail "the killed process is not marked"
	printed=$(grep -c '^site ' "$d/out")
	note "sleep $1 us, kill after $printed lines: $res"
	kills=$((kills + 1))
	checked=$((checked + printed))
}
run_kill 2000 40
run_kill 2000 150
run_kill 200 100
run_kill 50 250
run_kill 10 1
run_kill 20 200
[ $kills -ge 4 ] || fail "only $kills runs were killed mid-run"
note "faults injected: $kills kills; $checked printed sites all found in the reports"
exit 0
