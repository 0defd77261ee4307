#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# ptfreeze check, compared with what /proc and /sys say on this host (never
# hard-coded): THP mode, swap, the hugetlb shortfall and its nr_hugepages
# command for --pool, the exit status against the WARN/FAIL lines, the JSON
# document, and the same checks in a report header (host.checks).
. "$(dirname "$0")/lib.sh"
[ -r /proc/swaps ] || skip "no /proc/swaps"

pf check
[ "$st" -eq 0 ] || [ "$st" -eq 1 ] || fail "check: exit status $st, want 0 or 1 ($(cat "$TMPD/err"))"
cp "$TMPD/out" "$TMPD/table"
cat "$TMPD/table"
if grep -qE '^(WARN|FAIL) ' "$TMPD/table"; then want=1; else want=0; fi
[ "$st" -eq "$want" ] || fail "check: exit status $st, but the WARN/FAIL lines say $want"

thp=/sys/kernel/mm/transparent_hugepage/enabled
if [ -r "$thp" ]; then
	mode=$(sed 's/.*\[\(.*\)\].*/\1/' "$thp")
	grep -qE "^(PASS|WARN|FAIL)  thp-enabled +$mode" "$TMPD/table" || fail "check does not name THP mode '$mode'"
	case $mode in
	never) grep -q '^PASS  thp-enabled' "$TMPD/table" || fail "THP never must pass" ;;
	*) grep -qE "^(WARN|FAIL)  thp-enabled .*fix: echo never > $thp" "$TMPD/table" ||
		fail "THP $mode must warn or fail with the echo never fix" ;;
	esac
	note "THP is $mode, as check says"
fi

if [ "$(wc -l < /proc/swaps)" -le 1 ]; then
	grep -qE '^PASS  swap +off' "$TMPD/table" || fail "no swap, but check does not pass 'swap off'"
else
	grep -qE '^FAIL  swap .*fix: swapoff -a' "$TMPD/table" || fail "swap is on, but check does not fail it with swapoff -a"
fi

hp=/sys/kernel/mm/hugepages/hugepages-2048kB
if [ -r "$hp/nr_hugepages" ]; then
	total=$(cat "$hp/nr_hugepages") free=$(cat "$hp/free_hugepages")
	pf check --pool 1G
	line=$(grep 'hugepages-2M' "$TMPD/out")
	case "$line" in *"needs 512"*) ;; *) fail "--pool 1G: the hugepages line does not say it needs 512: $line" ;; esac
	# Other programs may reserve or use huge pages meanwhile: judge only a stable host.
	if [ "$total $free" != "$(cat "$hp/nr_hugepages") $(cat "$hp/free_hugepages")" ]; then
		note "huge pages changed during the check: the nr_hugepages command is not compared"
	elif [ "$free" -ge 512 ]; then
		case "$line" in PASS*) ;; *) fail "512 free pages cover a 1G pool: $line" ;; esac
	else
		case "$line" in
		*"echo $((total + 512 - free)) > "*nr_hugepages) ;;
		*) fail "--pool 1G with $total reserved, $free free: want echo $((total + 512 - free)) > ...nr_hugepages: $line" ;;
		esac
	fi
fi

pf check --json
"$PY" -m json.tool "$TMPD/out" > /dev/null 2>&1 || [ -z "$PY" ] || fail "check --json is not one JSON document"
if [ -n "$PY" ]; then
	"$PY" - "$TMPD/out" "$TMPD/table" "$st" <<'PY' || fail "check --json disagrees with the table"
import json, sys
d = json.load(open(sys.argv[1]))
table = open(sys.argv[2]).read().split("\n")
for c in d["checks"]:
    line = [l for l in table if l.split()[1:2] == [c["name"]]]
    assert line and line[0].startswith(c["status"]), (c, line)
bad = d["warn"] + d["fail"]
assert int(sys.argv[3]) == (1 if bad else 0), "exit status"
PY
fi

pf check --pool banana
expect_status 2 "check --pool banana"
one_error_line "check --pool banana" "--pool"
pf check stray
expect_status 2 "check with an argument"
one_error_line "check with an argument"

# The report header carries the same checks.
if [ -n "$PY" ]; then
	run_probe "$TMPD/r"
	"$PY" - "$TMPD"/r/r-*.jsonl <<'PY' || fail "the report header's host.checks"
import json, sys
h = json.loads(open(sys.argv[1]).readline())
names = [c["name"] for c in h["host"]["checks"]]
for n in ("swap", "thp-enabled", "khugepaged", "ksm", "numa-balancing", "hugepages-2M", "memlock"):
    assert n in names, n
PY
fi
note "check agrees with /proc and /sys"
exit 0
