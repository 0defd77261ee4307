#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# libptfreeze.so exports exactly the symbols in src/libptfreeze.sym.
. "${srcdir:-$(dirname "$0")}/lib.sh"
command -v nm >/dev/null || skip "nm (binutils) is not installed"
nm -D --defined-only "$SHIM" | awk '{print $3}' | sed 's/@.*//' | sort -u > "$TMPD/got"
sort -u "$top_srcdir/src/libptfreeze.sym" > "$TMPD/want"
diff -u "$TMPD/want" "$TMPD/got" || fail "exported symbols differ from src/libptfreeze.sym"
exit 0
