#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# docs/report-format.md lists every kind of src/kinds.inc (the site
# record's `kind` row), in the table's order, and no other.
. "${srcdir:-$(dirname "$0")}/lib.sh"
INC=$top_srcdir/src/kinds.inc
DOC=$top_srcdir/docs/report-format.md
[ -f "$INC" ] && [ -f "$DOC" ] || hard "no $INC or $DOC"
sed -n 's/^PTFREEZE_KIND([A-Z0-9_]*, "\([^"]*\)".*/\1/p' "$INC" > "$TMPD/table"
[ -s "$TMPD/table" ] || hard "no PTFREEZE_KIND line in $INC"
row=$(grep '^| `kind` | ' "$DOC" | head -n 1)
[ -n "$row" ] || fail "$DOC has no | \`kind\` | row"
printf '%s\n' "$row" | sed 's/^| `kind` | //; s/ |$//; s/, /\n/g; s/`//g' > "$TMPD/doc"
diff -u "$TMPD/table" "$TMPD/doc" > "$TMPD/diff" ||
	{ cat "$TMPD/diff" >&2; fail "report-format.md's kinds differ from src/kinds.inc (- table, + doc)"; }
echo "kinds-doc: $(grep -c . "$TMPD/table") kinds documented"
exit 0
