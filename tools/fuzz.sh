#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Runs every libFuzzer target (tests/fuzz/fuzz_TARGET.c) for a bounded time,
# all at once, and fails on any crash, sanitizer report, leak, timeout (10 s
# for one input) or broken property.  Called from the build directory by
# `make fuzz` and by tools/test.sh (CI); docs/reliability.md has the figures.
#   FUZZ_SECONDS   run time of each target (default 60)
#   sh tools/fuzz.sh [--built]     (--built: make fuzz-build already ran)
# Each target starts from its committed seed corpus (tests/fuzz/corpus/TARGET)
# and the crashing inputs found before (tests/fuzz/regress/TARGET); what it
# finds new goes to tests/fuzz/work/TARGET, which is not committed.  A
# crashing input is left as tests/fuzz/crash-TARGET-*: fix the bug, then
# commit the input as tests/fuzz/regress/TARGET/NAME so make check replays
# it from then on.  Prints one line per target: executions, corpus, crashes.
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
seconds=${FUZZ_SECONDS:-60}
if [ "${1:-}" != --built ]; then
	command -v clang > /dev/null 2>&1 || { echo "fuzz: error: clang is not installed (sh tools/setup.sh --deps)" >&2; exit 1; }
	make -s fuzz-build
fi
targets=$(cd "$src/tests/fuzz" && ls fuzz_*.c | sed 's/^fuzz_//; s/\.c$//')

# The config target's dictionary gets every name of the real table.
{
	cat "$src/tests/fuzz/config.dict"
	./tests/progs/vartable | awk -F '\t' '{ printf "\"%s=\"\n", $1 }'
} > tests/fuzz/config.dict.gen

for t in $targets; do
	rm -rf "tests/fuzz/work/$t" tests/fuzz/crash-"$t"-*
	mkdir -p "tests/fuzz/work/$t"
	regress_dir=
	[ -d "$src/tests/fuzz/regress/$t" ] && regress_dir=$src/tests/fuzz/regress/$t
	dict=$src/tests/fuzz/$t.dict
	[ -f "tests/fuzz/$t.dict.gen" ] && dict=tests/fuzz/$t.dict.gen
	# -close_fd_mask=3: the targets' own error lines are noise here; libFuzzer
	# and the sanitizers keep writing their reports.
	"./tests/fuzz/fuzz-$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -close_fd_mask=3 \
		-print_final_stats=1 -dict="$dict" -artifact_prefix="tests/fuzz/crash-$t-" \
		"tests/fuzz/work/$t" "$src/tests/fuzz/corpus/$t" ${regress_dir:+"$regress_dir"} \
		> "tests/fuzz/fuzz-$t.log" 2>&1 &
	eval "pid_$t=\$!"
done

status=0
for t in $targets; do
	eval "pid=\$pid_$t"
	r=0
	wait "$pid" || r=$?
	log=tests/fuzz/fuzz-$t.log
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	seeds=$(find "$src/tests/fuzz/corpus/$t" -type f | wc -l)
	regress=$(find "$src/tests/fuzz/regress/$t" -type f ! -name '.*' 2> /dev/null | wc -l)
	new=$(find "tests/fuzz/work/$t" -type f | wc -l)
	crashes=$(find tests/fuzz -maxdepth 1 -name "crash-$t-*" | wc -l)
	echo "fuzz: $t: ${execs:-?} executions in ${seconds}s; corpus $seeds seeds, $regress regressions, $new new inputs; $crashes crashes"
	if [ "$r" -ne 0 ]; then
		status=1
		echo "==== $log (exit status $r)"
		grep -v '^#[0-9]\|^\s*"' "$log" | tail -n 60
		for c in tests/fuzz/crash-"$t"-*; do
			[ -f "$c" ] && echo "fuzz: $t: the input is $c; once fixed, commit it as tests/fuzz/regress/$t/$(basename "$c")"
		done
	fi
done
exit $status
