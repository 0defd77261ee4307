#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# The shim's own writable data is resident before arming: a program that
# arms and then uses every size class the shim serves itself (the front
# end, jemalloc's thread caches, the block cache) for the first time makes
# the shim fault nowhere in its own .data or .bss (the block cache's bins
# did, at the first realloc above 16 KiB).  Judged from the report's
# page-fault records; the same program writing a static array of its own
# after arming shows that the sampler records such a fault.  And the
# shim's first stack walk after arming, through a libc function whose
# unwind table entry nobody read before (lfind calling back), faults
# nowhere: getrusage around it (the walk's own faults are not the
# program's sites, so no record would show them).  Five runs: without the
# unwind tables made resident at arming, about two in five took a fault.
. "${srcdir:-$(dirname "$0")}/lib.sh"
prog=$PROGS/shimdata
PTFREEZE_REPORT="$TMPD/own.jsonl" shim "$prog" -s > "$TMPD/own.out" || fail "shimdata -s failed under the shim"
grep '"kind":"page-fault"' "$TMPD/own.jsonl"* | grep -q '"class":"bss","path":"[^"]*shimdata"' ||
	skip "the program's own .bss fault after arming was not recorded (no page-fault sampling here?): $(cat "$TMPD/own.out")"
for i in 1 2 3 4 5; do
	rm -f "$TMPD"/r.jsonl*
	PTFREEZE_REPORT="$TMPD/r.jsonl" shim "$prog" > "$TMPD/out" || fail "shimdata failed under the shim"
	note "run $i: $(cat "$TMPD/out")"
	hits=$(grep '"kind":"page-fault"' "$TMPD"/r.jsonl* | grep 'libptfreeze' || true)
	[ -z "$hits" ] || fail "the shim faulted in its own data after arming: $hits"
	grep -q '"kind":"mprotect"' "$TMPD"/r.jsonl* || fail "the comparator's mprotect was not recorded: the walk was not made"
	grep -q ' walk 0$' "$TMPD/out" || fail "the first stack walk after arming took faults: $(cat "$TMPD/out")"
done
exit 0
