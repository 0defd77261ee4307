#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# The second command of the README, and what .ci/run calls: installs any
# missing Debian package, builds, and runs the whole test suite (make check,
# make check-real with real programs, then make distcheck so the tarball
# builds and passes too, then the sanitizer builds and the fuzz targets:
# docs/reliability.md).  As root the
# huge-page tests reserve pages themselves (and give them back), so none is
# skipped.  Exit status 0 only if everything passed.
set -eu
cd "$(dirname "$0")/.."
sh tools/setup.sh --deps
[ -x configure ] || autoreconf -fi
[ -f Makefile ] || ./configure
make -j"$(nproc)"
status=0
make -j1 check || status=$?
# Then the real programs (tests/real/, make check-real), with their own log.
rm -f test-real.log
make -j1 check-real || status=$?
count() { cat test-suite.log test-real.log 2>/dev/null | sed -n "s/^# $1: *\([0-9]*\)/\1/p" | awk '{ n += $1 } END { print n + 0 }'; }
pass=$(count PASS) fail=$(count FAIL) err=$(count ERROR) skipped=$(count SKIP)
echo "check: ${pass:-0} passed, $(( ${fail:-0} + ${err:-0} )) failed, ${skipped:-0} skipped"
if [ $status -ne 0 ]; then
	for f in $(find . -name '*.log' -newer Makefile -path '*tests*'); do
		grep -q '^FAIL\|^ERROR' "$f" 2>/dev/null && { echo "==== $f"; tail -n 40 "$f"; }
	done
	exit $status
fi
# One test at a time: the huge-page tests reserve pages others would take.
make -j1 distcheck
# The sanitizer builds, then every fuzz target for FUZZ_SECONDS (default 60).
sh tools/sanitize.sh
sh tools/fuzz.sh
echo "test: all passed"
