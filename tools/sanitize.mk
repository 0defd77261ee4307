# SPDX-License-Identifier: BSD-2-Clause
# Sanitizer builds (tools/sanitize.sh, docs/reliability.md): configure with
#   SANITIZE_CFLAGS       compile flags for the shim, the ptfreeze command,
#                         the unit suite and the fuzz replay programs
#   SANITIZE_LDFLAGS      link flags for the command and those test programs
#   SANITIZE_SHIM_LDFLAGS link flags for libptfreeze.so
# The small test programs are left alone: they stand for the user's
# unmodified programs (and tests/cli/static must stay statically linked).
src_libptfcommon_la_CFLAGS += $(SANITIZE_CFLAGS)
src_libptfreeze_core_la_CFLAGS += $(SANITIZE_CFLAGS)
libptfreeze_la_CFLAGS += $(SANITIZE_CFLAGS)
libptfreeze_la_LDFLAGS += $(SANITIZE_SHIM_LDFLAGS)
if BUILD_COMMAND
tools_ptfreeze_CFLAGS += $(SANITIZE_CFLAGS)
tools_ptfreeze_LDFLAGS += $(SANITIZE_LDFLAGS)
tests_fuzz_replay_report_CFLAGS += $(SANITIZE_CFLAGS)
tests_fuzz_replay_report_LDFLAGS += $(SANITIZE_LDFLAGS)
endif
if HAVE_CHECK
tests_unit_check_ptfreeze_CFLAGS += $(SANITIZE_CFLAGS)
tests_unit_check_ptfreeze_LDFLAGS = $(SANITIZE_LDFLAGS)
endif
tests_fuzz_replay_config_CFLAGS = $(AM_CFLAGS) $(SANITIZE_CFLAGS)
tests_fuzz_replay_config_LDFLAGS = $(SANITIZE_LDFLAGS)
tests_progs_vartable_LDFLAGS = $(SANITIZE_LDFLAGS)
EXTRA_DIST += tools/sanitize.sh
