# SPDX-License-Identifier: BSD-2-Clause
# Sourced by every shell test: where things are, and small judges.
# Automake exit codes: 0 pass, 77 skip, 99 hard error, anything else fail.
set -u
top_builddir=${abs_top_builddir:-$(cd "$(dirname "$0")/.." && pwd)}
top_srcdir=${abs_top_srcdir:-$top_builddir}
SHIM=${PTFREEZE_LIBRARY:-$top_builddir/.libs/libptfreeze.so}
PROGS=$top_builddir/tests/progs
TMPD=$(mktemp -d "${TMPDIR:-/tmp}/ptfreeze-test.XXXXXX")
trap 'rm -rf "$TMPD"' EXIT
. "$top_srcdir/tests/common.sh" # fail, skip, hard, note, host_settings_lock
# Nothing the caller exported (PTFREEZE_STRICT, PTFREEZE_FAULTS, ...) may
# change what the tests see: every PTFREEZE_* goes (the library was taken above).
for v in $(env | sed -n 's/^\(PTFREEZE_[A-Za-z0-9_]*\)=.*/\1/p'); do unset "$v"; done
unset MALLOC_CONF
# Keep test processes quiet and their reports in the temp dir unless a test says otherwise.
export PTFREEZE_REPORT="$TMPD/report-%p.jsonl"
# THP unless a test asks: huge pages that backing.sh reserves must not be taken
# by the default 'auto' of tests running beside it (make -j check).
export PTFREEZE_HUGEPAGES=thp

[ -f "$SHIM" ] || hard "no shim at $SHIM (build first)"

# Where a test runs the ptfreeze command: configure leaves it unbuilt
# without jansson, libdw or libstdc++ (with_command=no from make check).
# have_command: false (and a note) then; need_command: the test skips.
have_command() {
	[ -x "$top_builddir/tools/ptfreeze" ] && return 0
	[ "${with_command:-yes}" = no ] || hard "no command at $top_builddir/tools/ptfreeze (build first)"
	note "the ptfreeze command is not built (see configure's output)"
	return 1
}
need_command() { have_command || skip "the ptfreeze command is not built"; }

# Runs a command with the shim preloaded.
shim() { env LD_PRELOAD="$SHIM" "$@"; }

# The value of a program's "NAME=value" line in $TMPD/out (tests whose program prints such lines).
val() { sed -n "s/^$1=//p" "$TMPD/out"; }

# Counts page-table syscalls between the CHURN-BEGIN/CHURN-END markers of an strace log.
pt_syscalls_between_markers() {
	awk '/CHURN-BEGIN/{on=1;next} /CHURN-END/{on=0} on' "$1" |
		grep -cE '(^|[ ])(mmap|munmap|madvise|mprotect|mremap|brk|pkey_mprotect)\(' || true
}

# The armed phase of strace log $1 (cut by the CHURN markers) made no page-table call, and
# report $2 has no pool growth after arming; $3 names the case in the failure.
armed_quiet() {
	grep -q CHURN-END "$1" || fail "no marker in the strace log${3:+ ($3)}"
	n=$(pt_syscalls_between_markers "$1")
	[ "$n" -eq 0 ] || fail "$n page-table calls in the armed phase${3:+ ($3)}"
	if grep '"type":"pool-grow"' "$2" | grep -q '"armed":true'; then
		fail "the pool grew after arming${3:+ ($3)}: $(grep '"type":"pool-grow"' "$2" | head -3)"
	fi
}

need_root() { [ "$(id -u)" = 0 ] || skip "needs root: $*"; }
need_strace() { command -v strace >/dev/null 2>&1 || skip "strace is not installed"; }

# Sets PY to the interpreter (/usr/bin/python3 before a python3 on PATH, which may be a wrapper such as pyenv's).
need_python() {
	PY=/usr/bin/python3
	[ -x "$PY" ] || PY=$(command -v python3) || skip "python3 is not installed"
}

# The guard probe and what judging it needs: sets PY, probe and lib (the library it dlopens).
need_probe() {
	need_strace
	command -v addr2line >/dev/null || skip "addr2line (binutils) is not installed"
	need_python
	probe=$PROGS/probe
	lib=$PROGS/.libs/libdlopen_target.so
	[ -f "$lib" ] || hard "no $lib"
}

# Reserves N 2M huge pages, restoring the old count on exit; skips if it cannot.
reserve_hugepages() {
	need_root "reserving huge pages"
	host_settings_lock
	f=/proc/sys/vm/nr_hugepages
	old=$(cat $f)
	trap 'echo '"$old"' > '"$f"'; rm -rf "$TMPD"' EXIT
	echo $(( old + $1 )) > $f 2>/dev/null || skip "cannot write $f"
	got=$(cat /sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages)
	[ "$got" -ge "$1" ] || skip "only $got huge pages could be reserved (wanted $1)"
}

# json_get FILE TYPE EXPR: evaluates EXPR (python, `r` is the record) on
# the last record of TYPE in FILE (PY: the interpreter).
json_get() {
	"$PY" - "$@" <<'PYEOF'
import json, sys
path, typ, expr = sys.argv[1:4]
r = None
for line in open(path):
    if line.endswith("\n"):
        rec = json.loads(line)
        if rec.get("type") == typ:
            r = rec
if r is None:
    sys.exit("no %s record in %s" % (typ, path))
print(eval(expr))
PYEOF
}
