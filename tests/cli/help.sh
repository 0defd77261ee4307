#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# The command's surface: --help for the command and every subcommand (exit
# 0), usage errors (exit 2, one "ptfreeze: error:" line), --version, and the
# man page: it renders without warnings and documents every option the
# subcommands' --help lists.
. "$(dirname "$0")/lib.sh"

pf --help
expect_status 0 "ptfreeze --help"
for c in run report check; do
	grep -q "^  $c " "$TMPD/out" || fail "ptfreeze --help does not list '$c'"
done
for c in run report check; do
	pf "$c" --help
	expect_status 0 "ptfreeze $c --help"
	grep -q "^usage: ptfreeze $c" "$TMPD/out" || fail "ptfreeze $c --help: no usage line"
	pf help "$c"
	expect_status 0 "ptfreeze help $c"
	grep -q "^usage: ptfreeze $c" "$TMPD/out" || fail "ptfreeze help $c: no usage line"
done
pf --version
expect_status 0 "ptfreeze --version"
grep -qE '^ptfreeze [0-9]' "$TMPD/out" || fail "--version prints '$(cat "$TMPD/out")'"

pf
expect_status 2 "ptfreeze with no command"
pf frobnicate
expect_status 2 "an unknown command"
one_error_line "an unknown command" "frobnicate"
for c in run report check; do
	pf "$c" --no-such-option
	expect_status 2 "ptfreeze $c --no-such-option"
	one_error_line "ptfreeze $c --no-such-option" "no-such-option"
done
pf help frobnicate
expect_status 2 "ptfreeze help frobnicate"

# The man page mirrors the options.
[ -f "$MANPAGE" ] || hard "no man page at $MANPAGE"
for c in run report check; do
	"$PTFREEZE" "$c" --help | grep -oE -- '--[a-z][a-z-]+' | sort -u | while read -r opt; do
		man_opt=$(printf '%s' "$opt" | sed 's/-/\\\\-/g')
		grep -q -- "$man_opt" "$MANPAGE" || fail "the man page does not document $c $opt"
	done || exit 1
done
if command -v groff > /dev/null; then
	warnings=$(groff -man -ww -z "$MANPAGE" 2>&1)
	[ -z "$warnings" ] || fail "groff warns about the man page: $warnings"
	groff -man -Tascii -P-cbou "$MANPAGE" 2> /dev/null | grep -q '^EXIT STATUS' || fail "the man page has no EXIT STATUS"
else
	note "groff is not installed: man page not rendered"
fi
note "help, usage errors and the man page are consistent"
exit 0
