#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# The benchmarks run: each program for a fraction of a second under glibc
# and under the shim, then bench/run in its smoke profile (glibc and
# ptfreeze only) and bench/pair.py once.  Asserts only that they exit 0 and print their tables:
# never how fast anything is (speed belongs in `make bench`).
top_srcdir=${abs_top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
. "$top_srcdir/tests/lib.sh"
B=$top_builddir/bench
unset BENCH_REPEATS BENCH_QUICK BENCH_ONLY BENCH_ALLOCATORS BENCH_HUGEPAGES BENCH_KEEP

# matches FILE PATTERN: FILE has a line matching PATTERN (an empty PATTERN asks for nothing).
matches() { [ -z "$2" ] || grep -q "$2" "$1"; }

# expect LABEL PATTERN CMD...: runs CMD under glibc and the shim; its output must match PATTERN.
expect() {
	label=$1 pattern=$2
	shift 2
	"$@" > "$TMPD/out" 2>&1 || { cat "$TMPD/out" >&2; fail "$label failed under glibc"; }
	matches "$TMPD/out" "$pattern" || { cat "$TMPD/out" >&2; fail "$label under glibc: no '$pattern' in its output"; }
	PTFREEZE_ARM=manual PTFREEZE_LOG=off PTFREEZE_POOL=64M shim "$@" > "$TMPD/out" 2>&1 ||
		{ cat "$TMPD/out" >&2; fail "$label failed under the shim"; }
	matches "$TMPD/out" "$pattern" || { cat "$TMPD/out" >&2; fail "$label under the shim: no '$pattern' in its output"; }
	grep -q "ptfreeze armed" "$TMPD/out" || case "$label" in
		latency*|guardcost*) cat "$TMPD/out" >&2; fail "$label under the shim did not arm it" ;;
	esac
	note "$label: ok"
}

expect "latency" '^malloc+touch' "$B/latency" -n 50 -o 500
expect "latency -m -c -t 2" '^churn: ' "$B/latency" -n 50 -o 500 -m -c -t 2
expect "latency -x -t 3" '^handoff: ' "$B/latency" -n 60 -o 600 -x -t 3
expect "latency -e -t 2" '^slow-frees: [0-9]* in the threads.* first millisecond, [0-9]* after' "$B/latency" -n 50 -o 500 -e -t 2
expect "throughput prodcon" '^prodcon: .* ops/s' "$B/throughput" prodcon -o 2000
expect "throughput lifetimes" '^lifetimes: .* ops/s' "$B/throughput" lifetimes -o 2000 -t 2
expect "throughput realloc" '^realloc: .* ops/s' "$B/throughput" realloc -r 1 -c 1M
expect "throughput channels" '^channels: .* ops/s (8 buffers of 65536 bytes at [0-9]* cache-line offsets' "$B/throughput" channels -r 1 -c 64K -n 8
expect "prefault memset" '^memset: size 4194304 backing 4k' "$B/prefault" memset 4M 4k
expect "prefault idle" '' "$B/prefault" idle
expect "guardcost" '^known-site ' "$B/guardcost" -k 100 -n 10
expect "faultcost" '^faultcost: pages=200 ' "$B/faultcost" -n 200
PAGES=200 REPEATS=1 sh "$top_srcdir/bench/faultcost.sh" "$top_builddir" > "$TMPD/fc.out" 2>&1 &&
	grep -q '^sampling on / off: ' "$TMPD/fc.out" || { cat "$TMPD/fc.out" >&2; fail "bench/faultcost.sh printed no ratio"; }
note "bench/faultcost.sh: ok"

command -v python3 >/dev/null 2>&1 || skip "python3 is not installed: bench/run not tried"
BENCH_ALLOCATORS=glibc,ptfreeze python3 "$top_srcdir/bench/run" --profile smoke --builddir "$top_builddir" \
	> "$TMPD/run.out" 2> "$TMPD/run.err" || { cat "$TMPD/run.out" "$TMPD/run.err" >&2; fail "bench/run --profile smoke failed"; }
for section in '== Latency' '== Throughput' '== Start-up' '== Report mode' '== Targets'; do
	grep -q "^$section" "$TMPD/run.out" || { cat "$TMPD/run.out" "$TMPD/run.err" >&2; fail "bench/run printed no '$section' section"; }
done
grep -q '^ptfreeze ' "$TMPD/run.out" || fail "bench/run printed no ptfreeze row"
for case in '2 threads, cross-thread frees' '4 threads on 2 cores'; do
	grep -q "^-- latency, $case: " "$TMPD/run.out" || fail "bench/run printed no latency case '$case'"
done
note "bench/run --profile smoke: ok"
python3 "$top_srcdir/bench/pair.py" --builddir "$top_builddir" --rounds 1 -- latency -n 50 -o 500 -- \
	"on=PTFREEZE_FRONT:on;PTFREEZE_POOL:64M" "off=PTFREEZE_FRONT:off;PTFREEZE_POOL:64M" \
	> "$TMPD/pair.out" 2>&1 || { cat "$TMPD/pair.out" >&2; fail "bench/pair.py failed"; }
for name in on off; do
	grep -q "^$name  *ops/s .* free p50/p99/p99.9/p99.99 " "$TMPD/pair.out" ||
		{ cat "$TMPD/pair.out" >&2; fail "bench/pair.py printed no '$name' row"; }
done
note "bench/pair.py: ok"
exit 0
