#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# The pool's backing, judged by the kernel: /proc/self/smaps of a process
# running under the shim shows the pool as hugetlb when huge pages are
# reserved, as THP when not, and as 4K pages (all resident: prefaulted)
# with PTFREEZE_HUGEPAGES=none.  The report header must say the same.
# The prefault runs in the background and is completed before arming, so
# the smaps are read by an armed process: armed by ptfreeze_arm(), by the
# delay and by the signal (each backing with each trigger).
# usage: backing.sh [hugetlb|thp|none [api|delay|signal]] (default: all,
# skipping what the host cannot give; hugetlb reserves pages itself when
# run as root).
. "${srcdir:-$(dirname "$0")}/lib.sh"
POOL_MB=64

# Prints "kernelpagesize_kb rss_kb anonhuge_kb hugetlb_kb" for the mapping at $1 in smaps file $2.
smaps_of() {
	awk -v start="$1" '
		/^[0-9a-f]+-[0-9a-f]+ / { split($1, r, "-"); on = (r[1] == start); next }
		on && /^KernelPageSize:/ { kps = $2 }
		on && /^Rss:/ { rss = $2 }
		on && /^AnonHugePages:/ { ahp = $2 }
		on && /^(Private|Shared)_Hugetlb:/ { htlb += $2 }
		END { print kps + 0, rss + 0, ahp + 0, htlb + 0 }' "$2"
}

need_python

# Arms by $1 (api, delay or signal), waits until armed, copies /proc/self/smaps to stdout.
ARMED_SMAPS='
import ctypes, os, signal, sys, time
lib = ctypes.CDLL(None)
how = sys.argv[1]
if how == "api":
    lib.ptfreeze_arm()
elif how == "signal":
    os.kill(os.getpid(), signal.SIGUSR2)
while not lib.ptfreeze_armed():
    time.sleep(0.01)
sys.stdout.write(open("/proc/self/smaps").read())
'

run_one() {
	want=$1 how=${2:-api}
	case $how in
	api) arm=manual ;;
	delay) arm=delay:200ms ;;
	signal) arm=signal:USR2 ;;
	esac
	case $want in
	hugetlb) reserve_hugepages $((POOL_MB / 2 + 8)); hp=2m ;;
	thp) grep -q '\[never\]' /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null && skip "THP is disabled on this host"
	     [ -e /sys/kernel/mm/transparent_hugepage/enabled ] || skip "no THP on this kernel"; hp=thp ;;
	none) hp=none ;;
	esac
	rep="$TMPD/$want.jsonl"
	PTFREEZE_POOL=${POOL_MB}M PTFREEZE_HUGEPAGES=$hp PTFREEZE_REPORT="$rep" PTFREEZE_ARM=$arm PTFREEZE_LOG=off \
		PTFREEZE_FAULTS=off shim "$PY" -c "$ARMED_SMAPS" "$how" > "$TMPD/$want.smaps" || fail "python3 under the shim failed"
	grep -q "\"type\":\"arm\",\"how\":\"${arm%%:*}" "$rep" || fail "no arm record ($arm) in $rep"
	head -n 1 "$rep" | grep -q '"type":"header"' || fail "no report header in $rep"
	start=$(head -n 1 "$rep" | sed -n 's/.*"regions":\[{"start":"0x\([0-9a-f]*\)".*/\1/p')
	backing=$(head -n 1 "$rep" | sed -n 's/.*"pool":{"size":[0-9]*,"backing":"\([a-z0-9-]*\)".*/\1/p')
	[ -n "$start" ] || fail "no pool region in the report header"
	set -- $(smaps_of "$start" "$TMPD/$want.smaps")
	kps=$1 rss=$2 ahp=$3 htlb=$4
	size_kb=$((POOL_MB * 1024))
	note "$want, armed by $how: report says $backing; smaps of $start: KernelPageSize=${kps}kB Rss=${rss}kB AnonHugePages=${ahp}kB Hugetlb=${htlb}kB"
	case $want in
	hugetlb)
		[ "$backing" = hugetlb-2m ] || fail "report says $backing, not hugetlb-2m"
		[ "$kps" -eq 2048 ] || fail "KernelPageSize $kps kB, not 2048"
		[ "$htlb" -eq "$size_kb" ] || fail "Hugetlb $htlb kB, not $size_kb (not prefaulted?)" ;;
	thp)
		[ "$backing" = thp ] || fail "report says $backing, not thp"
		[ "$ahp" -ge $((size_kb * 9 / 10)) ] || fail "AnonHugePages $ahp kB of $size_kb" ;;
	none)
		[ "$backing" = 4k ] || fail "report says $backing, not 4k"
		[ "$kps" -eq 4 ] || fail "KernelPageSize $kps kB"
		[ "$ahp" -eq 0 ] || fail "AnonHugePages $ahp kB with PTFREEZE_HUGEPAGES=none"
		[ "$rss" -ge "$size_kb" ] || fail "Rss $rss kB of $size_kb: not prefaulted" ;;
	esac
}

if [ $# -gt 0 ]; then
	run_one "$@"
	exit 0
fi
# Each in its own process so that one skip does not hide the others.
status=0
skipped=0
runs=0
for b in none thp hugetlb; do
	for how in api delay signal; do
		sh "$0" "$b" "$how"
		r=$?
		runs=$((runs + 1))
		case $r in 0) ;; 77) skipped=$((skipped + 1)) ;; *) status=1 ;; esac
	done
done
[ $status -eq 0 ] || exit 1
[ $skipped -lt $runs ] || exit 77
exit 0
