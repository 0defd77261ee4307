# SPDX-License-Identifier: BSD-2-Clause
# Whole-process tests: small programs run under LD_PRELOAD by shell
# scripts, judged from outside (getrusage, strace, /proc/self/smaps, the
# report file).  Every script sources tests/lib.sh.
AM_TESTS_ENVIRONMENT = \
	abs_top_builddir='$(abs_top_builddir)'; export abs_top_builddir; \
	abs_top_srcdir='$(abs_top_srcdir)'; export abs_top_srcdir; \
	srcdir='$(srcdir)/tests'; export srcdir; \
	with_command='$(build_command)'; export with_command;
TEST_EXTENSIONS = .sh
SH_LOG_COMPILER = $(SHELL) $(TEST_SH_FLAGS)

PROG_CFLAGS = $(AM_CFLAGS) -g -O1 -fno-omit-frame-pointer -Wno-missing-prototypes
check_PROGRAMS += tests/progs/churn tests/progs/conform tests/progs/cxx tests/progs/early tests/progs/probe tests/progs/exhaust tests/progs/coldcall tests/progs/rawcall \
	tests/progs/execchain tests/progs/overlay tests/progs/smapsdiff tests/progs/sysowner tests/progs/shootdown
check_PROGRAMS += tests/progs/touchstatic tests/progs/noperf tests/progs/spawnrss
tests_progs_spawnrss_SOURCES = tests/progs/spawnrss.c
tests_progs_spawnrss_CFLAGS = $(PROG_CFLAGS)
tests_progs_touchstatic_SOURCES = tests/progs/touchstatic.c
tests_progs_touchstatic_CFLAGS = $(PROG_CFLAGS)
tests_progs_touchstatic_LDADD = -lpthread -ldl
tests_progs_noperf_SOURCES = tests/progs/noperf.c
tests_progs_noperf_CFLAGS = $(PROG_CFLAGS)
tests_progs_churn_SOURCES = tests/progs/churn.c
tests_progs_churn_CFLAGS = $(PROG_CFLAGS)
tests_progs_churn_LDADD = -lpthread -ldl
tests_progs_conform_SOURCES = tests/progs/conform.c
tests_progs_conform_CFLAGS = $(PROG_CFLAGS) -fno-builtin
tests_progs_conform_LDADD = -ldl
tests_progs_cxx_SOURCES = tests/progs/cxx.cc
tests_progs_cxx_CXXFLAGS = -g -O1 -std=c++17 -Wall
tests_progs_cxx_LDADD = -lpthread -ldl
tests_progs_exhaust_SOURCES = tests/progs/exhaust.c
tests_progs_exhaust_CFLAGS = $(PROG_CFLAGS)
tests_progs_exhaust_LDADD = -ldl
tests_progs_coldcall_SOURCES = tests/progs/coldcall.c
tests_progs_coldcall_CFLAGS = $(PROG_CFLAGS)
tests_progs_coldcall_LDADD = tests/progs/libbigcode.la -ldl
tests_progs_execchain_SOURCES = tests/progs/execchain.c
tests_progs_execchain_CFLAGS = $(PROG_CFLAGS)
tests_progs_overlay_SOURCES = tests/progs/overlay.c
tests_progs_overlay_CFLAGS = $(PROG_CFLAGS)
tests_progs_overlay_LDADD = -ldl
tests_progs_rawcall_SOURCES = tests/progs/rawcall.c
tests_progs_rawcall_CFLAGS = $(AM_CFLAGS) -g -O0 -fno-omit-frame-pointer -Wno-missing-prototypes
tests_progs_rawcall_LDADD = -lpthread -ldl
tests_progs_smapsdiff_SOURCES = tests/progs/smapsdiff.c
tests_progs_smapsdiff_CFLAGS = $(PROG_CFLAGS)
tests_progs_smapsdiff_LDADD = -ldl
tests_progs_sysowner_SOURCES = tests/progs/sysowner.c
tests_progs_sysowner_CFLAGS = $(AM_CFLAGS) -g -O0 -fno-omit-frame-pointer -Wno-missing-prototypes
tests_progs_sysowner_LDADD = -lpthread -ldl
tests_progs_shootdown_SOURCES = tests/progs/shootdown.c
tests_progs_shootdown_CFLAGS = $(PROG_CFLAGS)
tests_progs_shootdown_LDADD = -lpthread -ldl
tests_progs_probe_SOURCES = tests/progs/probe.c
tests_progs_probe_CFLAGS = $(AM_CFLAGS) -g -O0 -fno-omit-frame-pointer -Wno-missing-prototypes
tests_progs_probe_LDADD = -lpthread -ldl
check_LTLIBRARIES += tests/progs/libearly.la tests/progs/libdlopen_target.la tests/progs/libbigcode.la
tests_progs_libbigcode_la_SOURCES = tests/progs/bigcode_lib.c
tests_progs_libbigcode_la_CFLAGS = $(AM_CFLAGS) -O1
tests_progs_libbigcode_la_LDFLAGS = -rpath /nowhere -avoid-version -shared
tests_progs_libdlopen_target_la_SOURCES = tests/progs/dlopen_target.c
tests_progs_libdlopen_target_la_LDFLAGS = -rpath /nowhere -avoid-version -shared -module
tests_progs_libearly_la_SOURCES = tests/progs/early_lib.c
tests_progs_libearly_la_CFLAGS = $(PROG_CFLAGS)
tests_progs_libearly_la_LDFLAGS = -rpath /nowhere -avoid-version -shared
tests_progs_libearly_la_LIBADD = -ldl
tests_progs_early_SOURCES = tests/progs/early.c
tests_progs_early_CFLAGS = $(PROG_CFLAGS)
tests_progs_early_LDADD = tests/progs/libearly.la

TESTS += tests/exports.sh tests/config-errors.sh tests/conform.sh tests/churn.sh \
	tests/backing.sh tests/programs.sh tests/guard.sh tests/hazard.sh tests/arming.sh tests/resident.sh tests/backstop.sh tests/exit.sh tests/backstop-mask.sh
EXTRA_DIST += tests/lib.sh tests/common.sh tests/exports.sh tests/config-errors.sh tests/conform.sh \
	tests/churn.sh tests/backing.sh tests/programs.sh tests/guard.sh tests/hazard.sh tests/arming.sh tests/resident.sh tests/backstop.sh \
	tests/probe_check.py tests/stack_has.py tests/strace-vs-report.sh tests/strace_vs_report.py
# One group a line from here on: each feature's tests together.
TESTS += tests/exec.sh tests/overlay.sh tests/trees.sh tests/trees-lazy.sh
EXTRA_DIST += tests/exec.sh tests/overlay.sh tests/trees.sh tests/trees-lazy.sh
# What changed since arming, the backstop, shootdowns (issue 7).
TESTS += tests/smaps.sh tests/seccomp-probe.sh tests/tlb.sh
EXTRA_DIST += tests/smaps.sh tests/seccomp-probe.sh tests/tlb.sh
# Suppressions and the NUMA policy of the pool (issue 8, items 3 and 4).
TESTS += tests/suppress.sh tests/numa.sh
# Issue 13: the program's stderr is the program's.
TESTS += tests/quiet.sh
EXTRA_DIST += tests/quiet.sh
EXTRA_DIST += tests/suppress.sh tests/numa.sh
# Thread stacks from the cache (issue 8, item 1).
check_PROGRAMS += tests/progs/threadchurn
tests_progs_threadchurn_SOURCES = tests/progs/threadchurn.c
tests_progs_threadchurn_CFLAGS = $(PROG_CFLAGS)
tests_progs_threadchurn_LDADD = -lpthread -ldl
TESTS += tests/threads.sh
EXTRA_DIST += tests/threads.sh
# The block cache (issue 15): tests/blockcache.sh.
check_PROGRAMS += tests/progs/blockcache
tests_progs_blockcache_SOURCES = tests/progs/blockcache.c
tests_progs_blockcache_CFLAGS = $(PROG_CFLAGS)
tests_progs_blockcache_LDADD = -lpthread -ldl
TESTS += tests/blockcache.sh
EXTRA_DIST += tests/blockcache.sh
# Blocks above 16 KiB on different cache lines of their first page (issue 15): tests/colour.sh.
check_PROGRAMS += tests/progs/colour
tests_progs_colour_SOURCES = tests/progs/colour.c
tests_progs_colour_CFLAGS = $(PROG_CFLAGS)
tests_progs_colour_LDADD = -lpthread
TESTS += tests/colour.sh
EXTRA_DIST += tests/colour.sh
# The small-object front end (issue 15): tests/frontend.sh.
check_PROGRAMS += tests/progs/frontend
tests_progs_frontend_SOURCES = tests/progs/frontend.c
tests_progs_frontend_CFLAGS = $(PROG_CFLAGS)
tests_progs_frontend_LDADD = -lpthread -ldl
TESTS += tests/frontend.sh
EXTRA_DIST += tests/frontend.sh
# realloc of large blocks: in place or moved with headroom (issue 15): tests/regrow.sh.
check_PROGRAMS += tests/progs/regrow
tests_progs_regrow_SOURCES = tests/progs/regrow.c
tests_progs_regrow_CFLAGS = $(PROG_CFLAGS)
tests_progs_regrow_LDADD = -ldl
TESTS += tests/regrow.sh
# Room at arming: the largest request of start-up, again after arming: tests/roomarm.sh.
check_PROGRAMS += tests/progs/roomarm
tests_progs_roomarm_SOURCES = tests/progs/roomarm.c
tests_progs_roomarm_CFLAGS = $(PROG_CFLAGS)
tests_progs_roomarm_LDADD = -ldl
TESTS += tests/roomarm.sh
EXTRA_DIST += tests/roomarm.sh
EXTRA_DIST += tests/regrow.sh
# Page faults with their stacks (issue 7, item 2).
TESTS += tests/pagefault.sh
EXTRA_DIST += tests/pagefault.sh tests/pagefault_check.py
# exit paths: _exit writes the summary; arming unblocks SIGSYS for the backstop
# (in TESTS with the first group).
EXTRA_DIST += tests/exit.sh tests/backstop-mask.sh
# The page-fault sampler: no signal, every fault counted, copy-on-write named (issue 13).
check_PROGRAMS += tests/progs/sighostile tests/progs/faultheavy
tests_progs_sighostile_SOURCES = tests/progs/sighostile.c
tests_progs_sighostile_CFLAGS = $(PROG_CFLAGS)
tests_progs_sighostile_LDADD = -lpthread -ldl
tests_progs_faultheavy_SOURCES = tests/progs/faultheavy.c
tests_progs_faultheavy_CFLAGS = $(PROG_CFLAGS)
tests_progs_faultheavy_LDADD = -ldl
TESTS += tests/pagefault-signals.sh tests/pagefault-git.sh
EXTRA_DIST += tests/pagefault-signals.sh tests/pagefault-git.sh tests/pagefault_count.py
# ptfreeze_armed() turns 1 when arming is complete: what follows is in the report.
check_PROGRAMS += tests/progs/armwindow
tests_progs_armwindow_SOURCES = tests/progs/armwindow.c
tests_progs_armwindow_CFLAGS = $(PROG_CFLAGS)
tests_progs_armwindow_LDADD = -lpthread -ldl
TESTS += tests/armwindow.sh
EXTRA_DIST += tests/armwindow.sh
# The shim's fixed cost in memory besides its pool (issue 15's footprint).
check_PROGRAMS += tests/progs/fixedcost
tests_progs_fixedcost_SOURCES = tests/progs/fixedcost.c
tests_progs_fixedcost_CFLAGS = $(PROG_CFLAGS)
tests_progs_fixedcost_LDADD = -ldl
TESTS += tests/fixedcost.sh
EXTRA_DIST += tests/fixedcost.sh
# Aligned allocations: the pages skipped to align them go to spare, not lost.
check_PROGRAMS += tests/progs/alignedroom
tests_progs_alignedroom_SOURCES = tests/progs/alignedroom.c
tests_progs_alignedroom_CFLAGS = $(PROG_CFLAGS)
tests_progs_alignedroom_LDADD = -ldl
TESTS += tests/alignedroom.sh
EXTRA_DIST += tests/alignedroom.sh
# The span allocator behind the block cache (issue 15): threads, fork, give-back.
check_PROGRAMS += tests/progs/spans
tests_progs_spans_SOURCES = tests/progs/spans.c
tests_progs_spans_CFLAGS = $(PROG_CFLAGS)
tests_progs_spans_LDADD = -lpthread -ldl
TESTS += tests/spans.sh
EXTRA_DIST += tests/spans.sh
# A hugetlb pool and fork: with no huge page free, a fork child's first write
# to a shared pool page must not kill it (issue 13: PTFREEZE_HUGEPAGES=auto).
TESTS += tests/hugetlb-fork.sh
EXTRA_DIST += tests/hugetlb-fork.sh
# The shim's thread never keeps a process whose threads all left by pthread_exit alive.
check_PROGRAMS += tests/progs/lastthread
tests_progs_lastthread_SOURCES = tests/progs/lastthread.c
tests_progs_lastthread_CFLAGS = $(PROG_CFLAGS)
tests_progs_lastthread_LDADD = -lpthread
TESTS += tests/lastthread.sh
EXTRA_DIST += tests/lastthread.sh

# The shim's own dependencies (jemalloc linked in, issue 12).
TESTS += tests/deps.sh
EXTRA_DIST += tests/deps.sh

# One table per concept (issue 14): the variables of src/options.inc are ptfreeze(7)'s
# (and run's options ptfreeze(1)'s),
# the kinds of src/kinds.inc are report-format.md's.
TESTS += tests/options-doc.sh tests/kinds-doc.sh
EXTRA_DIST += tests/options-doc.sh tests/kinds-doc.sh

# The layers of src/ (issue 14): includes and calls against src/layers.txt.
TESTS += tests/layers.sh
EXTRA_DIST += tests/layers.sh src/layers.txt
# Freed memory serves a request beyond the pool's room, no growth: tests/reclaim.sh.
check_PROGRAMS += tests/progs/reclaim
tests_progs_reclaim_SOURCES = tests/progs/reclaim.c
tests_progs_reclaim_CFLAGS = $(PROG_CFLAGS)
TESTS += tests/reclaim.sh
EXTRA_DIST += tests/reclaim.sh

# The shim's own data resident before arming: tests/shimdata.sh.
check_PROGRAMS += tests/progs/shimdata
tests_progs_shimdata_SOURCES = tests/progs/shimdata.c
tests_progs_shimdata_CFLAGS = $(PROG_CFLAGS)
TESTS += tests/shimdata.sh
EXTRA_DIST += tests/shimdata.sh
