#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# The seccomp backstop (PTFREEZE_SECCOMP=on) sees what interposition
# cannot: a direct syscall(SYS_munmap) after arming is a munmap site whose
# stack holds the calling function (addr2line), and strict mode refuses it
# with EPERM; threads and fork still work under the filter; and every
# page-table syscall strace sees after arming is in the report.  A program
# cannot take SIGSYS away from the backstop (sysowner), and the programs it
# starts after arming run despite inheriting the filter.
. "${srcdir:-$(dirname "$0")}/lib.sh"
need_strace
command -v addr2line >/dev/null || skip "addr2line (binutils) is not installed"
prog=$PROGS/rawcall
# Threads on glibc's stacks, so the filter sees glibc's own stack mappings (tests/threads.sh tests the cache).
export PTFREEZE_SECCOMP=on PTFREEZE_ARM=manual PTFREEZE_LOG=off PTFREEZE_THREAD_STACKS=0

out=$(PTFREEZE_MODE=report PTFREEZE_REPORT="$TMPD/r-%p.jsonl" strace -f -o "$TMPD/st.txt" env LD_PRELOAD="$SHIM" "$prog") ||
	fail "rawcall failed under the backstop (report): $out"
echo "$out"
echo "$out" | grep -q ' fail ' && fail "a call failed in report mode"
rep=$(grep -l '"fork_child":false' "$TMPD"/r-*.jsonl)
site=$(grep '"type":"site"' "$rep" | grep '"kind":"munmap"' | grep 'seccomp backstop') || fail "the raw munmap is not in the report"
base=$(grep '"type":"module"' "$rep" | grep '/rawcall"' | sed 's/.*"base":"0x\([0-9a-f]*\)".*/\1/')
found=no
for ip in $(echo "$site" | sed 's/.*"stack":\[\(.*\)\].*/\1/' | tr -d '"' | tr ',' ' '); do
	off=$(printf '0x%x' $((ip - 0x$base - 1)))
	[ "$(addr2line -f -e "$prog" "$off" 2>/dev/null | head -n 1)" = raw_munmap ] && found=yes
done
[ $found = yes ] || fail "raw_munmap is not in the raw munmap's stack"
grep '"type":"site"' "$rep" | grep -q '"kind":"pthread_create"' || fail "no pthread_create site"
grep '"type":"summary"' "$rep" | grep -q '"backstop":"installed"' || fail "the summary does not say the backstop was installed"
# The page-table syscalls strace sees after arming are the ones the report names.
sh "$top_srcdir/tests/strace-vs-report.sh" -d "$TMPD/svr" -- "$prog" || fail "strace and the report disagree on rawcall"

out=$(PTFREEZE_MODE=strict PTFREEZE_REPORT="$TMPD/s-%p.jsonl" shim "$prog")
echo "$out"
echo "$out" | grep -q '^raw_munmap fail EPERM' || fail "strict mode did not refuse the raw munmap"

# SIGSYS stays the backstop's: a program that ignores it, handles it, blocks
# it, or runs a handler masking every signal is not killed and its raw
# munmaps are still recorded at its functions; its own handler gets the
# SIGSYS it raises; programs it starts (system, posix_spawn, vfork+exec)
# run, though the filter is inherited.
need_python
own=$PROGS/sysowner
rm -f "$TMPD"/o-*.jsonl
PTFREEZE_MODE=report PTFREEZE_REPORT="$TMPD/o-%p.jsonl" shim "$own" > "$TMPD/own.txt" || fail "sysowner failed under the backstop (status $?)"
cat "$TMPD/own.txt"
grep -q ' fail ' "$TMPD/own.txt" && fail "a step failed under the backstop"
for step in ignored own-handler blocked masked-handler system posix_spawn vfork-exec; do
	grep -q "^$step ok" "$TMPD/own.txt" || fail "step $step did not run"
done
rep=$(grep -l '"fork_child":false' "$TMPD"/o-*.jsonl | xargs grep -l '/sysowner"')
for fn in unmap_while_ignored unmap_with_own_handler unmap_while_blocked; do
	"$PY" "$top_srcdir/tests/stack_has.py" "$rep" "$own" munmap $fn --seccomp || fail "the raw munmap in $fn is not in the report"
done
n=$(grep '"type":"site"' "$rep" | grep '"kind":"munmap"' | grep -c 'seccomp backstop')
[ "$n" -ge 5 ] || fail "$n raw munmaps recorded, want 5 (the one in a handler masking every signal too)"
# A thread that keeps SIGSYS blocked through arming would die at its first
# trapped call: the backstop refuses to install, says so, and the program runs.
PTFREEZE_MODE=report PTFREEZE_LOG=stderr PTFREEZE_REPORT="$TMPD/b-%p.jsonl" shim "$own" --blocker > "$TMPD/b.out" 2> "$TMPD/b.err" ||
	fail "sysowner --blocker failed (status $?): $(cat "$TMPD/b.err")"
grep -q '^blocker ok' "$TMPD/b.out" || fail "the blocking thread's munmap did not run"
grep -q 'blocks SIGSYS.*not installed' "$TMPD/b.err" || fail "no line saying the backstop was not installed: $(cat "$TMPD/b.err")"
grep -h '"type":"summary"' "$TMPD"/b-*.jsonl | grep -q '"backstop":"not-installed"' || fail "the summary does not say the backstop was not installed"
out=$(PTFREEZE_MODE=strict PTFREEZE_REPORT="$TMPD/os-%p.jsonl" shim "$own") || fail "sysowner was killed in strict mode (status $?)"
echo "$out"
for step in ignored blocked masked-handler; do
	echo "$out" | grep -q "^$step fail" || fail "strict mode did not refuse the raw munmap of step $step"
done
# Arming while threads are being born and die: the filter must never find
# a new thread with every signal blocked (it would die of SIGSYS at its
# first trapped call), and glibc's exiting threads, which madvise their own
# stacks after their keys are gone, must be recorded without unwinding
# (it corrupted libunwind's per-thread state: SIGSEGV).  Arming falls at
# varying points of a creation storm; glibc's stacks, then the cache's.
for stacks in 0 16; do
	for d in 5 10 15 20 25 30 40 50 60 80; do
		PTFREEZE_MODE=report PTFREEZE_THREAD_STACKS=$stacks PTFREEZE_REPORT="$TMPD/storm-%p.jsonl" PTFREEZE_POOL=32M \
			PTFREEZE_ARM=delay:${d}ms shim "$PROGS/threadchurn" -n 3000 -c 4 -w > /dev/null 2>&1 ||
			fail "threads being created while arming (stacks $stacks, delay ${d}ms): status $?"
	done
done
grep -h '"type":"site"' "$TMPD"/storm-*.jsonl | grep -q '"kind":"madvise".*an exiting thread discards its stack' ||
	fail "glibc's exit-time madvise of a thread stack is not in the reports"
exit 0
