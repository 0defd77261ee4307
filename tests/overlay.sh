#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# MAP_FIXED over an anonymous block the shim served from its pool (a ring
# buffer mapped twice over a reservation): the program sees exactly what it
# sees without the shim; after arming the overlay and its unmapping are
# recorded (report) or the overlay refused (strict), and memory given back
# is zero when mapped again.
. "${srcdir:-$(dirname "$0")}/lib.sh"
export PTFREEZE_LOG=off PTFREEZE_ARM=manual PTFREEZE_POOL=16M
want=$("$PROGS/overlay") || fail "overlay fails without the shim: $want"
got=$(PTFREEZE_REPORT="$TMPD/r.jsonl" shim "$PROGS/overlay") || fail "overlay fails under the shim: $got"
[ "$got" = "$want" ] || fail "under the shim: '$got', without: '$want'"
grep '"type":"site"' "$TMPD/r.jsonl" | grep -q '"kind":"mmap".*fixed-address mapping over a block served' ||
	fail "the armed overlay is not in the report"
grep '"type":"site"' "$TMPD/r.jsonl" | grep -q '"kind":"munmap".*laid over pool memory' ||
	fail "the armed unmapping of the overlay is not in the report"
got=$(PTFREEZE_MODE=strict PTFREEZE_REPORT="$TMPD/s.jsonl" shim "$PROGS/overlay")
printf '%s\n' "$got" | grep -q "^start-up: pped$" || fail "strict: start-up ring broken: $got"
printf '%s\n' "$got" | grep -q "^armed: fixed errno 1$" || fail "strict: the armed overlay was not refused with EPERM: $got"
exit 0
