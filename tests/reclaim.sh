#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Memory a program freed serves a later request larger than what the pool
# has left to carve, without growing the pool: jemalloc does not coalesce
# the empty slabs of small blocks, so the shim has every arena hand its free
# extents to the spare map, where they coalesce (a reclaim), and gives back
# what the block cache holds before the pool may grow.  Judged from the
# report (no pool-grow record after arming; the summary's spare.reclaims,
# for the slabs),
# and from getrusage in the program (the block came resident: no fault).
. "${srcdir:-$(dirname "$0")}/lib.sh"
prog=$PROGS/reclaim
for mode in plain cache; do
	flag=
	[ $mode = cache ] && flag=-c
	rm -f "$TMPD"/r.jsonl*
	PTFREEZE_POOL=64M PTFREEZE_ARM=manual PTFREEZE_REPORT="$TMPD/r.jsonl" shim "$prog" $flag 40 24 > "$TMPD/out" 2> "$TMPD/err" ||
		fail "$mode: reclaim failed under the shim: $(cat "$TMPD/err")"
	note "$mode: $(cat "$TMPD/out")"
	grep -q '"type":"summary"' "$TMPD/r.jsonl" || fail "$mode: no summary in the report"
	grow=$(grep '"type":"pool-grow"' "$TMPD/r.jsonl" | grep '"armed":true' || true)
	[ -z "$grow" ] || fail "$mode: the pool grew after arming although freed memory could serve the request: $grow"
	r=$(sed -n 's/.*"type":"summary".*"spare":{"bytes":[0-9]*,"reclaims":\([0-9]*\)}.*/\1/p' "$TMPD/r.jsonl")
	[ -n "$r" ] || fail "$mode: the summary has no spare.reclaims"
	# Only the empty slabs need a reclaim; what the cache gives back may coalesce in jemalloc alone.
	[ $mode = cache ] || [ "$r" -ge 1 ] || fail "$mode: no reclaim counted (spare.reclaims=$r)"
	grep -q '^big 24 MiB: faults 0$' "$TMPD/out" || fail "$mode: the large block was not resident: $(cat "$TMPD/out")"
done
exit 0
