#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# libptfreeze.so loads nothing but libc and libm into a process: jemalloc
# is linked in without its C++ operators (no libstdc++, libgcc_s or
# libjemalloc.so), no jemalloc name is exported, and every symbol it needs
# resolves in a program that links neither libm nor anything else (dash).
. "${srcdir:-$(dirname "$0")}/lib.sh"
command -v objdump >/dev/null || skip "objdump (binutils) is not installed"
objdump -p "$SHIM" | awk '$1 == "NEEDED" {print $2}' | sort > "$TMPD/needed"
printf 'libc.so.6\nlibm.so.6\n' > "$TMPD/want"
diff -u "$TMPD/want" "$TMPD/needed" || fail "libptfreeze.so needs other libraries than libc and libm"
nm -D --defined-only "$SHIM" | awk '{print $3}' | grep -E '^(ptfreeze_je_|je_|mallocx|mallctl|_Zn|_Zd)' &&
	fail "jemalloc's names are exported"
for prog in /bin/dash /bin/sh /bin/true; do
	test -x "$prog" || continue
	out=$(LD_PRELOAD="$SHIM" PTFREEZE_REPORT="$TMPD/r-%p.jsonl" "$prog" -c 'exit 0' 2>&1) ||
		fail "$prog under the shim: $out"
	test -z "$out" || fail "$prog under the shim printed: $out"
	maps=$(LD_PRELOAD="$SHIM" PTFREEZE_REPORT="$TMPD/r-%p.jsonl" cat /proc/self/maps)
	case $maps in *libstdc++* | *libgcc_s* | *libjemalloc*)
		fail "a process under the shim maps libstdc++, libgcc_s or libjemalloc" ;;
	esac
done
exit 0
