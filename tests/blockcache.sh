#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# The block cache in front of jemalloc (src/arena.c, docs/design.md "The
# block cache"), judged from the addresses malloc returns, the program's
# own getrusage and the report: freed blocks above 16 KiB come back newest
# first and across threads, a thread's own frees first (its magazines), and
# an exiting thread's magazine goes back to the shared stacks, a thread that
# only frees holds none back; what waits is bounded by a sixteenth of the pool
# (above 128 KiB) and the medium classes keep room of their own;
# a 2-thread churn where every block is freed by the other thread takes no
# fault and makes no page-table call while armed, and the pool does not grow.
. "${srcdir:-$(dirname "$0")}/lib.sh"
need_strace
prog=$PROGS/blockcache
pool_mib=128

PTFREEZE_POOL=${pool_mib}M PTFREEZE_ARM=manual PTFREEZE_LOG=off strace -f -o "$TMPD/strace.txt" \
	env LD_PRELOAD="$SHIM" "$prog" 24 20000 > "$TMPD/out" || fail "blockcache failed under the shim"
cat "$TMPD/out" | sed 's/^/# /'

[ "$(val lifo)" = 1 ] || fail "two freed blocks of one class did not come back newest first"
[ "$(val shared)" = 1 ] || fail "a block freed by another thread was not the next malloc of its class"
[ "$(val own)" = 1 ] || fail "a thread's own freed block did not come back before one another thread freed after it"
[ "$(val exit)" = 1 ] || fail "a block freed by a thread that then exited was not the next malloc of its class"
[ "$(val consumer)" = 16 ] || fail "only $(val consumer) of 16 blocks freed by a live thread that allocates nothing came back"
run=$(val run)
# At most pool/16 bytes wait: blocks of 1 MiB + 1 are 1.25 MiB blocks.
max=$((pool_mib * 1024 / 16 / 1280))
[ "${run:-0}" -ge 2 ] || fail "only ${run:-?} of 24 freed blocks came back from the cache"
[ "$run" -le "$max" ] || fail "$run blocks of 1.25 MiB waited in the cache: more than pool/16 ($max)"
# The classes up to 128 KiB have their own bound: the large blocks filling theirs leave them room.
[ "$(val med)" = 24 ] || fail "only $(val med) of 24 freed 64 KiB blocks came back while large blocks waited"
# Frees waiting in threads' pending lists stay within pool/16 however many threads free and idle.
held=$(val held)
[ -n "$held" ] || fail "no held= line"
[ $((held * 1280)) -le $((pool_mib * 1024 / 16)) ] ||
	fail "$held blocks of 1.25 MiB freed by 16 idle threads did not come back: more than pool/16 waits in pending lists"
[ "$(val minor)" = 0 ] || fail "$(val minor) minor faults in the armed cross-thread churn"

rep=$(ls "$TMPD"/report-*.jsonl | head -1)
[ -n "$rep" ] || fail "no report"
if grep '"type":"pool-grow"' "$rep" | grep -q '"armed":true'; then
	fail "the pool grew after arming: $(grep '"type":"pool-grow"' "$rep" | head -3)"
fi
grep -q CHURN-END "$TMPD/strace.txt" || fail "no marker in the strace log"
n=$(pt_syscalls_between_markers "$TMPD/strace.txt")
[ "$n" -eq 0 ] || fail "$n page-table calls in the armed churn"
exit 0
