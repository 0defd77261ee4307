# SPDX-License-Identifier: BSD-2-Clause
# Sourced by every test of the ptfreeze command (tests/cli/*.sh): where the
# command, the library and the probe are, a private temp dir, and judges.
# Automake exit codes: 0 pass, 77 skip, 99 hard error, anything else fail.
# Works from `make check` (abs_top_builddir is exported there, VPATH too)
# and by hand from an in-tree build: sh tests/cli/report.sh
set -u
here=$(cd "$(dirname "$0")" && pwd)
top_builddir=${abs_top_builddir:-$(cd "$here/../.." && pwd)}
top_srcdir=${abs_top_srcdir:-$(cd "$here/../.." && pwd)}
PTFREEZE=$top_builddir/tools/ptfreeze
SHIM=$top_builddir/.libs/libptfreeze.so
PROBE=$top_builddir/tests/cli/probe
MANPAGE=$top_srcdir/docs/ptfreeze.1
TMPD=$(mktemp -d "${TMPDIR:-/tmp}/ptfreeze-cli.XXXXXX")
trap 'rm -rf "$TMPD"' EXIT
. "$top_srcdir/tests/common.sh" # fail, skip, hard, note, host_settings_lock
# The command must find the library by itself (next to its build tree), and
# nothing from the caller's environment may change what the tests see:
# every PTFREEZE_* goes.
for v in $(env | sed -n 's/^\(PTFREEZE_[A-Za-z0-9_]*\)=.*/\1/p'); do unset "$v"; done
unset MALLOC_CONF LD_PRELOAD
# Keep the library's per-violation lines out of the logs; a small pool keeps runs fast.
export PTFREEZE_LOG=off PTFREEZE_POOL=16M
# THP: huge pages that tests/backing.sh reserves must not be taken by tests beside it.
export PTFREEZE_HUGEPAGES=thp


if [ ! -x "$PTFREEZE" ]; then
	[ "${with_command:-yes}" = no ] && skip "the ptfreeze command is not built (see configure's output)"
	hard "no command at $PTFREEZE (build first)"
fi
[ -f "$SHIM" ] || hard "no library at $SHIM (build first)"
cd "$TMPD" || hard "cannot enter $TMPD"

PY=$(command -v python3 || true)

# Runs the command, keeping stdout in $TMPD/out, stderr in $TMPD/err and the
# exit status in $st.  Never fails by itself.
pf() {
	st=0
	"$PTFREEZE" "$@" > "$TMPD/out" 2> "$TMPD/err" || st=$?
}

# expect_status N WHAT: the last pf's status must be N.
expect_status() {
	[ "$st" -eq "$1" ] || {
		sed 's/^/  stderr: /' "$TMPD/err" >&2
		fail "$2: exit status $st, want $1"
	}
}

# one_error_line WHAT [PATTERN]: stderr is exactly one "ptfreeze: error:" line (matching PATTERN).
one_error_line() {
	n=$(wc -l < "$TMPD/err")
	[ "$n" -eq 1 ] || { sed 's/^/  stderr: /' "$TMPD/err" >&2; fail "$1: $n lines on stderr, want one"; }
	grep -q '^ptfreeze: error: ' "$TMPD/err" || fail "$1: stderr is not a 'ptfreeze: error:' line: $(cat "$TMPD/err")"
	if [ $# -ge 2 ]; then
		grep -qE -- "$2" "$TMPD/err" || fail "$1: error line does not say '$2': $(cat "$TMPD/err")"
	fi
}

# Runs the probe under ptfreeze run (report mode, armed by its own SIGUSR2)
# with reports in directory $1; extra arguments go to the probe.
run_probe() {
	dir=$1
	shift
	mkdir -p "$dir"
	pf run --mode report --arm signal:USR2 --report "$dir/r-%p.jsonl" -- "$PROBE" "$@"
	expect_status 0 "ptfreeze run probe $*"
	grep -q '^done' "$TMPD/out" || fail "the probe did not finish: $(cat "$TMPD/out")"
}
