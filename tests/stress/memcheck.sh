#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Memory integrity: tests/stress/memcheck fills every block it gets (malloc,
# calloc, posix_memalign/aligned_alloc/memalign at 16 B..64 KiB, realloc
# growth and shrink, anonymous mmap, mremap growth and shrink) with a
# pattern of its own seed, hands a fifth of them to other threads to free,
# and checks every byte; it first sweeps every alignment with tiny sizes.
# Runs, each must print "memcheck: ok":
#  1. without the shim (the reference);
#  2. under the shim, never armed: nothing recorded;
#  3. report mode, armed halfway: the only records are the program's own
#     resizing of mappings it made before arming (start-up mappings), never
#     a pool-exhausted or anything the shim did;
#  4. strict mode, armed halfway: those resizes are refused with EPERM, the
#     block is intact and kept; the refusals memcheck counted equal the
#     blocked events in the report;
#  5. report mode, armed, 8 threads on a 16M pool that keeps growing;
#  6. (strace) report mode, armed: the second half -- thousands of mmap,
#     mremap, munmap -- makes no page-table system call at all: it is all
#     served from the pool.
. "${srcdir:-$(dirname "$0")/..}/lib.sh"
. "${srcdir:-$(dirname "$0")/..}/fault/lib.sh"
MC=$top_builddir/tests/stress/memcheck
# First touches of the program's own .bss after arming are page faults it
# causes; this test judges the calls, so page-fault sampling is off.
export PTFREEZE_POOL=256M PTFREEZE_ARM=manual PTFREEZE_FAULTS=off
bytes=0 blocks=0
figures() { # OUTFILE WHAT: checks "memcheck: ok", notes and sums the figures
	grep -q '^memcheck: ok$' "$1" || fail "$2: $(cat "$1")"
	line=$(grep '^memcheck: threads' "$1")
	b=$(echo "$line" | sed 's/.*bytes verified \([0-9]*\).*/\1/')
	n=$(echo "$line" | sed 's/.*, blocks \([0-9]*\) .*/\1/')
	bytes=$((bytes + b)) blocks=$((blocks + n))
	note "$2: $line"
}

limit 120 "$MC" --seed 1 > "$TMPD/ref.out" 2>&1 || fail "memcheck without the shim: $(cat "$TMPD/ref.out")"
figures "$TMPD/ref.out" "without the shim"

r=$TMPD/unarmed.jsonl
PTFREEZE_REPORT=$r limit 120 env LD_PRELOAD="$SHIM" "$MC" --seed 2 > "$TMPD/out" 2>&1 || fail "memcheck, shim not armed: $(cat "$TMPD/out")"
figures "$TMPD/out" "shim, not armed"
grep -q '"type":"site"' "$r" && fail "shim, not armed: sites recorded"

r=$TMPD/report.jsonl
PTFREEZE_REPORT=$r limit 120 env LD_PRELOAD="$SHIM" "$MC" --seed 3 --arm > "$TMPD/out" 2>&1 || fail "memcheck, report mode armed: $(cat "$TMPD/out")"
figures "$TMPD/out" "report mode, armed"
grep -q 'armed yes' "$TMPD/out" || fail "report mode: memcheck was not armed"
bad=$(grep '"type":"site"' "$r" | grep -v '"detail":"start-up mapping served from the pool (no syscall)"' | head -n 1)
[ -z "$bad" ] || fail "report mode: a record the program did not cause: $bad"

r=$TMPD/strict.jsonl
PTFREEZE_MODE=strict PTFREEZE_REPORT=$r limit 120 env LD_PRELOAD="$SHIM" "$MC" --seed 4 --arm --strict-ok > "$TMPD/out" 2>&1 ||
	fail "memcheck, strict mode armed: $(cat "$TMPD/out")"
figures "$TMPD/out" "strict mode, armed"
refused=$(sed -n 's/.*, refused \([0-9]*\),.*/\1/p' "$TMPD/out")
blocked=$(json_get "$r" summary 'sum(s["blocked"] for s in r["sites"])')
[ "$refused" = "$blocked" ] || fail "strict mode: memcheck saw $refused refusals, the report $blocked blocked calls"
grep '"type":"site"' "$r" | grep -q '"kind":"pool-exhausted"' && fail "strict mode: the pool ran out"
note "strict mode: $refused refused resizes of start-up mappings, each in the report, every block intact"

r=$TMPD/grow.jsonl
PTFREEZE_POOL=16M PTFREEZE_POOL_GROW=16M PTFREEZE_REPORT=$r limit 120 env LD_PRELOAD="$SHIM" "$MC" --seed 6 --arm --threads 8 > "$TMPD/out" 2>&1 ||
	fail "memcheck, 16M pool growing, 8 threads: $(cat "$TMPD/out")"
figures "$TMPD/out" "report mode, armed, 8 threads, 16M pool growing"
grows=$(grep -c '"type":"pool-grow".*"result":0' "$r" || true)
[ "$grows" -ge 1 ] || fail "16M pool: it never grew"
note "16M pool: grew $grows times under 8 threads, every byte intact"

if command -v strace >/dev/null; then
	r=$TMPD/strace.jsonl
	PTFREEZE_REPORT=$r limit 120 strace -f -o "$TMPD/st.txt" env LD_PRELOAD="$SHIM" "$MC" --seed 5 --arm --ops 2000 > "$TMPD/out" 2>&1 ||
		fail "memcheck under strace: $(cat "$TMPD/out")"
	figures "$TMPD/out" "report mode, armed, strace"
	n=$(awk '/MEMCHECK-ARMED/{on=1;next} /MEMCHECK-END/{on=0} on' "$TMPD/st.txt" |
		grep -cE '(^|[ ])(mmap|munmap|mremap|mprotect|madvise|brk)\(' || true)
	[ "$n" -eq 0 ] || fail "the armed half made $n page-table system calls"
	calls=$(awk '/MEMCHECK-ARMED/{on=1;next} /MEMCHECK-END/{on=0} on' "$TMPD/st.txt" | grep -c . || true)
	note "strace: 0 page-table system calls in the armed half ($calls lines of strace there)"
else
	note "strace is not installed: the system-call check is skipped"
fi
note "figures: $blocks blocks, $bytes bytes verified in all runs"
exit 0
