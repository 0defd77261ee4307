#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# bench/faultcost.sh: what the page-fault sampler costs a program that
# faults.  bench/faultcost takes PAGES first-touch faults after arming
# (20,000 by default, at 4 call sites); it runs under the shim with
# PTFREEZE_FAULTS=off and with the default (sampling on), interleaved
# (off, on, off, on, ...) REPEATS times (default 9), and without the shim
# as a yardstick.  Prints per variant the median time per fault with its
# min-max spread, and the ratio of the medians on/off; then the sampler's
# books from the last run's report (samples, lost).  Never asserts a speed.
#
# usage: bench/faultcost.sh [BUILDDIR]   environment: PAGES, SITES, REPEATS
set -u
b=${1:-$(cd "$(dirname "$0")/.." && pwd)}
prog=$b/bench/faultcost
shim=$b/.libs/libptfreeze.so
[ -x "$prog" ] && [ -f "$shim" ] || { echo "bench/faultcost.sh: build first (make bench/faultcost libptfreeze.la)" >&2; exit 2; }
pages=${PAGES:-20000}
sites=${SITES:-4}
repeats=${REPEATS:-9}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/faultcost.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
# The comparison is PTFREEZE_FAULTS=off against the default: nothing the
# caller exported may change either side.
for v in $(env | sed -n 's/^\(PTFREEZE_[A-Za-z0-9_]*\)=.*/\1/p'); do unset "$v"; done
export PTFREEZE_ARM=manual PTFREEZE_LOG=off
i=0
while [ $i -lt "$repeats" ]; do
	i=$((i + 1))
	"$prog" -n "$pages" -s "$sites" >> "$tmp/none"
	PTFREEZE_FAULTS=off PTFREEZE_REPORT="$tmp/off.jsonl" env LD_PRELOAD="$shim" "$prog" -n "$pages" -s "$sites" >> "$tmp/off"
	rm -f "$tmp/on.jsonl"
	PTFREEZE_REPORT="$tmp/on.jsonl" env LD_PRELOAD="$shim" "$prog" -n "$pages" -s "$sites" >> "$tmp/on"
done
stats() { # file -> "median min max" of ns_per_fault, and the faults
	sed -n 's/.*minor=\([0-9]*\) ns_per_fault=\([0-9]*\).*/\2 \1/p' "$1" | sort -n |
		awk '{v[NR]=$1; f=$2} END {printf "%d %d %d %d\n", v[int((NR+1)/2)], v[1], v[NR], f}'
}
set -- $(stats "$tmp/none"); none_med=$1
printf '%-28s %10s %18s %8s\n' "variant ($pages pages, $sites sites)" "ns/fault" "min-max" "faults"
printf '%-28s %10s %18s %8s\n' "no shim" "$1" "$2-$3" "$4"
set -- $(stats "$tmp/off"); off_med=$1
printf '%-28s %10s %18s %8s\n' "ptfreeze, PTFREEZE_FAULTS=off" "$1" "$2-$3" "$4"
set -- $(stats "$tmp/on"); on_med=$1
printf '%-28s %10s %18s %8s\n' "ptfreeze, sampling (default)" "$1" "$2-$3" "$4"
awk -v on="$on_med" -v off="$off_med" -v reps="$repeats" 'BEGIN {
	printf "sampling on / off: %.2fx (medians of %d runs each); the sampler costs %d ns per fault\n", on / off, reps, on - off }'
grep -o '"page_faults":{[^}]*}' "$tmp/on.jsonl" | tail -1 | sed 's/^/last run: /'
