#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# The page-fault sampler cannot kill or change a program (issue 13, item 1).
# sighostile takes page faults after arming while it resets every signal to
# SIG_DFL, blocks every signal, installs its own SIGTRAP handler, forks,
# forks and execs, or makes a thread with everything blocked; each mode,
# armed early by PTFREEZE_ARM=delay:1ms and by ptfreeze_arm(), runs LOOPS
# times (default 30) under the shim with its default settings.  Every run
# must print what it prints without the shim and exit the same way: stdout,
# and stderr less the shim's own "ptfreeze[PID]:" lines (report-mode
# warnings; which of them reach stderr is not the sampler's business).
# Judged from outside; that sampling was on is checked in the reports, or
# passing would prove nothing.
. "${srcdir:-$(dirname "$0")}/lib.sh"
prog=$PROGS/sighostile
loops=${LOOPS:-30}
export PTFREEZE_REPORT="$TMPD/r/report-%p.jsonl"

run_case() { # mode arg(-a or empty) -> exit status; output in $TMPD/out
	"$@" > "$TMPD/out" 2> "$TMPD/err"
	st=$?
	grep -v '^ptfreeze\[[0-9]*\]: ' "$TMPD/err" >> "$TMPD/out"
	echo "status=$st" >> "$TMPD/out"
}

for mode in reset block handler fork exec thread; do
	for how in delay api; do
		arg=
		[ $how = api ] && arg=-a
		run_case "$prog" $mode $arg
		cp "$TMPD/out" "$TMPD/want"
		grep -q 'status=0' "$TMPD/want" || { cat "$TMPD/want"; hard "sighostile $mode $arg fails without the shim"; }
		i=0
		while [ $i -lt "$loops" ]; do
			i=$((i + 1))
			rm -rf "$TMPD/r"
			mkdir "$TMPD/r"
			PTFREEZE_ARM=delay:1ms run_case env LD_PRELOAD="$SHIM" "$prog" $mode $arg
			if ! cmp -s "$TMPD/want" "$TMPD/out"; then
				echo "--- without the shim"; cat "$TMPD/want"; echo "--- with it (run $i)"; cat "$TMPD/out"
				fail "sighostile $mode $arg ($how arming): output or status changed under the shim"
			fi
		done
		# The last run's reports: every process armed and sampled (else nothing was tested).
		# A delay that fell due unnoticed (a loaded machine: the process ended
		# before the arming thread ran) arms only at the summary, unsampled.
		for r in "$TMPD"/r/report-*.jsonl; do
			grep -q '"type":"arm".*"faults_before":{"minor":-1' "$r" && continue
			grep -q '"type":"arm".*"page_faults":{"sampling":"on"' "$r" || {
				state=$(grep '"type":"arm"' "$r" | sed -n 's/.*"page_faults":{"sampling":"\([a-z]*\)".*/\1/p')
				case "$state" in
				refused | unavailable) skip "page-fault sampling is $state here" ;;
				esac
				fail "sighostile $mode ($how): a process did not arm with sampling on: $r"
			}
			grep -q '"kind":"page-fault"' "$r" || fail "sighostile $mode ($how): no page-fault site in $r"
		done
		note "sighostile $mode ($how arming): $loops runs, same output and status"
	done
done
exit 0
