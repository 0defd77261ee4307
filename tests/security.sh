#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Where a report can go, judged by the files that appear:
#  - a symbolic link at the report path (to a file, or dangling) is refused
#    with one line, and nothing is written or created through it;
#  - the report is created 0600 whatever the umask;
#  - %e cannot leave the report's directory or hide its file: programs
#    named "...", ".hidden", "a b", "x;y", with a newline or a byte that is
#    not UTF-8, started with argv[0] "../../escape", and a fork child whose
#    comm is "../../evil" all write their report inside the directory, under
#    the sanitised name; a name too long for the directory gets one line.
# The set-user-ID case is tests/secure-exec.sh (it needs root).
. "${srcdir:-$(dirname "$0")}/lib.sh"
cd "$TMPD" || hard "no temp dir"

# Symbolic links.
echo keep > "$TMPD/target"
ln -s "$TMPD/target" "$TMPD/link.jsonl"
out=$(PTFREEZE_REPORT="$TMPD/link.jsonl" shim sh -c 'echo alive' 2> "$TMPD/err")
[ "$out" = alive ] || fail "a symlinked report path stopped the program"
[ "$(cat "$TMPD/target")" = keep ] || fail "the report was written through a symbolic link"
[ "$(grep -c . "$TMPD/err")" -eq 1 ] || { cat "$TMPD/err" >&2; fail "symlink refusal: not one line"; }
grep -q "PTFREEZE_REPORT: cannot create '$TMPD/link.jsonl' (it is a symbolic link)" "$TMPD/err" ||
	{ cat "$TMPD/err" >&2; fail "symlink refusal not explained"; }
ln -s "$TMPD/created-through-link" "$TMPD/dangling.jsonl"
PTFREEZE_REPORT="$TMPD/dangling.jsonl" shim true 2> "$TMPD/err"
[ -e "$TMPD/created-through-link" ] && fail "a dangling symbolic link created its target"
grep -q "symbolic link" "$TMPD/err" || fail "dangling symlink refusal not explained"

# A report is written only by a process that arms: the programs below are
# copies of execchain, which arms itself (ptfreeze_arm) and exits.
ARMS=$PROGS/execchain
[ -x "$ARMS" ] || hard "no $ARMS (build first)"
export PTFREEZE_LOG=off

# Mode 0600 even with umask 000.
(umask 000 && PTFREEZE_REPORT="$TMPD/mode.jsonl" shim "$ARMS" exec 0 > /dev/null) || fail "the program failed under umask 000"
[ "$(stat -c %a "$TMPD/mode.jsonl")" = 600 ] || fail "report mode $(stat -c %a "$TMPD/mode.jsonl"), want 600"

# %e: hostile executable names.  Each is a copy of execchain, the report goes
# to reports/%e.jsonl, and every file must appear exactly there.
mkdir "$TMPD/bin" "$TMPD/reports"
nl='
'
long=$(printf 'y%.0s' $(seq 1 240))
toolong=$(printf 'z%.0s' $(seq 1 255))
TRUE=$ARMS
check_name() { # EXE-NAME EXPECTED-REPORT-NAME
	cp "$TRUE" "$TMPD/bin/$1" || hard "cannot copy execchain to '$1'"
	PTFREEZE_REPORT="$TMPD/reports/%e.jsonl" shim "$TMPD/bin/$1" exec 0 > /dev/null 2> "$TMPD/err" || fail "'$1' failed under the shim"
	[ -f "$TMPD/reports/$2" ] || { ls -A "$TMPD/reports" >&2; fail "the report of '$1' is not reports/$2"; }
	rm -f "$TMPD/reports/$2"
}
check_name '...' '_....jsonl'
check_name '.hidden' '_.hidden.jsonl'
check_name 'a b' 'a_b.jsonl'
check_name 'x;y' 'x_y.jsonl'
check_name "new${nl}line" 'new_line.jsonl'
check_name "$(printf 'caf\351')" 'caf_.jsonl'
check_name '-rf' '-rf.jsonl'
check_name "$long" "$long.jsonl"
# argv[0] is not the executable's name.
cp "$TRUE" "$TMPD/bin/plain"
PTFREEZE_REPORT="$TMPD/reports/%e.jsonl" \
	bash -c 'export LD_PRELOAD="$1"; exec -a ../../escape "$0" exec 0 > /dev/null' "$TMPD/bin/plain" "$SHIM" ||
	fail "argv[0] ../../escape: the program failed"
[ -f "$TMPD/reports/plain.jsonl" ] || { ls -A "$TMPD/reports" >&2; fail "argv[0] changed the report name"; }
rm -f "$TMPD/reports/plain.jsonl"
# A name that does not fit: one line, the program runs, nothing is written.
cp "$TRUE" "$TMPD/bin/$toolong"
PTFREEZE_REPORT="$TMPD/reports/%e.jsonl" shim "$TMPD/bin/$toolong" exec 0 > /dev/null 2> "$TMPD/err" || fail "a long name stopped the program"
[ "$(grep -c . "$TMPD/err")" -eq 1 ] && grep -q "PTFREEZE_REPORT: cannot create" "$TMPD/err" ||
	{ cat "$TMPD/err" >&2; fail "a name too long for the directory: not one clear line"; }
# A fork child that renamed itself (comm) before forking writes under the executable's name.
# (Debian's python3: a wrapper script in PATH, like pyenv's, would fork many processes.)
PY=/usr/bin/python3
if [ -x "$PY" ]; then
	PTFREEZE_REPORT="$TMPD/reports/%e-%p.jsonl" PTFREEZE_POOL=16M shim "$PY" -c '
import ctypes, os
ctypes.CDLL(None).prctl(15, b"../../evil", 0, 0, 0)
ctypes.CDLL(None).ptfreeze_arm()
pid = os.fork()
if pid == 0:
    os._exit(0)
os.waitpid(pid, 0)
' || fail "the python fork child test failed"
	n=$(find "$TMPD/reports" -name 'python3*-[0-9]*.jsonl' | wc -l)
	[ "$n" -eq 2 ] || { ls -A "$TMPD/reports" >&2; fail "comm ../../evil: $n python reports in reports/, want 2"; }
	rm -f "$TMPD"/reports/python3*
fi

# Nothing anywhere else: only the copies in bin/, the files made above, and
# an empty reports/.
[ -z "$(ls -A "$TMPD/reports")" ] || { ls -A "$TMPD/reports" >&2; fail "unexpected files in reports/"; }
stray=$(find "$TMPD" -mindepth 1 ! -path "$TMPD/bin*" ! -path "$TMPD/reports" \
	! -name target ! -name link.jsonl ! -name dangling.jsonl ! -name mode.jsonl ! -name err -print)
[ -z "$stray" ] || fail "files outside the report directory: $stray"
# reports/../../ is the temp dir's parent.
up=$(dirname "$TMPD")
[ -z "$(find "$up" -maxdepth 1 \( -name 'evil*' -o -name 'escape*' \) -newer "$TMPD/target")" ] ||
	fail "a report escaped to $up"
note "symlinks refused, mode 0600, 10 hostile names kept inside the report directory"
exit 0
