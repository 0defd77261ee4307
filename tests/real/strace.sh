#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# The report is the whole truth (issue 7): for real programs run under
# strace -f with the shim in report mode and the seccomp backstop on, the
# page-table system calls the kernel ran after arming must be exactly what
# the reports say (tests/strace-vs-report.sh, rules in
# tests/strace_vs_report.py): python3 building and dropping large
# containers with threads, the C++ thread pool, sqlite3 building and
# vacuuming a database in WAL mode (a shared file mapping), and a shell
# pipeline whose fork children execute other programs.
. "$(dirname "$0")/lib.sh"
need_prog strace strace
need_prog sqlite3 sqlite3
svr=$top_srcdir/tests/strace-vs-report.sh
compare() { # NAME COMMAND...
	name=$1
	shift
	mkdir -p "$TMPD/$name"
	if PTFREEZE_LIBRARY=$SHIM sh "$svr" -d "$TMPD/$name" -- "$@" > "$TMPD/$name.out" 2>&1; then
		note "$name: strace and the report agree ($(grep -c '^ok' "$TMPD/$name.out") kinds checked)"
	else
		cat "$TMPD/$name.out" >&2
		fail "$name: strace and the report disagree"
	fi
}
export PTFREEZE_ARM=delay:300ms PTFREEZE_POOL=2G
compare python /usr/bin/python3 "$real_dir/bigcontainers.py"
# cxxpool arms during its warm-up sleep: a small pool and a 2 s sleep, so
# that the prefault arming waits for fits in it even when the VM's host
# backs memory slowly (2G took 0.36-7.3 s here; a process that exits
# while arming writes no report).
PTFREEZE_POOL=256M compare cxxpool "$top_builddir/tests/real/cxxpool" 4 200 2000
PTFREEZE_POOL=512M compare sqlite sqlite3 -batch "$TMPD/s.db" "PRAGMA journal_mode=WAL;" \
	"CREATE TABLE t(x, y);" \
	"WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 200000) INSERT INTO t SELECT x, printf('%0200d', x) FROM c;" \
	"SELECT count(*), sum(length(y)) FROM t;" "DELETE FROM t WHERE x % 2 = 0;" "VACUUM;"
PTFREEZE_POOL=64M compare pipeline sh -c 'sleep 0.5; seq 1 200000 | sort -rn | head -n 3'
exit 0
