#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Garbage in every PTFREEZE_* variable: exactly one line on stderr naming
# the variable, the value and the accepted form; the program still runs.
. "${srcdir:-$(dirname "$0")}/lib.sh"
vars="PTFREEZE_POOL PTFREEZE_POOL_GROW PTFREEZE_HUGEPAGES PTFREEZE_MLOCK PTFREEZE_PREFAULT_THREADS
PTFREEZE_VERBOSE PTFREEZE_MODE PTFREEZE_ARM PTFREEZE_STRICT_ACTION PTFREEZE_REPORT PTFREEZE_LOG
PTFREEZE_BACKTRACE_DEPTH PTFREEZE_MAX_SITES PTFREEZE_SERVE_MMAP"
long=$(printf 'x%.0s' $(seq 1 400))
for v in $vars; do
	for bad in banana "" "-5" "99999999999999999999T" "$long" "$(printf 'caf\351')"; do
		# PTFREEZE_REPORT takes any path: only a broken template is an error there.
		[ "$v" = PTFREEZE_REPORT ] && case $bad in banana|-5|99999999999999999999T|caf*) continue ;; esac
		out=$(env "$v=$bad" LD_PRELOAD="$SHIM" sh -c 'echo alive' 2>"$TMPD/err") || fail "$v='$bad': status $?"
		[ "$out" = alive ] || fail "$v='$bad': program output '$out'"
		n=$(grep -c . "$TMPD/err")
		[ "$n" -eq 1 ] || { cat "$TMPD/err" >&2; fail "$v='$bad': $n lines on stderr, want 1"; }
		grep -q "^ptfreeze\[[0-9]*\]: error: $v: cannot parse" "$TMPD/err" || { cat "$TMPD/err" >&2; fail "$v: unclear message"; }
		grep -q "expected" "$TMPD/err" || fail "$v: message does not say what is accepted"
	done
done
# A broken template and an unwritable report path: one line each, program runs.
out=$(PTFREEZE_REPORT='%q' shim sh -c 'echo alive' 2>"$TMPD/err")
[ "$out" = alive ] && [ "$(grep -c . "$TMPD/err")" -eq 1 ] || fail "bad template"
out=$(PTFREEZE_REPORT=/proc/nonexistent/r.jsonl shim sh -c 'echo alive' 2>"$TMPD/err")
[ "$out" = alive ] || fail "unwritable report path stopped the program"
[ "$(grep -c . "$TMPD/err")" -eq 1 ] || { cat "$TMPD/err" >&2; fail "unwritable report path: not one line"; }
grep -q "PTFREEZE_REPORT: cannot create" "$TMPD/err" || fail "unwritable report path: unclear message"
# A symlink at the report path is refused, and its target untouched.
echo keep > "$TMPD/target"
ln -s "$TMPD/target" "$TMPD/link.jsonl"
PTFREEZE_REPORT="$TMPD/link.jsonl" shim true 2>"$TMPD/err"
[ "$(cat "$TMPD/target")" = keep ] || fail "the report followed a symlink"
grep -q "symbolic link" "$TMPD/err" || fail "symlink refusal not explained"
# An unknown variable is named (typos must not pass silently).
PTFREEZE_MOOD=strict shim true 2>"$TMPD/err"
grep -q "PTFREEZE_MOOD: unknown variable" "$TMPD/err" || fail "unknown variable not reported"
# An impossible pool size.
out=$(PTFREEZE_POOL=100T shim sh -c 'echo alive' 2>"$TMPD/err")
[ "$out" = alive ] && grep -q "PTFREEZE_POOL: cannot parse '100T'" "$TMPD/err" || fail "impossible pool size"
exit 0
