#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Resident everything: with PTFREEZE_MLOCKALL=1 a call into a never-used
# code page of a linked library after arming takes no fault, and with
# PTFREEZE_STACK_PREFAULT a deep recursion on the main stack takes none;
# without them the same program does fault (so the measure can fail).
. "${srcdir:-$(dirname "$0")}/lib.sh"
prog=$PROGS/coldcall
set -- $(PTFREEZE_MLOCKALL=0 PTFREEZE_STACK_PREFAULT=0 shim "$prog")
note "off: code faults $2, stack faults $4"
[ "$2" -ge 1 ] || skip "the cold code page did not fault even without mlockall (already resident?)"
[ "$4" -ge 1 ] || fail "the deep recursion took no fault without a stack prefault: the measure is broken"
set -- $(PTFREEZE_MLOCKALL=1 PTFREEZE_STACK_PREFAULT=1M PTFREEZE_REPORT="$TMPD/r.jsonl" shim "$prog" 2>"$TMPD/err")
note "on: code faults $2, stack faults $4"
if grep -q '"mlockall":"refused"' "$TMPD/r.jsonl"; then
	grep -q "PTFREEZE_MLOCKALL: mlockall refused" "$TMPD/err" || fail "refused mlockall not explained"
	skip "mlockall refused here (RLIMIT_MEMLOCK): $(cat "$TMPD/err")"
fi
grep -q '"mlockall":"locked"' "$TMPD/r.jsonl" || fail "arm record does not say the process was locked"
[ "$2" -eq 0 ] || fail "cold code page: $2 faults with PTFREEZE_MLOCKALL=1"
[ "$4" -eq 0 ] || fail "deep recursion: $4 faults with PTFREEZE_STACK_PREFAULT=1M"
exit 0
