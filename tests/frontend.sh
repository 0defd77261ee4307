#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# The small-object front end (src/front.c, docs/design.md "The small-object
# front end"), judged from the program's own checks, its getrusage and the
# report: blocks up to 20 KiB freed by other threads, by threads that exited
# (their heaps adopted by new ones) and in a fork child keep their
# contents; calloc of just-freed, dirtied sizes is zero; realloc across
# classes keeps the contents; malloc_usable_size covers the request;
# aligned allocations are aligned.  Armed, the program takes no fault,
# the pool does not run out (no pool-exhausted record) and the report has
# no violation.  With PTFREEZE_FRONT=on the summary shows front pages in
# use and few thread heaps (exited threads' heaps are taken over), with off
# none; a malformed value is one line and the default kept.  A pool that
# fills after arming first takes the area's unused pages back.
# The front turns on at arming (or once the pool is prefaulted, or the
# program takes pool memory): the program's checks run before and after.
# A program that takes pool memory before arming (8 MiB of 64 KiB blocks)
# has its small blocks in the front's area from then on, before arming;
# one that allocates only a few small blocks has none there before arming
# (addresses against the area's range from PTFREEZE_VERBOSE=2).
. "${srcdir:-$(dirname "$0")}/lib.sh"
prog=$PROGS/frontend
[ -x "$prog" ] || fail "$prog is not built"
export PTFREEZE_ARM=manual PTFREEZE_LOG=off PTFREEZE_FAULTS=off PTFREEZE_POOL=128M PTFREEZE_POOL_GROW=0

# run NAME [env...]: runs the program under the shim, its output in $TMPD/NAME.out, its
# report $TMPD/NAME.jsonl, and checks every value it prints is 0 and the report.
run() {
	name=$1
	shift
	keys="prodcon_bad waves_bad calloc_dirty realloc_bad usable_bad align_bad minor"
	env "$@" PTFREEZE_REPORT="$TMPD/$name.jsonl" LD_PRELOAD="$SHIM" "$prog" 100000 > "$TMPD/$name.out" 2> "$TMPD/$name.err" ||
		fail "frontend ($name) failed: $(cat "$TMPD/$name.err")"
	sed "s/^/# $name: /" "$TMPD/$name.out"
	zeros "$name" $keys
	[ -s "$TMPD/$name.jsonl" ] || fail "$name: no report"
	if grep -qs '"type":"site"' "$TMPD/$name.jsonl"; then
		fail "$name: violations recorded: $(grep '"type":"site"' "$TMPD/$name.jsonl" | head -3)"
	fi
	if grep -qs 'pool-exhausted' "$TMPD/$name.jsonl"; then
		fail "$name: the pool ran out: $(grep 'pool-exhausted' "$TMPD/$name.jsonl" | head -1)"
	fi
}

# front_used NAME: the summary's front_pages.used.
front_used() { sed -n 's/.*"type":"summary".*"front_pages":{"used":\([0-9]*\).*/\1/p' "$TMPD/$1.jsonl"; }

# zeros NAME KEY...: every KEY=value line the program printed says 0.
zeros() {
	name=$1
	shift
	for k in "$@"; do
		v=$(sed -n "s/^$k=//p" "$TMPD/$name.out")
		[ "$v" = 0 ] || fail "$name: $k=${v:-missing} (want 0)"
	done
}

# in_area NAME KEY: how many KEY=address lines of the program lie in the front's area, whose
# range PTFREEZE_VERBOSE=2 prints ("front: N pages of 64 KiB at LO-HI").
in_area() {
	range=$(sed -n 's/.*front: [0-9]* pages of 64 KiB at \(0x[0-9a-f]*-0x[0-9a-f]*\).*/\1/p' "$TMPD/$1.err")
	[ -n "$range" ] || fail "$1: no 'front: ... at LO-HI' line with PTFREEZE_VERBOSE=2: $(head -3 "$TMPD/$1.err")"
	lo=${range%-*} hi=${range#*-} inside=0
	for a in $(sed -n "s/^$2=//p" "$TMPD/$1.out"); do
		[ $((a)) -ge $((lo)) ] && [ $((a)) -lt $((hi)) ] && inside=$((inside + 1))
	done
	echo "$inside"
}

# With 128M the area (4 MiB) fills up and the rest of the small blocks come from jemalloc;
# the default run below has 256M, where it does not.
run on PTFREEZE_FRONT=on
u=$(front_used on)
[ "${u:-0}" -gt 0 ] || fail "PTFREEZE_FRONT=on: no front page in use (front_pages.used=${u:-missing})"
# 52 threads get a heap after arming, at most 5 at a time: each exiting thread's heap goes
# to the next new thread, so few heaps are made (without that, one a thread).
h=$(sed -n 's/.*"type":"summary".*"front_pages":{[^}]*"heaps":\([0-9]*\).*/\1/p' "$TMPD/on.jsonl")
[ -n "$h" ] && [ "$h" -le 8 ] || fail "PTFREEZE_FRONT=on: ${h:-no} heaps made for 52 threads, at most 5 at a time"
run off PTFREEZE_FRONT=off
u=$(front_used off)
[ "$u" = 0 ] || fail "PTFREEZE_FRONT=off: front_pages.used=${u:-missing}"
# The default is on.
run default PTFREEZE_POOL=256M
u=$(front_used default)
[ "${u:-0}" -gt 0 ] || fail "the default: no front page in use (front_pages.used=${u:-missing})"
# A malformed value: one line naming the variable, the default (on) kept.
run bad PTFREEZE_FRONT=maybe PTFREEZE_VERBOSE=0
n=$(grep -c PTFREEZE_FRONT "$TMPD/bad.err")
[ "$n" = 1 ] || fail "PTFREEZE_FRONT=maybe: $n lines naming it on stderr: $(cat "$TMPD/bad.err")"
u=$(front_used bad)
[ "${u:-0}" -gt 0 ] || fail "PTFREEZE_FRONT=maybe did not keep the default (front_pages.used=${u:-missing})"
# Blocks above 1 KiB (up to 16 KiB) are the front's too, but take pages only while half of the
# area is left; the other half is for the small classes.  Armed, 2000 blocks of 8000 bytes (250
# pages' worth): about half of the area, the rest from jemalloc; then 200000 of 64 bytes fill the
# rest.  Neither run may run out of pool or record a violation.
fill() {
	name=$1
	shift
	PTFREEZE_REPORT="$TMPD/$name.jsonl" PTFREEZE_POOL=256M LD_PRELOAD="$SHIM" "$prog" fill "$@" > "$TMPD/$name.out" 2> "$TMPD/$name.err" ||
		fail "frontend fill $* failed: $(cat "$TMPD/$name.err")"
	grep -qs '"type":"site"\|pool-exhausted' "$TMPD/$name.jsonl" && fail "fill $*: $(grep '"type":"site"\|pool-exhausted' "$TMPD/$name.jsonl" | head -2)"
	used=$(front_used "$name")
	total=$(sed -n 's/.*"type":"summary".*"front_pages":{[^}]*"total":\([0-9]*\).*/\1/p' "$TMPD/$name.jsonl")
	[ -n "$used" ] && [ -n "$total" ] || fail "fill $*: no front_pages in the summary"
	echo "# fill $*: front pages $used of $total"
}
fill big 2000 8000 0
half=$((total / 2))
[ "$used" -ge $((half - 1)) ] || fail "2000 blocks of 8000 bytes took $used front pages of $total (want about half: 8 KiB blocks come from the front)"
[ "$used" -le $((half + 2)) ] || fail "2000 blocks of 8000 bytes took $used front pages of $total (want at most half: the rest is the small classes')"
fill mixed 2000 8000 200000
[ "$used" -ge $((total - 1)) ] || fail "small blocks after large ones: $used front pages of $total (want the whole area)"
# The pool full after arming: before it grows, the front gives the 2 MiB pages of its area its
# heaps have not needed (beyond as many again as they use) back, and large blocks are cut from
# them.  192 MiB of 1 MiB blocks in a 128M pool (area 8 MiB, its heaps use about 1.5): some block
# lies in the area, every
# block keeps its contents through a free and a second round, and small blocks still work.
PTFREEZE_REPORT="$TMPD/giveback.jsonl" PTFREEZE_POOL=128M PTFREEZE_POOL_GROW=64M PTFREEZE_VERBOSE=2 LD_PRELOAD="$SHIM" \
	"$prog" giveback 192 > "$TMPD/giveback.out" 2> "$TMPD/giveback.err" ||
	fail "frontend giveback failed: $(cat "$TMPD/giveback.err")"
zeros giveback giveback_bad prodcon_bad
gb=$(sed -n 's/.*"type":"summary".*"front_pages":{[^}]*"given_back":\([0-9]*\).*/\1/p' "$TMPD/giveback.jsonl")
[ "${gb:-0}" -gt 0 ] || fail "giveback: the pool grew and the front gave nothing back (front_pages.given_back=${gb:-missing})"
inside=$(in_area giveback big)
[ "$inside" -gt 0 ] || fail "giveback: no 1 MiB block in the front's area ($gb pages given back)"
echo "# giveback: $gb front pages given back, $inside blocks of 1 MiB cut from them"
# early NAME KIB [env...]: small blocks allocated before arming, after KIB KiB of 64 KiB blocks;
# prints how many of the 200 lie in the front's area.
early() {
	name=$1 kib=$2
	shift 2
	env "$@" PTFREEZE_REPORT="$TMPD/$name.jsonl" PTFREEZE_VERBOSE=2 LD_PRELOAD="$SHIM" "$prog" early "$kib" \
		> "$TMPD/$name.out" 2> "$TMPD/$name.err" || fail "frontend early $kib failed: $(cat "$TMPD/$name.err")"
	zeros "$name" early_bad minor
	in_area "$name" small
}
n=$(early early-big 8192)
[ "$n" = 200 ] || fail "8 MiB taken from the pool before arming, then 200 small blocks: $n of them in the front's area (want 200)"
# Manual arming, but the grace period is half the delay: 5 minutes, not 500 ms.
n=$(early early-small 0 PTFREEZE_ARM=delay:600s)
[ "$n" = 0 ] || fail "200 small blocks and nothing else before arming: $n of them in the front's area (want 0)"
echo "# early: the front served small blocks before arming once the program took pool memory, and not before"
# A fork while producer/consumer threads run: the child's blocks keep their contents.  Its only
# violation is the fork itself (after arming, so that the front is on whatever turned it on).
PTFREEZE_REPORT="$TMPD/fork-%p.jsonl" PTFREEZE_FRONT=on LD_PRELOAD="$SHIM" "$prog" 100000 fork > "$TMPD/fork.out" 2> "$TMPD/fork.err" ||
	fail "frontend (fork) failed: $(cat "$TMPD/fork.err")"
sed "s/^/# fork: /" "$TMPD/fork.out"
for k in fork_child prodcon_bad waves_bad; do
	v=$(sed -n "s/^$k=//p" "$TMPD/fork.out")
	[ "$v" = 0 ] || fail "fork: $k=${v:-missing} (want 0)"
done
parent=$(grep -l '"type":"summary"' "$TMPD"/fork-*.jsonl | head -1)
[ -n "$parent" ] || fail "fork: no report with a summary"
if grep -h '"type":"site"' "$TMPD"/fork-*.jsonl | grep -v '"kind":"fork"' | grep -q .; then
	fail "fork: violations besides the fork: $(grep -h '"type":"site"' "$TMPD"/fork-*.jsonl | grep -v '"kind":"fork"' | head -3)"
fi
if grep -qs 'pool-exhausted' "$TMPD"/fork-*.jsonl; then
	fail "fork: the pool ran out"
fi
u=$(sed -n 's/.*"type":"summary".*"front_pages":{"used":\([0-9]*\).*/\1/p' "$parent" | head -1)
[ "${u:-0}" -gt 0 ] || fail "fork: no front page in use (front_pages.used=${u:-missing})"
exit 0
