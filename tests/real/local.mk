# SPDX-License-Identifier: BSD-2-Clause
# The real-program suite (make check-real): unmodified programs from Debian
# packages (python3 and its regression tests, redis, sqlite3, a shell and a
# fork-per-request server; and with default settings, stderr compared too:
# git, nginx and haproxy reloaded under load, node, Java) and one C++
# program of ours, each run with and without the shim and compared; see
# tests/real/lib.sh.  Not part of
# `make check` (it takes minutes and needs those packages): tools/test.sh
# runs it after `make check`, with its own log, test-real.log.
REAL_TESTS = tests/real/python.sh tests/real/pytests.sh tests/real/redis.sh \
	tests/real/sqlite.sh tests/real/cxxpool.sh tests/real/forkexec.sh tests/real/strace.sh \
	tests/real/git.sh tests/real/nginx.sh tests/real/haproxy.sh tests/real/node.sh \
	tests/real/java.sh
check_PROGRAMS += tests/real/cxxpool
tests_real_cxxpool_SOURCES = tests/real/cxxpool.cc
tests_real_cxxpool_CXXFLAGS = -g -O2 -std=c++17 -Wall -fno-omit-frame-pointer
tests_real_cxxpool_LDADD = -lpthread
EXTRA_DIST += $(REAL_TESTS) tests/real/lib.sh tests/real/judge.py tests/real/junit.py \
	tests/real/bigcontainers.py tests/real/forkserver.py tests/real/gitwork.sh \
	tests/real/httpload.py tests/real/jit.js tests/real/Jit.java

CLEANFILES += test-real.log $(REAL_TESTS:.sh=.log) $(REAL_TESTS:.sh=.trs)

# One test at a time: each is timed against a hang and some use the whole VM.
check-real: all
	$(MAKE) $(AM_MAKEFLAGS) check TESTS='$(REAL_TESTS)' TEST_SUITE_LOG=test-real.log
.PHONY: check-real
