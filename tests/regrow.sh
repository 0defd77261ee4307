#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# realloc of blocks above 16 KiB (src/arena.c, docs/design.md "realloc"),
# judged from the addresses realloc returns, the program's own byte checks
# and getrusage, strace and the report: four buffers grown a quarter at a
# time to 16 MiB keep every byte through growth and shrink; a growth that
# cannot extend the block in place moves it to one with headroom, so at
# most one growth in two moves the block (plain jemalloc moves nearly all);
# the armed rounds take no fault and make no page-table call, and the
# pool does not grow after arming, whether it had room from the start
# (256M) or had to grow in the untimed rounds (64M); and with growth off
# (PTFREEZE_POOL_GROW=0) 288M is enough, where plain rallocx failed at 320M
# (the headroom is only taken while the pool has room for it).
. "${srcdir:-$(dirname "$0")}/lib.sh"
need_strace
prog=$PROGS/regrow

for case in 256M 64M 288M:0; do
	pool=${case%%:*} grow=64M
	[ "$case" = "$pool" ] || grow=${case#*:}
	rm -f "$TMPD"/report-*.jsonl
	PTFREEZE_POOL=$pool PTFREEZE_POOL_GROW=$grow PTFREEZE_ARM=manual PTFREEZE_LOG=off strace -f -o "$TMPD/strace.txt" \
		env LD_PRELOAD="$SHIM" "$prog" 16777216 2 > "$TMPD/out" || fail "regrow failed under the shim (pool $pool, growth $grow)"
	sed "s/^/# $pool: /" "$TMPD/out"
	steps=$(val steps) moves=$(val moves)
	[ "${steps:-0}" -gt 100 ] || fail "only ${steps:-?} growths above 16 KiB (pool $pool)"
	if [ "$pool" = 256M ]; then
		[ $((moves * 2)) -le "$steps" ] || fail "$moves of $steps growths moved the block: no headroom (pool $pool)"
	fi
	[ "$(val minor)" = 0 ] || fail "$(val minor) minor faults in the armed rounds (pool $pool)"
	rep=$(ls "$TMPD"/report-*.jsonl | head -1)
	[ -n "$rep" ] || fail "no report (pool $pool)"
	armed_quiet "$TMPD/strace.txt" "$rep" "pool $pool"
done
exit 0
