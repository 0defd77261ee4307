#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# CPython's own regression tests that exercise memory (Debian package
# libpython3.11-testsuite), run by /usr/bin/python3 -m test with and
# without the shim: every test case must have the same outcome (passed,
# skipped, failed), the same exit status.  Armed 1 s after start-up,
# once regrtest has imported itself; the modules' subprocesses run under
# the shim too and their reports are judged with the rest.
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
[ -x "$PY" ] || skip "/usr/bin/python3 is not installed (Debian package python3)"
"$PY" -c 'import test.test_dict, test.libregrtest' 2>/dev/null ||
	skip "CPython's test suite is not installed (Debian package libpython3.$("$PY" -c 'import sys; print(sys.version_info[1])')-testsuite)"
MODULES="test_dict test_list test_bytes test_mmap test_threading test_set test_deque test_array test_memoryview test_gc test_weakref"
note "modules: $MODULES"
cd "$TMPD" || hard "cannot enter $TMPD"
# regrtest prints timings and load averages: compare the per-test outcomes
# (JUnit XML) and the exit status, not the text.
# shellcheck disable=SC2086
plain rt-plain "$PY" -m test --junit-xml "$TMPD/plain.xml" $MODULES
expect_ok rt-plain "python3 -m test"
# shellcheck disable=SC2086
under rt-shim delay:1s "$PY" -m test --junit-xml "$TMPD/shim.xml" $MODULES
ok=0
[ "$(cat "$TMPD/rt-shim.st")" = "$(cat "$TMPD/rt-plain.st")" ] ||
	{ tail -n 30 "$TMPD/rt-shim.out" >&2; echo "FAIL: python3 -m test: exit status $(cat "$TMPD/rt-shim.st") under the shim" >&2; ok=1; }
"$HOSTPY" "$real_dir/junit.py" "$TMPD/plain.xml" "$TMPD/shim.xml" || ok=1
shim_errors rt-shim || ok=1
judge rt-shim --min-processes 2 --children-may-die || ok=1
note "figures regrtest modules=$(echo $MODULES | wc -w)"
[ $ok = 0 ] || exit 1
# shellcheck disable=SC2086
PTFREEZE_SECCOMP=on under rt-seccomp delay:1s "$PY" -m test --junit-xml "$TMPD/seccomp.xml" $MODULES
if "$HOSTPY" "$real_dir/junit.py" "$TMPD/plain.xml" "$TMPD/seccomp.xml" >"$TMPD/seccomp.cmp" 2>&1 &&
	[ "$(cat "$TMPD/rt-seccomp.st")" = "$(cat "$TMPD/rt-plain.st")" ]; then
	cp "$TMPD/rt-plain.out" "$TMPD/rt-seccomp.out" # outcomes compared above, not the timings
fi
seccomp_note rt-seccomp rt-plain "python3 -m test"
sed 's/^/# seccomp: /' "$TMPD/seccomp.cmp" | grep -v 'without the shim'
exit 0
