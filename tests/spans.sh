#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# The span allocator behind the block cache (src/spans.c, PTFREEZE_SPANS),
# from outside.  Two threads replace blocks of 16 KiB - 4 MiB with
# cross-thread frees, realloc and malloc_usable_size, each block checked
# byte-wise, and a fork child frees and replaces the blocks it inherited:
# the armed round takes no fault (getrusage) and makes no page-table call
# (strace), the pool does not grow after arming, and the summary says
# spans served the blocks (and nothing with PTFREEZE_SPANS=off).  And
# memory spans holds goes back when jemalloc needs it: 40 MiB of 1 MiB
# blocks freed, then 40 MiB of 8 KiB blocks, fit a 64M pool without
# growing it (it grew to 128M when spans kept what it had freed).  Not 48
# MiB: the block cache keeps up to 8 of the freed blocks, which a program
# allocating only small blocks never takes back, and 48 MiB then grew the
# pool in 1 run of 16 with every build since spans.
. "${srcdir:-$(dirname "$0")}/lib.sh"
need_strace
need_python
prog=$PROGS/spans

for spans in on off; do
	rm -f "$TMPD"/r-*.jsonl
	PTFREEZE_SPANS=$spans PTFREEZE_POOL=256M PTFREEZE_ARM=manual PTFREEZE_LOG=off \
		PTFREEZE_REPORT="$TMPD/r-%p.jsonl" strace -f -o "$TMPD/strace.txt" \
		env LD_PRELOAD="$SHIM" "$prog" stress 2 20000 > "$TMPD/out" || fail "spans stress failed (spans $spans)"
	grep -q '^faults: minor=0$' "$TMPD/out" || fail "faults in the armed round (spans $spans): $(cat "$TMPD/out")"
	rep=$TMPD/r-$(sed -n 's/^pid: //p' "$TMPD/out").jsonl # the parent's, not the fork child's
	[ -f "$rep" ] || fail "no report (spans $spans)"
	armed_quiet "$TMPD/strace.txt" "$rep" "spans $spans"
	used=$(json_get "$rep" summary 'max(r["spans"]["chunks"], 0)') || fail "no spans in the summary"
	note "spans $spans: $((used >> 20)) MiB of the pool held by spans at exit"
	if [ "$spans" = on ]; then
		[ "$used" -gt 0 ] || fail "spans held nothing: the blocks did not come from it"
	else
		[ "$used" -eq 0 ] || fail "PTFREEZE_SPANS=off, but spans held $used bytes"
	fi
done

PTFREEZE_POOL=64M PTFREEZE_POOL_GROW=64M PTFREEZE_ARM=manual PTFREEZE_LOG=off PTFREEZE_REPORT="$TMPD/g.jsonl" \
	shim "$prog" giveback $((40 << 20)) $((40 << 20)) || fail "spans giveback failed"
size=$(json_get "$TMPD/g.jsonl" summary 'r["pool"]["size"]') || fail "no summary in the giveback report"
note "giveback: pool $((size >> 20)) MiB at exit"
[ "$size" -eq $((64 << 20)) ] || fail "the pool grew to $((size >> 20)) MiB: spans kept the memory it had freed"

# The same with anonymous mappings after arming (served from the pool): they
# too must find what spans freed (before: the pool grew to 128M, two
# pool-exhausted sites), and read zero.
PTFREEZE_POOL=64M PTFREEZE_POOL_GROW=64M PTFREEZE_ARM=manual PTFREEZE_LOG=off PTFREEZE_REPORT="$TMPD/gm.jsonl" \
	shim "$prog" giveback $((40 << 20)) $((40 << 20)) mmap || fail "spans giveback mmap failed"
size=$(json_get "$TMPD/gm.jsonl" summary 'r["pool"]["size"]') || fail "no summary in the giveback mmap report"
served=$(json_get "$TMPD/gm.jsonl" summary 'r["served_mmap_bytes"]') || fail "no served_mmap_bytes in the summary"
note "giveback mmap: pool $((size >> 20)) MiB at exit, $((served >> 20)) MiB served"
[ "$served" -ge $((40 << 20)) ] || fail "only $((served >> 20)) MiB of the mappings were served from the pool"
[ "$size" -eq $((64 << 20)) ] || fail "the pool grew to $((size >> 20)) MiB: the mappings did not get what spans freed"
exit 0
