#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# ptfreeze(7) documents every PTFREEZE_* variable of src/options.inc, with
# its default, and no other; `ptfreeze run --help` names only variables of
# the table, and ptfreeze(1) documents each of its options as setting the
# same variable.  The table is read from the built library's own table
# (tests/progs/vartable prints config_vars, which options.inc generates), so
# a variable added there and not to the man page fails here.
. "${srcdir:-$(dirname "$0")}/lib.sh"
VARTABLE=$top_builddir/tests/progs/vartable
PTFREEZE=$top_builddir/tools/ptfreeze
[ -x "$VARTABLE" ] || hard "no $VARTABLE (build first)"
MAN=$top_srcdir/docs/ptfreeze.7
[ -f "$MAN" ] || hard "no $MAN"
tab=$(printf '\t')

"$VARTABLE" | cut -f 1,2 | sort > "$TMPD/table" || hard "vartable failed"
[ -s "$TMPD/table" ] || hard "empty variable table"
# ENVIRONMENT: each entry is .TP, .B NAME, its text, "Default" and the value (.B or .BR, roff escapes undone).
awk -v tab="$tab" '
	/^\.SH ENVIRONMENT/ { env = 1; next }
	/^\.SH/ { env = 0 }
	env && prev == ".TP" && /^\.B PTFREEZE_/ { name = $2; def = "" }
	env && name != "" && def == "" && prev == "Default" && /^\.BR? / { def = $2; gsub(/\\-/, "-", def); print name tab def }
	{ prev = $0 }' "$MAN" | sort > "$TMPD/man"
[ -s "$TMPD/man" ] || hard "no PTFREEZE_* entry found in the ENVIRONMENT of $MAN"

cut -f 1 "$TMPD/table" > "$TMPD/table.names"
cut -f 1 "$TMPD/man" > "$TMPD/man.names"
missing=$(comm -23 "$TMPD/table.names" "$TMPD/man.names")
[ -z "$missing" ] || fail "in src/options.inc, not in ptfreeze(7)'s ENVIRONMENT (with a Default): $missing"
extra=$(comm -13 "$TMPD/table.names" "$TMPD/man.names")
[ -z "$extra" ] || fail "in ptfreeze(7)'s ENVIRONMENT, not in src/options.inc: $extra"
# Every entry is documented once.
dup=$(uniq -d "$TMPD/man.names")
[ -z "$dup" ] || fail "documented twice in ptfreeze(7): $dup"
diff -u "$TMPD/table" "$TMPD/man" > "$TMPD/defaults.diff" ||
	{ cat "$TMPD/defaults.diff" >&2; fail "ptfreeze(7) gives another default than src/options.inc (- table, + man page)"; }

# The command's part (configure may leave the command unbuilt: lib.sh's have_command).
if ! have_command; then
	echo "options-doc: $(grep -c . "$TMPD/table") variables documented with their defaults (run's options not checked)"
	exit 0
fi
# ptfreeze run: each [PTFREEZE_*] of its usage is a variable of the table.
"$PTFREEZE" run --help > "$TMPD/usage" || fail "ptfreeze run --help failed"
grep -o '\[PTFREEZE_[A-Z_]*\]' "$TMPD/usage" | tr -d '[]' | sort -u > "$TMPD/run.names"
[ -s "$TMPD/run.names" ] || fail "ptfreeze run --help names no variable"
unknown=$(comm -23 "$TMPD/run.names" "$TMPD/table.names")
[ -z "$unknown" ] || fail "ptfreeze run --help names variables that are not in src/options.inc: $unknown"
# ptfreeze(1) documents each of run's options with its short and long name and the variable it sets, and no other.
MAN1=$top_srcdir/docs/ptfreeze.1
[ -f "$MAN1" ] || hard "no $MAN1"
awk '/^\.SH/ { run = ($0 ~ /"PTFREEZE RUN"/) } run && prev == ".TP" && /^\.BR? \\-[a-zA-Z] / { n++ } { prev = $0 } END { print n + 0 }' "$MAN1" > "$TMPD/man1.count"
grep -E '^  -[a-zA-Z], --[a-z-]+.*\[PTFREEZE_[A-Z_]+\]$' "$TMPD/usage" | sed -E 's/^  -([a-zA-Z]), --([a-z-]+).*\[(PTFREEZE_[A-Z_]+)\]$/\1 \2 \3/' > "$TMPD/run.options"
[ "$(grep -c . "$TMPD/run.options")" -eq "$(cat "$TMPD/man1.count")" ] ||
	fail "ptfreeze run --help has $(grep -c . "$TMPD/run.options") options that set a variable, ptfreeze(1)'s PTFREEZE RUN $(cat "$TMPD/man1.count")"
while read -r short long var; do
	# The entry's first line, as roff writes it: .BR \-m ", " \-\-mode " \fImode\fR"
	HEAD=".BR \\-$short \", \" \\-\\-$(printf '%s' "$long" | sed 's/-/\\-/g')" VAR=$var awk '
		/^\.SH/ { run = ($0 ~ /"PTFREEZE RUN"/) }
		run && index($0, ENVIRON["HEAD"]) == 1 && (length($0) == length(ENVIRON["HEAD"]) ||
			substr($0, length(ENVIRON["HEAD"]) + 1, 1) == " ") { inside = 1; found = 1; next }
		inside && /^\.(TP|PP|SH|SS)/ { inside = 0 }
		inside && index($0, ENVIRON["VAR"]) { ok = 1 }
		END { exit found && ok ? 0 : 1 }' "$MAN1" ||
		fail "ptfreeze(1) does not document run's -$short, --$long as setting $var"
done < "$TMPD/run.options"
echo "options-doc: $(grep -c . "$TMPD/table") variables documented with their defaults, $(grep -c . "$TMPD/run.names") run options"
exit 0
