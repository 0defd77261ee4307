#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# ptfreeze report on the probe's reports (the probe and its fork child):
#  - text: exit status 1, every probe function named with probe.c:LINE,
#    both processes, the header facts, the one-call-site mprotect counted 3
#    and listed first;
#  - --folded: every line "STACK COUNT", rooted at the kind, innermost frame
#    the probe function;
#  - --json: one document that python3 -m json.tool accepts, with symbolised
#    frames;
#  - strict mode: the blocked calls come first;
#  - a run with no violation: exit status 0.
. "$(dirname "$0")/lib.sh"
[ -n "$PY" ] || skip "python3 is not installed"
D="$TMPD/reports"
run_probe "$D" --fork

pf report "$D"
expect_status 1 "report on the probe's reports"
cp "$TMPD/out" "$TMPD/text"
for fn in do_mprotect do_munmap_part do_madvise do_mremap do_child_munmap do_fork; do
	grep -q "$fn" "$TMPD/text" || fail "the report does not name $fn"
done
grep -qE 'do_mprotect \(probe\.c:[0-9]+\)' "$TMPD/text" || fail "no 'do_mprotect (probe.c:LINE)' in the table"
grep -qE 'do_munmap_part at .*probe\.c:[0-9]+' "$TMPD/text" || fail "no 'do_munmap_part at probe.c:LINE' in a stack"
[ "$(grep -c '^process ' "$TMPD/text")" -eq 2 ] || fail "want 2 processes in the report"
grep -q 'this is a fork child' "$TMPD/text" || fail "the fork child is not marked"
for fact in '^  mode ' '^  pool ' '^  armed  *signal:USR2' '^  faults ' '^  high-water ' '^  host '; do
	grep -q "$fact" "$TMPD/text" || fail "no '$fact' line in the process facts"
done
first=$(awk '/^SITE /{getline; print; exit}' "$TMPD/text")
case "$first" in *mprotect*do_mprotect*) ;; *) fail "the first site is not the 3-call mprotect: $first" ;; esac
echo "$first" | grep -qE 'mprotect +3 ' || fail "mprotect is not counted 3: $first"

pf report --folded "$D"
expect_status 1 "report --folded"
[ -s "$TMPD/out" ] || fail "--folded printed nothing"
bad=$(grep -vE '^[^ ]+ [0-9]+$' "$TMPD/out" || true)
[ -z "$bad" ] || fail "--folded lines not 'STACK COUNT': $bad"
grep -qE '^mprotect;.*;main;do_mprotect 3$' "$TMPD/out" || fail "--folded: no 'mprotect;...;main;do_mprotect 3'"
grep -qE '^munmap;.*;do_fork;do_child_munmap 1$' "$TMPD/out" || fail "--folded: no child munmap stack"

pf report --json "$D"
expect_status 1 "report --json"
"$PY" -m json.tool "$TMPD/out" > /dev/null || fail "--json is not one JSON document"
"$PY" - "$TMPD/out" <<'PY' || fail "--json content"
import json, sys
d = json.load(open(sys.argv[1]))
assert len(d["processes"]) == 2, "processes"
assert sum(p["fork_child"] for p in d["processes"]) == 1, "one fork child"
sites = d["sites"]
assert sites[0]["kind"] == "mprotect" and sites[0]["count"] == 3, sites[0]
names = {s["frames"][0]["function"] for s in sites if s["frames"]}
for fn in ("do_mprotect", "do_munmap_part", "do_madvise", "do_mremap", "do_child_munmap", "do_fork"):
    assert fn in names, fn + " missing: " + repr(names)
for s in sites:
    if s["kind"] == "page-fault":
        continue  # faults after arming happen in libc too (PTFREEZE_FAULTS); pagefault.sh judges them
    f = s["frames"][0]
    assert f["file"].endswith("probe.c") and f["line"] > 0, f
fork = [s for s in sites if s["kind"] == "fork"]
# One fork call, counted once (older shims repeated it in the child's report).
assert len(fork) == 1 and fork[0]["count"] == 1, fork
PY

# Strict mode: the refused calls are blocked and come first.
S="$TMPD/strict"
mkdir -p "$S"
pf run --mode strict --arm signal:USR2 --report "$S/r-%p.jsonl" -- "$PROBE"
expect_status 0 "the probe in strict mode"
pf report --json "$S"
expect_status 1 "report on a strict run"
"$PY" - "$TMPD/out" <<'PY' || fail "strict mode report"
import json, sys
sites = json.load(open(sys.argv[1]))["sites"]
assert sites and sites[0]["blocked"] > 0, sites[:1]
blocked = [s["blocked"] > 0 for s in sites]
assert blocked == sorted(blocked, reverse=True), "blocked sites are not first"
PY

# Would-block mode: nothing is refused, but what strict would refuse is marked.
W="$TMPD/would"
mkdir -p "$W"
pf run --mode would-block --arm signal:USR2 --report "$W/r-%p.jsonl" -- "$PROBE"
expect_status 0 "the probe in would-block mode"
pf report --json "$W"
expect_status 1 "report on a would-block run"
"$PY" - "$TMPD/out" <<'PY' || fail "would-block mode report"
import json, sys
sites = json.load(open(sys.argv[1]))["sites"]
assert sites and all(s["blocked"] == 0 for s in sites), "nothing is blocked in would-block mode"
assert sites[0]["kind"] == "mprotect" and sites[0]["would_block"] == 3, sites[0]
PY
pf report "$W"
grep -qE 'mprotect +3 +\(3\) ' "$TMPD/out" || fail "the table does not show '(3)' would-block calls for mprotect"

# No violation: a program that arms, then only sleeps.
C="$TMPD/clean"
mkdir -p "$C"
pf run --arm delay:20ms --pool 16M --report "$C/r-%p.jsonl" -- sleep 0.5
expect_status 0 "a run that arms and sleeps"
pf report "$C"
expect_status 0 "report on a run without violations"
grep -q 'No violations' "$TMPD/out" || fail "a clean report does not say so"
note "report: text, folded and JSON agree on the probe's sites"
exit 0
