#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Replays every fuzz target's seed corpus and every crashing input ever
# found (tests/fuzz/regress/TARGET/) through the target's entry point, built
# without libFuzzer (tests/fuzz/replay-TARGET): a crash, a sanitizer report
# (in the sanitizer builds) or a broken property of the target fails.
. "${srcdir:-$(dirname "$0")/..}/lib.sh"
fuzzdir=$top_srcdir/tests/fuzz
for f in "$fuzzdir"/fuzz_*.c; do
	t=${f##*/fuzz_}
	t=${t%.c}
	replay=$top_builddir/tests/fuzz/replay-$t
	if [ ! -x "$replay" ]; then
		# The report reader is built with the command (it needs jansson).
		if [ "$t" = report ] && [ "${with_command:-yes}" = no ]; then
			note "report: not built (no command, see configure's output)"
			continue
		fi
		hard "no $replay (build first)"
	fi
	set -- "$fuzzdir/corpus/$t"
	[ -d "$fuzzdir/regress/$t" ] && set -- "$@" "$fuzzdir/regress/$t"
	# The targets' own error lines for bad input are expected: keep them out of the log.
	st=0
	"$replay" "$@" > "$TMPD/$t.out" 2> "$TMPD/$t.err" || st=$?
	if [ $st -ne 0 ]; then
		tail -n 20 "$TMPD/$t.err" >&2
		fail "$t: an input crashed the target or broke a property (status $st)"
	fi
	note "$t: $(cat "$TMPD/$t.out")"
done
exit 0
