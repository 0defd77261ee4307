#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# The guard, judged from outside: a probe that arms itself with SIGUSR2 and
# then makes every kind of page-table change from its own function.
#  - report mode: every call succeeds; each but the anonymous mmap is its
#    own site in the report, resolving (addr2line) to the probe's function;
#    the anonymous mmap/munmap reaches the kernel zero times (strace).
#  - strict mode: each guarded call fails with EPERM; the page whose munmap
#    was refused is still mapped.
#  - kill -9: every site seen before the kill is in the file.
# Both with a private start-up mapping (served from the pool) and a shared
# one (from the kernel).
. "${srcdir:-$(dirname "$0")}/lib.sh"
need_probe
check=$top_srcdir/tests/probe_check.py
# The probe's thread must get glibc's stack (a page-table change): tests/threads.sh tests the cache.
export PTFREEZE_ARM=signal:USR2 PTFREEZE_LOG=off PTFREEZE_THREAD_STACKS=0

for layout in private shared; do
	flag=; [ $layout = shared ] && flag=--shared
	d=$TMPD/$layout-report; mkdir -p "$d"
	PTFREEZE_MODE=report PTFREEZE_REPORT="$d/r-%p.jsonl" strace -f -o "$TMPD/st.txt" \
		env LD_PRELOAD="$SHIM" "$probe" "$lib" $flag > "$TMPD/out.txt" || fail "probe failed ($layout, report)"
	cat "$TMPD/out.txt"
	grep -q ' fail ' "$TMPD/out.txt" && fail "a call failed in report mode ($layout)"
	n=$(awk '/ANON-BEGIN/{on=1;next} /ANON-END/{on=0} on' "$TMPD/st.txt" | grep -cE '(mmap|munmap)\(' || true)
	[ "$n" -eq 0 ] || fail "the anonymous mmap/munmap made $n syscalls ($layout)"
	main=$(ls "$d"/r-*.jsonl | while read -r f; do grep -q '"fork_child":false' "$f" && echo "$f"; done)
	[ -n "$main" ] || fail "no report for the probe"
	"$PY" "$check" "$main" "$probe" report || fail "report mode, $layout start-up mapping"

	d=$TMPD/$layout-strict; mkdir -p "$d"
	PTFREEZE_MODE=strict PTFREEZE_REPORT="$d/r-%p.jsonl" shim "$probe" "$lib" $flag > "$TMPD/out.txt" ||
		fail "probe failed ($layout, strict)"
	cat "$TMPD/out.txt"
	for c in mprotect munmap madvise mremap sbrk pthread_create fork dlopen; do
		grep -q "^$c fail EPERM" "$TMPD/out.txt" || fail "strict: $c was not refused with EPERM ($layout)"
	done
	grep -q '^anon-mmap ok' "$TMPD/out.txt" || fail "strict: the served anonymous mmap failed"
	grep -q '^still-mapped yes' "$TMPD/out.txt" || fail "strict: the refused munmap unmapped the page"
	grep -q '^dlerror .*refused' "$TMPD/out.txt" || fail "strict: dlerror() does not say why dlopen failed"
	"$PY" "$check" "$d"/r-*.jsonl "$probe" strict || fail "strict mode report, $layout"
done

# would-block: everything goes ahead, and the report says what strict would have refused.
d=$TMPD/would; mkdir -p "$d"
PTFREEZE_MODE=would-block PTFREEZE_REPORT="$d/r-%p.jsonl" shim "$probe" "$lib" > "$TMPD/out.txt" || fail "probe failed (would-block)"
grep -q ' fail ' "$TMPD/out.txt" && fail "a call failed in would-block mode"
main=$(grep -l '"fork_child":false' "$d"/r-*.jsonl)
grep '"type":"site"' "$main" | grep -v '"kind":"page-fault"' | grep -v '"would_errno":1' && fail "a would-block site without would_errno"
"$PY" "$check" "$main" "$probe" would-block || fail "would-block report"

# kill -9: nothing seen before the kill is lost.
d=$TMPD/killed; mkdir -p "$d"
PTFREEZE_MODE=report PTFREEZE_REPORT="$d/r-%p.jsonl" LD_PRELOAD="$SHIM" "$probe" "$lib" --pause > "$TMPD/out.txt" &
pid=$!
i=0
while ! grep -q paused "$TMPD/out.txt" 2>/dev/null; do
	i=$((i + 1)); [ $i -lt 100 ] || { kill -9 $pid; fail "probe never paused"; }
	sleep 0.1
done
kill -9 $pid
wait $pid 2>/dev/null
"$PY" "$check" "$d/r-$pid.jsonl" "$probe" report --killed || fail "report after kill -9"
exit 0
