#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# The malloc family's glibc semantics under the shim (tests/progs/conform.c),
# allocation before the shim's constructor (a library constructor that
# mallocs and calls dlsym), and C++ through libstdc++ (same output as
# without the shim).
. "${srcdir:-$(dirname "$0")}/lib.sh"
shim "$PROGS/conform" > "$TMPD/conform.out" 2>&1
r=$?
cat "$TMPD/conform.out"
[ $r -eq 0 ] || fail "conformance checks failed (status $r)"

out=$(shim "$PROGS/early") || fail "early allocation: status $?"
[ "$out" = "allocated before main" ] || fail "early allocation printed '$out'"

plain=$(CXX_ALLOW_PLAIN=1 "$PROGS/cxx") || fail "cxx without the shim: status $?"
under=$(shim "$PROGS/cxx") || fail "cxx under the shim: status $?"
note "cxx: plain '$plain', shim '$under'"
[ "$plain" = "$under" ] || fail "C++ program output differs under the shim"
exit 0
