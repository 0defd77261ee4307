#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Suppressions (PTFREEZE_SUPPRESS), judged from outside: the probe makes
# every kind of page-table change from its own function after arming.
#  - any number of rules loads (1501 here, past the 256 kept in static storage);
#  - --suppressions-out writes each rule once;
#  - a rule for one site: that site has no record and no stderr line, its
#    calls are counted under the rule in the summary, the others are kept;
#  - strict mode: the suppressed munmap goes ahead (the page is gone), the
#    other calls are still refused;
#  - round trip: report -> ptfreeze report --suppressions-out -> rerun with
#    the file -> ptfreeze report exits 0 and shows the suppressed calls;
#  - malformed lines: one error line each with FILE:LINE, the good rules
#    still load, the program's output is unchanged; an unreadable file is
#    one line.
. "${srcdir:-$(dirname "$0")}/lib.sh"
need_python
probe=$PROGS/probe
lib=$PROGS/.libs/libdlopen_target.so
[ -f "$lib" ] || hard "no $lib"
PF=$top_builddir/tools/ptfreeze
need_command
[ -x "$PF" ] || hard "no $PF"
# Page-fault sites are suppressible too, but this test counts page-table call sites.
export PTFREEZE_ARM=signal:USR2 PTFREEZE_LOG=stderr PTFREEZE_FAULTS=off

# The parent's report in directory $1.
main_report() { grep -l '"fork_child":false' "$1"/r-*.jsonl; }

# site_kinds REPORT: the kinds of its site records, sorted, one per line.
site_kinds() {
	"$PY" -c 'import json,sys
print("\n".join(sorted(json.loads(l)["kind"] for l in open(sys.argv[1]) if json.loads(l)["type"]=="site")))' "$1"
}
# suppressed REPORT: "RULE|SITES|COUNT" per rule of the summary.
suppressed() {
	"$PY" -c 'import json,sys
s=[json.loads(l) for l in open(sys.argv[1]) if json.loads(l)["type"]=="summary"][0]
for r in s["suppressed"]: print("%s|%d|%d" % (r["rule"], r["sites"], r["count"]))' "$1"
}

# --- baseline: no suppressions ---
d=$TMPD/base; mkdir -p "$d"
PTFREEZE_REPORT="$d/r-%p.jsonl" shim "$probe" "$lib" > "$TMPD/base.out" 2> "$TMPD/base.err" || fail "probe failed (baseline)"
base=$(main_report "$d")
site_kinds "$base" | grep -qx munmap || fail "baseline: no munmap site"
grep -q 'recorded munmap' "$TMPD/base.err" || fail "baseline: no stderr line for munmap"
nbase=$(site_kinds "$base" | wc -l)

# --- one site suppressed (report mode) ---
supp=$TMPD/one.supp
printf '# the probe unmaps part of its start-up mapping on purpose\n\nmunmap   fun:do_munmap_part   # by function\nmprotect fun:no_such_function\n' > "$supp"
d=$TMPD/one; mkdir -p "$d"
PTFREEZE_SUPPRESS=$supp PTFREEZE_REPORT="$d/r-%p.jsonl" shim "$probe" "$lib" > "$TMPD/one.out" 2> "$TMPD/one.err" ||
	fail "probe failed (one rule)"
r=$(main_report "$d")
site_kinds "$r" | grep -qx munmap && fail "the suppressed munmap site is in the report"
site_kinds "$r" | grep -qx mprotect || fail "the mprotect site (no rule matches it) is missing"
[ "$(site_kinds "$r" | wc -l)" -eq $((nbase - 1)) ] || fail "expected $((nbase - 1)) sites, got $(site_kinds "$r" | wc -l)"
grep -q 'munmap' "$TMPD/one.err" && { cat "$TMPD/one.err"; fail "a stderr line names the suppressed munmap"; }
suppressed "$r" | grep -qx 'munmap fun:do_munmap_part|1|1' || { suppressed "$r"; fail "the rule's count is not 1 call at 1 site"; }
suppressed "$r" | grep -qx 'mprotect fun:no_such_function|0|0' || fail "the unused rule is not listed with 0"
"$PF" report "$r" > "$TMPD/one.txt" && fail "ptfreeze report exits 0 with violations left"
grep -q 'munmap fun:do_munmap_part' "$TMPD/one.txt" || fail "ptfreeze report does not show the rule"

# A module pattern: every mprotect from the probe's own code.
printf 'mprotect mod:probe\n' > "$TMPD/mod.supp"
d=$TMPD/mod; mkdir -p "$d"
PTFREEZE_SUPPRESS=$TMPD/mod.supp PTFREEZE_REPORT="$d/r-%p.jsonl" shim "$probe" "$lib" > /dev/null 2>&1 || fail "probe failed (mod:)"
r=$(main_report "$d")
site_kinds "$r" | grep -qx mprotect && fail "mod:probe did not take the mprotect site"
suppressed "$r" | grep -qx 'mprotect mod:probe|1|1' || fail "mod: rule not counted"

# --- strict mode: the suppressed munmap goes ahead, the rest is refused ---
d=$TMPD/strict; mkdir -p "$d"
PTFREEZE_MODE=strict PTFREEZE_SUPPRESS=$supp PTFREEZE_REPORT="$d/r-%p.jsonl" shim "$probe" "$lib" --shared > "$TMPD/strict.out" 2>/dev/null ||
	fail "probe failed (strict)"
cat "$TMPD/strict.out"
grep -q '^munmap ok' "$TMPD/strict.out" || fail "strict: the suppressed munmap was refused"
grep -q '^still-mapped no' "$TMPD/strict.out" || fail "strict: the suppressed munmap did not unmap the page"
for c in mprotect madvise mremap; do
	grep -q "^$c fail EPERM" "$TMPD/strict.out" || fail "strict: $c was not refused"
done
r=$(main_report "$d")
site_kinds "$r" | grep -qx munmap && fail "strict: the suppressed munmap has a site record"
suppressed "$r" | grep -qx 'munmap fun:do_munmap_part|1|1' || fail "strict: the rule did not count the munmap"

# --- round trip: report -> --suppressions-out -> rerun -> exit 0 ---
gen=$TMPD/gen.supp
"$PF" report --suppressions-out "$gen" "$TMPD/base" > /dev/null 2>&1
[ $? -eq 1 ] || fail "ptfreeze report of the baseline did not exit 1"
cat "$gen"
nrules=$(grep -vc '^#\|^$' "$gen")
[ "$nrules" -ge 1 ] && [ "$nrules" -le "$nbase" ] || fail "expected 1 to $nbase rules in the generated file, got $nrules"
[ -z "$(grep -v '^#\|^$' "$gen" | sort | uniq -d)" ] || fail "a rule is written twice"
d=$TMPD/rt; mkdir -p "$d"
PTFREEZE_SUPPRESS=$gen PTFREEZE_REPORT="$d/r-%p.jsonl" shim "$probe" "$lib" > "$TMPD/rt.out" 2> "$TMPD/rt.err" || fail "probe failed (round trip)"
grep -q 'PTFREEZE_SUPPRESS' "$TMPD/rt.err" && fail "the generated file has lines the shim rejects"
"$PF" report "$d" > "$TMPD/rt.txt"
st=$?
cat "$TMPD/rt.txt" | head -30
[ $st -eq 0 ] || fail "ptfreeze report exits $st with every site suppressed"
grep -q 'taken by suppression rules' "$TMPD/rt.txt" || fail "ptfreeze report does not show the suppressed calls"
[ -z "$(site_kinds "$(main_report "$d")")" ] || fail "site records remain with every site suppressed"

# --- malformed lines: one error each, the rest loads, the program is unchanged ---
bad=$TMPD/bad.supp
printf 'munmpa fun:x\nmunmap fun:do_munmap_part\nmadvise sym:foo\n# fine\nmremap fun:a fun:b fun:c fun:d fun:e fun:f fun:g fun:h fun:i\n' > "$bad"
d=$TMPD/bad; mkdir -p "$d"
PTFREEZE_SUPPRESS=$bad PTFREEZE_REPORT="$d/r-%p.jsonl" shim "$probe" "$lib" > "$TMPD/bad.out" 2> "$TMPD/bad.err" || fail "probe failed (malformed file)"
cat "$TMPD/bad.err"
[ "$(grep -c "error: PTFREEZE_SUPPRESS: $bad:" "$TMPD/bad.err")" -eq 3 ] || fail "expected 3 error lines"
for l in 1 3 5; do
	grep -q "PTFREEZE_SUPPRESS: $bad:$l: .*line ignored" "$TMPD/bad.err" || fail "no error line for line $l"
done
cmp -s "$TMPD/base.out" "$TMPD/bad.out" || fail "the program's output changed"
suppressed "$(main_report "$d")" | grep -qx 'munmap fun:do_munmap_part|1|1' || fail "the good rule did not load"

PTFREEZE_SUPPRESS=$TMPD/missing.supp PTFREEZE_REPORT="$d/m-%p.jsonl" shim "$probe" "$lib" > "$TMPD/miss.out" 2> "$TMPD/miss.err" ||
	fail "probe failed (missing file)"
[ "$(grep -c 'PTFREEZE_SUPPRESS' "$TMPD/miss.err")" -eq 1 ] || fail "an unreadable file is not exactly one line"
grep -q "cannot read '$TMPD/missing.supp'" "$TMPD/miss.err" || fail "the line does not name the file"
cmp -s "$TMPD/base.out" "$TMPD/miss.out" || fail "the program's output changed (missing file)"

# --- any number of rules: 1500 that match nothing, then the munmap's, all loaded and counted ---
many=$TMPD/many.supp
i=0
while [ $i -lt 1500 ]; do echo "mprotect fun:no_such_function_$i"; i=$((i + 1)); done > "$many"
echo 'munmap fun:do_munmap_part' >> "$many"
d=$TMPD/many; mkdir -p "$d"
PTFREEZE_SUPPRESS=$many PTFREEZE_REPORT="$d/r-%p.jsonl" shim "$probe" "$lib" > "$TMPD/many.out" 2> "$TMPD/many.err" ||
	fail "probe failed (1501 rules)"
grep 'PTFREEZE_SUPPRESS' "$TMPD/many.err" && fail "1501 rules: a line on stderr"
r=$(main_report "$d")
site_kinds "$r" | grep -qx munmap && fail "1501 rules: rule 1501 did not take the munmap site"
suppressed "$r" | grep -qx 'munmap fun:do_munmap_part|1|1' || fail "1501 rules: the last rule is not counted"
[ "$(suppressed "$r" | wc -l)" -eq 1501 ] || fail "1501 rules: the summary lists $(suppressed "$r" | wc -l)"
cmp -s "$TMPD/base.out" "$TMPD/many.out" || fail "the program's output changed (1501 rules)"
exit 0
