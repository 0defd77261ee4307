#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# TLB shootdowns in the summary, judged from outside: /proc/interrupts read
# before and after the run brackets the summary's system-wide counts at
# arming and at exit, during_armed is their difference, and the process's
# own calls that can cause shootdowns are exactly the mprotects it made
# while armed; `ptfreeze report` shows the same figures in text and --json.
. "${srcdir:-$(dirname "$0")}/lib.sh"
need_python
grep -q '^ *TLB:' /proc/interrupts || skip "this kernel has no TLB line in /proc/interrupts"
tlb() { awk '/^ *TLB:/{s=0; for (i=2; i<=NF; i++) if ($i ~ /^[0-9]+$/) s+=$i; print s}' /proc/interrupts; }
before=$(tlb)
PTFREEZE_ARM=manual PTFREEZE_LOG=off PTFREEZE_REPORT="$TMPD/r.jsonl" shim "$PROGS/shootdown" 2000 > "$TMPD/out.txt" ||
	fail "shootdown failed"
after=$(tlb)
cat "$TMPD/out.txt"
made=$(sed -n 's/^mprotects \([0-9]*\) .*/\1/p' "$TMPD/out.txt")
"$PY" - "$TMPD/r.jsonl" "$before" "$after" "$made" <<'PYEOF' || fail "the summary's shootdown figures are wrong"
import json, sys
rep, before, after, made = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
s = [json.loads(l) for l in open(rep) if '"type":"summary"' in l][0]["tlb_shootdowns"]
assert s["scope"] == "system", s
assert before <= s["at_arm"] <= s["at_exit"] <= after, (before, s, after)
assert s["during_armed"] == s["at_exit"] - s["at_arm"], s
assert s["own_calls_that_can_shoot_down"] == made, (s, made)
print(f"ok - {s['during_armed']} shootdowns host-wide while armed (host: {after - before} during the run), {made} own calls")
if s["during_armed"] == 0:
    print("# no shootdown counted while armed (a preempted vCPU's flush can be deferred by the hypervisor)")
PYEOF
CLI=$top_builddir/tools/ptfreeze
need_command
"$CLI" report "$TMPD/r.jsonl" > "$TMPD/text"
during=$("$PY" -c 'import json,sys; print([json.loads(l) for l in open(sys.argv[1]) if "\"summary\"" in l][0]["tlb_shootdowns"]["during_armed"])' "$TMPD/r.jsonl")
grep -q "^  shootdowns  $during TLB shootdowns on the whole host while armed; this process made $made calls" "$TMPD/text" ||
	fail "report text does not show $during shootdowns and $made calls: $(grep shootdowns "$TMPD/text")"
"$CLI" report --json "$TMPD/r.jsonl" > "$TMPD/json"
"$PY" -c '
import json, sys
t = json.load(open(sys.argv[1]))["processes"][0]["tlb_shootdowns"]
assert t["during_armed"] == int(sys.argv[2]) and t["own_calls_that_can_shoot_down"] == int(sys.argv[3]), t
' "$TMPD/json" "$during" "$made" || fail "report --json does not carry the shootdown figures"
exit 0
