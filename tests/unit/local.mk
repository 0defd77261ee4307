# SPDX-License-Identifier: BSD-2-Clause
# Unit tests: one Check suite per module of the shim (check_<module>.c
# mirrors src/<module>.c), linked statically against the convenience
# library and run by one runner.  Each test runs in its own forked child.
# Not built without Check (configure says so).
if HAVE_CHECK
check_PROGRAMS += tests/unit/check_ptfreeze
tests_unit_check_ptfreeze_SOURCES = \
	tests/unit/check_ptfreeze.h \
	tests/unit/check_main.c \
	tests/unit/check_fmt.c \
	tests/unit/check_kinds.c \
	tests/unit/check_sys.c \
	tests/unit/check_config.c \
	tests/unit/check_pool.c \
	tests/unit/check_spare.c \
	tests/unit/check_pmap.c \
	tests/unit/check_capture.c \
	tests/unit/check_guard.c \
	tests/unit/check_report.c \
	tests/unit/check_suppress.c \
	tests/unit/check_tstack.c \
	tests/unit/check_smaps.c \
	tests/unit/check_faults.c \
	tests/unit/check_procfs.c \
	tests/unit/check_phdr.c \
	tests/unit/check_writeback.c \
	tests/unit/check_hostspec.c \
	tests/unit/check_serve.c
tests_unit_check_ptfreeze_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) -DSRCDIR='"$(abs_top_srcdir)"'
tests_unit_check_ptfreeze_LDADD = src/libptfreeze_core.la $(CHECK_LIBS) $(JE_LIBS)
TESTS += tests/unit/check_ptfreeze
endif
