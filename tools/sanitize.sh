#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# The sanitizer builds (docs/reliability.md), run by tools/test.sh in CI.
# Two VPATH builds under build-sanitize/, each configured with the hooks of
# tools/sanitize.mk (the small test programs stay uninstrumented: they
# stand for the user's programs):
#  ubsan  the shim with UBSan, its runtime linked statically into
#         libptfreeze.so (-static-libubsan): nothing of it runs until a
#         first report, and then it uses its own mmap-based allocator,
#         never malloc, so it works inside an interposed malloc.  The
#         command, the unit suite and the fuzz replays get UBSan too.  Runs
#         make check except tests/backing.sh (it changes nr_hugepages; the
#         plain suite runs it) and the benchmark smoke test.
#  asan   the command, the unit suite and the fuzz replays with ASan and
#         UBSan.  An ASan shim cannot be preloaded into an uninstrumented
#         program (ASan's runtime must come first), so the command's tests
#         preload the ubsan build's shim and run its test programs, copied in.
#         Runs the unit suite, the fuzz replays and the command's tests.
# Every sanitizer report goes to a log file (log_path) besides stderr, and
# any such file fails the run, even where a test would tolerate the crash.
# The source tree is configured in place, which automake's VPATH builds
# refuse, so both build from a `make distdir` copy (which also checks that
# the distribution is complete).  Exit status 0 only if everything passed.
#   sh tools/sanitize.sh [ubsan|asan]...     (default: both)
set -eu
cd "$(dirname "$0")/.."
top=$(pwd)
out=$top/build-sanitize
jobs=$(nproc 2> /dev/null || echo 2)
[ "$jobs" -le 2 ] || jobs=2
builds=${*:-ubsan asan}

[ -f Makefile ] || { [ -x configure ] || autoreconf -fi; ./configure -q; }
rm -rf "$out/src"
mkdir -p "$out"
make -s distdir distdir="$out/src" > /dev/null

status=0
# The tests of this tree, but those named in $1 (GNU make prints $(TESTS)).
tests_but() {
	printf 'print-tests:\n\t@echo $(TESTS)\n' | make -s -f Makefile -f - print-tests | tr ' ' '\n' |
		grep -v -x -F -e "$(echo "$1" | tr ' ' '\n')" | tr '\n' ' '
}
# Configures and builds $1 with the sanitizer flags $2 (compile), $3 (link), $4 (shim link).
build() {
	rm -rf "${out:?}/$1"
	mkdir -p "$out/$1"
	cd "$out/$1"
	../src/configure -q SANITIZE_CFLAGS="$2" SANITIZE_LDFLAGS="$3" SANITIZE_SHIM_LDFLAGS="$4"
	make -s -j"$jobs" > build.log 2>&1 || { tail -n 30 build.log; echo "sanitize: $1: the build failed"; exit 1; }
	make -s -j"$jobs" check TESTS= >> build.log 2>&1 || { tail -n 30 build.log; echo "sanitize: $1: the test programs did not build"; exit 1; }
}
# Runs make check TESTS=$2 in build $1 and judges the sanitizer logs.
check() {
	cd "$out/$1"
	rm -rf "$out/$1/reports"
	mkdir -p "$out/$1/reports"
	r=0
	make -s check TESTS="$2" > check.log 2>&1 || r=$?
	grep -E '^(PASS|FAIL|ERROR|SKIP|XFAIL|XPASS):' check.log | sed "s/^/sanitize: $1: /"
	if [ -n "$(ls -A "$out/$1/reports")" ]; then
		for f in "$out/$1"/reports/*; do
			echo "==== sanitizer report $f"
			head -n 40 "$f"
		done
		r=1
	fi
	if [ $r -ne 0 ]; then
		for f in $(grep -l '^FAIL\|^ERROR' $(find . -name '*.log' -path '*tests*') 2> /dev/null); do
			echo "==== $1: $f"
			tail -n 30 "$f"
		done
		echo "sanitize: $1: FAILED"
		status=1
	else
		echo "sanitize: $1: passed"
	fi
}

common="-fno-sanitize-recover=all -fno-omit-frame-pointer -g"
for b in $builds; do
	case $b in
	ubsan)
		build ubsan "-fsanitize=undefined $common" "-fsanitize=undefined" "-fsanitize=undefined -static-libubsan"
		UBSAN_OPTIONS="print_stacktrace=1:log_path=$out/ubsan/reports/ubsan" \
			check ubsan "$(cd "$out/ubsan" && tests_but "tests/backing.sh bench/smoke.sh")"
		;;
	asan)
		[ -f "$out/ubsan/.libs/libptfreeze.so" ] || { echo "sanitize: asan needs the ubsan build's shim: run both"; exit 1; }
		# Static runtimes: the command's own LD_PRELOAD (tests/cli/run.sh sets one) must not
		# come before ASan's, which a shared libasan refuses.
		build asan "-fsanitize=address,undefined $common" \
			"-fsanitize=address,undefined -static-libasan -static-libubsan" "-fsanitize=address,undefined"
		# The ubsan build's shim and test programs: what the command runs is not instrumented with ASan.
		cp "$out/ubsan/.libs/libptfreeze.so" "$out/asan/.libs/libptfreeze.so"
		for p in tests/cli/probe tests/cli/static; do
			cp "$out/ubsan/$p" "$out/asan/$p"
		done
		cli=$(cd "$out/asan" && tests_but "" | tr ' ' '\n' | grep '^tests/cli/' | tr '\n' ' ')
		ASAN_OPTIONS="log_path=$out/asan/reports/asan:detect_leaks=1" \
			UBSAN_OPTIONS="print_stacktrace=1:log_path=$out/asan/reports/ubsan" \
			check asan "tests/fuzz/regress.sh $cli"
		# The unit suite without LeakSanitizer: run whole, its tracer dies (SIGSEGV in
		# LSan's StopTheWorld) in four capture tests of the 189 that pass alone;
		# address and undefined-behaviour checks stay on.
		ASAN_OPTIONS="log_path=$out/asan/reports/asan:detect_leaks=0" \
			UBSAN_OPTIONS="print_stacktrace=1:log_path=$out/asan/reports/ubsan" \
			check asan "tests/unit/check_ptfreeze"
		;;
	*)
		echo "sanitize: unknown build '$b' (ubsan or asan)"
		exit 2
		;;
	esac
done
exit $status
