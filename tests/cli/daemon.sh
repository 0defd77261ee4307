#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# `ptfreeze run` says which processes are still running when the program
# exits (issue 13, item 5), a daemon that detached included: the program
# starts a child that stays (its report names the program as its parent)
# and a daemon that forks twice and loses its parent (its report names
# init), then exits.  Both are named "still running" with their reports,
# and the closing line counts two; once they have ended, their reports
# have summaries.
. "$(dirname "$0")/lib.sh"
D=$TMPD/r; mkdir -p "$D"
pf run --arm delay:1ms --report "$D/r-%p.jsonl" -- /bin/sh -c \
	'sleep 6 & (sleep 6.2 &); sleep 2.5; echo main-done'
expect_status 0 "the program"
grep -q '^main-done$' "$TMPD/out" || fail "the program did not finish"
n=$(grep -c '^ptfreeze: still running, report: .*(pid [0-9]*, sleep, ' "$TMPD/err")
[ "$n" -eq 2 ] || { cat "$TMPD/err"; fail "want 2 sleeps named still running, got $n"; }
grep -q '^ptfreeze: 2 processes are still running: their reports have no summary yet' "$TMPD/err" ||
	{ cat "$TMPD/err"; fail "no line counting the 2 processes still running"; }
# The detached one: its report's parent is no longer the shell.
grep -l '"argv":\["sleep","6.2"\]' "$D"/r-*.jsonl > "$TMPD/detached" || fail "no report of the detached sleep"
grep -q '"ppid":1,' "$(cat "$TMPD/detached")" || note "the detached sleep's parent was not init here (a subreaper?)"
sleep 5
for f in $(grep -l '"exe":"[^"]*sleep"' "$D"/r-*.jsonl); do
	grep -q '"type":"summary"' "$f" || fail "$f: no summary once the sleep ended"
done
exit 0
