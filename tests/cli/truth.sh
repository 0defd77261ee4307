#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# The report says what happened (issue 13, item 4):
#  - a fork child that was never armed (its parent forked before arming) is
#    not shown as "armed, inherited from the parent", and no process that
#    was never armed is told sampling was off because of a setting;
#  - a process with more sites than PTFREEZE_MAX_SITES: the events line
#    adds up (shown + beyond the limit = the summary's events; calls + page
#    faults = shown);
#  - a library exit handler that makes calls after the shim's exit summary:
#    the process keeps its summary (no "no summary"), the late sites are
#    marked as such.
. "$(dirname "$0")/lib.sh"
[ -n "$PY" ] || skip "python3 is not installed"

# --- a fork child never armed ---
D=$TMPD/fork; mkdir -p "$D"
# A process that never arms writes a report only once it records something:
# a writable shared mapping of a file on disk (a writeback hazard, recorded
# even before arming) in the parent and in its fork child.
HZ=$(pwd)/truth-hazard.$$
PYI=/usr/bin/python3
[ -x "$PYI" ] || PYI=$PY
# shellcheck disable=SC2016
pf run --arm delay:60s --report "$D/r-%p.jsonl" -- "$PYI" -c '
import mmap, os, sys
f = open(sys.argv[1], "w+b"); f.truncate(4096)
m = mmap.mmap(f.fileno(), 4096)
pid = os.fork()
if pid == 0:
    m2 = mmap.mmap(f.fileno(), 4096); m2[0] = 1; print("child"); os._exit(0)
os.waitpid(pid, 0); print("parent")' "$HZ"
expect_status 0 "run python3 with a fork child, never armed"
rm -f "$HZ"
[ "$(ls "$D" | wc -l)" -eq 2 ] || fail "want 2 reports (python3 and its fork child), got: $(ls "$D")"
pf report "$D"
expect_status 1 "report on a run never armed (its writeback hazards are violations)"
grep -q 'this is a fork child' "$TMPD/out" || fail "the subshell is not shown as a fork child"
grep -q 'inherited from the parent' "$TMPD/out" && fail "a child never armed is shown as armed by inheritance"
[ "$(grep -c '^  armed       never' "$TMPD/out")" -eq 2 ] || { grep '^  armed' "$TMPD/out"; fail "want both processes 'armed never'"; }
grep -q '^  armed       never: the parent was not armed when it forked' "$TMPD/out" ||
	fail "the child's armed line does not say why it was never armed"
grep -q 'PTFREEZE_FAULTS=off' "$TMPD/out" && fail "an unarmed process is told sampling was off because of a setting"
if grep -q '^  sampling' "$TMPD/out"; then
	[ "$(grep -c '^  sampling    page faults not sampled: the process was never armed' "$TMPD/out")" -eq \
		"$(grep -c '^  sampling' "$TMPD/out")" ] || { grep '^  sampling' "$TMPD/out"; fail "sampling lines of unarmed processes"; }
fi

# --- past the site limit: the events line adds up ---
SITES=$top_builddir/tests/fault/sites
[ -x "$SITES" ] || hard "no $SITES"
D=$TMPD/limit; mkdir -p "$D"
pf run --arm manual --report "$D/r-%p.jsonl" -- env PTFREEZE_MAX_SITES=16 "$SITES" 40
expect_status 0 "sites 40 with PTFREEZE_MAX_SITES=16"
pf report "$D"
expect_status 1 "report past the site limit"
line=$(grep '^  events .*beyond' "$TMPD/out")
note "$line"
want=$("$PY" -c 'import json,sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    if r["type"] == "summary" and r["dropped_sites"] > 0: print(r["events"], r["dropped_sites"])' "$D"/r-*.jsonl)
set -- $want
[ $# -eq 2 ] || fail "the run did not pass the site limit"
[ -n "$line" ] || fail "no events line says what is beyond the site limit"
"$PY" - "$line" "$1" <<'PYEOF' || fail "the events line does not add up: $line (summary events $want)"
import re, sys
line, total = sys.argv[1], int(sys.argv[2])
m = re.match(r"\s*events\s+(\d+) at (\d+) sites?", line)
shown = int(m.group(1))
parts = re.search(r": (\d+) calls? at \d+ sites?, (\d+) page faults? ", line)
if parts and int(parts.group(1)) + int(parts.group(2)) != shown:
    sys.exit(1)
beyond = re.search(r"; (\d+) more at new sites beyond PTFREEZE_MAX_SITES", line)
sys.exit(0 if beyond and shown + int(beyond.group(1)) == total else 1)
PYEOF

# --- calls after the exit summary ---
LATE=$top_builddir/tests/cli/latedtor
D=$TMPD/late; mkdir -p "$D"
pf run --arm manual --report "$D/r-%p.jsonl" -- "$LATE"
expect_status 0 "latedtor"
grep -q '^done' "$TMPD/out" || fail "latedtor did not finish"
tail -n 1 "$D"/r-*.jsonl | grep -q '"type":"site"' || skip "no record after the summary here (exit handlers ran in another order)"
pf report "$D"
expect_status 1 "report on latedtor"
grep -q 'no summary' "$TMPD/out" && { grep 'no summary' "$TMPD/out"; fail "a process with a summary shown as 'no summary'"; }
grep -q 'first seen after the exit summary' "$TMPD/out" || fail "the late sites are not marked"
grep -qE '^ +[0-9]+ +munmap +1\+ ' "$TMPD/out" || fail "the late munmap is not in the table, marked +"
grep -qE '^ +[0-9]+ +mprotect +1\+ .*latedtor_goodbye' "$TMPD/out" || fail "the late mprotect is not in the table, marked +"
grep -qE '^ +[0-9]+ +mprotect +1 .*main' "$TMPD/out" || fail "main's mprotect (counted by the summary) is missing"
exit 0
