#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Hostile values in every PTFREEZE_* variable, walking the real table
# (tests/progs/vartable prints src/config.c's config_vars): empty, huge,
# negative, not UTF-8, overlong (past the 255-byte limit) and garbage.  A
# value the library rejects gives exactly one line on stderr naming the
# variable, the value, the accepted form and the default it uses instead;
# the report header then records that default; and the program's output is
# byte for byte what it is without the shim.  Only the report path template
# and the program globs take free text: a report path it accepts must be
# where the report goes.
. "${srcdir:-$(dirname "$0")}/lib.sh"
VARTABLE=$top_builddir/tests/progs/vartable
[ -x "$VARTABLE" ] || hard "no $VARTABLE (build first)"
cd "$TMPD" || hard "no temp dir" # a rejected PTFREEZE_REPORT falls back to ./ptfreeze-%e-%p.jsonl

# One process with known output: a numeric reverse sort over a fixed input,
# by python3, which arms itself last (only a process that arms writes a
# report) and leaves with _exit (nothing happens after arming).
PY=/usr/bin/python3
[ -x "$PY" ] || skip "/usr/bin/python3 is not installed"
SORT='
import ctypes, os, sys
sys.stdout.write("".join(sorted(open(sys.argv[1]), key=lambda l: -int(l))))
sys.stdout.flush()
ctypes.CDLL(None).ptfreeze_arm()
os._exit(0)'
seq 1 300 > "$TMPD/input"
sort -rn "$TMPD/input" > "$TMPD/want" || hard "sort failed without the shim"
long=$(printf 'x%.0s' $(seq 1 400))
"$VARTABLE" > "$TMPD/vars" || hard "vartable failed"
nvars=$(grep -c . "$TMPD/vars")
[ "$nvars" -gt 0 ] || hard "empty variable table"
tab=$(printf '\t')
runs=0
while IFS=$tab read -r name def form; do
	for kind in empty huge negative non-utf8 overlong garbage; do
		case $kind in
		empty) value= ;;
		huge) value=99999999999999999999999999999999999999 ;;
		negative) value=-1 ;;
		non-utf8) value=$(printf 'caf\351\377') ;;
		overlong) value=$long ;;
		garbage) value='banana;%q "x"' ;;
		esac
		rm -f "$TMPD/r.jsonl" "$TMPD"/ptfreeze-*.jsonl
		st=0
		env PTFREEZE_POOL=16M PTFREEZE_REPORT="$TMPD/r.jsonl" "$name=$value" LD_PRELOAD="$SHIM" "$PY" -c "$SORT" "$TMPD/input" \
			> "$TMPD/out" 2> "$TMPD/err" || st=$?
		runs=$((runs + 1))
		what="$name ($kind value)"
		[ $st -eq 0 ] || { cat "$TMPD/err" >&2; fail "$what: status $st"; }
		cmp -s "$TMPD/out" "$TMPD/want" || fail "$what: the program's output changed"
		if "$VARTABLE" accepts "$name" "$value" && [ "$name" = PTFREEZE_SUPPRESS ]; then
			# A path: accepted, and the missing file is one clear line.
			n=$(grep -c . "$TMPD/err")
			[ "$n" -eq 1 ] && grep -q "PTFREEZE_SUPPRESS" "$TMPD/err" ||
				{ cat "$TMPD/err" >&2; fail "$what: want one line naming PTFREEZE_SUPPRESS"; }
			continue
		fi
		if "$VARTABLE" accepts "$name" "$value" && { [ "$name" = PTFREEZE_PROGRAMS ] || [ "$name" = PTFREEZE_SKIP ]; }; then
			# Globs: free text too; one that names no program is silent.
			[ ! -s "$TMPD/err" ] || { cat "$TMPD/err" >&2; fail "$what: accepted, yet a message"; }
			continue
		fi
		if "$VARTABLE" accepts "$name" "$value"; then
			# Accepted: it must be free text, and used.
			[ "$name" = PTFREEZE_REPORT ] || fail "$what: accepted by the table's parser"
			[ ! -s "$TMPD/err" ] || { cat "$TMPD/err" >&2; fail "$what: accepted, yet a message"; }
			[ -f "$TMPD/$value" ] || fail "$what: accepted, but no report at '$value'"
			rm -f "$TMPD/$value"
			continue
		fi
		n=$(grep -c . "$TMPD/err")
		[ "$n" -eq 1 ] || { cat "$TMPD/err" >&2; fail "$what: $n lines on stderr, want 1"; }
		grep -q "^ptfreeze\[[0-9]*\]: error: $name: cannot parse '" "$TMPD/err" ||
			{ cat "$TMPD/err" >&2; fail "$what: the line does not name the variable"; }
		grep -qF "(expected $form); using $def" "$TMPD/err" ||
			{ cat "$TMPD/err" >&2; fail "$what: the line does not give the form and the default"; }
		# The default really is in force: the report header records it.
		if [ "$name" = PTFREEZE_REPORT ]; then
			ls "$TMPD"/ptfreeze-python3*-*.jsonl > /dev/null 2>&1 || fail "$what: no report at the default path"
		else
			grep -qF "\"$name\":\"$def\"" "$TMPD/r.jsonl" || fail "$what: the report header does not record $def"
		fi
	done
done < "$TMPD/vars"
note "$nvars variables, $runs runs with hostile values"

# A broken template and an unwritable report path: one line each, program runs.
out=$(PTFREEZE_REPORT='%q' shim sh -c 'echo alive' 2>"$TMPD/err")
[ "$out" = alive ] && [ "$(grep -c . "$TMPD/err")" -eq 1 ] || fail "bad template"
out=$(PTFREEZE_REPORT=/proc/nonexistent/r.jsonl shim sh -c 'echo alive' 2>"$TMPD/err")
[ "$out" = alive ] || fail "unwritable report path stopped the program"
[ "$(grep -c . "$TMPD/err")" -eq 1 ] || { cat "$TMPD/err" >&2; fail "unwritable report path: not one line"; }
grep -q "PTFREEZE_REPORT: cannot create" "$TMPD/err" || fail "unwritable report path: unclear message"
# An unknown variable is named (typos must not pass silently).
PTFREEZE_MOOD=strict shim true 2>"$TMPD/err"
grep -q "PTFREEZE_MOOD: unknown variable" "$TMPD/err" || fail "unknown variable not reported"
# An impossible pool size.
out=$(PTFREEZE_POOL=100T shim sh -c 'echo alive' 2>"$TMPD/err")
[ "$out" = alive ] && grep -q "PTFREEZE_POOL: cannot parse '100T'" "$TMPD/err" || fail "impossible pool size"
exit 0
