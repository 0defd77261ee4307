#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# ptfreeze report at scale (issue 13, item 5), on reports made by
# bench/gen-report.py from a real one (real modules, real addresses):
#  - 3000 sites in one process: the first screen leads with the totals and
#    a line per kind, shows at most 5 sites of each kind and says how to see
#    the rest; --all shows every site; the counts add up to the summary's;
#  - --suppressions-out writes no rule twice;
#  - 119 processes (a server's forked workers): one line per group of alike
#    processes, not 119 blocks of facts.
# How fast is measured in bench/report-scale.sh, never here.
. "$(dirname "$0")/lib.sh"
[ -n "$PY" ] || skip "python3 is not installed"
GEN=$top_srcdir/bench/gen-report.py
CXXSITE=$top_builddir/tests/cli/cxxsite
T=$TMPD/t; mkdir -p "$T"
pf run --arm manual --report "$T/r-%p.jsonl" -- "$CXXSITE"
expect_status 0 "cxxsite (the template)"
tpl=$(ls "$T"/r-*.jsonl | head -n 1)

# --- one process, 3000 sites ---
"$PY" "$GEN" "$tpl" "$TMPD/one" --records 3000 --distinct 1000 || hard "gen-report failed"
pf report "$TMPD/one"
expect_status 1 "report on 3000 sites"
cp "$TMPD/out" "$TMPD/text"
head -n 1 "$TMPD/text" | grep -qE '^ptfreeze report: 1 process, [0-9]+ violation sites, [0-9]+ events' ||
	fail "the first line is not the totals: $(head -n 1 "$TMPD/text")"
sed -n 3p "$TMPD/text" | grep -qE '^KIND +SITES +EVENTS +BLOCKED' || fail "no kind table after the totals"
grep -q '^Top sites of each kind (30 of 3000; ptfreeze report --all for every site):' "$TMPD/text" ||
	fail "the top-sites heading is missing or wrong"
rows=$(awk '/^SITE /{on=1;next} on&&/^ *[0-9]+  /{print $2} on&&!/^ *[0-9]+  /{exit}' "$TMPD/text")
[ "$(echo "$rows" | wc -l)" -eq 30 ] || fail "want 30 site rows (5 per kind), got $(echo "$rows" | wc -l)"
[ -z "$(echo "$rows" | sort | uniq -c | awk '$1 > 5')" ] || fail "more than 5 rows of a kind"
first_site=$(grep -n '^SITE ' "$TMPD/text" | head -n 1 | cut -d: -f1)
[ "$first_site" -le 20 ] || fail "the site table starts at line $first_site, not on the first screen"
grep -q '^2970 more sites not shown: ptfreeze report --all$' "$TMPD/text" || fail "no line saying 2970 sites are not shown"
# The kind table adds up to the summary's events.
"$PY" - "$TMPD/text" "$TMPD/one" <<'PYEOF' || fail "the kind table does not add up to the summary's events"
import glob, json, re, sys
text = open(sys.argv[1]).read()
kinds = re.findall(r"^(\S+) +(\d+) +(\d+) +(\d+)", text.split("\n\n")[1], re.M)
total = sum(int(k[2]) for k in kinds if k[0] != "KIND")
want = sum(json.loads(l)["events"] for f in glob.glob(sys.argv[2] + "/*.jsonl") for l in open(f)
           if json.loads(l)["type"] == "summary")
sys.exit(0 if total == want else 1)
PYEOF
pf report --all "$TMPD/one"
expect_status 1 "report --all"
n=$(awk '/^SITE /{on=1;next} on&&/^ *[0-9]+  /{n++} on&&!/^ *[0-9]+  /{exit} END{print n+0}' "$TMPD/out")
[ "$n" -eq 3000 ] || fail "--all: want 3000 site rows, got $n"
grep -q 'more sites not shown' "$TMPD/out" && fail "--all still hides sites"

pf report --suppressions-out "$TMPD/gen.supp" "$TMPD/one"
[ -z "$(grep -v '^#\|^$' "$TMPD/gen.supp" | sort | uniq -d)" ] || fail "--suppressions-out wrote a rule twice"

# --- 119 processes ---
"$PY" "$GEN" "$tpl" "$TMPD/many" --records 11900 --procs 119 --distinct 500 --common 60 || hard "gen-report failed"
pf report "$TMPD/many"
expect_status 1 "report on 119 processes"
head -n 1 "$TMPD/out" | grep -q '^ptfreeze report: 119 processes' || fail "the totals do not count 119 processes"
grep -q '^119 processes, alike ones on one line' "$TMPD/out" || fail "no process table for 119 processes"
[ "$(grep -c '^process ' "$TMPD/out")" -eq 0 ] || fail "119 processes printed as blocks of facts"
grep -qE '^ +118  cxxsite +[0-9]+-[0-9]+ +armed +fork children ' "$TMPD/out" ||
	{ grep -A4 '^119 processes' "$TMPD/out"; fail "the 118 fork children are not one line"; }
[ "$(wc -l < "$TMPD/out")" -lt 1000 ] || fail "119 processes: $(wc -l < "$TMPD/out") lines of text"
pf report --all "$TMPD/many"
[ "$(grep -c '^process ' "$TMPD/out")" -eq 119 ] || fail "--all: not every process's facts"
exit 0
