# SPDX-License-Identifier: BSD-2-Clause
# Fault injection (tests/fault) and memory integrity (tests/stress): what the
# host or the user throws at the shim -- a small pool, no huge pages, a
# refused mlock, an unwritable or full report directory, kill -9, arming by
# signal under load, fork under load -- and a byte-by-byte check of every
# allocator path.  Each script sources tests/lib.sh and judges from outside
# (exit status, stdout, the report file, strace).  Figures: docs/reliability.md.
FAULT_CFLAGS = $(AM_CFLAGS) -g -O1 -fno-omit-frame-pointer -fno-optimize-sibling-calls -Wno-missing-prototypes
check_PROGRAMS += tests/fault/sites tests/fault/oom tests/fault/armstorm tests/fault/forkstorm tests/stress/memcheck
tests_fault_sites_SOURCES = tests/fault/sites.c
tests_fault_sites_CFLAGS = $(FAULT_CFLAGS)
tests_fault_sites_LDADD = -ldl
tests_fault_oom_SOURCES = tests/fault/oom.c
tests_fault_oom_CFLAGS = $(FAULT_CFLAGS)
tests_fault_oom_LDADD = -ldl
tests_fault_armstorm_SOURCES = tests/fault/armstorm.c
tests_fault_armstorm_CFLAGS = $(FAULT_CFLAGS)
tests_fault_armstorm_LDADD = -lpthread -ldl
tests_fault_forkstorm_SOURCES = tests/fault/forkstorm.c
tests_fault_forkstorm_CFLAGS = $(FAULT_CFLAGS)
tests_fault_forkstorm_LDADD = -lpthread -ldl
tests_stress_memcheck_SOURCES = tests/stress/memcheck.c
tests_stress_memcheck_CFLAGS = $(AM_CFLAGS) -g -O2 -Wno-missing-prototypes
tests_stress_memcheck_LDADD = -lpthread -ldl

FAULT_TESTS = tests/fault/pool-small.sh tests/fault/hugepages.sh tests/fault/mlock.sh \
	tests/fault/report-dir.sh tests/fault/killed.sh tests/fault/arm-signal.sh \
	tests/fault/fork-threads.sh tests/stress/memcheck.sh
TESTS += $(FAULT_TESTS)
EXTRA_DIST += $(FAULT_TESTS) tests/fault/lib.sh
