# SPDX-License-Identifier: BSD-2-Clause
# Fuzzing (docs/reliability.md).  Each target tests/fuzz/fuzz_TARGET.c is
# built twice from the same source:
#  - tests/fuzz/fuzz-TARGET, with clang -fsanitize=fuzzer,address,undefined,
#    by `make fuzz-build`; `make fuzz` runs every target for FUZZ_SECONDS
#    (tools/fuzz.sh; tools/test.sh runs it in CI).  Not part of make check:
#    it needs clang and libFuzzer (libclang-rt-dev).
#  - tests/fuzz/replay-TARGET, with the ordinary compiler and replay.c for
#    main(): make check feeds it the seed corpus and every crashing input
#    ever found (tests/fuzz/regress/TARGET/), so a fixed bug stays fixed.
# The fuzzers compile the shim's core sources themselves, from the list
# src/local.mk keeps, so a new source file there needs nothing here.
check_PROGRAMS += tests/fuzz/replay-config
tests_fuzz_replay_config_SOURCES = tests/fuzz/fuzz_config.c tests/fuzz/replay.c
tests_fuzz_replay_config_LDADD = src/libptfreeze_core.la $(JE_LIBS)
# The report reader needs jansson: built with the command.
if BUILD_COMMAND
check_PROGRAMS += tests/fuzz/replay-report
# What `ptfreeze report` reads and renders with (REPORT_READER, tools/local.mk).
tests_fuzz_replay_report_SOURCES = tests/fuzz/fuzz_report.c tests/fuzz/replay.c $(REPORT_READER)
tests_fuzz_replay_report_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tools
tests_fuzz_replay_report_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS)
# As for the ptfreeze command: the leaf modules, no allocator core.
tests_fuzz_replay_report_LDFLAGS = -Wl,--as-needed
tests_fuzz_replay_report_LDADD = src/libptfcommon.la $(JANSSON_LIBS)
endif
TESTS += tests/fuzz/regress.sh
# The directory tests/fuzz/regress is in EXTRA_DIST: make's built-in .sh rule
# would otherwise "make" it from regress.sh (cat) once the script is newer.
tests/fuzz/regress: ;
EXTRA_DIST += tests/fuzz/regress.sh tests/fuzz/config.dict tests/fuzz/report.dict \
	tests/fuzz/corpus tests/fuzz/regress tools/fuzz.sh

FUZZ_CC = clang
FUZZ_CFLAGS = -g -O1 -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
FUZZ_SECONDS = 60
FUZZ_CORE = $(src_libptfcommon_la_SOURCES) $(src_libptfreeze_core_la_SOURCES)
# Compiles the .c prerequisites of the target into it.
FUZZ_LINK = $(MKDIR_P) tests/fuzz && $(FUZZ_CC) $(FUZZ_CFLAGS) $(DEFS) $(DEFAULT_INCLUDES) $(AM_CPPFLAGS) \
	-I$(top_srcdir)/tools $(JEMALLOC_CFLAGS) $(JANSSON_CFLAGS) -o $@ \
	`for f in $^; do case $$f in *.c) echo $$f ;; esac; done`
tests/fuzz/fuzz-config: tests/fuzz/fuzz_config.c $(FUZZ_CORE) $(JE_ARCHIVE)
	$(AM_V_CCLD)$(FUZZ_LINK) $(JE_LIBS)
tests/fuzz/fuzz-report: tests/fuzz/fuzz_report.c $(REPORT_READER) $(FUZZ_CORE) $(JE_ARCHIVE)
	$(AM_V_CCLD)$(FUZZ_LINK) $(JANSSON_LIBS) $(JE_LIBS)
fuzz-build: tests/fuzz/fuzz-config tests/fuzz/fuzz-report tests/progs/vartable
fuzz: fuzz-build
	FUZZ_SECONDS=$(FUZZ_SECONDS) $(SHELL) $(srcdir)/tools/fuzz.sh --built
.PHONY: fuzz fuzz-build
CLEANFILES += tests/fuzz/fuzz-config tests/fuzz/fuzz-report
clean-local: clean-fuzz
clean-fuzz:
	-rm -rf tests/fuzz/work tests/fuzz/*.log tests/fuzz/crash-* tests/fuzz/*.dict.gen
.PHONY: clean-fuzz
