#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# C++ and Rust names (issue 13, item 5):
#  - the text report names the site's function demangled,
#    trading::Book::rotate(int), and no mangled _ZN7trading... is shown for it;
#  - a function under a Rust v0 symbol (_RNvMs_...4Ring6rotate) is shown as
#    <example::ring::Ring>::rotate (libiberty's demangler);
#  - --suppressions-out writes the mangled name (the shim matches the
#    symbol table's name at run time, with no demangler in a hook), with the
#    demangled one in the comment above the rule;
#  - that rule, given back to the shim, takes the site.
. "$(dirname "$0")/lib.sh"
CXXSITE=$top_builddir/tests/cli/cxxsite
[ -x "$CXXSITE" ] || hard "no $CXXSITE"
D=$TMPD/r; mkdir -p "$D"
pf run --arm manual --report "$D/r-%p.jsonl" -- "$CXXSITE"
expect_status 0 "cxxsite"
grep -q '^done' "$TMPD/out" || fail "cxxsite did not finish"
pf report --suppressions-out "$TMPD/gen.supp" "$D"
expect_status 1 "report on cxxsite"
grep -qE '^ +[0-9]+ +munmap .*trading::Book::rotate\(int\)' "$TMPD/out" ||
	{ grep munmap "$TMPD/out"; fail "the munmap site is not named trading::Book::rotate(int)"; }
grep -q '_ZN7trading4Book6rotateEi' "$TMPD/out" && fail "a mangled name is shown in the text"
grep -qE '^ +[0-9]+ +mprotect .*<example::ring::Ring>::rotate' "$TMPD/out" ||
	{ grep mprotect "$TMPD/out"; fail "the mprotect site is not named <example::ring::Ring>::rotate (Rust v0)"; }
grep -q '_RNvMs_' "$TMPD/out" && fail "a Rust v0 mangled name is shown in the text"
grep -q '^munmap fun:_ZN7trading4Book6rotateEi$' "$TMPD/gen.supp" || { cat "$TMPD/gen.supp"; fail "no mangled munmap rule"; }
grep -q '^# .*at trading::Book::rotate(int)' "$TMPD/gen.supp" || fail "the rule's comment does not show the demangled name"
pf report --json "$D"
grep -q '"trading::Book::rotate(int)"' "$TMPD/out" || fail "--json: no demangled function"
# Round trip: the generated rules take the sites.
D2=$TMPD/s; mkdir -p "$D2"
pf run --arm manual --suppress "$TMPD/gen.supp" --report "$D2/r-%p.jsonl" -- "$CXXSITE"
expect_status 0 "cxxsite with the generated rules"
grep -h '"type":"site"' "$D2"/r-*.jsonl | grep -q '"kind":"munmap"' && fail "the generated munmap rule did not take the site"
exit 0
