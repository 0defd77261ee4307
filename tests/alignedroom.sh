#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Allocations aligned beyond a page do not cost the pool the pages skipped
# to align them (src/arena.c, carve_aligned), judged from the report's
# summary: 24 blocks of 1 MiB at 8 MiB alignment and then 144 MiB of 256 KiB
# blocks need 168 MiB of memory; the pages between the aligned blocks go
# to spare and the 256 KiB blocks reuse them, so a 64M pool that grows by
# 64M steps ends at most at 256M (it reached 320M when the bump pointer
# skipped them for good, and 192M is what the aligned blocks' span alone
# would take).
. "${srcdir:-$(dirname "$0")}/lib.sh"
need_python
PTFREEZE_POOL=64M PTFREEZE_POOL_GROW=64M PTFREEZE_ARM=manual PTFREEZE_LOG=off PTFREEZE_REPORT="$TMPD/r.jsonl" \
	shim "$PROGS/alignedroom" 24 8388608 1048576 $((144 << 20)) || fail "alignedroom failed under the shim"
size=$(json_get "$TMPD/r.jsonl" summary 'r["pool"]["size"]') || fail "no summary in the report"
used=$(json_get "$TMPD/r.jsonl" summary 'r["pool_used"]') || fail "no pool_used in the summary"
note "pool $((size >> 20)) MiB at exit, $((used >> 20)) MiB handed out"
[ "$size" -le $((256 << 20)) ] || fail "the pool grew to $((size >> 20)) MiB (at most 256): aligned carves lose the pages they skip"
exit 0
