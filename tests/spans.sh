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
# pool in 1 run of 16 with every build since spans.  Anonymous mappings
# are blocks of spans too: what a program unmapped serves its malloc
# (mapfirst), and mappings unmapped or protected in part keep every byte
# and give the parts back (mapparts), and a signal handler that maps while
# its thread holds spans' lock does not wait for it (mapsignal).
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

# The other way round: anonymous mappings are spans' blocks too, so the
# memory a program mapped and unmapped serves its malloc after arming
# (before: the served mappings' own free table kept 40 MiB and a 64M pool
# grew to 128M, a pool-exhausted site after arming).
PTFREEZE_POOL=64M PTFREEZE_POOL_GROW=64M PTFREEZE_ARM=manual PTFREEZE_LOG=off PTFREEZE_REPORT="$TMPD/mf.jsonl" \
	shim "$prog" mapfirst $((40 << 20)) || fail "spans mapfirst failed"
size=$(json_get "$TMPD/mf.jsonl" summary 'r["pool"]["size"]') || fail "no summary in the mapfirst report"
note "mapfirst: pool $((size >> 20)) MiB at exit"
[ "$size" -eq $((64 << 20)) ] || fail "the pool grew to $((size >> 20)) MiB: malloc did not get the pages the mappings had"

# Mappings taken apart (a middle unmapped and mapped again, a head
# protected and unprotected, a tail unmapped) split their blocks of spans:
# every byte still mapped keeps its contents, every new mapping reads zero,
# and what spans holds in blocks at exit is what is still served or kept
# in the served mappings' free table (a block protected in part is pmap's
# own from then on): nothing unmapped is lost.
PTFREEZE_POOL=64M PTFREEZE_ARM=manual PTFREEZE_LOG=off PTFREEZE_REPORT="$TMPD/mp.jsonl" \
	shim "$prog" mapparts 2000 || fail "spans mapparts failed"
used=$(json_get "$TMPD/mp.jsonl" summary 'r["spans"]["used"]') || fail "no spans in the mapparts summary"
served=$(json_get "$TMPD/mp.jsonl" summary 'r["served_mmap_bytes"] + r["served_free_bytes"]') ||
	fail "no served_mmap_bytes or served_free_bytes in the mapparts summary"
note "mapparts: $((served >> 10)) KiB served or kept for mappings, $((used >> 10)) KiB in blocks of spans at exit"
[ "$used" -gt 0 ] || fail "spans held no block: the mappings did not come from it"
[ "$used" -le "$served" ] || fail "spans holds $used bytes in blocks but only $served are served or kept for mappings: parts unmapped were lost"

# A signal handler that maps and unmaps, interrupting a thread inside
# spans: the mapping does without spans after a bounded wait (it waited for
# the lock forever, and the process hung, when mappings first came from
# spans).  Not armed: served mappings are the same before arming.
out=$(PTFREEZE_POOL=64M PTFREEZE_LOG=off timeout 120 env LD_PRELOAD="$SHIM" "$prog" mapsignal 2000) ||
	fail "spans mapsignal failed or hung (exit $?)"
note "mapsignal: $out"
exit 0
