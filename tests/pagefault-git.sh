#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# The reproducer of issue 13: git's child resets its signal dispositions
# before exec, and with a SIGTRAP per page fault it died "of signal 5" two
# runs in three.  `git -c alias.t='!echo child-ran' t` under the shim, armed
# 1 ms after start, 30 times (GIT_LOOPS): every run prints child-ran and
# exits 0.
. "${srcdir:-$(dirname "$0")}/lib.sh"
command -v git >/dev/null 2>&1 || skip "git is not installed"
loops=${GIT_LOOPS:-30}
cd "$TMPD" || hard "no $TMPD"
want=$(git -c alias.t='!sleep 0.3; echo child-ran' t 2>&1) || hard "git fails without the shim: $want"
[ "$want" = child-ran ] || hard "git without the shim printed '$want'"
i=0
while [ $i -lt "$loops" ]; do
	i=$((i + 1))
	# A small pool and an alias that takes 300 ms: delay arming completes the
	# prefault first, and git alone lives milliseconds.
	got=$(PTFREEZE_POOL=4M PTFREEZE_ARM=delay:1ms shim git -c alias.t='!sleep 0.3; echo child-ran' t 2> "$TMPD/err")
	st=$?
	[ $st -eq 0 ] || { cat "$TMPD/err"; fail "run $i: git exited $st under the shim"; }
	[ "$got" = child-ran ] || { cat "$TMPD/err"; fail "run $i: git printed '$got'"; }
done
# Sampling was on in the armed processes, or this proved nothing.
grep -l '"type":"arm".*"page_faults":{"sampling":"on"' "$TMPD"/report-*.jsonl > /dev/null ||
	skip "no process armed with page-fault sampling on (perf events refused here?)"
note "git alias child: $loops runs under the shim, all exited 0 with child-ran"
exit 0
