#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Fault: huge pages asked for that the host does not have.
#  - PTFREEZE_HUGEPAGES=2m with no 2M page reserved (nr_hugepages 0; this
#    test never changes it, and skips that part if it is not 0);
#  - PTFREEZE_HUGEPAGES=1g on a host without free 1G pages.
# Each: the program runs and prints what it prints without the shim; stderr
# is exactly one line, naming what was asked, why it was not had and what
# the pool fell back to; the report's pool says the backing it got (and
# `ptfreeze report` says it was not what was asked).  auto: no line at all.
. "${srcdir:-$(dirname "$0")/..}/lib.sh"
. "${srcdir:-$(dirname "$0")/..}/fault/lib.sh"
export PTFREEZE_POOL=16M
host_settings_lock # no other test reserves pages meanwhile
hp=/sys/kernel/mm/hugepages
free_pages() { cat "$hp/hugepages-$1/free_hugepages" 2>/dev/null || echo 0; }
ref=$("$FAULT/sites" 3) || fail "sites failed without the shim"
ran=0

# try MODE PAGEDIR BACKING: one run asking for MODE.
try() {
	mode=$1 dir=$2 asked=$3
	r=$TMPD/$mode.jsonl
	out=$(PTFREEZE_HUGEPAGES=$mode PTFREEZE_REPORT=$r limit 60 env LD_PRELOAD="$SHIM" "$FAULT/sites" 3 2> "$TMPD/err") ||
		fail "$mode: the program failed: $(cat "$TMPD/err")"
	got=$(json_get "$r" header 'r["pool"]["backing"]')
	if [ "$got" = "$asked" ]; then
		# Pages appeared meanwhile (another test reserving them): nothing to judge.
		note "$mode: $asked pages became free during the run; not judged"
		return 0
	fi
	[ "$out" = "$ref" ] || fail "$mode: the program printed '$out', without the shim '$ref'"
	n=$(wc -l < "$TMPD/err")
	[ "$n" -eq 1 ] || { cat "$TMPD/err" >&2; fail "$mode: $n lines on stderr, want one"; }
	grep -qE "^ptfreeze\\[[0-9]+\\]: warning: PTFREEZE_HUGEPAGES=$mode: no free [12][MG] pages; got 0M of 16M as $asked, the rest fell back: 16M as $got\$" "$TMPD/err" ||
		fail "$mode: the line does not say what happened: $(cat "$TMPD/err")"
	[ "$(json_get "$r" header 'r["pool"]["requested"]')" = "$mode" ] || fail "$mode: the report does not say what was requested"
	"$PTFREEZE" report "$r" > "$TMPD/rep" 2>&1
	grep -q "PTFREEZE_HUGEPAGES=$mode asked for $asked; the host gave $got" "$TMPD/rep" ||
		fail "$mode: ptfreeze report does not say the backing differs: $(cat "$TMPD/rep")"
	note "$mode: $(cat "$TMPD/err")"
	note "$mode: report pool backing $got"
	ran=$((ran + 1))
}

if [ "$(cat /proc/sys/vm/nr_hugepages)" -ne 0 ] || [ "$(free_pages 2048kB)" -ne 0 ]; then
	note "2m: skipped, 2M huge pages are reserved on this host now"
else
	try 2m 2048kB hugetlb-2m
fi
if [ "$(free_pages 1048576kB)" -ne 0 ]; then
	note "1g: skipped, this host has free 1G pages"
else
	[ -d "$hp/hugepages-1048576kB" ] || note "1g: this kernel offers no 1G pages at all"
	try 1g 1048576kB hugetlb-1g
fi
[ $ran -gt 0 ] || skip "huge pages are free on this host: no fault to inject"

# auto falls back silently: that is what auto means.
out=$(PTFREEZE_HUGEPAGES=auto PTFREEZE_REPORT=$TMPD/auto.jsonl limit 60 env LD_PRELOAD="$SHIM" "$FAULT/sites" 3 2> "$TMPD/err") ||
	fail "auto: the program failed"
[ -s "$TMPD/err" ] && fail "auto: stderr is not empty: $(cat "$TMPD/err")"
note "faults injected: $ran"
exit 0
