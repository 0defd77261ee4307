#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# The guard probe under the seccomp backstop (PTFREEZE_SECCOMP=on), judged
# from outside:
#  - report mode, under strace (tests/strace-vs-report.sh): the page-table
#    syscalls the kernel ran after arming are the ones the report names;
#    the probe's raw syscall(SYS_munmap) is a munmap site caught by the
#    backstop with do_raw_munmap in its stack; the thread with a 24M stack
#    (too big for any stack cache) is a pthread_create or mmap site at
#    do_big_thread, and if strace saw its stack mapped, an mmap site or the
#    pthread_create that stands for it is there; the dlopen is a site at
#    do_dlopen and the loader's own mmap and mprotect calls are sites with
#    do_dlopen in their stacks.
#  - strict mode: the raw munmap is refused with EPERM and the page stays.
# Both with a private start-up mapping (served from the pool) and a shared one.
. "${srcdir:-$(dirname "$0")}/lib.sh"
need_probe
has="$PY $top_srcdir/tests/stack_has.py"
export PTFREEZE_ARM=signal:USR2 PTFREEZE_LOG=off

for layout in private shared; do
	flag=; [ $layout = shared ] && flag=--shared
	d=$TMPD/$layout
	sh "$top_srcdir/tests/strace-vs-report.sh" -d "$d" -- "$probe" "$lib" --raw $flag ||
		fail "strace and the report disagree ($layout)"
	cat "$d/out.txt"
	grep -q ' fail ' "$d/out.txt" && fail "a call failed in report mode ($layout)"
	rep=$(grep -l '"fork_child":false' "$d"/r-*.jsonl)
	$has "$rep" "$probe" munmap do_raw_munmap --seccomp || fail "the raw munmap is not a backstop site at do_raw_munmap ($layout)"
	$has "$rep" "$probe" pthread_create,mmap do_big_thread || fail "the big thread is not in the report ($layout)"
	if grep -E '^[0-9]+ +mmap\(NULL, 2[0-9]{7}, PROT_NONE, .*MAP_STACK.*= 0x[0-9a-f]{6,}' "$d/strace.txt" > /dev/null; then
		$has "$rep" "$probe" mmap,pthread_create do_big_thread || fail "strace saw the big stack mapped; the report did not ($layout)"
	fi
	$has "$rep" "$probe" dlopen do_dlopen || fail "no dlopen site at do_dlopen ($layout)"
	$has "$rep" "$probe" mmap do_dlopen --seccomp || fail "the loader's mmap is not a site with do_dlopen in its stack ($layout)"
	$has "$rep" "$probe" mprotect do_dlopen --seccomp || fail "the loader's mprotect is not a site with do_dlopen in its stack ($layout)"

	out=$(PTFREEZE_SECCOMP=on PTFREEZE_MODE=strict PTFREEZE_REPORT="$TMPD/s-%p.jsonl" shim "$probe" "$lib" --raw $flag) ||
		fail "the probe failed in strict mode ($layout)"
	echo "$out"
	echo "$out" | grep -q '^raw-munmap fail EPERM' || fail "strict mode did not refuse the raw munmap ($layout)"
	echo "$out" | grep -q '^big-thread fail EPERM' || fail "strict mode did not refuse the big thread ($layout)"
done

# The churn program (allocator churn, served mmap) under the same judge: no
# page-table syscall after arming that the report does not name.
for variant in "-m" "-m -t 2"; do
	PTFREEZE_ARM=manual sh "$top_srcdir/tests/strace-vs-report.sh" -d "$TMPD/churn" -- "$PROGS/churn" -a $variant ||
		fail "strace and the report disagree on churn $variant"
done
exit 0
