#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# bench/report-scale.sh: how long `ptfreeze report` takes on big reports
# (issue 13: 100k records in at most 2 s).  Makes a real template report
# (tests/cli/cxxsite under the shim: real modules, C++ code), expands it with
# bench/gen-report.py into one process with RECORDS site records and into
# 119 processes (a forking server's workers) with the same total, then times
# `ptfreeze report` (text, the first screen), `--all`, `--json` and
# `--suppressions-out`, REPEATS times each, and prints the median and the
# spread.  Never asserts a speed; exit status 1 only if a run failed.
# usage: bench/report-scale.sh [BUILDDIR]   (after `make check`, which builds cxxsite)
# environment: RECORDS (default 100000), REPEATS (default 3), BENCH_KEEP=DIR,
# PEER=another ptfreeze binary (an older build): each case is run by both,
# interleaved, and printed twice ("peer" rows); the CPU column is user + system.
set -u
B=${1:-$(cd "$(dirname "$0")/.." && pwd)}
S=$(cd "$(dirname "$0")/.." && pwd)
PF=$B/tools/ptfreeze
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
RECORDS=${RECORDS:-100000}
REPEATS=${REPEATS:-3}
D=${BENCH_KEEP:-$(mktemp -d "${TMPDIR:-/tmp}/ptfreeze-bench.XXXXXX")}
mkdir -p "$D"
[ -n "${BENCH_KEEP:-}" ] || trap 'rm -rf "$D"' EXIT
[ -x "$B/tests/cli/cxxsite" ] || { echo "no $B/tests/cli/cxxsite: run make check first" >&2; exit 2; }
rm -rf "$D/t" "$D/one" "$D/many"
mkdir -p "$D/t"
"$PF" run --arm manual --report "$D/t/r-%p.jsonl" -- "$B/tests/cli/cxxsite" > /dev/null 2>&1 || { echo "template run failed" >&2; exit 1; }
tpl=$(ls "$D"/t/r-*.jsonl | head -n 1)
"$PY" "$S/bench/gen-report.py" "$tpl" "$D/one" --records "$RECORDS" || exit 1
"$PY" "$S/bench/gen-report.py" "$tpl" "$D/many" --records "$RECORDS" --procs 119 --common 200 || exit 1
echo "# $RECORDS site records: one process ($(du -sh "$D/one" | cut -f1)), 119 processes ($(du -sh "$D/many" | cut -f1)); $REPEATS runs each"
PEER=${PEER:-}
[ -z "$PEER" ] || [ -x "$PEER" ] || { echo "PEER=$PEER is not an executable" >&2; exit 2; }
printf '%-44s %9s %9s %9s %9s %10s\n' "case" "median s" "min s" "max s" "cpu s" "out lines"
failed=0
run_case() { # NAME DIR ARGS...
	name=$1 dir=$2
	shift 2
	: > "$D/times.self"
	: > "$D/times.peer"
	i=0
	while [ $i -lt "$REPEATS" ]; do
		for who in self ${PEER:+peer}; do
			bin=$PF
			[ "$who" = self ] || bin=$PEER
			/usr/bin/time -f "%e %U %S" -o "$D/time" "$bin" report "$@" "$dir" > "$D/out.$who" 2> "$D/err"
			st=$?
			[ $st -le 1 ] || { echo "$name ($who): status $st: $(head -n 3 "$D/err")" >&2; failed=1; }
			tail -n 1 "$D/time" >> "$D/times.$who"
		done
		i=$((i + 1))
	done
	if [ -n "$PEER" ] && ! cmp -s "$D/out.self" "$D/out.peer"; then
		echo "$name: the output differs from the peer's" >&2
		failed=1
	fi
	for who in self ${PEER:+peer}; do
		lines=$(wc -l < "$D/out.$who")
		label=$name
		[ "$who" = self ] || label="$name (peer)"
		cpu=$(awk '{ print $2 + $3 }' "$D/times.$who" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
		sort -n "$D/times.$who" | awk -v name="$label" -v lines="$lines" -v cpu="$cpu" \
			'{ v[NR] = $1 } END { printf "%-44s %9.2f %9.2f %9.2f %9.2f %10d\n", name, v[int((NR + 1) / 2)], v[1], v[NR], cpu, lines }'
	done
}
run_case "text, 1 process" "$D/one"
run_case "text --all, 1 process" "$D/one" --all
run_case "--json, 1 process" "$D/one" --json
run_case "--suppressions-out, 1 process" "$D/one" --suppressions-out "$D/gen.supp"
run_case "text, 119 processes" "$D/many"
run_case "text --all, 119 processes" "$D/many" --all
exit $failed
