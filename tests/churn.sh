#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# The allocator's promise, judged from outside the shim: a churn workload
# (mixed sizes 16 B - 4 MiB, optionally with anonymous mmap/munmap) takes
# zero page faults (the program's own getrusage) and makes zero page-table
# syscalls (strace) once warmed up, where glibc takes thousands; and the
# report has no page-fault site (PTFREEZE_FAULTS samples every fault while
# armed, which is the churn phase: churn -a disarms after it), except, with
# threads, first touches of a thread's stack (class thread-stack).
. "${srcdir:-$(dirname "$0")}/lib.sh"
need_strace
churn=$PROGS/churn

faults() { sed -n 's/^churn: minor=\([0-9]*\) major=\([0-9]*\).*/\1 \2/p' "$1"; }

# The yardstick must be able to see faults at all, or zero proves nothing.
"$churn" > "$TMPD/glibc.out" || fail "churn failed under glibc"
set -- $(faults "$TMPD/glibc.out")
[ "${1:-0}" -gt 100 ] || fail "glibc churn took only ${1:-?} minor faults: the measure is broken"
note "glibc: $1 minor faults in the churn phase"

i=0
for variant in "" "-m" "-t 2" "-m -t 2"; do
	i=$((i + 1))
	rm -f "$TMPD"/report-*.jsonl
	# The pool is sized for the workload, as a user would: with two threads
	# churn's high-water mark is 232 MiB (median) and up to 264 MiB of pool,
	# over the default 256M, where it grew after arming in 1 run of 30-100
	# (docs/performance.md, section 11).
	pool=256M
	case "$variant" in *-t*) pool=320M ;; esac
	# shellcheck disable=SC2086
	PTFREEZE_POOL=$pool PTFREEZE_ARM=manual PTFREEZE_LOG=off strace -f -o "$TMPD/strace.txt" env LD_PRELOAD="$SHIM" "$churn" -a $variant \
		> "$TMPD/shim.out" || fail "churn $variant failed under the shim"
	set -- $(faults "$TMPD/shim.out")
	n=$(pt_syscalls_between_markers "$TMPD/strace.txt")
	note "ptfreeze churn $variant: minor=$1 major=$2 page-table syscalls=$n"
	grep -q CHURN-END "$TMPD/strace.txt" || fail "no marker in the strace log"
	[ "$n" -eq 0 ] || { awk '/CHURN-BEGIN/{on=1;next} /CHURN-END/{on=0} on' "$TMPD/strace.txt" |
		grep -E 'mmap|munmap|madvise|mprotect|mremap|brk' | head >&2; fail "churn $variant: $n page-table syscalls"; }
	[ "$2" -eq 0 ] || fail "churn $variant: $2 major faults"
	rep=$(ls "$TMPD"/report-*.jsonl)
	grep -q '"type":"arm".*"page_faults":{"sampling":"on"' "$rep" || note "page faults are not sampled here: the report cannot show them"
	pf=$(grep '"type":"site"' "$rep" | grep '"kind":"page-fault"' || true)
	note "churn $variant: $(printf '%s' "$pf" | grep -c . || true) page-fault sites"
	# Threads too: they run on prefaulted stacks from the cache (PTFREEZE_THREAD_STACKS).
	[ "$1" -eq 0 ] || fail "churn $variant: $1 minor faults"
	[ -z "$pf" ] || fail "churn $variant: page-fault sites in the report: $pf"
done
exit 0
