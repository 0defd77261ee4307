#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# The shim's fixed cost in memory, judged from /proc: an armed program that
# allocates next to nothing, with a 16M pool and every default, may use at
# most 15 MiB more than without the shim besides its pool (VmRSS plus
# HugetlbPages, the footprint bench/pair.py counts).  It was 17.8 MiB
# before the populate at arming left out jemalloc's radix tree but the
# pool's entries and capped its base's slack (docs/design.md); 11.9 MiB now
# (13.4 in the UBSan build of tools/sanitize.sh), of which the thread-stack
# cache is 4.3.  Issue 15 holds the footprint to 1.2x the peer's, and a
# small working set feels this cost most.
. "${srcdir:-$(dirname "$0")}/lib.sh"
plain=$("$PROGS/fixedcost") || hard "fixedcost failed without the shim"
# Median of three: the sampler's ring and the page cache move a page or two.
for i in 1 2 3; do
	PTFREEZE_POOL=16M PTFREEZE_ARM=manual PTFREEZE_LOG=off PTFREEZE_REPORT="$TMPD/r-$i.jsonl" \
		shim "$PROGS/fixedcost" || fail "fixedcost failed under the shim"
done > "$TMPD/kib"
with=$(sort -n "$TMPD/kib" | sed -n 2p)
cost=$((with - plain - 16384))
note "footprint $with KiB under the shim ($(tr '\n' ' ' < "$TMPD/kib")), $plain without; fixed cost $cost KiB besides the 16M pool"
[ "$cost" -le $((15 * 1024)) ] || fail "the shim's fixed cost is $cost KiB besides the pool (at most 15 MiB)"
exit 0
