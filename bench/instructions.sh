#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Instructions per malloc/free pair, counted by callgrind: repeatable on a
# noisy VM where time is not.  Runs bench/pairs twice per allocator (a short
# and a long run) under glibc, jemalloc, mimalloc, tcmalloc and ptfreeze and
# prints the difference divided by the extra pairs, so start-up cancels out.
#   sh bench/instructions.sh [BUILDDIR]      (make bench-instructions)
set -eu
b=${1:-.}
command -v valgrind >/dev/null || { echo "instructions: valgrind is not installed" >&2; exit 1; }
lib() { for d in /usr/lib/x86_64-linux-gnu /usr/lib; do [ -e "$d/$1" ] && { echo "$d/$1"; return; }; done; echo ""; }
shim=$b/.libs/libptfreeze.so
[ -f "$shim" ] || { echo "instructions: no $shim (build first)" >&2; exit 1; }
short=100000 long=1100000
# Only the settings below: nothing the caller exported (PTFREEZE_*) counts.
for v in $(env | sed -n 's/^\(PTFREEZE_[A-Za-z0-9_]*\)=.*/\1/p'); do unset "$v"; done
# ptfreeze: a pool with room for the small-object front end (a thirty-second
# of it; bench/pairs arms first, and the front serves from arming on).
count() { # LD_PRELOAD value, pairs -> instructions
	out=$(mktemp)
	env ${1:+LD_PRELOAD=$1} PTFREEZE_REPORT=off PTFREEZE_POOL=64M PTFREEZE_ARM=manual \
		valgrind --tool=callgrind --callgrind-out-file=/dev/null "$b/bench/pairs" "$2" 2>"$out" >/dev/null
	sed -n 's/.*Collected : *\([0-9]*\).*/\1/p' "$out"
	rm -f "$out"
}
printf '%-10s %14s %10s\n' allocator "instr/pair" "vs glibc"
base=""
for a in glibc jemalloc mimalloc tcmalloc ptfreeze; do
	case $a in
	glibc) p="" ;;
	jemalloc) p=$(lib libjemalloc.so.2) ;;
	mimalloc) p=$(lib libmimalloc.so.2) ;;
	tcmalloc) p=$(lib libtcmalloc_minimal.so.4) ;;
	ptfreeze) p=$shim ;;
	esac
	if [ $a != glibc ] && [ -z "$p" ]; then printf '%-10s %14s\n' $a "not installed"; continue; fi
	s=$(count "$p" $short) l=$(count "$p" $long)
	per=$(awk -v s="$s" -v l="$l" -v n=$((long - short)) 'BEGIN{printf "%.1f", (l - s) / n}')
	[ -n "$base" ] || base=$per
	printf '%-10s %14s %9.2fx\n' $a "$per" "$(awk -v a="$per" -v b="$base" 'BEGIN{print a / b}')"
done
