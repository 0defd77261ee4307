#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# The seccomp backstop (PTFREEZE_SECCOMP=on) sees what interposition
# cannot: a direct syscall(SYS_munmap) after arming is a munmap site whose
# stack holds the calling function (addr2line), and strict mode refuses it
# with EPERM; threads and fork still work under the filter; and every
# page-table syscall strace sees after arming is in the report.
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
# strace's page-table syscalls after arming (outside the shim's own start-up) must each be a recorded kind.
for k in $(awk '/ptfreeze_arm|"arm"/{on=1} on' "$TMPD/st.txt" | grep -oE '^[0-9]+ +(munmap|mprotect|mremap|madvise|shmdt)\(' |
	awk '{print $2}' | tr -d '(' | sort -u); do
	grep '"type":"site"' "$TMPD"/r-*.jsonl | grep -q "\"kind\":\"$k\"" || fail "strace saw $k after arming; the report did not"
done

out=$(PTFREEZE_MODE=strict PTFREEZE_REPORT="$TMPD/s-%p.jsonl" shim "$prog")
echo "$out"
echo "$out" | grep -q '^raw_munmap fail EPERM' || fail "strict mode did not refuse the raw munmap"
exit 0
