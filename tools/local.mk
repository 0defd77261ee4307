# SPDX-License-Identifier: BSD-2-Clause
# The ptfreeze command (run, report, check), its man page and its tests.
# The command links the shim's leaf modules (src/libptfcommon.la)
# statically for the option parsers (src/config.c), the host checks
# (src/audit.c, src/hostspec.c), /proc maps (src/procfs.c) and the writeback
# rule (src/writeback.c), so the command and the library share one set of
# rules; it does not link the allocator core.
# The report reader and its renderers: the command's, and the fuzz target's.
REPORT_READER = tools/reportfile.c tools/reportfile_collect.c tools/reportfile_merge.c tools/reportfile_scan.c tools/reportfile_int.h \
	tools/render.c tools/render_text.c tools/render_args.c tools/render_json.c \
	tools/render_folded.c tools/render_smaps.c tools/cause.c tools/suppressions.c tools/cli.c
# Not built without jansson, libdw or libstdc++ (configure says so); the
# tests that run it then skip (with_command=no, tests/lib.sh need_command).
if BUILD_COMMAND
bin_PROGRAMS += tools/ptfreeze
tools_ptfreeze_SOURCES = \
	tools/ptfreeze.c \
	tools/cli.c tools/cli.h \
	tools/cmd_run.c tools/target.c tools/target.h \
	tools/cmd_report.c tools/reportfile.c tools/reportfile.h \
	tools/reportfile_collect.c tools/reportfile_merge.c tools/reportfile_scan.c tools/reportfile_int.h \
	tools/symbolize.c tools/symbolize.h \
	tools/render.c tools/render.h tools/render_text.c tools/render_args.c \
	tools/render_json.c tools/render_folded.c tools/render_smaps.c tools/render_smaps.h \
	tools/cause.c tools/cause.h \
	tools/suppressions.c tools/suppressions.h \
	tools/cmd_check.c tools/hazards.c tools/hazards.h tools/prom.c tools/prom.h
tools_ptfreeze_CPPFLAGS = $(AM_CPPFLAGS) -DPTFREEZE_LIBDIR='"$(libdir)"'
tools_ptfreeze_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS) $(LIBDW_CFLAGS)
tools_ptfreeze_LDFLAGS = -Wl,--as-needed
tools_ptfreeze_LDADD = src/libptfcommon.la $(JANSSON_LIBS) $(LIBDW_LIBS) $(DEMANGLE_LIBS)

dist_man_MANS += docs/ptfreeze.1
endif

# Tests of the command, judged from outside; each script sources tests/cli/lib.sh.
check_PROGRAMS += tests/cli/probe tests/cli/static
tests_cli_probe_SOURCES = tests/cli/probe.c
tests_cli_probe_CFLAGS = $(AM_CFLAGS) -g -O0 -fno-omit-frame-pointer -Wno-missing-prototypes
tests_cli_static_SOURCES = tests/cli/static.c
tests_cli_static_CFLAGS = $(AM_CFLAGS) -Wno-missing-prototypes
tests_cli_static_LDFLAGS = -all-static
# A program whose library makes calls after the exit summary (tests/cli/truth.sh).
check_PROGRAMS += tests/cli/latedtor
check_LTLIBRARIES += tests/cli/liblatedtor.la
tests_cli_liblatedtor_la_SOURCES = tests/cli/latedtor_lib.c
tests_cli_liblatedtor_la_CFLAGS = $(AM_CFLAGS) -g -O0 -Wno-missing-prototypes
tests_cli_liblatedtor_la_LDFLAGS = -rpath /nowhere -avoid-version -shared
tests_cli_latedtor_SOURCES = tests/cli/latedtor.c
tests_cli_latedtor_CFLAGS = $(AM_CFLAGS) -g -O0 -Wno-missing-prototypes
tests_cli_latedtor_LDADD = tests/cli/liblatedtor.la
tests_cli_latedtor_LDFLAGS = -no-install
# C++ names demangled, suppression rules mangled (tests/cli/demangle.sh).
check_PROGRAMS += tests/cli/cxxsite
tests_cli_cxxsite_SOURCES = tests/cli/cxxsite.cc
tests_cli_cxxsite_CXXFLAGS = -g -O0 -fno-omit-frame-pointer

CLI_TESTS = \
	tests/cli/help.sh \
	tests/cli/run.sh \
	tests/cli/setuid.sh \
	tests/cli/report.sh \
	tests/cli/killed.sh \
	tests/cli/invalid.sh \
	tests/cli/check.sh \
	tests/cli/check-pid.sh \
	tests/cli/truth.sh \
	tests/cli/demangle.sh \
	tests/cli/scale.sh \
	tests/cli/prometheus.sh \
	tests/cli/check-spec.sh \
	tests/cli/cause.sh \
	tests/cli/drift.sh \
	tests/cli/daemon.sh \
	tests/cli/only-hint.sh \
	tests/cli/report-scan.sh
TESTS += $(CLI_TESTS)
EXTRA_DIST += tests/cli/lib.sh $(CLI_TESTS)
